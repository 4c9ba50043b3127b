import { createHash } from 'node:crypto';
import type { Database, Executor, Tx } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import type { Principal } from '../auth/auth.service.js';
import { AppError, assert, forbidden, invalidState, notFound, validationFailed } from '../../shared/errors.js';
import { formatMoney, formatYuan, sum } from '../../shared/money.js';
import { decodeSeqCursor, encodeCursor } from '../../shared/pagination.js';
import { createApprovals } from '../approvals/approvals.service.js';
import { hasRole, type CommunitiesService } from '../communities/communities.service.js';
import type { LedgerService } from '../ledger/ledger.service.js';
import * as repo from './budgets.repository.js';
import type { Line, VersionRow } from './budgets.repository.js';
import { buildReport } from './budgets.report.js';
import type { Budget, BudgetApprovalBody, BudgetReport, PutBudgetBody } from './budgets.schemas.js';

export type BudgetsService = ReturnType<typeof createBudgetsService>;

/**
 * Annual budgets under two keys. Rules (see also the migration, which enforces them again):
 * - a manager or admin drafts a year's budget; a PUT while a draft is open rewrites that
 *   draft (same version, new digest) and voids its approvals, since they approved other
 *   numbers; the same lines again change nothing;
 * - a PUT after approval opens the next version as a draft; the approved version stays in
 *   force for the report until the new one is approved;
 * - co-signers other than the drafter approve with their signing password, bound to the
 *   draft's digest; with the community's required number of keys it is approved and a
 *   `budget.approved` item is published in the same transaction.
 */
export function createBudgetsService(
  db: Database,
  ledger: Pick<LedgerService, 'accountRows' | 'monthlyActuals' | 'lockHead' | 'publish'>,
  communities: Pick<CommunitiesService, 'member' | 'findCommunity' | 'profiles' | 'checkSigningPassword'>,
) {
  const approvals = createApprovals(communities);

  /** The lines of these versions with each account's name and type, which are the ledger's. */
  async function namedLines(executor: Executor, communityId: string, year: number, versions: number[]) {
    const [lines, accounts] = await Promise.all([repo.linesOf(executor, communityId, year, versions), ledger.accountRows(executor, communityId)]);
    const byCode = new Map(accounts.map((a) => [a.code, a]));
    return lines.map((line) => {
      const account = byCode.get(line.account_code);
      assert(account, `the account ${line.account_code} of a budget line exists`);
      return { ...line, name: account.name, type: account.type };
    });
  }

  async function views(executor: Executor, communityId: string, year: number, rows: VersionRow[]): Promise<Budget[]> {
    const numbers = rows.map((r) => r.version);
    const [lines, approvals, community, { approved }] = await Promise.all([
      namedLines(executor, communityId, year, numbers),
      repo.approvalsOf(executor, communityId, year, numbers),
      communities.findCommunity(executor, communityId),
      repo.latest(executor, communityId, year),
    ]);
    assert(community, 'the community of a budget exists');
    const people = await communities.profiles(executor, communityId, [...rows.map((r) => r.drafted_by), ...approvals.map((a) => a.cosigner_id)]);
    const person = (id: string) => people.get(id) ?? { id, displayName: '(former member)', roles: [] };
    return rows.map((row) => {
      const own = lines.filter((l) => l.version === row.version);
      const total = (type: string) => formatMoney(sum(own.filter((l) => l.type === type).map((l) => l.amount)));
      return {
        year,
        version: row.version,
        status: row.status,
        digest: row.digest,
        lines: own.map((l) => ({ account: l.account_code, name: l.name, type: l.type as 'income' | 'expense', amount: formatMoney(l.amount) })),
        totals: { income: total('income'), expense: total('expense') },
        draftedBy: person(row.drafted_by),
        draftedAt: row.drafted_at.toISOString(),
        approvals: approvals.filter((a) => a.version === row.version).map((a) => ({ by: person(a.cosigner_id), at: a.approved_at.toISOString() })),
        requiredApprovals: community.required_approvals,
        approvedAt: row.approved_at?.toISOString() ?? null,
        inForceVersion: approved?.version ?? null,
      };
    });
  }

  async function current(executor: Executor, communityId: string, year: number): Promise<Budget> {
    const { newest } = await repo.latest(executor, communityId, year);
    if (!newest) throw notFound(`budget for ${year}`);
    return (await views(executor, communityId, year, [newest]))[0]!;
  }

  return {
    get: async (communityId: string, principal: Principal, year: number) => {
      await communities.member(communityId, principal);
      return current(db, communityId, year);
    },

    async versions(communityId: string, principal: Principal, year: number, after: string | undefined, limit: number) {
      await communities.member(communityId, principal);
      const rows = await repo.versions(db, communityId, year, decodeSeqCursor(after), limit + 1);
      if (rows.length === 0 && after === undefined) throw notFound(`budget for ${year}`);
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return { items: await views(db, communityId, year, page), nextAfter: rows.length > limit && last ? encodeCursor(last.version) : null };
    },

    async draft(communityId: string, principal: Principal, year: number, body: PutBudgetBody): Promise<Budget> {
      const member = await communities.member(communityId, principal);
      if (!member.isPlatformAdmin && !hasRole(member, 'manager', 'admin')) throw forbidden('Budgets are proposed by a manager or admin');
      const lines = checkedLines(await ledger.accountRows(db, communityId), body.lines);
      return inTransaction(db, async (tx) => {
        await repo.lockYear(tx, communityId, year);
        const open = await repo.lockDraft(tx, communityId, year);
        const version = open?.version ?? ((await repo.latest(tx, communityId, year)).newest?.version ?? 0) + 1;
        const digest = budgetDigest(communityId, year, version, lines);
        const row = { community_id: communityId, year, version, digest, drafted_by: principal.userId, drafted_at: new Date() };
        if (!open) await repo.insertVersion(tx, row, lines);
        else if (open.digest !== digest) await repo.replaceDraft(tx, row, lines);
        return current(tx, communityId, year);
      });
    },

    async approve(communityId: string, principal: Principal, year: number, body: BudgetApprovalBody): Promise<Budget> {
      const member = await communities.member(communityId, principal);
      approvals.requireKeyHolder(member);
      const { newest } = await repo.latest(db, communityId, year);
      if (!newest) throw notFound(`budget for ${year}`);
      if (newest.status !== 'draft') throw invalidState(`Version ${newest.version} of the ${year} budget is approved; no draft awaits approval`);
      const digest = body.digest ?? newest.digest;
      if (digest !== newest.digest) throw new AppError('digest_mismatch', 'The draft has another digest; read it again before approving');
      await approvals.admitKey(member, newest.drafted_by, body.signingPassword, 'The drafter of a budget cannot approve it');

      return inTransaction(db, async (tx) => {
        // The head first (we may publish), then the year: the one lock order.
        await ledger.lockHead(tx, communityId);
        await repo.lockYear(tx, communityId, year);
        const draft = await repo.lockDraft(tx, communityId, year);
        if (!draft) throw invalidState('The draft was approved meanwhile');
        // Bound to what the co-signer saw: a draft rewritten since is another budget.
        if (draft.version !== newest.version || draft.digest !== digest) throw new AppError('digest_mismatch', 'The draft changed meanwhile');
        const approval = { communityId, year, version: draft.version, cosignerId: principal.userId, digest };
        await approvals.recordKey(() => repo.insertApproval(tx, approval), 'You have approved this version already');
        const community = await communities.findCommunity(tx, communityId);
        assert(community, 'the community exists');
        const { keys, complete } = approvals.tally(await repo.keyHolders(tx, draft), draft.drafted_by, community.required_approvals);
        if (complete) {
          await repo.markApproved(tx, draft);
          await publishApproval(tx, communityId, draft, principal.userId, keys);
        }
        return current(tx, communityId, year);
      });
    },

    async report(communityId: string, principal: Principal, year: number): Promise<BudgetReport> {
      await communities.member(communityId, principal);
      const { newest, approved } = await repo.latest(db, communityId, year);
      if (!newest) throw notFound(`budget for ${year}`);
      const measured = approved ?? newest;
      const [lines, accounts, movements, community] = await Promise.all([
        repo.linesOf(db, communityId, year, [measured.version]),
        ledger.accountRows(db, communityId),
        ledger.monthlyActuals(db, communityId, year),
        communities.findCommunity(db, communityId),
      ]);
      return buildReport({
        year,
        status: newest.status,
        version: measured.version,
        latestVersion: newest.version,
        timezone: community?.timezone ?? 'Asia/Shanghai',
        accounts,
        budget: new Map(lines.map((l) => [l.account_code, l.amount])),
        movements,
      });
    },
  };

  async function publishApproval(tx: Tx, communityId: string, draft: VersionRow, approvedBy: string, keys: number) {
    const lines = await namedLines(tx, communityId, draft.year, [draft.version]);
    const total = (type: string) => formatMoney(sum(lines.filter((l) => l.type === type).map((l) => l.amount)));
    await ledger.publish(tx, communityId, {
      type: 'budget.approved',
      amount: total('expense'),
      account: null,
      summary: `${draft.year}年度预算已批准（第${draft.version}版）：支出 ${formatYuan(total('expense'))}，收入 ${formatYuan(total('income'))}`,
      ref: `budget-${draft.year}-v${draft.version}`,
      actorId: approvedBy,
      details: { year: draft.year, version: draft.version, keys },
    });
  }
}

/** Lines on the community's income and expense accounts, each account once, amounts to the fen. */
function checkedLines(accounts: ReadonlyArray<{ code: string; type: string }>, lines: PutBudgetBody['lines']): Line[] {
  const types = new Map(accounts.map((a) => [a.code, a.type]));
  const seen = new Set<string>();
  for (const line of lines) {
    if (seen.has(line.account)) throw validationFailed(`Account ${line.account} appears twice; give one line per account`);
    seen.add(line.account);
    const type = types.get(line.account);
    if (type !== 'income' && type !== 'expense') {
      throw validationFailed(`Account ${line.account} is not an income or expense account of this community`);
    }
  }
  return lines.map((l) => ({ account: l.account, amount: formatMoney(l.amount) })).sort((a, b) => (a.account < b.account ? -1 : 1));
}

/** What co-signers approve: the community, year, version and every line, length-prefixed. */
export function budgetDigest(communityId: string, year: number, version: number, lines: Line[]): string {
  const field = (value: string) => `${Buffer.byteLength(value)}:${value};`;
  const text = ['xinyi-budget/v1;', field(communityId), field(String(year)), field(String(version)), ...lines.map((l) => field(l.account) + field(l.amount))];
  return createHash('sha256').update(text.join(''), 'utf8').digest('hex');
}
