import { randomBytes } from 'node:crypto';
import { api, login } from './api.js';
import { pooled } from './common.js';

/** Setting communities up through the API for the benches (never measured). */

export interface BenchPerson {
  id: string;
  username: string;
  token: string;
  signingPassword?: string;
}

/** A member added by `adminToken` and logged in; a co-signer gets a signing password. */
export async function addMember(baseUrl: string, adminToken: string, communityId: string, roles: string[]): Promise<BenchPerson> {
  const suffix = randomBytes(5).toString('hex');
  const username = `bench_${roles[0]}_${suffix}`;
  const password = `pw-${randomBytes(10).toString('hex')}`;
  const signingPassword = roles.includes('cosigner') ? `sign-${randomBytes(10).toString('hex')}` : undefined;
  const { id } = await api(baseUrl, adminToken)<{ id: string }>('POST', `/v1/communities/${communityId}/members`, {
    username,
    displayName: `Bench ${roles.join('/')} ${suffix}`,
    password,
    roles,
    ...(signingPassword ? { signingPassword } : {}),
  });
  return { id, username, token: await login(baseUrl, username, password), ...(signingPassword ? { signingPassword } : {}) };
}

/** `count` units of `areaM2` each, `concurrency` requests at a time; their ids in order. */
export async function addUnits(baseUrl: string, adminToken: string, communityId: string, count: number, areaM2: string, concurrency = 8): Promise<string[]> {
  const call = api(baseUrl, adminToken);
  return pooled(
    Array.from({ length: count }, (_, i) => i),
    concurrency,
    async (i) => (await call<{ id: string }>('POST', `/v1/communities/${communityId}/units`, { code: `B${Math.floor(i / 100) + 1}-${i + 1}`, building: `B${Math.floor(i / 100) + 1}`, areaM2 })).id,
  );
}

/** The month a billing run of a community in Asia/Shanghai (the default zone) may name now. */
export function currentPeriod(timeZone = 'Asia/Shanghai'): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit' }).formatToParts(new Date());
  return `${parts.find((p) => p.type === 'year')!.value}-${parts.find((p) => p.type === 'month')!.value}`;
}

/** Sets the fee rate and bills every unit for the current month, by the manager. */
export async function billAll(baseUrl: string, managerToken: string, communityId: string, ratePerM2: string): Promise<{ period: string; bills: number; total: string }> {
  const call = api(baseUrl, managerToken);
  await call('PUT', `/v1/communities/${communityId}/fee-schedule`, { ratePerM2 });
  return call('POST', `/v1/communities/${communityId}/billing-runs`, { period: currentPeriod() });
}

/** Every item of a cursor-paginated list. */
export async function listAll<T>(baseUrl: string, token: string, route: string): Promise<T[]> {
  const items: T[] = [];
  let after: string | null = null;
  do {
    const separator = route.includes('?') ? '&' : '?';
    const page: { items: T[]; nextAfter: string | null } = await api(baseUrl, token)('GET', `${route}${separator}limit=500${after ? `&after=${encodeURIComponent(after)}` : ''}`);
    items.push(...page.items);
    after = page.nextAfter;
  } while (after);
  return items;
}
