import { randomUUID } from 'node:crypto';
import type { Database, Executor, Tx } from '../../db/database.js';
import { afterCommit, inTransaction, pgCode, pgConstraint } from '../../db/transaction.js';
import type { ChangeSignal } from '../../db/change-signal.js';
import type { Principal } from '../../http/app-types.js';
import { AppError, assert, forbidden, invalidState, notFound, validationFailed } from '../../shared/errors.js';
import { formatMoney, Money, sum } from '../../shared/money.js';
import { decodeSeqCursor, encodeCursor } from '../../shared/pagination.js';
import { localDate } from '../../shared/time.js';
import { memberOf, requireAdministrator, requireRole } from '../communities/communities.access.js';
import { runOnce, type Outcome } from '../idempotency/idempotency.service.js';
import { FUND_ACCOUNT, isDebitNormal, type AccountType } from './ledger.chart.js';
import { journalAssertions, journalEntry, journalHeader, hledgerAccountName } from './ledger.export.js';
import * as repo from './ledger.repository.js';
import type { EntryDraft, FeedDraft, IncomeItem, Posted, PostingLine } from './ledger.repository.js';
import { createGroupCommit } from './ledger.group-commit.js';
import type { Account, CreateAccountBody, Entry, Fund, Income, RecordIncomeBody, ReversalBody } from './ledger.schemas.js';
import { verifyLedger } from './ledger.verify.js';

export type { FeedDraft, PostingLine, Posted };

const INCOME_ACCOUNTS: Record<RecordIncomeBody['category'], string> = {
  parking: '4101',
  advertising: '4102',
  leasing: '4103',
  other: '4199',
};

/** Kinds backed by another module's records, corrected there rather than by reversal. */
const NOT_REVERSIBLE = new Set(['payout', 'reversal', 'fee_bill', 'fee_payment', 'remuneration']);

const TYPE_BY_FIRST_DIGIT: Record<string, AccountType> = { '1': 'asset', '2': 'liability', '3': 'equity', '4': 'income', '5': 'expense' };

/** What another module asks the ledger to post. Amounts are decimal strings. */
export interface PostRequest {
  communityId: string;
  kind: string;
  memo: string;
  source: { type: string; id: string } | null;
  occurredAt: Date;
  lines: ReadonlyArray<{ account: string; debit?: string | Money; credit?: string | Money }>;
  feed?: FeedDraft | null;
  reversesSeq?: number | null;
}

export type LedgerService = ReturnType<typeof createLedgerService>;

export function createLedgerService(db: Database, signal: ChangeSignal) {
  const incomes = createGroupCommit<IncomeItem, Posted>((communityId, items) => repo.insertIncomes(db, communityId, items));


  /**
   * Posts a balanced entry inside the caller's transaction. The only way money moves.
   * Throws `insufficient_funds` when the fund would fall below what is reserved.
   */
  async function post(tx: Executor, request: PostRequest): Promise<Posted & { id: string }> {
    const draft = toDraft(request);
    let posted: Posted;
    try {
      posted = await repo.postEntry(tx, draft);
    } catch (error) {
      throw translatePostError(error);
    }
    if (draft.feed) afterCommit(tx, () => signal.touched(request.communityId));
    return { id: draft.id, ...posted };
  }

  return {
    post,

    /**
     * Publishes a feed item that has no entry of its own (a request submitted or approved, a
     * budget approved), in the caller's transaction. Returns its seq.
     */
    async publish(tx: Tx, communityId: string, feed: FeedDraft): Promise<number> {
      const seq = await repo.publishFeedItem(tx, communityId, feed);
      afterCommit(tx, () => signal.touched(communityId));
      return seq;
    },

    /** Opens a new community's books: the default chart and the head of its hash chain. */
    openBooks: (tx: Tx, communityId: string) => repo.insertDefaultChart(tx, communityId),

    /** Takes the community's first lock; every writer calls this (or posts) before others. */
    lockHead: (tx: Tx, communityId: string) => repo.lockHead(tx, communityId),

    /** The community's next spend-request number (gapless), taken under the head lock. */
    async nextSpendSeq(tx: Tx, communityId: string): Promise<number> {
      await repo.lockHead(tx, communityId);
      return repo.nextSpendSeq(tx, communityId);
    },

    /** Holds `amount` of the fund for an open spend request; `insufficient_funds` if not available. */
    async reserve(tx: Tx, communityId: string, amount: string): Promise<void> {
      assert(new Money(amount).gt(0), 'a reservation is positive');
      await repo.lockHead(tx, communityId);
      await repo.changeReserved(tx, communityId, amount).catch((error: unknown) => {
        throw translatePostError(error);
      });
    },

    /** Gives a reservation back (rejection, cancellation, or the payout that spends it). */
    async release(tx: Tx, communityId: string, amount: string): Promise<void> {
      assert(new Money(amount).gt(0), 'a release is positive');
      await repo.lockHead(tx, communityId);
      await repo.changeReserved(tx, communityId, new Money(amount).neg().toFixed(2));
    },

    async accounts(communityId: string, principal: Principal): Promise<{ items: Account[] }> {
      await memberOf(db, communityId, principal);
      const rows = await repo.listAccounts(db, communityId);
      return { items: rows.map(toAccount) };
    },

    async addAccount(communityId: string, principal: Principal, body: CreateAccountBody): Promise<Account> {
      requireAdministrator(await memberOf(db, communityId, principal));
      const type = TYPE_BY_FIRST_DIGIT[body.code[0]!]!;
      const row = await inTransaction(db, (tx) => repo.insertAccount(tx, communityId, { code: body.code, name: body.name.trim(), type })).catch(
        (error: unknown) => {
          if (pgCode(error) === '23505') throw invalidState(`Account ${body.code} exists already`);
          throw error;
        },
      );
      return toAccount(row);
    },

    /** Account rows for other modules' reports (names, types, balances). */
    accountRows: (executor: Executor, communityId: string) => repo.listAccounts(executor, communityId),
    findAccount: (executor: Executor, communityId: string, code: string) => repo.findAccount(executor, communityId, code),

    async fund(communityId: string, principal: Principal): Promise<Fund> {
      await memberOf(db, communityId, principal);
      const row = await repo.readFund(db, communityId);
      if (!row) throw notFound('community');
      const balance = new Money(row.balance);
      const reserved = new Money(row.reserved);
      return {
        balance: formatMoney(balance),
        reserved: formatMoney(reserved),
        available: formatMoney(balance.minus(reserved)),
        currency: 'CNY',
        asOf: row.as_of.toISOString(),
        ledgerHead: { seq: row.entry_seq, hash: row.entry_hash },
      };
    },

    async recordIncome(
      communityId: string,
      principal: Principal,
      body: RecordIncomeBody,
      idempotency: { key: string | undefined; fingerprint: string },
    ): Promise<Outcome<Income>> {
      const { income, item } = incomeOf(body, principal.userId);
      const write = (executor: Executor) =>
        repo.insertIncomes(executor, communityId, [item]).then(
          () => ({ status: 201, body: income }),
          (error: unknown) => {
            throw translatePostError(error);
          },
        );
      let outcome: Outcome<Income>;
      if (idempotency.key === undefined) {
        // The hot path: concurrent incomes of a community share one statement and one commit,
        // and the statement itself checks that the caller is a manager there.
        outcome = await incomes.submit(communityId, item).then(
          () => ({ status: 201, body: income }),
          async (error: unknown) => {
            if (pgCode(error) !== '42501') throw error;
            requireRole(await memberOf(db, communityId, principal), 'manager');
            throw forbidden('Only a manager records income');
          },
        );
      } else {
        requireRole(await memberOf(db, communityId, principal), 'manager');
        outcome = await runOnce(db, { communityId, ...idempotency }, write);
      }
      signal.touched(communityId);
      return outcome;
    },

    async entries(communityId: string, principal: Principal, after: string | undefined, limit: number) {
      await memberOf(db, communityId, principal);
      const afterSeq = decodeSeqCursor(after);
      const rows = await repo.entriesPage(db, communityId, afterSeq, limit + 1);
      const page = rows.slice(0, limit);
      const items = await withPostings(db, communityId, page);
      const last = page.at(-1);
      return { items, nextAfter: rows.length > limit && last ? encodeCursor(last.seq) : null };
    },

    async reverse(communityId: string, principal: Principal, entryId: string, body: ReversalBody, signing: SigningCheck): Promise<Entry> {
      const member = await memberOf(db, communityId, principal);
      requireRole(member, 'cosigner');
      const original = await repo.findEntryById(db, communityId, entryId);
      if (!original) throw notFound('entry');
      if (NOT_REVERSIBLE.has(original.kind)) {
        throw invalidState(`A ${original.kind} entry is not reversed this way`);
      }
      await signing(member, body.signingPassword);
      const posted = await inTransaction(db, async (tx) => {
        if (await repo.findReversalOf(tx, communityId, original.seq)) throw invalidState('This entry was reversed already');
        const [lines] = await withPostings(tx, communityId, [{ ...(await entryRow(tx, communityId, original.seq)) }]);
        return post(tx, {
          communityId,
          kind: 'reversal',
          memo: `Reversal of entry ${original.seq}: ${body.reason}`,
          source: { type: 'entry', id: original.id },
          occurredAt: new Date(),
          reversesSeq: original.seq,
          lines: lines!.postings.map((p) => ({ account: p.account, debit: p.credit, credit: p.debit })),
          feed: { type: 'entry.reversed', amount: null, account: null, summary: `Entry ${original.seq} reversed: ${body.reason}`, ref: original.id },
        });
      });
      const [row] = await withPostings(db, communityId, [await entryRow(db, communityId, posted.seq)]);
      return row!;
    },

    async verify(communityId: string, principal: Principal) {
      await memberOf(db, communityId, principal);
      return verifyLedger(db, communityId);
    },

    /** Streams the journal in chunks so that a large ledger is never held in memory. */
    async *exportHledger(communityId: string, principal: Principal, community: { name: string; timezone: string }) {
      await memberOf(db, communityId, principal);
      const accounts = (await repo.listAccounts(db, communityId)).map((a) => ({ ...a, type: a.type as AccountType }));
      const names = new Map(accounts.map((a) => [a.code, hledgerAccountName(a)]));
      yield journalHeader({ id: communityId, name: community.name }, accounts);
      let lastDate = localDate(new Date(), community.timezone);
      let maxDate = '0000-00-00';
      for (let after = 0; ; ) {
        const rows = await repo.entriesPage(db, communityId, after, 2000);
        if (rows.length === 0) break;
        const entries = await withPostings(db, communityId, rows);
        let chunk = '';
        for (const e of entries) {
          const date = localDate(new Date(e.occurredAt), community.timezone);
          if (date > maxDate) maxDate = date;
          chunk += journalEntry({ ...e, date }, names);
        }
        yield chunk;
        after = rows.at(-1)!.seq;
      }
      if (maxDate > lastDate) lastDate = maxDate;
      yield journalAssertions(lastDate, accounts);
    },
  };
}

/** The income as answered to the client, and as handed to the database. */
function incomeOf(body: RecordIncomeBody, recordedBy: string): { income: Income; item: IncomeItem } {
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
    feed: { type: 'income.recorded', amount, account, summary: `${body.category} income received: ${amount} CNY`, ref: income.id },
    category: body.category,
    amount,
    payer: body.payer,
    reference: income.reference,
    incomeMemo: income.memo,
    recordedBy,
  };
  return { income, item };
}

/** Checks a co-signer's signing password; supplied by the communities module. */
export type SigningCheck = (member: Awaited<ReturnType<typeof memberOf>>, signingPassword: string) => Promise<void>;

function toDraft(request: PostRequest): EntryDraft {
  const postings: PostingLine[] = request.lines.map((l) => ({
    account: l.account,
    debit: new Money(l.debit ?? 0).toFixed(2),
    credit: new Money(l.credit ?? 0).toFixed(2),
  }));
  // The database checks all of this too; asserting here names the bug before it gets there.
  assert(postings.length >= 2, 'an entry has two or more postings');
  for (const p of postings) {
    assert(new Money(p.debit).gt(0) !== new Money(p.credit).gt(0), 'a posting line has exactly one positive side');
    assert(new Money(p.debit).gte(0) && new Money(p.credit).gte(0), 'posting sides are not negative');
  }
  assert(sum(postings.map((p) => p.debit)).eq(sum(postings.map((p) => p.credit))), 'debits equal credits');
  return {
    communityId: request.communityId,
    id: randomUUID(),
    kind: request.kind,
    memo: request.memo,
    sourceType: request.source?.type ?? null,
    sourceId: request.source?.id ?? null,
    occurredAt: request.occurredAt,
    reversesSeq: request.reversesSeq ?? null,
    postings,
    feed: request.feed ?? null,
  };
}

function translatePostError(error: unknown): unknown {
  const code = pgCode(error);
  if (code === '23514' && pgConstraint(error) === 'available_not_negative') {
    return new AppError('insufficient_funds', 'The fund does not have that much available');
  }
  if (code === '23505' && pgConstraint(error) === 'entries_reversed_once') return invalidState('This entry was reversed already');
  if (code === 'P0002') return notFound('community or account');
  return error;
}

/** A positive amount in the contract's money format, normalised to two decimals. */
export function positiveAmount(value: string): string {
  const amount = new Money(value);
  if (amount.lte(0)) throw validationFailed('The amount must be positive');
  return amount.toFixed(2);
}

/** A time given by the client may not lie in the future (a little clock skew is forgiven). */
export function pastOrPresent(value: string | undefined, name: string): Date {
  if (value === undefined) return new Date();
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) throw validationFailed(`${name} is not a valid time`);
  if (at.getTime() > Date.now() + 5 * 60_000) throw validationFailed(`${name} lies in the future`);
  return at;
}

function toAccount(row: { code: string; name: string; type: string; balance: string }): Account {
  const type = row.type as AccountType;
  const balance = new Money(row.balance);
  return { code: row.code, name: row.name, type, balance: formatMoney(isDebitNormal(type) ? balance : balance.neg()) };
}

async function entryRow(db: Executor, communityId: string, seq: number) {
  const rows = await repo.entriesPage(db, communityId, seq - 1, 1);
  assert(rows[0]?.seq === seq, `entry ${seq} exists`);
  return rows[0];
}

type EntryRow = Awaited<ReturnType<typeof repo.entriesPage>>[number];

async function withPostings(db: Executor, communityId: string, rows: EntryRow[]): Promise<Entry[]> {
  if (rows.length === 0) return [];
  const postings = await repo.postingsOf(db, communityId, rows[0]!.seq, rows.at(-1)!.seq);
  const bySeq = new Map<number, Entry['postings']>();
  for (const p of postings) {
    const list = bySeq.get(p.entry_seq) ?? [];
    list.push({ account: p.account_code, debit: formatMoney(p.debit), credit: formatMoney(p.credit) });
    bySeq.set(p.entry_seq, list);
  }
  return rows.map((r) => ({
    seq: r.seq,
    id: r.id,
    occurredAt: r.occurred_at.toISOString(),
    recordedAt: r.recorded_at.toISOString(),
    kind: r.kind,
    memo: r.memo,
    source: r.source_type && r.source_id ? { type: r.source_type, id: r.source_id } : null,
    reverses: r.reverses_id ?? null,
    postings: bySeq.get(r.seq) ?? [],
    prevHash: r.prev_hash,
    hash: r.hash,
  }));
}
