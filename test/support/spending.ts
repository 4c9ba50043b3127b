import { expect } from 'vitest';
import { inTransaction } from '../../src/db/transaction.js';
import type { Community, Harness, Person, Reply } from './harness.js';

/** Spending helpers: a repair request, keys turned by co-signers, and the fund's figures. */
export const repair = (overrides: Record<string, unknown> = {}) => ({
  title: 'Replace the pump of building 3',
  amount: '1280.50',
  account: '5105',
  payee: { name: 'Hangzhou Pump Repair Co.', account: '6222 0212 3456 7890 1234' },
  description: 'Quote attached; the old pump leaks.',
  budgetYear: 2026,
  ...overrides,
});

export const requestsUrl = (c: Community) => `/v1/communities/${c.id}/spend-requests`;

export async function submit(c: Community, overrides: Record<string, unknown> = {}, by: Person = c.manager): Promise<any> {
  const reply = await by.api.post(requestsUrl(c), repair(overrides));
  if (reply.status !== 201) throw new Error(`submit: ${reply.status} ${reply.text}`);
  return reply.body;
}

export function approve(c: Community, who: Person, request: { id: string; digest: string }) {
  return who.api.post(`${requestsUrl(c)}/${request.id}/approvals`, { signingPassword: who.signingPassword, digest: request.digest });
}

export function reject(c: Community, who: Person, request: { id: string }, reason = 'The quote is too high') {
  return who.api.post(`${requestsUrl(c)}/${request.id}/rejections`, { signingPassword: who.signingPassword, reason });
}

export function cancel(c: Community, request: { id: string }, who: Person = c.manager, reason = 'No longer needed') {
  return who.api.post(`${requestsUrl(c)}/${request.id}/cancellation`, { reason });
}

export function payout(c: Community, request: { id: string }, bankReference = 'ICBC-20261123-0001', who: Person = c.manager) {
  return who.api.post(`${requestsUrl(c)}/${request.id}/payout`, { bankReference });
}

/** Two co-signers approve; the request is then approved. */
export async function twoKeys(c: Community, request: { id: string; digest: string }): Promise<any> {
  expect((await approve(c, c.cosigners[0], request)).status).toBe(200);
  const second = await approve(c, c.cosigners[1], request);
  expect(second.status).toBe(200);
  expect(second.body.status).toBe('approved');
  return second.body;
}

export async function fundOf(c: Community): Promise<{ balance: string; reserved: string; available: string }> {
  const reply = await c.owner.api.get(`/v1/communities/${c.id}/fund`);
  expect(reply.status).toBe(200);
  return reply.body;
}

export async function balanceOf(c: Community, code: string): Promise<string> {
  const reply = await c.owner.api.get(`/v1/communities/${c.id}/accounts`);
  return reply.body.items.find((a: { code: string }) => a.code === code).balance;
}

export const problem = (reply: Reply, status: number, code: string) => {
  expect({ status: reply.status, code: reply.body?.code }).toEqual({ status, code });
  expect(reply.headers['content-type']).toMatch(/^application\/problem\+json/);
};

/** Accrues `amount` of the steward's remuneration (Dr 5001 / Cr 2201), as collected fees would. */
export async function accrue(h: Harness, c: Community, amount: string): Promise<void> {
  await inTransaction(h.db, (tx) =>
    h.app.services.ledger.post(tx, {
      communityId: c.id,
      kind: 'remuneration',
      memo: 'Remuneration on fees collected',
      source: null,
      occurredAt: new Date(),
      lines: [{ account: '5001', debit: amount }, { account: '2201', credit: amount }],
    }),
  );
}
