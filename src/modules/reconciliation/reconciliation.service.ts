import { randomUUID } from 'node:crypto';
import type { Database, Executor } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { notFound } from '../../shared/errors.js';
import { formatMoney, Money, sum } from '../../shared/money.js';
import type { Principal } from '../auth/auth.principal.js';
import { requireRole, type CommunitiesService } from '../communities/communities.service.js';
import type { FeesService } from '../fees/fees.service.js';
import type { LedgerService } from '../ledger/ledger.service.js';
import type { SpendingService } from '../spending/spending.service.js';
import { parseStatement } from './reconciliation.csv.js';
import { matchLines, type Movement } from './reconciliation.matching.js';
import * as repo from './reconciliation.repository.js';
import type { Reconciliation, StatementUpload } from './reconciliation.schemas.js';

export type ReconciliationService = ReturnType<typeof createReconciliationService>;

export interface ReconciliationDeps {
  communities: Pick<CommunitiesService, 'member' | 'findCommunity'>;
  ledger: Pick<LedgerService, 'fundMovements'>;
  fees: Pick<FeesService, 'paymentReferences'>;
  spending: Pick<SpendingService, 'payoutReferences'>;
}

const lineKey = (l: { statement_id: string; n: number }) => `${l.statement_id}#${l.n}`;

export function createReconciliationService(db: Database, deps: ReconciliationDeps) {
  /** The fund account's movements with their references: the income's, fee payment's or payout's. */
  async function movements(executor: Executor, communityId: string, timezone: string): Promise<Movement[]> {
    const [rows, feeRefs, payoutRefs] = await Promise.all([
      deps.ledger.fundMovements(executor, communityId, timezone),
      deps.fees.paymentReferences(executor, communityId),
      deps.spending.payoutReferences(executor, communityId),
    ]);
    return rows.map((r) => {
      const inflow = new Money(r.debit).gt(0);
      return {
        entryId: r.id,
        seq: r.seq,
        date: r.date,
        amount: formatMoney(inflow ? r.debit : r.credit),
        direction: inflow ? ('in' as const) : ('out' as const),
        reference: r.reference ?? feeRefs.get(r.seq) ?? payoutRefs.get(r.seq) ?? null,
      };
    });
  }

  /** Everything known, read in one snapshot and matched. */
  async function snapshot(communityId: string) {
    const community = await deps.communities.findCommunity(db, communityId);
    if (!community) throw notFound('community');
    return db
      .transaction()
      .setIsolationLevel('repeatable read')
      .setAccessMode('read only')
      .execute(async (tx) => {
        const [lines, moves] = [await repo.allLines(tx, communityId), await movements(tx, communityId, community.timezone)];
        const matched = matchLines(lines.map((l) => ({ key: lineKey(l), date: l.date, amount: formatMoney(l.amount), direction: l.direction, reference: l.reference })), moves);
        return { lines, moves, matched };
      });
  }

  return {
    /** Stores a statement whole (or, when any line is malformed, nothing) and says how it matched. */
    async upload(communityId: string, principal: Principal, body: Buffer): Promise<StatementUpload> {
      requireRole(await deps.communities.member(communityId, principal), 'manager');
      const lines = parseStatement(body);
      const id = randomUUID();
      await inTransaction(db, async (tx) => {
        await repo.lockStatements(tx, communityId);
        await repo.insertStatement(tx, communityId, id, principal.userId, lines);
      });
      const { matched } = await snapshot(communityId);
      const mine = lines.filter((_, i) => matched.has(`${id}#${i + 1}`)).length;
      return { id, lines: lines.length, matched: mine, unmatched: lines.length - mine };
    },

    async reconciliation(communityId: string, principal: Principal): Promise<Reconciliation> {
      await deps.communities.member(communityId, principal);
      const asOf = new Date();
      const { lines, moves, matched } = await snapshot(communityId);
      const usedEntries = new Set(matched.values());
      const ledgerBalance = sum(moves.map((m) => (m.direction === 'in' ? m.amount : `-${m.amount}`)));
      const last = lines.at(-1);
      const statementBalance = last ? formatMoney(last.balance) : null;
      const unmatchedLedger = moves
        .filter((m) => !usedEntries.has(m.entryId))
        .map((m) => ({ entryId: m.entryId, date: m.date, amount: m.amount, direction: m.direction, reference: m.reference }));
      const unmatchedBank = lines
        .filter((l) => !matched.has(lineKey(l)))
        .map((l) => ({ date: l.date, amount: formatMoney(l.amount), direction: l.direction, counterparty: l.counterparty, reference: l.reference, balance: formatMoney(l.balance) }));
      return {
        asOf: asOf.toISOString(),
        statementBalance,
        ledgerBalance: formatMoney(ledgerBalance),
        matchesBank: statementBalance !== null && new Money(statementBalance).eq(ledgerBalance) && unmatchedLedger.length === 0 && unmatchedBank.length === 0,
        unmatchedLedger,
        unmatchedBank,
      };
    },
  };
}
