import type { Database } from '../../db/database.js';
import type { Principal } from '../auth/auth.principal.js';
import { forbidden, notFound } from '../../shared/errors.js';
import { formatMoney, formatRate, Money, sum } from '../../shared/money.js';
import { decodeCursor, toPage } from '../../shared/pagination.js';
import type { CommunitiesService } from '../communities/communities.service.js';
import { hasRole, memberOf, requireRole, type Member } from '../communities/communities.access.js';
import * as repo from './fees.repository.js';
import { formatRatePerM2, requirePeriod } from './fees.schedule.js';
import type { Arrear, FeeSummary, Statement } from './fees.schemas.js';

/** The readers of fee data: a unit's statement, a period's summary, and the arrears list. */

/** Staff and oversight see every unit; an owner only their own. */
function seesEveryUnit(member: Member): boolean {
  return member.isPlatformAdmin || hasRole(member, 'manager', 'cosigner', 'supervisor', 'admin');
}

export async function statement(db: Database, communities: CommunitiesService, communityId: string, principal: Principal, unitId: string): Promise<Statement> {
  const member = await memberOf(db, communityId, principal);
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
    unit: { id: unit.id, code: unit.code, building: unit.building, areaM2: new Money(unit.area_m2).toFixed(2) },
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

export async function summary(db: Database, communityId: string, principal: Principal, period: string): Promise<FeeSummary> {
  await memberOf(db, communityId, principal);
  requirePeriod(period, 'period');
  const rows = await repo.summaryByBuilding(db, communityId, period);
  const collection = (billed: Money, collected: Money) => ({
    billed: formatMoney(billed),
    collected: formatMoney(collected),
    due: formatMoney(billed.minus(collected)),
    collectionRate: formatRate(collected, billed),
  });
  const billed = sum(rows.map((r) => r.billed));
  const collected = sum(rows.map((r) => r.collected));
  return {
    period,
    ...collection(billed, collected),
    byBuilding: rows.map((r) => ({ building: r.building, units: r.units, ...collection(new Money(r.billed), new Money(r.collected)) })),
  };
}

export async function arrears(db: Database, communityId: string, principal: Principal, after: string | undefined, limit: number) {
  const member = await memberOf(db, communityId, principal);
  if (!member.isPlatformAdmin) requireRole(member, 'manager', 'cosigner', 'supervisor', 'admin');
  const rows = await repo.arrearsPage(db, communityId, decodeCursor(after), limit + 1);
  return toPage(rows, limit, (r) => r.code, (r): Arrear => ({
    unitId: r.id,
    code: r.code,
    building: r.building,
    due: formatMoney(r.due),
    unpaidBills: r.unpaid_bills,
    oldestUnpaidPeriod: r.oldest_period,
  }));
}
