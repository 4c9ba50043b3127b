import { useEffect } from 'preact/hooks';
import { api, type SpendRequest } from '../api.js';
import { hasRole, useSession } from '../context.js';
import { formatDateTime } from '../format.js';
import { useLoad } from '../hooks.js';
import { Steps } from '../parts/steps.js';
import { Card, Loading, Money, Problem, StatusWord } from '../parts/ui.js';
import { ROLE_WORDS, TIMELINE_WORDS } from '../words.js';
import { ApproveRequest } from './approve-request.js';
import { CancelRequest, PayRequest } from './settle-request.js';

/** /track/<trackingNo>: a spend request followed like a parcel, with the actions its reader may take. */
export function TrackRequest({ trackingNo }: { trackingNo: string }) {
  const { me, here, feed } = useSession();
  const request = useLoad(() => api.track(trackingNo), [trackingNo]);
  useEffect(() => {
    if (feed.version > 0) request.reload();
  }, [feed.version]);

  // The tracking number names its community (XY-<year>-<community number>-<seq>).
  const number = Number(/^[A-Z]+-\d{4}-(\d+)-/.exec(trackingNo)?.[1]);
  const membership = me.communities.find((c) => c.number === number) ?? here;

  if (request.error && !request.data) {
    return (
      <>
        <h1>查询支出 {trackingNo}</h1>
        <Problem error={request.error} />
        <p>
          <a href="/spend-requests">返回支出列表</a>
        </p>
      </>
    );
  }
  const r = request.data;
  if (!r) return <Loading what="支出进度" />;
  const tz = membership.timezone;
  const isSubmitter = r.submittedBy.id === me.id;
  const myKey = r.approvals.find((a) => a.by === me.id);

  return (
    <>
      <p class="small">
        <a href="/spend-requests">‹ 支出列表</a>
      </p>
      <h1 class="request-heading">{r.title}</h1>
      <section class="card">
        <p class="amount-large">
          <Money amount={r.amount} />
        </p>
        <p>
          <StatusWord status={r.status} /> <span class="small muted">单号 {r.trackingNo}</span>
        </p>
        <Steps request={{ ...r, approvalCount: r.approvals.length }} />
        <dl class="facts">
          <div>
            <dt>收款方</dt>
            <dd>
              {r.payee.name}
              {r.payee.account ? <span class="muted"> · 账号 {r.payee.account}</span> : null}
            </dd>
          </div>
          <div>
            <dt>申请人</dt>
            <dd>{r.submittedBy.displayName}</dd>
          </div>
          {r.description ? (
            <div>
              <dt>用途说明</dt>
              <dd class="prewrap">{r.description}</dd>
            </div>
          ) : null}
          {r.bankReference ? (
            <div>
              <dt>银行流水号</dt>
              <dd>{r.bankReference}</dd>
            </div>
          ) : null}
        </dl>
      </section>

      {hasRole(membership, 'cosigner') && r.status === 'pending' && !isSubmitter ? (
        myKey ? (
          <p class="notice-ok" role="status">
            您已于 {formatDateTime(myKey.at, tz)} 签名批准，还需 {r.requiredApprovals - r.approvals.length} 位共管签名人签名。
          </p>
        ) : (
          <ApproveRequest cid={membership.id} request={r} onDone={request.reload} />
        )
      ) : null}
      {hasRole(membership, 'manager') && r.status === 'approved' ? <PayRequest cid={membership.id} request={r} onDone={request.reload} /> : null}
      {isSubmitter && (r.status === 'pending' || r.status === 'approved') ? (
        <CancelRequest cid={membership.id} request={r} onDone={request.reload} />
      ) : null}

      <Card title="办理记录">
        <Timeline request={r} timeZone={tz} />
      </Card>
    </>
  );
}

function Timeline({ request, timeZone }: { request: SpendRequest; timeZone: string }) {
  return (
    <ol class="timeline">
      {[...request.timeline].reverse().map((step, i) => (
        <li key={i} class={`timeline-item timeline-${step.event}`}>
          <p class="timeline-what">
            {TIMELINE_WORDS[step.event] ?? step.event}
            {step.note && /^\d+\/\d+$/.test(step.note) ? ` ${step.note}` : ''}
          </p>
          <p class="small muted">
            <time dateTime={step.at}>{formatDateTime(step.at, timeZone)}</time> · {step.actor.displayName}
            {step.actor.roles.length ? `（${step.actor.roles.map((r) => ROLE_WORDS[r] ?? r).join('、')}）` : ''}
          </p>
          {step.note && !/^\d+\/\d+$/.test(step.note) ? <p class="small prewrap">{step.note}</p> : null}
        </li>
      ))}
    </ol>
  );
}
