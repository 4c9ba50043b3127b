import { useState } from 'preact/hooks';
import { api, type Repair } from '../api.js';
import { hasRole, useSession } from '../context.js';
import { formatDateTime } from '../format.js';
import { Evidence } from '../parts/evidence.js';
import { Confirmation } from '../parts/form.js';
import { RepairSteps } from '../parts/steps.js';
import { TimelineItem, TrackingProblem, useTracked } from '../parts/tracked.js';
import { Card, Empty, Loading, Money, StatusWord } from '../parts/ui.js';
import { REPAIR_STATUS_WORDS, REPAIR_STEP_WORDS } from '../words.js';
import { ACTION_DONE_WORDS, nextActions, RepairActions } from './repair-actions.js';

/** /track/BX-…: a repair followed like a parcel, with the next steps its reader may take and the money spent on it. */
export function TrackRepair({ trackingNo }: { trackingNo: string }) {
  const { me } = useSession();
  const { loaded: repair, membership } = useTracked(() => api.trackRepair(trackingNo), trackingNo);
  const [saved, setSaved] = useState<string | undefined>();
  if (repair.error && !repair.data) {
    return <TrackingProblem heading={`查询报修 ${trackingNo}`} error={repair.error} back="/repairs" backLabel="返回报修列表" />;
  }
  const r = repair.data;
  if (!r) return <Loading what="报修进度" />;
  const tz = membership.timezone;
  const report = r.timeline[0];
  const actions = nextActions(r, membership, me.id);

  return (
    <>
      <p class="small">
        <a href="/repairs">‹ 报修列表</a>
      </p>
      <h1 class="request-heading">{r.title}</h1>
      {saved ? <Confirmation>{saved}</Confirmation> : null}
      <section class="card">
        <p>
          <StatusWord status={r.status} words={REPAIR_STATUS_WORDS} /> <span class="small muted">报修单号 {r.trackingNo}</span>
        </p>
        <RepairSteps status={r.status} />
        <dl class="facts">
          <div>
            <dt>位置</dt>
            <dd>{r.location}</dd>
          </div>
          <div>
            <dt>报修人</dt>
            <dd>
              {r.reportedBy.displayName} <span class="muted small">{formatDateTime(r.reportedAt, tz)}</span>
            </dd>
          </div>
          {r.description ? (
            <div>
              <dt>描述</dt>
              <dd class="prewrap">{r.description}</dd>
            </div>
          ) : null}
        </dl>
        {report?.attachments.length ? <Evidence cid={membership.id} attachments={report.attachments} label="报修照片" /> : null}
      </section>

      {actions.length ? (
        <RepairActions
          key={r.status}
          cid={membership.id}
          repair={r}
          actions={actions}
          onDone={(event) => {
            setSaved(ACTION_DONE_WORDS[event]);
            repair.reload();
          }}
        />
      ) : null}

      <Card
        title="维修支出"
        actions={
          hasRole(membership, 'manager') && r.status !== 'cancelled' ? (
            <a class="button small secondary" href={`/submit-request?repair=${encodeURIComponent(r.id)}`}>
              提交支出申请
            </a>
          ) : undefined
        }
      >
        {r.spendRequests.length === 0 ? (
          <Empty>这项报修还没有支出。需要花钱时，物业管家提交支出申请，经共管签名人批准后才能付款。</Empty>
        ) : (
          <ul class="plain-list">
            {r.spendRequests.map((s) => (
              <li key={s.id}>
                <span>
                  <a href={`/track/${encodeURIComponent(s.trackingNo)}`}>{s.trackingNo}</a> <StatusWord status={s.status} />
                </span>
                <Money amount={s.amount} />
              </li>
            ))}
          </ul>
        )}
      </Card>

      <Card title="办理记录">
        <RepairTimeline cid={membership.id} repair={r} timeZone={tz} />
      </Card>
    </>
  );
}

/** Newest first: who did what and when, their note, their photos; a spend step links to its request. */
function RepairTimeline({ cid, repair, timeZone }: { cid: string; repair: Repair; timeZone: string }) {
  return (
    <ol class="timeline">
      {repair.timeline
        .map((step, i) => ({ step, i }))
        .reverse()
        .map(({ step, i }) => (
          <TimelineItem key={i} event={step.event} what={REPAIR_STEP_WORDS[step.event] ?? step.event} step={step} timeZone={timeZone} note={step.note}>
            {/* The report's photos are shown above, with what was reported. */}
            {i > 0 ? <Evidence cid={cid} attachments={step.attachments} label={`${REPAIR_STEP_WORDS[step.event] ?? ''}照片`} /> : null}
          </TimelineItem>
        ))}
    </ol>
  );
}
