import { useEffect, useState } from 'preact/hooks';
import { api, type SpendRequestSummary, type SpendStatus } from '../api.js';
import { hasRole, useSession } from '../context.js';
import { formatDate } from '../format.js';
import { useLoad } from '../hooks.js';
import { SpendingNav } from '../parts/section-nav.js';
import { Steps } from '../parts/steps.js';
import { SpendRequestItem } from '../parts/spend-request-item.js';
import { Empty, Loading, Problem, StatusWord } from '../parts/ui.js';
import { STATUS_WORDS } from '../words.js';

const FILTERS: (SpendStatus | 'all')[] = ['all', 'pending', 'approved', 'paid', 'rejected', 'cancelled'];

/** Every page of spend requests with a status, newest first. */
export async function loadSpendRequests(cid: string, status?: SpendStatus): Promise<SpendRequestSummary[]> {
  const all: SpendRequestSummary[] = [];
  let after: string | undefined;
  for (let i = 0; i < 100; i++) {
    const page = await api.spendRequests(cid, status, after);
    all.push(...page.items);
    if (!page.nextAfter) break;
    after = page.nextAfter;
  }
  return all.reverse();
}

/** 支出: every spend request with its progress; each opens its timeline. */
export function SpendRequests() {
  const { here, feed } = useSession();
  const [filter, setFilter] = useState<SpendStatus | 'all'>('all');
  const list = useLoad(() => loadSpendRequests(here.id, filter === 'all' ? undefined : filter), [here.id, filter]);
  useEffect(() => {
    if (feed.version > 0) list.reload();
  }, [feed.version]);

  return (
    <>
      <SpendingNav current="spend" />
      <div class="title-row">
        <h1>支出</h1>
        {hasRole(here, 'manager') ? (
          <a class="button small" href="/submit-request">
            提交支出申请
          </a>
        ) : null}
      </div>
      <p class="muted small">每一笔支出都需两位以上共管签名人签名批准后才能付款，进度像查快递一样公开。</p>
      <div class="chips" role="group" aria-label="按状态筛选">
        {FILTERS.map((f) => (
          <button key={f} type="button" class="chip" aria-pressed={filter === f} onClick={() => setFilter(f)}>
            {f === 'all' ? '全部' : STATUS_WORDS[f]}
          </button>
        ))}
      </div>
      {list.error ? <Problem error={list.error} /> : null}
      {!list.data ? (
        <Loading what="支出申请" />
      ) : list.data.length === 0 ? (
        <Empty>暂无{filter === 'all' ? '' : STATUS_WORDS[filter]}支出申请。</Empty>
      ) : (
        <ul class="list">
          {list.data.map((r) => (
            <SpendRequestItem key={r.id} request={r}>
              <p class="small muted">
                <StatusWord status={r.status} /> · {r.trackingNo} · {formatDate(r.submittedAt, here.timezone)} · 收款方 {r.payee.name}
              </p>
              <Steps request={r} />
            </SpendRequestItem>
          ))}
        </ul>
      )}
    </>
  );
}
