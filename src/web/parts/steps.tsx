import type { SpendRequestSummary } from '../api.js';

type StepState = 'done' | 'current' | 'pending' | 'stopped';
const STATE_WORDS: Record<StepState, string> = { done: '已完成', current: '进行中', pending: '未开始', stopped: '已终止' };

/**
 * The parcel-style progress of a spend request: 提交 → 审批 k/N → 支付, each step done,
 * current, or still ahead (greyed); a rejected or cancelled request stops where it was.
 */
export function Steps({ request }: { request: Pick<SpendRequestSummary, 'status' | 'approvalCount' | 'requiredApprovals'> }) {
  const { status, approvalCount: k, requiredApprovals: n } = request;
  const approval: StepState = status === 'pending' ? 'current' : status === 'approved' || status === 'paid' ? 'done' : 'stopped';
  const payment: StepState = status === 'paid' ? 'done' : status === 'approved' ? 'current' : 'pending';
  const steps: [string, StepState][] = [
    ['提交', 'done'],
    [status === 'rejected' ? '已驳回' : status === 'cancelled' ? '已撤销' : `审批 ${Math.min(k, n)}/${n}`, approval],
    ['支付', payment],
  ];
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
