import { api, type SpendRequest } from '../api.js';
import { hasRole, useSession } from '../context.js';
import { formatDateTime } from '../format.js';
import { Evidence } from '../parts/evidence.js';
import { SignedEvidence } from '../parts/signed-evidence.js';
import { Steps } from '../parts/steps.js';
import { TimelineItem, TrackingProblem, useTracked } from '../parts/tracked.js';
import { Card, Loading, Money, StatusWord } from '../parts/ui.js';
import { TIMELINE_WORDS } from '../words.js';
import { AcceptWork } from './accept-work.js';
import { ApproveRequest } from './approve-request.js';
import { CancelRequest, PayRequest } from './settle-request.js';

/** /track/<trackingNo>: a spend request followed like a parcel, with the actions its reader may take. */
export function TrackRequest({ trackingNo }: { trackingNo: string }) {
  const { me } = useSession();
  const { loaded: request, membership } = useTracked(() => api.track(trackingNo), trackingNo);
  if (request.error && !request.data) {
    return <TrackingProblem heading={`查询支出 ${trackingNo}`} error={request.error} back="/spend-requests" backLabel="返回支出列表" />;
  }
  const r = request.data;
  if (!r) return <Loading what="支出进度" />;
  const tz = membership.timezone;
  const isSubmitter = r.submittedBy.id === me.id;
  const myKey = r.approvals.find((a) => a.by === me.id);
  const approving = hasRole(membership, 'cosigner') && r.status === 'pending' && !isSubmitter && !myKey;
  const repairNo = r.timeline.find((step) => step.event === 'repair')?.ref;

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
          {repairNo ? (
            <div>
              <dt>关联报修</dt>
              <dd>
                <a href={`/track/${encodeURIComponent(repairNo)}`}>{repairNo}</a>
              </dd>
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

      {/* A co-signer about to sign sees the evidence inside what the key signs, below. */}
      {approving ? null : (
        <Card title={`凭证${r.attachments.length ? `（${r.attachments.length} 份）` : ''}`}>
          <SignedEvidence cid={membership.id} request={r} />
        </Card>
      )}

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

      {r.status === 'paid' ? <AcceptWork here={membership} request={r} onDone={request.reload} /> : null}

      <Card title="办理记录">
        <Timeline cid={membership.id} request={r} timeZone={tz} />
      </Card>
      <p class="small">
        <a href={`/ask?type=spend-request&id=${encodeURIComponent(r.id)}`}>对这笔支出有疑问？向物业管家公开质询 ›</a>
      </p>
    </>
  );
}

function Timeline({ cid, request, timeZone }: { cid: string; request: SpendRequest; timeZone: string }) {
  return (
    <ol class="timeline">
      {[...request.timeline].reverse().map((step, i) => {
        // A key's note is its count (1/2), read as part of what happened; other notes are the actor's words.
        const count = step.note && /^\d+\/\d+$/.test(step.note) ? step.note : undefined;
        return (
          <TimelineItem
            key={i}
            event={step.event}
            what={`${TIMELINE_WORDS[step.event] ?? step.event}${count ? ` ${count}` : ''}`}
            step={step}
            timeZone={timeZone}
            note={count ? undefined : step.note}
          >
            {/* The submission's evidence is shown above, with what the keys sign. */}
            {step.event !== 'submitted' && step.attachments ? <Evidence cid={cid} attachments={step.attachments} /> : null}
          </TimelineItem>
        );
      })}
    </ol>
  );
}
