import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createDatabase, type Database } from '../../src/db/database.js';
import { SHIPPED_MIGRATIONS } from '../../src/db/migrate.js';
import type { App } from '../../src/http/app-types.js';
import { TEST_ADMIN_PASSWORD, TEST_PASSWORD_HASH_COST } from './constants.js';

export interface Harness {
  app: App;
  db: Database;
  close(): Promise<void>;
}

/** The real app on the run's real database; one per test file. */
export async function startHarness(): Promise<Harness> {
  const url = inject('databaseUrl');
  // Race tests fire hundreds of requests at one community on purpose: shedding is tested on
  // its own (http.edges), so these apps take everything they are given.
  const config = loadConfig({
    DATABASE_URL: url,
    PASSWORD_HASH_COST: TEST_PASSWORD_HASH_COST,
    LOG_LEVEL: 'warn',
    DB_POOL_SIZE: '10',
    MAX_IN_FLIGHT: '100000',
    MAX_IN_FLIGHT_PER_COMMUNITY: '100000',
  });
  const db = createDatabase(url, config.DB_POOL_SIZE);
  const app = await buildApp({ config, db, expectedMigrations: SHIPPED_MIGRATIONS });
  await app.ready();
  return {
    app,
    db,
    async close() {
      await app.close();
      await db.destroy();
    },
  };
}

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | number | undefined>;
  text: string;
}

/** A small client over `app.inject` that speaks JSON with a bearer token. */
export function client(app: App, token?: string) {
  const call = async <T = any>(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> => {
    const response = await app.inject({
      method: method as 'GET',
      url,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    let parsed: unknown = undefined;
    try {
      parsed = response.body ? JSON.parse(response.body) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.statusCode, body: parsed as T, headers: response.headers, text: response.body };
  };
  return {
    get: <T = any>(url: string, headers?: Record<string, string>) => call<T>('GET', url, undefined, headers),
    post: <T = any>(url: string, body?: unknown, headers?: Record<string, string>) => call<T>('POST', url, body ?? {}, headers),
    put: <T = any>(url: string, body?: unknown, headers?: Record<string, string>) => call<T>('PUT', url, body ?? {}, headers),
    raw: call,
  };
}
export type Client = ReturnType<typeof client>;

export const unique = (prefix: string) => `${prefix}_${randomBytes(5).toString('hex')}`;

export async function login(app: App, username: string, password: string): Promise<string> {
  const reply = await client(app).post('/v1/auth/login', { username, password });
  if (reply.status !== 200) throw new Error(`login of ${username} failed: ${reply.status} ${reply.text}`);
  return reply.body.accessToken as string;
}

export const adminLogin = (app: App) => login(app, 'admin', TEST_ADMIN_PASSWORD);

export interface Person {
  id: string;
  username: string;
  password: string;
  signingPassword?: string;
  token: string;
  api: Client;
}

export interface Community {
  id: string;
  admin: Client;
  manager: Person;
  cosigners: [Person, Person, Person];
  owner: Person;
  supervisor: Person;
  /** Adds a member and logs them in. */
  addMember(roles: string[], extra?: { unitIds?: string[]; signingPassword?: string }): Promise<Person>;
}

/**
 * A community with one of every role: a manager, three co-signers, an owner and a
 * supervisor, each logged in. Every test builds its own, so tests never share books.
 */
export async function setupCommunity(app: App, options: { managementFeeRate?: string; timezone?: string } = {}): Promise<Community> {
  const admin = client(app, await adminLogin(app));
  const created = await admin.post('/v1/communities', {
    name: unique('Community'),
    managementFeeRate: options.managementFeeRate ?? '0.10',
    ...(options.timezone ? { timezone: options.timezone } : {}),
  });
  if (created.status !== 201) throw new Error(`community: ${created.status} ${created.text}`);
  const id = created.body.id as string;

  const addMember = async (roles: string[], extra: { unitIds?: string[]; signingPassword?: string } = {}): Promise<Person> => {
    const username = unique(roles.join('-'));
    const password = `pw-${randomBytes(8).toString('hex')}`;
    const signingPassword = extra.signingPassword ?? (roles.includes('cosigner') ? `sign-${randomBytes(8).toString('hex')}` : undefined);
    const reply = await admin.post(`/v1/communities/${id}/members`, {
      username,
      displayName: `${roles.join('/')} ${username.slice(-4)}`,
      password,
      roles,
      ...(signingPassword ? { signingPassword } : {}),
      ...(extra.unitIds ? { unitIds: extra.unitIds } : {}),
    });
    if (reply.status !== 201) throw new Error(`member: ${reply.status} ${reply.text}`);
    const token = await login(app, username, password);
    return { id: reply.body.id, username, password, signingPassword, token, api: client(app, token) };
  };

  const [manager, c1, c2, c3, owner, supervisor] = await Promise.all([
    addMember(['manager']),
    addMember(['cosigner']),
    addMember(['cosigner']),
    addMember(['cosigner']),
    addMember(['owner']),
    addMember(['supervisor']),
  ]);
  return { id, admin, manager, cosigners: [c1, c2, c3], owner, supervisor, addMember };
}

/** A community of every role whose fund holds `amount`. */
export async function funded(app: App, amount = '10000.00'): Promise<Community> {
  const c = await setupCommunity(app);
  await fund(c, amount);
  return c;
}

/** Records income so a test has money to spend. */
export async function fund(community: Community, amount: string, category = 'other'): Promise<void> {
  const reply = await community.manager.api.post(`/v1/communities/${community.id}/income`, { category, amount, payer: 'Test payer' });
  if (reply.status !== 201) throw new Error(`income: ${reply.status} ${reply.text}`);
}
