import { useEffect } from 'preact/hooks';
import { api } from '../api.js';
import { useSession } from '../context.js';
import { formatDate } from '../format.js';
import { useLoad } from '../hooks.js';
import { SpendRequestItem } from '../parts/spend-request-item.js';
import { Empty, Loading, Problem } from '../parts/ui.js';
import { loadSpendRequests } from './spend-requests.js';

/** 待我审批: pending requests that still wait for my key (not mine to approve if I submitted them). */
export function PendingApprovals() {
  const { me, here, feed } = useSession();
  const list = useLoad(async () => {
    const pending = await loadSpendRequests(here.id, 'pending');
    const details = await Promise.all(pending.slice(0, 100).map((r) => api.spendRequest(here.id, r.id)));
    return details.filter((r) => r.submittedBy.id !== me.id && !r.approvals.some((a) => a.by === me.id));
  }, [here.id]);
  useEffect(() => {
    if (feed.version > 0) list.reload();
  }, [feed.version]);

  return (
    <>
      <h1>待我审批</h1>
      <p class="muted small">以下支出在等您的签名。打开后核对金额、收款方和用途，再用签名密码批准或驳回。</p>
      {list.error ? <Problem error={list.error} /> : null}
      {!list.data ? (
        <Loading what="待审批的申请" />
      ) : list.data.length === 0 ? (
        <Empty>没有等您签名的申请。</Empty>
      ) : (
        <ul class="list">
          {list.data.map((r) => (
            <SpendRequestItem key={r.id} request={r}>
              <p class="small muted">
                {r.trackingNo} · {r.submittedBy.displayName} 于 {formatDate(r.submittedAt, here.timezone)} 提交 · 已签 {r.approvals.length}/
                {r.requiredApprovals}
              </p>
            </SpendRequestItem>
          ))}
        </ul>
      )}
    </>
  );
}
