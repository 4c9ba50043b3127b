import { randomUUID } from 'node:crypto';
import { forbidden, notFound, type AppError } from '../../shared/errors.js';
import { formatYuan } from '../../shared/money.js';
import { oneLine } from '../../shared/text.js';
import { FUND_ACCOUNT } from './ledger.chart.js';
import { pastOrPresent, positiveAmount, toDraft } from './ledger.drafts.js';
import type { IncomeItem } from './ledger.posting.repository.js';
import type { Income, RecordIncomeBody } from './ledger.schemas.js';
import { hasRole, type Member } from '../communities/communities.service.js';

/** Where each category of public income is credited (API.md). */
const INCOME_ACCOUNTS: Record<RecordIncomeBody['category'], string> = {
  parking: '4101',
  advertising: '4102',
  leasing: '4103',
  other: '4199',
};

/** How residents name each category of public income (the accounts' Chinese names). */
const INCOME_WORDS: Record<RecordIncomeBody['category'], string> = {
  parking: '停车收益',
  advertising: '广告收益',
  leasing: '场地租赁收益',
  other: '其他公共收益',
};

/** The income as answered to the client, and as handed to the database. */
export function incomeOf(body: RecordIncomeBody, recordedBy: string): { income: Income; item: IncomeItem } {
  const amount = positiveAmount(body.amount);
  const receivedAt = pastOrPresent(body.receivedAt, 'receivedAt');
  const account = INCOME_ACCOUNTS[body.category];
  const income: Income = {
    id: randomUUID(),
    entryId: randomUUID(),
    category: body.category,
    account,
    amount,
    payer: body.payer,
    receivedAt: receivedAt.toISOString(),
    reference: body.reference ?? null,
    memo: body.memo ?? null,
  };
  const { postings } = toDraft({
    communityId: '',
    kind: 'income',
    memo: '',
    source: null,
    occurredAt: receivedAt,
    lines: [
      { account: FUND_ACCOUNT, debit: amount },
      { account, credit: amount },
    ],
  });
  const item: IncomeItem = {
    id: income.id,
    entryId: income.entryId,
    memo: body.memo ?? `${body.category} income from ${body.payer}`,
    receivedAt: income.receivedAt,
    postings,
    feed: {
      type: 'income.recorded',
      amount,
      account,
      summary: `收到${INCOME_WORDS[body.category]} ${formatYuan(amount)}（付款方：${oneLine(body.payer)}）`,
      ref: income.id,
      actorId: recordedBy,
      details: { category: body.category, counterparty: oneLine(body.payer) },
    },
    category: body.category,
    amount,
    payer: body.payer,
    reference: income.reference,
    incomeMemo: income.memo,
    recordedBy,
  };
  return { income, item };
}

/**
 * Who may record income, the same on both paths: an outsider learns nothing (`not_found`, as
 * if there were no community), and only a manager records it. A lane's batch is checked by
 * its statement (ledger_record_incomes_checked), which answers with the refusal's name; a
 * request with an Idempotency-Key is checked here, before anything is written.
 */
export function incomeRefusal(member: Member | undefined): AppError | undefined {
  if (!member) return refusedIncome('not_found');
  if (!hasRole(member, 'manager')) return refusedIncome('forbidden');
  return undefined;
}

export function refusedIncome(refusal: 'not_found' | 'forbidden'): AppError {
  return refusal === 'not_found' ? notFound('community') : forbidden('Only a manager records income');
}
