import type { Loaded } from '../hooks.js';
import type { Reconciliation } from '../api.js';

/**
 * Whether the books agree with the bank, said on 首页 beside 账本校验通过, to every member:
 * the badge 与银行流水一致, what does not agree (how many lines, each way), or that no
 * statement has been uploaded yet. Each links to 银行对账, where the details are.
 */
export function BankBadge({ reconciliation }: { reconciliation: Loaded<Reconciliation> }) {
  const r = reconciliation.data;
  if (!r) return null;
  if (r.statementBalance === null) {
    return (
      <p class="bank-status small muted" data-testid="bank-status">
        尚未上传银行流水 · <a href="/reconciliation">银行对账 ›</a>
      </p>
    );
  }
  if (r.matchesBank) {
    return (
      <p class="bank-status" data-testid="bank-status">
        <a class="badge-ok badge-link" href="/reconciliation">
          ✓ 与银行流水一致
        </a>
      </p>
    );
  }
  const open = r.unmatchedLedger.length + r.unmatchedBank.length;
  return (
    <p class="bank-status" data-testid="bank-status">
      <a class="badge-bad badge-link" href="/reconciliation">
        与银行流水不一致{open ? `：${open} 笔待核对` : '：余额不符'} ›
      </a>
    </p>
  );
}
