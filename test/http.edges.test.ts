import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createDatabase } from '../src/db/database.js';
import { SHIPPED_MIGRATIONS } from '../src/db/migrate.js';
import type { App } from '../src/http/app-types.js';
import { client, setupCommunity, startHarness, type Harness } from './support/harness.js';
import { TEST_PASSWORD_HASH_COST } from './support/constants.js';

/**
 * What a client meets before any route runs, and what an operator relies on: every error a
 * problem (even those Fastify or Node's HTTP parser raise), security headers on every answer,
 * CORS for configured origins only, metrics not public, load shed at once past its bound,
 * and 503 `unavailable` while the database cannot be reached.
 */
let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => harness.close());

function expectProblem(reply: { statusCode: number; headers: Record<string, unknown>; body: string }, status: number, code: string) {
  expect(reply.statusCode).toBe(status);
  expect(String(reply.headers['content-type'])).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(reply.body);
  expect(body).toMatchObject({ status, code });
  expect(typeof body.title).toBe('string');
  expect(typeof body.detail).toBe('string');
}

async function appWith(env: Record<string, string>, url = inject('databaseUrl')): Promise<App> {
  const config = loadConfig({ DATABASE_URL: url, PASSWORD_HASH_COST: TEST_PASSWORD_HASH_COST, LOG_LEVEL: 'silent', DB_POOL_SIZE: '4', ...env });
  const db = createDatabase(url, config.DB_POOL_SIZE);
  const app = await buildApp({ config, db, expectedMigrations: SHIPPED_MIGRATIONS });
  app.addHook('onClose', async () => db.destroy());
  await app.ready();
  return app;
}

describe('bad input never escapes the problem format', () => {
  it('a body nested 5,000 levels deep is a 400, on a route without a token too', async () => {
    const deep = '['.repeat(5_000) + ']'.repeat(5_000);
    const login = await harness.app.inject({ method: 'POST', url: '/v1/auth/login', headers: { 'content-type': 'application/json' }, payload: `{"username":${deep}}` });
    expectProblem(login, 400, 'validation_failed');
    expect(JSON.parse(login.body).detail).toMatch(/nested more than 32 levels/);
  });

  it('32 levels are fine, 33 are not', async () => {
    const at = (depth: number) => `{"username":"a","password":"b","x":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
    const ok = await harness.app.inject({ method: 'POST', url: '/v1/auth/login', headers: { 'content-type': 'application/json' }, payload: at(32) });
    expect(ok.statusCode).not.toBe(500);
    expect(JSON.parse(ok.body).detail ?? '').not.toMatch(/nested/);
    const deep = await harness.app.inject({ method: 'POST', url: '/v1/auth/login', headers: { 'content-type': 'application/json' }, payload: at(33) });
    expectProblem(deep, 400, 'validation_failed');
  });

  it('brackets inside strings do not count as nesting', async () => {
    const reply = await harness.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ username: 'nobody-has-this-name', password: '['.repeat(100) + '\\"{' }),
    });
    expectProblem(reply, 401, 'unauthenticated');
  });

  it('an id longer than any id is 404, a malformed escape in the path is 400', async () => {
    const community = await setupCommunity(harness.app);
    expectProblem(await harness.app.inject({ method: 'GET', url: `/v1/communities/${'a'.repeat(200)}/fund`, headers: { authorization: `Bearer ${community.owner.token}` } }), 404, 'not_found');
    expectProblem(await harness.app.inject({ method: 'GET', url: '/v1/communities/%ZZ/fund', headers: { authorization: `Bearer ${community.owner.token}` } }), 400, 'validation_failed');
  });

  it('a body of another type is 400', async () => {
    expectProblem(await harness.app.inject({ method: 'POST', url: '/v1/auth/login', headers: { 'content-type': 'text/xml' }, payload: '<login/>' }), 400, 'validation_failed');
  });

  it('a 100 KiB header, refused by the HTTP parser itself, is a 431 problem', async () => {
    await harness.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = harness.app.server.address() as net.AddressInfo;
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.write(`GET /v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'a'.repeat(100 * 1024)}\r\n\r\n`);
      });
      let text = '';
      socket.on('data', (d) => (text += d));
      socket.on('close', () => resolve(text));
      socket.on('error', (error) => (text ? resolve(text) : reject(error)));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
    expect(answer).toMatch(/content-type: application\/problem\+json/i);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ status: 431, code: 'validation_failed' });
  });
});

describe("an operator's view", () => {
  it('every answer carries security headers and its request id', async () => {
    for (const url of ['/health', '/v1/no-such-route']) {
      const reply = await harness.app.inject({ method: 'GET', url, headers: { 'x-request-id': 'trace-42' } });
      expect(reply.headers['x-content-type-options']).toBe('nosniff');
      expect(reply.headers['content-security-policy']).toContain("default-src 'self'");
      expect(reply.headers['x-frame-options']).toBeDefined();
      expect(reply.headers['x-request-id']).toBe('trace-42');
    }
    const made = await harness.app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'not a sane id!' } });
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('CORS answers configured origins only', async () => {
    const app = await appWith({ CORS_ORIGINS: 'https://wuye.example.org' });
    try {
      const allowed = await app.inject({
        method: 'OPTIONS',
        url: '/v1/auth/login',
        headers: { origin: 'https://wuye.example.org', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
      expect(allowed.statusCode).toBe(204);
      expect(allowed.headers['access-control-allow-origin']).toBe('https://wuye.example.org');
      const other = await app.inject({ method: 'OPTIONS', url: '/v1/auth/login', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await app.close();
    }
    const closed = await harness.app.inject({ method: 'GET', url: '/health', headers: { origin: 'https://wuye.example.org' } });
    expect(closed.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('metrics are Prometheus text, for loopback callers or the holder of METRICS_TOKEN only', async () => {
    await harness.app.inject({ method: 'GET', url: '/health' });
    const local = await harness.app.inject({ method: 'GET', url: '/metrics' });
    expect(local.statusCode).toBe(200);
    expect(local.body).toContain('xinyi_http_requests_total{route="/health",method="GET",status="200"}');
    expect(local.body).toContain('xinyi_database_up 1');
    expect(local.body).toContain('xinyi_db_pool_connections');
    expect(local.body).toContain('xinyi_feed_subscribers');
    expectProblem(await harness.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '203.0.113.9' }), 404, 'not_found');

    const app = await appWith({ METRICS_TOKEN: 'a-long-metrics-token-0123' });
    try {
      expectProblem(await app.inject({ method: 'GET', url: '/metrics' }), 404, 'not_found');
      const scraped = await app.inject({ method: 'GET', url: '/metrics', remoteAddress: '203.0.113.9', headers: { authorization: 'Bearer a-long-metrics-token-0123' } });
      expect(scraped.statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe('load and outages', () => {
  // Every connection of the pool busy is a busy process, not a database that is down: the
  // answer says so, and the process keeps believing the database is there.
  it('a request that waits too long for a free database connection is 503 busy, and the database is not marked down', async () => {
    const community = await setupCommunity(harness.app);
    const url = inject('databaseUrl');
    const config = loadConfig({ DATABASE_URL: url, PASSWORD_HASH_COST: TEST_PASSWORD_HASH_COST, LOG_LEVEL: 'silent', DB_POOL_SIZE: '1' });
    const db = createDatabase(url, 1);
    const app = await buildApp({ config, db, expectedMigrations: SHIPPED_MIGRATIONS });
    let release: () => void = () => undefined;
    const held = db.connection().execute(() => new Promise<void>((resolve) => (release = resolve)));
    try {
      await app.ready();
      const waited = await app.inject({ method: 'GET', url: `/v1/communities/${community.id}/fund`, headers: { authorization: `Bearer ${community.owner.token}` } });
      expectProblem(waited, 503, 'unavailable');
      expect(JSON.parse(waited.body).detail).toMatch(/busy/);
      expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
      release();
      await held;
      const served = await app.inject({ method: 'GET', url: `/v1/communities/${community.id}/fund`, headers: { authorization: `Bearer ${community.owner.token}` } });
      expect(served.statusCode).toBe(200);
    } finally {
      release();
      await app.close();
      await db.destroy();
    }
  });

  it('past the bound for one community, requests are refused at once with Retry-After, and /health still answers', async () => {
    const community = await setupCommunity(harness.app);
    const app = await appWith({ MAX_IN_FLIGHT_PER_COMMUNITY: '2' });
    try {
      const replies = await Promise.all(
        Array.from({ length: 30 }, () => app.inject({ method: 'GET', url: `/v1/communities/${community.id}/fund`, headers: { authorization: `Bearer ${community.owner.token}` } })),
      );
      const shed = replies.filter((r) => r.statusCode === 503);
      expect(replies.filter((r) => r.statusCode === 200).length).toBeGreaterThanOrEqual(2);
      expect(shed.length).toBeGreaterThan(0);
      for (const reply of shed) {
        expectProblem(reply, 503, 'unavailable');
        expect(reply.headers['retry-after']).toBe('1');
      }
      expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
      // The slots come back: one at a time, every request is served.
      for (let i = 0; i < 5; i++) {
        expect((await client(app, community.owner.token).get(`/v1/communities/${community.id}/fund`)).status).toBe(200);
      }
    } finally {
      await app.close();
    }
  });

  it('with the database unreachable, /health is 503 and every API request a 503 problem, login included', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const app = await appWith({}, `postgres://nobody:nothing@127.0.0.1:${closedPort}/none`);
    try {
      const health = await app.inject({ method: 'GET', url: '/health' });
      expect(health.statusCode).toBe(503);
      const login = await app.inject({ method: 'POST', url: '/v1/auth/login', headers: { 'content-type': 'application/json' }, payload: { username: 'admin', password: 'whatever-it-is' } });
      expectProblem(login, 503, 'unavailable');
      expect(login.headers['retry-after']).toMatch(/^\d+$/);
    } finally {
      await app.close();
    }
  });
});
