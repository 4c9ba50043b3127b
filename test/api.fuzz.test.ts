import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness } from './support/harness.js';
import { contractViolation, type Answer } from './support/fuzz/contract.js';
import { liveOperations, operationName, type Operation } from './support/fuzz/openapi.js';
import { describePlan, schemaRequest, type Plan } from './support/fuzz/requests.js';
import { rawExchange, send } from './support/fuzz/send.js';
import { Tally } from './support/fuzz/stats.js';
import { transportRequest } from './support/fuzz/transport.js';
import { buildWorld, type World } from './support/fuzz/world.js';

/*
 * A seeded fuzz of every operation in the live OpenAPI document. Each operation gets
 * requests derived from its own schemas, from every kind of caller, against two real
 * communities; then requests broken below the schemas (bodies, paths, queries, methods).
 * Whatever is sent, the answer keeps the contract: never a 5xx, every 4xx a problem with a
 * code the contract gives that status, nothing answered without a valid token or to an
 * outsider. Afterwards every community's books still verify and reconcile.
 *
 * Reproduce a failure with the seed and path it prints:
 *   FUZZ_SEED=<seed> FUZZ_PATH=<path> npx vitest run test/api.fuzz.test.ts -t '<suite>.*<operation>'
 * Run harder with FUZZ_RUNS=<runs per operation>, or another seed with FUZZ_SEED; see how
 * deep the requests reach with FUZZ_STATS=1 (or =detail).
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20260915);
const REPLAY_PATH = process.env.FUZZ_PATH;

const h = await startHarness();
const operations = await liveOperations(h.app);
/** Runs per operation: by default about 2,400 schema-shaped requests in all, so the file stays near half a minute as routes are added. */
const RUNS = Number(process.env.FUZZ_RUNS ?? Math.max(20, Math.min(60, Math.round(2400 / operations.length))));
let world: World;
let baseUrl: string;
const tally = new Tally();
/** Communities the fuzz itself created (the platform admin's POST /v1/communities), checked at the end too. */
const created = new Set<string>();

beforeAll(async () => {
  world = await buildWorld(h.app);
  baseUrl = await h.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  tally.print();
  await h.close();
});

/** Logins hash a password each, so that operation gets fewer runs. */
const runsFor = (op: Operation, share: number) => Math.max(5, Math.round((op.path === '/v1/auth/login' ? RUNS / 3 : RUNS) * share));

/** What is wrong with the answer to this request, or undefined. */
function judge(op: Operation, plan: Plan, answer: Answer): string | undefined {
  const broken = contractViolation(answer);
  if (broken) return broken;
  if (answer.status >= 400) return undefined;
  if (!op.public && (plan.role === 'none' || plan.role === 'garbage')) return `answered ${answer.status} without a valid token`;
  const home = world.home;
  const namesHome = plan.params.cid?.value === home.community.id || home.trackingNos.includes(plan.params.trackingNo?.value ?? '');
  if (plan.role === 'outsider' && namesHome) return `answered ${answer.status} to a member of another community`;
  return undefined;
}

const SUITES = { schema: 'schema-shaped', transport: 'malformed requests' } as const;

/** An answer that breaks the contract, as opposed to an error of the test's own. */
class Violation extends Error {}

async function fuzz(kind: 'schema' | 'transport', op: Operation, arbitrary: fc.Arbitrary<Plan>, numRuns: number): Promise<void> {
  const property = fc.asyncProperty(arbitrary, async (plan) => {
    const answer = await send(h.app, op, plan, world, baseUrl);
    tally.count(`${kind} ${operationName(op)}`, answer);
    if (op.method === 'POST' && op.path === '/v1/communities' && answer.status === 201) created.add(JSON.parse(answer.text).id);
    const wrong = judge(op, plan, answer);
    if (wrong) throw new Violation(`${wrong}\n    request: ${describePlan(op, plan)}`);
  });
  await fc.assert(property, {
    seed: SEED,
    numRuns,
    ...(REPLAY_PATH ? { path: REPLAY_PATH } : {}),
    asyncReporter: async (run) => {
      if (!run.failed) return;
      // A broken contract is told in its own words; anything else thrown (by the test itself) with its stack.
      const error = run.errorInstance;
      const message = error instanceof Violation ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
      throw new Error(
        `${operationName(op)}: ${message}\n` +
          `    after ${run.numRuns} runs and ${run.numShrinks} shrinks; seed ${run.seed}, path ${run.counterexamplePath}\n` +
          `    replay: FUZZ_SEED=${run.seed} FUZZ_PATH=${run.counterexamplePath} npx vitest run test/api.fuzz.test.ts -t '${SUITES[kind]}.*${operationName(op)}'`,
      );
    },
  });
}

it('reads a live document with operations to fuzz', () => {
  expect(operations.length).toBeGreaterThan(30);
  expect(operations.map(operationName)).toContain('POST /v1/communities/{cid}/spend-requests');
});

describe('every operation answers schema-shaped input from any caller within the contract', () => {
  it.each(operations.map((op) => [operationName(op), op] as const))('%s', async (_name, op) => {
    await fuzz('schema', op, schemaRequest(op, world), runsFor(op, 1));
  });
});

describe('every operation answers malformed requests within the contract', () => {
  it.each(operations.map((op) => [operationName(op), op] as const))('%s', async (_name, op) => {
    await fuzz('transport', op, transportRequest(op, world), runsFor(op, 0.5));
  });
});

describe('what only a real socket can send', () => {
  const manager = () => world.home.community.manager.token;
  const request = (target: string, extra = '') =>
    `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${manager()}\r\n${extra}Connection: close\r\n\r\n`;
  const expectProblemOf = (answer: Answer, statuses: number[]) => {
    expect(contractViolation(answer)?.slice(0, 300)).toBeUndefined();
    expect(statuses).toContain(answer.status);
  };

  it('a header of 100 KiB is 431 validation_failed, as a problem', async () => {
    const answer = await rawExchange(baseUrl, request('/v1/me', `X-Padding: ${'a'.repeat(100 * 1024)}\r\n`));
    expectProblemOf(answer, [431]);
    expect(JSON.parse(answer.text).code).toBe('validation_failed');
  });

  it('a path id of 200 characters is 400 or 404, as a problem', async () => {
    expectProblemOf(await rawExchange(baseUrl, request(`/v1/communities/${'x'.repeat(200)}/fund`)), [400, 404]);
    expectProblemOf(await rawExchange(baseUrl, request(`/v1/communities/${world.home.community.id}/spend-requests/${'x'.repeat(200)}`)), [400, 404]);
  });

  it('a path id of 10 KB is 400 or 404, as a problem', async () => {
    expectProblemOf(await rawExchange(baseUrl, request(`/v1/communities/${'x'.repeat(10 * 1024)}/fund`)), [400, 404]);
  });

  it('%ZZ in a path is 400 or 404, as a problem', async () => {
    expectProblemOf(await rawExchange(baseUrl, request('/v1/communities/%ZZ/fund')), [400, 404]);
    expectProblemOf(await rawExchange(baseUrl, request(`/v1/communities/${world.home.community.id}/spend-requests/%ZZ`)), [400, 404]);
  });

  it('dot segments and raw UTF-8 in a path are answered as problems', async () => {
    for (const target of ['/v1/communities/../me', `/v1/communities/${world.home.community.id}/../../me/..`, '/v1/communities/账本/fund', '/v1/communities/%C0%AF/fund']) {
      const answer = await rawExchange(baseUrl, request(target));
      expect(contractViolation(answer)?.slice(0, 300), target).toBeUndefined();
    }
  });
});

/*
 * Seed 202 at 200 runs found the first of these: text with a lone surrogate (not Unicode, so
 * not storable as UTF-8) reaches a jsonb parameter (a feed item, an income batch) and
 * PostgreSQL refuses it, 22P02, answered 500. Each case is kept here, deterministic, so that
 * the fix is proven for every route that showed it.
 */
describe('text that is not well-formed Unicode', () => {
  const LONE = ['x\uDC00y', '\uD800'];
  const cases: Array<[string, 'manager' | 'owner', string, (text: string) => unknown]> = [
    ['an income payer', 'manager', 'income', (text) => ({ category: 'other', amount: '1', payer: text })],
    ['an income memo', 'manager', 'income', (text) => ({ category: 'other', amount: '1', payer: 'Tenant', memo: text })],
    ['an income reference', 'manager', 'income', (text) => ({ category: 'other', amount: '1', payer: 'Tenant', reference: text })],
    ['a spend request title', 'manager', 'spend-requests', (text) => ({ title: text, amount: '1', account: '5105', payee: { name: 'Payee' } })],
    ['a payee name', 'manager', 'spend-requests', (text) => ({ title: 'Title', amount: '1', account: '5105', payee: { name: text } })],
    ['a repair title', 'owner', 'repairs', (text) => ({ title: text, location: 'Building 2' })],
    ['a repair location', 'owner', 'repairs', (text) => ({ title: 'The lift stops', location: text })],
  ];
  it.each(cases.flatMap(([what, role, path, body]) => LONE.map((text) => [what, JSON.stringify(text), role, path, body(text)] as const)))(
    'in %s (%s) is answered within the contract, never with a 500',
    async (_what, _shown, role, path, body) => {
      const token = role === 'manager' ? world.home.community.manager.token : world.home.unitOwner.token;
      const reply = await h.app.inject({
        method: 'POST',
        url: `/v1/communities/${world.home.community.id}/${path}`,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        payload: JSON.stringify(body),
      });
      expect(contractViolation({ status: reply.statusCode, headers: reply.headers, text: reply.body })).toBeUndefined();
    },
  );
});

describe('after the fuzz', () => {
  it('every community still verifies, and its balances reconcile', async () => {
    const ids = [world.home.community.id, world.foreign.community.id, ...created];
    for (const id of ids) await expectSoundBooks(id);
  });
});

async function expectSoundBooks(id: string): Promise<void> {
  const get = async (path: string) => {
    const reply = await h.app.inject({ method: 'GET', url: `/v1/communities/${id}/${path}`, headers: { authorization: `Bearer ${world.platformAdminToken}` } });
    expect(reply.statusCode, `${path} of ${id}: ${reply.body}`).toBe(200);
    return reply.json();
  };
  const verify = await get('ledger/verify');
  expect(verify, `ledger of ${id}`).toMatchObject({ ok: true });

  const fen = (money: string) => BigInt(money.replace('.', ''));
  const accounts: Array<{ code: string; type: string; balance: string }> = (await get('accounts')).items;
  const debitNormal = accounts.filter((a) => a.type === 'asset' || a.type === 'expense').reduce((sum, a) => sum + fen(a.balance), 0n);
  const creditNormal = accounts.filter((a) => a.type !== 'asset' && a.type !== 'expense').reduce((sum, a) => sum + fen(a.balance), 0n);
  expect(debitNormal, `debits and credits of ${id}`).toBe(creditNormal);

  const fundState = await get('fund');
  expect(fundState.balance, `fund of ${id}`).toBe(accounts.find((a) => a.code === '1001')?.balance);
  expect(fen(fundState.available), `available of ${id}`).toBe(fen(fundState.balance) - fen(fundState.reserved));
  expect(fen(fundState.reserved) >= 0n, `reserved of ${id}`).toBe(true);
}
