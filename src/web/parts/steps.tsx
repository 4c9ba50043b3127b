import type { SpendRequestSummary } from '../api.js';

export type StepState = 'done' | 'current' | 'pending' | 'stopped';
const STATE_WORDS: Record<StepState, string> = { done: '已完成', current: '进行中', pending: '未开始', stopped: '已终止' };

/** A parcel-style row of steps, each done, current, still ahead (greyed) or where it stopped. */
export function StepList({ steps }: { steps: [string, StepState][] }) {
  return (
    <ol class="steps" aria-label="办理进度">
      {steps.map(([label, state]) => (
        <li key={label} class={`step step-${state}`} aria-current={state === 'current' ? 'step' : undefined}>
          <span class="step-dot" aria-hidden="true" />
          <span class="step-label">{label}</span>
          <span class="visually-hidden">（{STATE_WORDS[state]}）</span>
        </li>
      ))}
    </ol>
  );
}

/**
 * The progress of a spend request: 提交 → 审批 k/N → 支付; a rejected or cancelled request
 * stops where it was.
 */
export function Steps({ request }: { request: Pick<SpendRequestSummary, 'status' | 'approvalCount' | 'requiredApprovals'> }) {
  const { status, approvalCount: k, requiredApprovals: n } = request;
  const approval: StepState = status === 'pending' ? 'current' : status === 'approved' || status === 'paid' ? 'done' : 'stopped';
  const payment: StepState = status === 'paid' ? 'done' : status === 'approved' ? 'current' : 'pending';
  return (
    <StepList
      steps={[
        ['提交', 'done'],
        [status === 'rejected' ? '已驳回' : status === 'cancelled' ? '已撤销' : `审批 ${Math.min(k, n)}/${n}`, approval],
        ['支付', payment],
      ]}
    />
  );
}

/**
 * The progress of a repair: 报修 → 派单 → 维修 → 完工 → 确认. Reopened, it goes back to 派单
 * (重新派单); cancelled, it stops there (已撤销).
 */
export function RepairSteps({ status }: { status: string }) {
  const done: Record<string, number> = { reported: 1, assigned: 2, started: 2, done: 4, confirmed: 5, reopened: 1, cancelled: 1 };
  const labels = ['报修', status === 'reopened' ? '重新派单' : status === 'cancelled' ? '已撤销' : '派单', status === 'started' ? '维修中' : '维修', '完工', '确认'];
  const count = done[status] ?? 1;
  return (
    <StepList
      steps={labels.map((label, i): [string, StepState] => [
        label,
        i < count ? 'done' : i === count ? (status === 'cancelled' ? 'stopped' : 'current') : 'pending',
      ])}
    />
  );
}
