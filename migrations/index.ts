import type { Migration } from 'kysely';
import * as foundation from './2026-11-23T1800_foundation.js';
import * as ledger from './2026-11-23T1830_ledger.js';
import * as budgets from './2026-11-23T1920_budgets.js';
import * as spending from './2026-11-23T1900_spending.js';
import * as fees from './2026-11-23T1910_fees.js';
import * as incomeBatches from './2026-11-23T1940_income_batches.js';
import * as webSessions from './2026-11-26T1600_web_sessions.js';
import * as feedDetails from './2026-11-26T1700_feed_details.js';
import * as spendKeyEvents from './2026-11-26T1710_spend_key_events.js';
import * as entriesByDay from './2026-11-27T0900_entries_by_day.js';
import * as attachments from './2026-11-27T1000_attachments.js';
import * as incomeRolesInCode from './2026-11-27T1100_income_roles_in_code.js';
import * as spendEvidence from './2026-11-27T1200_spend_evidence.js';
import * as repairs from './2026-11-27T1300_repairs.js';
import * as acceptanceChallenges from './2026-11-27T1400_acceptance_and_challenges.js';
import * as paymentOrders from './2026-11-27T1600_payment_orders.js';
import * as bankReconciliation from './2026-11-27T1900_bank_reconciliation.js';
import * as votes from './2026-11-27T1700_votes.js';
import * as surveys from './2026-11-27T1800_surveys.js';
import * as moneyGuards from './2026-11-28T0900_money_guards.js';
import * as transparency from './2026-11-29T1000_transparency.js';
import * as batchedPosting from './2026-11-29T1100_batched_posting.js';
import * as incomeLanes from './2026-11-30T0900_income_lanes.js';
import * as feePaymentStatement from './2026-11-29T1200_fee_payment_statement.js';
import * as spendSubmissionStatement from './2026-11-30T1000_spend_submission_statement.js';
import * as feePaymentLanes from './2026-11-30T1100_fee_payment_lanes.js';
import * as spendSubmissionLanes from './2026-11-30T1200_spend_submission_lanes.js';
import * as incomeCallers from './2026-11-30T1300_income_callers.js';
import * as paymentProvider from './2026-11-29T0900_payment_provider.js';

/**
 * Every migration, by its date-prefixed name, applied in name order. Listed here rather than
 * discovered on disk so that the same list works under Node, tsx and Vitest alike.
 */
export const migrations: Record<string, Migration> = {
  '2026-11-23T1800_foundation': foundation,
  '2026-11-23T1830_ledger': ledger,
  '2026-11-23T1900_spending': spending,
  '2026-11-23T1910_fees': fees,
  '2026-11-23T1920_budgets': budgets,
  '2026-11-23T1940_income_batches': incomeBatches,
  '2026-11-26T1600_web_sessions': webSessions,
  '2026-11-26T1700_feed_details': feedDetails,
  '2026-11-26T1710_spend_key_events': spendKeyEvents,
  '2026-11-27T0900_entries_by_day': entriesByDay,
  '2026-11-27T1000_attachments': attachments,
  '2026-11-27T1100_income_roles_in_code': incomeRolesInCode,
  '2026-11-27T1200_spend_evidence': spendEvidence,
  '2026-11-27T1300_repairs': repairs,
  '2026-11-27T1400_acceptance_and_challenges': acceptanceChallenges,
  '2026-11-27T1600_payment_orders': paymentOrders,
  '2026-11-27T1700_votes': votes,
  '2026-11-27T1800_surveys': surveys,
  '2026-11-27T1900_bank_reconciliation': bankReconciliation,
  '2026-11-28T0900_money_guards': moneyGuards,
  '2026-11-29T1000_transparency': transparency,
  '2026-11-29T1100_batched_posting': batchedPosting,
  '2026-11-29T1200_fee_payment_statement': feePaymentStatement,
  '2026-11-30T1000_spend_submission_statement': spendSubmissionStatement,
  '2026-11-30T0900_income_lanes': incomeLanes,
  '2026-11-30T1100_fee_payment_lanes': feePaymentLanes,
  '2026-11-30T1200_spend_submission_lanes': spendSubmissionLanes,
  '2026-11-30T1300_income_callers': incomeCallers,
  '2026-11-29T0900_payment_provider': paymentProvider,
};
