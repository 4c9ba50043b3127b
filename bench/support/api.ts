import { randomBytes } from 'node:crypto';

/** A tiny JSON client over fetch for the benchmark's setup and checks (not its load). */
export function api(baseUrl: string, token?: string) {
  return async function call<T = any>(method: 'GET' | 'POST' | 'PUT', route: string, body?: unknown): Promise<T> {
    const reply = await fetch(`${baseUrl}${route}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await reply.text();
    if (reply.status >= 300) throw new Error(`${method} ${route} -> ${reply.status} ${text}`);
    return JSON.parse(text) as T;
  };
}

export async function login(baseUrl: string, username: string, password: string): Promise<string> {
  try {
    const reply = await api(baseUrl)<{ accessToken: string }>('POST', '/v1/auth/login', { username, password });
    return reply.accessToken;
  } catch (error) {
    const hint = username === 'admin' ? ' (with DATABASE_URL, set ADMIN_PASSWORD to the existing admin password)' : '';
    throw new Error(`login of ${username} failed${hint}: ${(error as Error).message}`);
  }
}

export interface BenchCommunity {
  id: string;
  /** The manager's bearer token; only for communities driven over HTTP. */
  managerToken?: string;
}

/** A community created over HTTP by the platform admin, optionally with a logged-in manager. */
export async function createCommunity(baseUrl: string, adminToken: string, label: string, withManager: boolean): Promise<BenchCommunity> {
  const admin = api(baseUrl, adminToken);
  const suffix = randomBytes(4).toString('hex');
  const { id } = await admin<{ id: string }>('POST', '/v1/communities', { name: `Bench ${label} ${suffix}`, managementFeeRate: '0.10' });
  if (!withManager) return { id };
  const username = `bench_manager_${suffix}`;
  const password = `pw-${randomBytes(10).toString('hex')}`;
  await admin('POST', `/v1/communities/${id}/members`, { username, displayName: `Bench manager ${suffix}`, password, roles: ['manager'] });
  return { id, managerToken: await login(baseUrl, username, password) };
}
