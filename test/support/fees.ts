import { expect } from 'vitest';
import type { Client, Community } from './harness.js';

/** Helpers for the fee tests: units, rates, runs, payments, and the balances to check. */

export async function addUnits(community: Community, units: Array<{ code: string; building: string; areaM2: string }>): Promise<string[]> {
  const ids: string[] = [];
  for (const unit of units) {
    const reply = await community.admin.post(`/v1/communities/${community.id}/units`, unit);
    if (reply.status !== 201) throw new Error(`unit: ${reply.status} ${reply.text}`);
    ids.push(reply.body.id as string);
  }
  return ids;
}

export async function setRate(community: Community, ratePerM2: string, effectiveFrom?: string) {
  const reply = await community.manager.api.put(`/v1/communities/${community.id}/fee-schedule`, {
    ratePerM2,
    ...(effectiveFrom ? { effectiveFrom } : {}),
  });
  expect(reply.status, reply.text).toBe(200);
  return reply.body;
}

export async function billPeriod(community: Community, period: string) {
  const reply = await community.manager.api.post(`/v1/communities/${community.id}/billing-runs`, { period });
  expect(reply.status, reply.text).toBe(201);
  return reply.body;
}

export async function pay(community: Community, unitId: string, amount: string, method = 'wechat') {
  const reply = await community.manager.api.post(`/v1/communities/${community.id}/fee-payments`, { unitId, amount, method });
  expect(reply.status, reply.text).toBe(201);
  return reply.body;
}

/** Account balances by code, as /accounts shows them (normal direction). */
export async function balances(api: Client, communityId: string): Promise<Record<string, string>> {
  const reply = await api.get(`/v1/communities/${communityId}/accounts`);
  expect(reply.status).toBe(200);
  return Object.fromEntries((reply.body.items as Array<{ code: string; balance: string }>).map((a) => [a.code, a.balance]));
}

export async function expectLedgerVerifies(api: Client, communityId: string) {
  const reply = await api.get(`/v1/communities/${communityId}/ledger/verify`);
  expect(reply.status).toBe(200);
  expect(reply.body).toMatchObject({ ok: true, problems: [] });
}

/** Sums money strings exactly, in fen. */
export function addMoney(...values: string[]): string {
  const fen = values.reduce((total, v) => total + BigInt(v.replace('.', '')), 0n);
  const sign = fen < 0n ? '-' : '';
  const abs = (fen < 0n ? -fen : fen).toString().padStart(3, '0');
  return `${sign}${abs.slice(0, -2)}.${abs.slice(-2)}`;
}
