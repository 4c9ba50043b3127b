import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { adminLogin, client, login, setupCommunity, startHarness, unique, type Community, type Harness } from './support/harness.js';

let h: Harness;
let community: Community;

beforeAll(async () => {
  h = await startHarness();
  community = await setupCommunity(h.app);
});
afterAll(() => h?.close());

const problem = (reply: { status: number; body: any; headers: any }, status: number, code: string) => {
  expect(reply.status).toBe(status);
  expect(reply.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(reply.body).toMatchObject({ status, code, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
};

describe('health and documents', () => {
  it('answers ok once the database is migrated', async () => {
    const reply = await client(h.app).get('/health');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ status: 'ok' });
  });

  it('serves the OpenAPI document and the reference page without a token', async () => {
    const doc = await client(h.app).get('/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.body.paths)).toContain('/v1/communities/{cid}/members');
    expect(doc.body.components.schemas).toHaveProperty('Money');
    const page = await h.app.inject({ method: 'GET', url: '/docs' });
    expect([200, 302]).toContain(page.statusCode);
  });

  it('answers an unknown route with a problem', async () => {
    problem(await client(h.app).get('/v1/nowhere'), 404, 'not_found');
  });
});

describe('logging in', () => {
  it('gives the platform admin a bearer token that expires within 24 h', async () => {
    const reply = await client(h.app).post('/v1/auth/login', { username: 'admin', password: 'test-admin-password' });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ tokenType: 'Bearer', accessToken: expect.any(String) });
    expect(reply.body.expiresIn).toBeGreaterThan(0);
    expect(reply.body.expiresIn).toBeLessThanOrEqual(86_400);
  });

  it('answers a wrong password and an unknown user the same way', async () => {
    const wrong = await client(h.app).post('/v1/auth/login', { username: community.owner.username, password: 'not-the-password' });
    const unknown = await client(h.app).post('/v1/auth/login', { username: unique('ghost'), password: 'not-the-password' });
    problem(wrong, 401, 'unauthenticated');
    problem(unknown, 401, 'unauthenticated');
    expect(wrong.body.detail).toBe(unknown.body.detail);
  });

  it('throttles an eleventh failed login within a minute, even with the right password', async () => {
    const person = await community.addMember(['owner']);
    const api = client(h.app);
    for (let i = 0; i < 10; i++) {
      expect((await api.post('/v1/auth/login', { username: person.username, password: 'wrong-password!' })).status).toBe(401);
    }
    const blocked = await api.post('/v1/auth/login', { username: person.username, password: person.password });
    problem(blocked, 429, 'rate_limited');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('refuses malformed login bodies', async () => {
    problem(await client(h.app).raw('POST', '/v1/auth/login', '{"username": "admin",', {}), 400, 'validation_failed');
    problem(await client(h.app).post('/v1/auth/login', { username: 'admin' }), 400, 'validation_failed');
    problem(await client(h.app).post('/v1/auth/login', { username: 'admin', password: 12345678901 }), 400, 'validation_failed');
  });
});

describe('forged tokens are refused', () => {
  const decode = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

  it.each([
    ['no token', undefined],
    ['garbage', 'not.a.token'],
    ['an empty bearer', ''],
  ])('%s', async (_name, token) => {
    const reply = await h.app.inject({
      method: 'GET',
      url: `/v1/communities/${community.id}/fund`,
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });
    expect(reply.statusCode).toBe(401);
    expect(reply.json().code).toBe('unauthenticated');
  });

  it('a payload edited under the old signature', async () => {
    const [header, , signature] = community.owner.token.split('.');
    const payload = { ...decode(community.owner.token), adm: true };
    const forged = `${header}.${encode(payload)}.${signature}`;
    problem(await client(h.app, forged).get(`/v1/communities/${community.id}/fund`), 401, 'unauthenticated');
  });

  it('alg none', async () => {
    const forged = `${encode({ alg: 'none', typ: 'JWT' })}.${encode(decode(community.owner.token))}.`;
    problem(await client(h.app, forged).get(`/v1/communities/${community.id}/fund`), 401, 'unauthenticated');
  });

  it('HS256 signed with an empty or guessed key', async () => {
    const claims = decode(community.owner.token);
    for (const key of [new Uint8Array(0), new TextEncoder().encode('secret')]) {
      const forged = await new SignJWT({ ...claims, adm: true }).setProtectedHeader({ alg: 'HS256' }).sign(key).catch(() => 'x.y.z');
      problem(await client(h.app, forged).get(`/v1/communities/${community.id}/fund`), 401, 'unauthenticated');
    }
  });

  it('an expired token', async () => {
    const tokens = h.app.services.tokens;
    const claims = decode(community.owner.token);
    const fresh = await tokens.issue({ userId: claims.sub, isPlatformAdmin: false }, 60);
    expect((await client(h.app, fresh).get(`/v1/communities/${community.id}/fund`)).status).toBe(200);
    const expiredPayload = { ...decode(fresh), exp: Math.floor(Date.now() / 1000) - 10 };
    const [header, , signature] = fresh.split('.');
    problem(await client(h.app, `${header}.${encode(expiredPayload)}.${signature}`).get(`/v1/communities/${community.id}/fund`), 401, 'unauthenticated');
  });

  // A verified token is remembered until it expires (auth.tokens.ts): the memory must not
  // outlive the token, nor let a stream token into the API.
  it('a token that expires after it was accepted, and a stream token on the API', async () => {
    const tokens = h.app.services.tokens;
    const claims = decode(community.owner.token);
    const shortLived = await tokens.issue({ userId: claims.sub, isPlatformAdmin: false }, 1);
    expect((await client(h.app, shortLived).get(`/v1/communities/${community.id}/fund`)).status).toBe(200);
    const stream = await tokens.issue({ userId: claims.sub, isPlatformAdmin: false }, 60, 'stream');
    await expect(tokens.verify(stream, 'stream')).resolves.toMatchObject({ userId: claims.sub });
    problem(await client(h.app, stream).get(`/v1/communities/${community.id}/fund`), 401, 'unauthenticated');
    await new Promise((resolve) => setTimeout(resolve, (decode(shortLived).exp * 1000 - Date.now()) + 50));
    problem(await client(h.app, shortLived).get(`/v1/communities/${community.id}/fund`), 401, 'unauthenticated');
  });
});

describe('communities, members and units', () => {
  it('only the platform admin creates communities, with the default chart', async () => {
    problem(await community.manager.api.post('/v1/communities', { name: 'Mine', managementFeeRate: '0.1' }), 403, 'forbidden');
    const accounts = await community.owner.api.get(`/v1/communities/${community.id}/accounts`);
    expect(accounts.status).toBe(200);
    expect(accounts.body.items.map((a: any) => a.code)).toEqual([
      '1001', '1101', '2101', '2201', '3001', '4001', '4101', '4102', '4103', '4199',
      '5001', '5101', '5102', '5103', '5104', '5105', '5106', '5107', '5199',
    ]);
    expect(accounts.body.items[0]).toEqual({ code: '1001', name: 'Community fund account 共管账户', type: 'asset', balance: '0.00' });
  });

  it('defaults the time zone to Asia/Shanghai and refuses bad ones', async () => {
    const admin = client(h.app, await adminLogin(h.app));
    const made = await admin.post('/v1/communities', { name: 'TZ test', managementFeeRate: '0' });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ name: 'TZ test', managementFeeRate: '0', timezone: 'Asia/Shanghai' });
    problem(await admin.post('/v1/communities', { name: 'x', managementFeeRate: '0.1', timezone: 'Mars/Base' }), 400, 'validation_failed');
    for (const rate of ['1', '1.0', '-0.1', '0.1234567', 0.1, '', 'abc']) {
      problem(await admin.post('/v1/communities', { name: 'x', managementFeeRate: rate }), 400, 'validation_failed');
    }
  });

  it('a community admin adds members; owners and managers may not', async () => {
    const communityAdmin = await community.addMember(['admin']);
    const body = { username: unique('new'), displayName: 'New Owner', password: 'long-enough-pw', roles: ['owner'] };
    const made = await communityAdmin.api.post(`/v1/communities/${community.id}/members`, body);
    expect(made.status).toBe(201);
    expect(made.body).toEqual({ id: expect.any(String), username: body.username, displayName: 'New Owner', roles: ['owner'], unitIds: [] });
    expect(made.body).not.toHaveProperty('password');
    problem(await community.owner.api.post(`/v1/communities/${community.id}/members`, { ...body, username: unique('x') }), 403, 'forbidden');
    problem(await community.manager.api.post(`/v1/communities/${community.id}/members`, { ...body, username: unique('x') }), 403, 'forbidden');
  });

  it('refuses bad members and changes nothing', async () => {
    const base = { username: unique('bad'), displayName: 'Bad', password: 'long-enough-pw', roles: ['owner'] };
    const url = `/v1/communities/${community.id}/members`;
    const cases: unknown[] = [
      { ...base, roles: ['king'] },
      { ...base, roles: [] },
      { ...base, password: 'short' },
      { ...base, roles: ['cosigner'] },
      { ...base, roles: ['cosigner'], signingPassword: base.password },
      { ...base, roles: ['cosigner'], signingPassword: 'short' },
      { ...base, username: 'has space' },
      { ...base, displayName: '   ' },
      { ...base, roles: 'owner' },
      { ...base, extra: true },
    ];
    for (const body of cases) problem(await community.admin.post(url, body), 400, 'validation_failed');
    problem(await community.admin.post(url, { ...base, unitIds: ['no-such-unit'] }), 404, 'not_found');
    // None of the refused attempts created the user.
    expect((await community.admin.post(url, base)).status).toBe(201);
    problem(await community.admin.post(url, { ...base, username: base.username.toUpperCase() }), 409, 'invalid_state');
  });

  it('adds units and links owners to them', async () => {
    const unit = await community.admin.post(`/v1/communities/${community.id}/units`, { code: unique('U'), building: 'B1', areaM2: '89.5' });
    expect(unit.status).toBe(201);
    expect(unit.body).toMatchObject({ building: 'B1', areaM2: '89.50' });
    const owner = await community.addMember(['owner'], { unitIds: [unit.body.id] });
    const me = await owner.api.get('/v1/me');
    expect(me.body.communities).toEqual([
      { id: community.id, number: expect.any(Number), name: expect.any(String), timezone: 'Asia/Shanghai', roles: ['owner'], unitIds: [unit.body.id] },
    ]);
    expect(me.body).not.toHaveProperty('csrfToken'); // only a web-app session has one
    problem(await community.admin.post(`/v1/communities/${community.id}/units`, { code: unit.body.code, building: 'B1', areaM2: '1' }), 409, 'invalid_state');
    // An area is exact like money: a JSON number, however plain, is refused like a malformed string.
    for (const areaM2 of ['0', '-1', '1.234', 'abc', '1e2', ' 89.5', 0, 89.5, 100, 1e2]) {
      problem(await community.admin.post(`/v1/communities/${community.id}/units`, { code: unique('U'), building: 'B1', areaM2 }), 400, 'validation_failed');
    }
  });
});

describe('text the database cannot hold', () => {
  it('a NUL character anywhere is a 400, never a 500', async () => {
    problem(await client(h.app).post('/v1/auth/login', { username: 'ad\u0000min', password: 'whatever-password' }), 400, 'validation_failed');
    problem(await community.admin.post(`/v1/communities/${community.id}/units`, { code: 'U\u00001', building: 'B', areaM2: '50' }), 400, 'validation_failed');
    problem(
      await community.manager.api.post(`/v1/communities/${community.id}/income`, { category: 'other', amount: '1', payer: 'x', memo: 'a\u0000b' }),
      400,
      'validation_failed',
    );
  });
});

describe('nobody reads another community', () => {
  it('a member of A probing B gets 404, as if B did not exist', async () => {
    const other = await setupCommunity(h.app);
    for (const path of ['fund', 'accounts', 'entries', 'ledger/verify', 'members', 'units']) {
      problem(await community.owner.api.get(`/v1/communities/${other.id}/${path}`), 404, 'not_found');
    }
    problem(await community.manager.api.post(`/v1/communities/${other.id}/income`, { category: 'parking', amount: '1', payer: 'x' }), 404, 'not_found');
    problem(await community.owner.api.get(`/v1/communities/no-such-community/fund`), 404, 'not_found');
  });
});

describe('bodies', () => {
  it('over 1 MiB are refused with 413', async () => {
    const reply = await community.manager.api.post(`/v1/communities/${community.id}/income`, {
      category: 'parking',
      amount: '1',
      payer: 'x',
      memo: 'x'.repeat(1024 * 1024 + 10),
    });
    problem(reply, 413, 'payload_too_large');
  });

  it('never leak stack traces or SQL', async () => {
    const reply = await community.manager.api.raw('POST', `/v1/communities/${community.id}/income`, '{"amount": "1", ', {});
    expect(reply.text).not.toMatch(/at .*\.ts|SELECT|INSERT/);
  });

  it('login is the only /v1 route without a token', async () => {
    await login(h.app, community.owner.username, community.owner.password);
    problem(await client(h.app).get('/v1/me'), 401, 'unauthenticated');
  });
});
