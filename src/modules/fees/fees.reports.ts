import type { Database } from '../../db/database.js';
import { assert, forbidden, notFound } from '../../shared/errors.js';
import { formatArea, formatMoney, formatRate, Money, sum, ZERO } from '../../shared/money.js';
import { decodeCursor, toPage } from '../../shared/pagination.js';
import { byCodePoint } from '../../shared/text.js';
import type { Principal } from '../auth/auth.service.js';
import { hasRole, requireRole, type CommunitiesService, type Member } from '../communities/communities.service.js';
import * as repo from './fees.repository.js';
import { formatRatePerM2, requirePeriod } from './fees.schedule.js';
import type { Arrear, FeeSummary, Statement } from './fees.schemas.js';

/** The readers of fee data: a unit's statement, a period's summary, and the arrears list. */

export type FeesCommunities = Pick<CommunitiesService, 'member' | 'membersEach' | 'findCommunity' | 'findUnit' | 'unitsEach' | 'isOwnerOf' | 'allUnits'>;

/** Staff and oversight see every unit; an owner only their own. */
function seesEveryUnit(member: Member): boolean {
  return member.isPlatformAdmin || hasRole(member, 'manager', 'cosigner', 'supervisor', 'admin');
}

export async function statement(db: Database, communities: FeesCommunities, communityId: string, principal: Principal, unitId: string): Promise<Statement> {
  const member = await communities.member(communityId, principal);
  const unit = await communities.findUnit(db, communityId, unitId);
  if (!unit) throw notFound('unit');
  if (!seesEveryUnit(member) && !(await communities.isOwnerOf(db, communityId, principal.userId, unitId))) {
    throw forbidden('An owner sees the statements of their own units only');
  }
  // One snapshot, so that a payment landing meanwhile cannot make bills and advance disagree.
  const [bills, payments, balance] = await db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (tx) => [
      await repo.billsOf(tx, communityId, unitId),
      await repo.paymentsOf(tx, communityId, unitId),
      await repo.unitBalance(tx, communityId, unitId),
    ] as const);
  return {
    unit: { id: unit.id, code: unit.code, building: unit.building, areaM2: formatArea(unit.area_m2) },
    bills: bills.map((b) => ({
      period: b.period,
      amount: formatMoney(b.amount),
      paid: formatMoney(b.paid),
      due: formatMoney(new Money(b.amount).minus(b.paid)),
      ratePerM2: formatRatePerM2(b.rate_per_m2),
    })),
    payments: payments.map((p) => ({
      id: p.id,
      amount: formatMoney(p.amount),
      method: p.method as Statement['payments'][number]['method'],
      reference: p.reference,
      paidAt: p.paid_at.toISOString(),
      toBills: formatMoney(p.to_bills),
      toAdvance: formatMoney(p.to_advance),
    })),
    due: formatMoney(sum(bills.map((b) => new Money(b.amount).minus(b.paid)))),
    advance: formatMoney(balance.advance),
  };
}

/** Where each unit stands (code and building), by unit id: the communities module's units. */
async function unitDirectory(db: Database, communities: FeesCommunities, communityId: string) {
  return new Map((await communities.allUnits(db, communityId)).map((u) => [u.id, u]));
}

export async function summary(db: Database, communities: FeesCommunities, communityId: string, principal: Principal, period: string): Promise<FeeSummary> {
  await communities.member(communityId, principal);
  requirePeriod(period, 'period');
  const [bills, units] = await Promise.all([repo.periodBills(db, communityId, period), unitDirectory(db, communities, communityId)]);
  const buildings = new Map<string, { units: number; billed: Money; collected: Money }>();
  for (const bill of bills) {
    const building = units.get(bill.unit_id)?.building;
    assert(building !== undefined, `the unit ${bill.unit_id} of a bill exists`);
    const totals = buildings.get(building) ?? { units: 0, billed: ZERO, collected: ZERO };
    buildings.set(building, { units: totals.units + 1, billed: totals.billed.plus(bill.amount), collected: totals.collected.plus(bill.paid) });
  }
  const collection = (billed: Money, collected: Money) => ({
    billed: formatMoney(billed),
    collected: formatMoney(collected),
    due: formatMoney(billed.minus(collected)),
    collectionRate: formatRate(collected, billed),
  });
  const rows = [...buildings].sort(([a], [b]) => byCodePoint(a, b));
  return {
    period,
    ...collection(sum(bills.map((b) => b.amount)), sum(bills.map((b) => b.paid))),
    byBuilding: rows.map(([building, t]) => ({ building, units: t.units, ...collection(t.billed, t.collected) })),
  };
}

/** Units that owe money, by unit code, one page after the code `after` names. */
export async function arrears(db: Database, communities: FeesCommunities, communityId: string, principal: Principal, after: string | undefined, limit: number) {
  const member = await communities.member(communityId, principal);
  if (!member.isPlatformAdmin) requireRole(member, 'manager', 'cosigner', 'supervisor', 'admin');
  const afterCode = decodeCursor(after);
  const [owing, units] = await Promise.all([repo.arrearsByUnit(db, communityId), unitDirectory(db, communities, communityId)]);
  const rows = owing
    .map((o) => {
      const unit = units.get(o.unit_id);
      assert(unit, `the unit ${o.unit_id} of a bill exists`);
      return { ...o, code: unit.code, building: unit.building };
    })
    .filter((r) => afterCode === undefined || byCodePoint(r.code, afterCode) > 0)
    .sort((a, b) => byCodePoint(a.code, b.code));
  return toPage(rows.slice(0, limit + 1), limit, (r) => r.code, (r): Arrear => ({
    unitId: r.unit_id,
    code: r.code,
    building: r.building,
    due: formatMoney(r.due),
    unpaidBills: r.unpaid_bills,
    oldestUnpaidPeriod: r.oldest_period,
  }));
}
