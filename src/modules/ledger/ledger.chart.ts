import type { AccountType } from './ledger.schemas.js';

/** The default chart of accounts every community opens with (API.md). */

export const FUND_ACCOUNT = '1001';
export const FEES_RECEIVABLE = '1101';
export const FEES_IN_ADVANCE = '2101';
export const REMUNERATION_PAYABLE = '2201';
export const FEE_INCOME = '4001';
export const REMUNERATION_EXPENSE = '5001';

export const DEFAULT_CHART: ReadonlyArray<{ code: string; name: string; type: AccountType }> = [
  { code: '1001', name: 'Community fund account 共管账户', type: 'asset' },
  { code: '1101', name: 'Fees receivable 应收物业费', type: 'asset' },
  { code: '2101', name: 'Fees received in advance 预收物业费', type: 'liability' },
  { code: '2201', name: 'Remuneration payable 应付物业酬金', type: 'liability' },
  { code: '3001', name: "Owners' common fund 业主共有资金", type: 'equity' },
  { code: '4001', name: 'Property fee income 物业费收入', type: 'income' },
  { code: '4101', name: 'Parking income 停车收益', type: 'income' },
  { code: '4102', name: 'Advertising income 广告收益', type: 'income' },
  { code: '4103', name: 'Leasing income 场地租赁收益', type: 'income' },
  { code: '4199', name: 'Other public income 其他公共收益', type: 'income' },
  { code: '5001', name: 'Steward remuneration 物业酬金', type: 'expense' },
  { code: '5101', name: 'Staff 人员费用', type: 'expense' },
  { code: '5102', name: 'Cleaning 保洁', type: 'expense' },
  { code: '5103', name: 'Security 秩序维护', type: 'expense' },
  { code: '5104', name: 'Landscaping 绿化', type: 'expense' },
  { code: '5105', name: 'Repairs and maintenance 维修养护', type: 'expense' },
  { code: '5106', name: 'Common-area utilities 公区水电', type: 'expense' },
  { code: '5107', name: 'Elevators 电梯维保', type: 'expense' },
  { code: '5199', name: 'Other expenses 其他支出', type: 'expense' },
];

/** Accounts whose balance is shown as debits minus credits; the rest show credits minus debits. */
export function isDebitNormal(type: AccountType): boolean {
  return type === 'asset' || type === 'expense';
}

/** The genesis hash every community's chain starts from. */
export const GENESIS_HASH = '0'.repeat(64);
