import fc from 'fast-check';
import { binaryBody } from './binary.js';
import type { Operation, Parameter } from './openapi.js';
import { anyValue, validValue, type Pools } from './schema-arbitrary.js';
import { HOSTILE_HEADER_VALUES, HOSTILE_IDS, HOSTILE_STRINGS, RAW_PATH_SEGMENTS } from './values.js';
import { ROLES, type RoleName, type World } from './world.js';

/** One generated request, as data, so that a counterexample reads as what was sent. */
export interface Plan {
  role: RoleName;
  /** Which of the three co-signers, when `role` is `cosigner`. */
  cosigner: number;
  /** Which malformed Authorization header, when `role` is `garbage`. */
  garbage: number;
  method: string;
  /** Path parameters as sent: percent-encoded, or raw where `raw` says so. */
  params: Record<string, { value: string; raw?: boolean }>;
  /** The query string as sent, without `?`. */
  query: string;
  headers: Record<string, string>;
  body?: { contentType?: string; payload: string | Buffer };
  /** A path other than the operation's template, for requests that aim off the routes. */
  pathOverride?: string;
  /** What this request tries, for the failure report. */
  twist?: string;
}

export function urlOf(op: Operation, plan: Plan): string {
  const path = plan.pathOverride ?? op.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const param = plan.params[name];
    if (!param) return '';
    return param.raw ? param.value : encodeSegment(param.value);
  });
  return plan.query ? `${path}?${plan.query}` : path;
}

/**
 * encodeURIComponent refuses lone surrogates; send their WTF-8 bytes instead, which is what a
 * careless client puts on the wire and what the server must answer calmly.
 */
export function encodeSegment(value: string): string {
  let out = '';
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (code >= 0xd800 && code <= 0xdfff) {
      out += [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    } else {
      out += encodeURIComponent(char);
    }
  }
  return out;
}

/** Only what a client can put in a header: tab, printable ASCII and Latin-1. */
const headerSafe = (value: string) => value.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?');

const roleArbitrary = (weights: Partial<Record<RoleName, number>>) =>
  fc.oneof(...ROLES.map((role) => ({ weight: weights[role] ?? 1, arbitrary: fc.constant(role) })));

/**
 * Mostly the roles the summary names in its parenthesis (`(manager)`, `(platform admin or
 * community admin)`), sometimes any member: a valid request from the wrong member is worth
 * sending too, but seldom enough that the right one gets through.
 */
function intendedRole(op: Operation): fc.Arbitrary<RoleName> {
  const named = /\(([^)]*)\)/.exec(op.summary)?.[1] ?? '';
  const roles: RoleName[] = [];
  if (/\bmanager\b/.test(named)) roles.push('manager');
  if (/\bcosigner\b/.test(named)) roles.push('cosigner');
  if (/\bsupervisor\b/.test(named)) roles.push('supervisor');
  if (/\bplatform admin\b/.test(named)) roles.push('platformAdmin');
  if (/(community |\b)admin\b/.test(named.replace('platform admin', ''))) roles.push('communityAdmin');
  const members = roleArbitrary({ manager: 2, cosigner: 2, owner: 1, supervisor: 1, communityAdmin: 1, platformAdmin: 1, outsider: 0, none: 0, garbage: 0 });
  if (roles.length === 0) return members;
  return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...roles) }, { weight: 1, arbitrary: members });
}

/** The world's pools, looked up first by the segment before the parameter (`entries/{id}`). */
function poolsFor(op: Operation, world: World): Pools {
  return (name) => {
    const before = new RegExp(`([^/]+)/\\{${name}\\}`).exec(op.path)?.[1];
    return (before && world.pools(`${before}/{${name}}`)) || world.pools(name);
  };
}

function pathValue(param: Parameter, pools: Pools): fc.Arbitrary<{ value: string }> {
  const odd = param.schema.type === 'integer' ? ['abc', '2026.5', '-0', '1e3', ' 2026', '0x7EA', '２０２６', '99999999999999999999'] : HOSTILE_IDS;
  return fc
    .oneof(
      { weight: 30, arbitrary: validValue(param.schema, param.name, pools).map(String) },
      { weight: 2, arbitrary: fc.constantFrom(...odd) },
      { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_STRINGS.filter((s) => s.length < 500)) },
    )
    .map((value) => ({ value }));
}

function queryPairs(op: Operation, pools: Pools, mode: 'any' | 'valid' = 'any'): fc.Arbitrary<string> {
  const params = op.parameters.filter((p) => p.in === 'query');
  const value = mode === 'valid' ? validValue : anyValue;
  const pairs = params.map((p) => {
    const pair = value(p.schema, p.name, pools).map((v) => serialiseQuery(p.name, v));
    return mode === 'valid' && p.required ? pair : fc.option(pair, { freq: 2 });
  });
  if (mode === 'valid') return fc.tuple(...pairs).map((values) => values.filter((v): v is string => v !== null).join('&'));
  const extra = fc.option(
    fc.tuple(fc.constantFrom('foo', 'limit', 'after', '__proto__', 'constructor', 'access_token', ''), fc.constantFrom(...HOSTILE_STRINGS.filter((s) => s.length < 500))).map(([k, v]) => serialiseQuery(k, v)),
    { freq: 8 },
  );
  return fc.tuple(fc.tuple(...pairs), extra).map(([values, more]) => [...values, more].filter((v): v is string => v !== null && v !== '').join('&'));
}

function serialiseQuery(name: string, value: unknown): string {
  const one = (v: unknown) => `${encodeSegment(name)}=${encodeSegment(typeof v === 'string' ? v : JSON.stringify(v) ?? '')}`;
  return Array.isArray(value) ? value.map(one).join('&') : one(value);
}

function headerParams(op: Operation, pools: Pools): fc.Arbitrary<Record<string, string>> {
  const params = op.parameters.filter((p) => p.in === 'header');
  const idempotent = params.some((p) => p.name === 'idempotency-key');
  const arbitraries = params.map((p) =>
    fc
      .option(
        fc.oneof(
          // A handful of keys reused across requests: replays, and conflicts when the body differs.
          ...(p.name === 'idempotency-key' ? [{ weight: 4, arbitrary: fc.constantFrom('fuzz-key-1', 'fuzz-key-2', 'fuzz-key-3') }] : []),
          { weight: 3, arbitrary: anyValue(p.schema, p.name, pools).map((v) => (typeof v === 'string' ? v : JSON.stringify(v) ?? '')) },
          { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_HEADER_VALUES) },
        ),
        { freq: idempotent ? 2 : 3 },
      )
      .map((value) => [p.name, value] as const),
  );
  return fc.tuple(...arbitraries).map((entries) =>
    Object.fromEntries(entries.filter(([, v]) => v !== null).map(([k, v]) => [k, headerSafe(v as string)])),
  );
}

function jsonBody(op: Operation, pools: Pools, valid: boolean): fc.Arbitrary<Plan['body']> {
  if (!op.body) return fc.constant(undefined);
  const value = valid ? validValue(op.body, 'body', pools) : anyValue(op.body, 'body', pools);
  return fc.oneof(
    { weight: 20, arbitrary: value.map((v) => ({ contentType: 'application/json', payload: JSON.stringify(v) ?? 'null' })) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

/**
 * A request a client that read the operation's schemas might send, with wrong types, missing
 * and extra fields, hostile strings, boundary money and odd ids mixed in, from any role.
 */
export function schemaRequest(op: Operation, world: World): fc.Arbitrary<Plan> {
  return fc.oneof({ weight: 2, arbitrary: schemaPlan(op, world, 'any') }, { weight: 1, arbitrary: schemaPlan(op, world, 'valid') });
}

/**
 * `any` mixes wrong values in at every level; `valid` sends what the schemas allow, from
 * members, about real things, so that a third of the runs get past validation and into the
 * services (where a request with ten fields, each a little likely to be wrong, seldom goes).
 */
function schemaPlan(op: Operation, world: World, mode: 'any' | 'valid'): fc.Arbitrary<Plan> {
  const pools = poolsFor(op, world);
  const pathParams = op.parameters.filter((p) => p.in === 'path');
  const valid = mode === 'valid';
  const body = valid ? validValue : anyValue;
  return fc
    .record({
      role: valid ? intendedRole(op) : roleArbitrary({ manager: 5, cosigner: 4, owner: 2, communityAdmin: 2, platformAdmin: 2 }),
      cosigner: fc.nat(2),
      garbage: fc.nat(50),
      method: fc.constant(op.method),
      params: fc.record(
        Object.fromEntries(pathParams.map((p) => [p.name, valid ? validValue(p.schema, p.name, pools).map((v) => ({ value: String(v) })) : pathValue(p, pools)])),
      ),
      query: queryPairs(op, pools, mode),
      headers: headerParams(op, pools),
      bodyValue: op.body ? fc.option(body(op.body, 'body', pools), { freq: 20, nil: undefined }) : fc.constant(undefined),
      binary: op.bodyTypes.length ? fc.option(binaryBody(op.bodyTypes), { freq: 20, nil: undefined }) : fc.constant(undefined),
      coherent: valid ? fc.constant(true) : fc.boolean(),
    })
    .map(({ bodyValue, binary, coherent, ...plan }) => {
      const value = coherent ? cohere(plan as Plan, bodyValue, world) : bodyValue;
      const body = bodyValue === undefined ? binary : { contentType: 'application/json', payload: JSON.stringify(value) ?? 'null' };
      return { ...plan, body } as Plan;
    });
}

/**
 * Half the time, the body agrees with the caller and the path: the co-signer's own signing
 * password, the digest of the request named in the path. Without this almost no generated
 * approval would land, and the states behind it (approved, paid) would go unvisited.
 */
function cohere(plan: Plan, body: unknown, world: World): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  const fixed: Record<string, unknown> = { ...body };
  const home = world.home;
  if ('signingPassword' in fixed && plan.role === 'cosigner') fixed.signingPassword = home.community.cosigners[plan.cosigner % 3]!.signingPassword;
  const named = home.spendIds.indexOf(plan.params.id?.value ?? '');
  if ('digest' in fixed && named >= 0) fixed.digest = home.digests[named];
  return fixed;
}

/** Builds JSON nested `depth` levels deep without recursion. */
export const deepJson = (depth: number, kind: 'object' | 'array') =>
  kind === 'object' ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` : `${'['.repeat(depth)}1${']'.repeat(depth)}`;

interface BodyTwist {
  twist: string;
  contentType?: string;
  /** The payload, or `keep` to send the generated body under another content type. */
  payload: string | Buffer | 'keep';
}

const ODD_BODIES: BodyTwist[] = [
  { twist: 'empty JSON body', contentType: 'application/json', payload: '' },
  { twist: 'not JSON', contentType: 'application/json', payload: '{' },
  { twist: 'not JSON', contentType: 'application/json', payload: 'abc' },
  { twist: 'single quotes', contentType: 'application/json', payload: "{'a':1}" },
  { twist: 'trailing comma', contentType: 'application/json', payload: '{"a":1,}' },
  { twist: 'two documents', contentType: 'application/json', payload: '{"a":1}{"b":2}' },
  { twist: 'a JSON array', contentType: 'application/json', payload: '[]' },
  { twist: 'a JSON array of objects', contentType: 'application/json', payload: '[{"amount":"1"}]' },
  { twist: 'JSON null', contentType: 'application/json', payload: 'null' },
  { twist: 'a JSON number', contentType: 'application/json', payload: '0' },
  { twist: 'a JSON string', contentType: 'application/json', payload: '"text"' },
  { twist: 'a JSON boolean', contentType: 'application/json', payload: 'true' },
  { twist: 'a huge number', contentType: 'application/json', payload: '1e999' },
  { twist: 'a byte-order mark', contentType: 'application/json', payload: '\uFEFF{}' },
  { twist: 'invalid UTF-8', contentType: 'application/json', payload: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]) },
  { twist: 'a __proto__ key', contentType: 'application/json', payload: '{"__proto__":{"isPlatformAdmin":true}}' },
  { twist: 'a constructor.prototype key', contentType: 'application/json', payload: '{"constructor":{"prototype":{"isPlatformAdmin":true}}}' },
  { twist: 'duplicate keys', contentType: 'application/json', payload: '{"amount":"1","amount":"2"}' },
  { twist: 'JSON nested 33 levels', contentType: 'application/json', payload: deepJson(33, 'object') },
  { twist: 'JSON nested 200 levels', contentType: 'application/json', payload: deepJson(200, 'object') },
  { twist: 'JSON nested 20000 levels', contentType: 'application/json', payload: deepJson(20_000, 'object') },
  { twist: 'arrays nested 33 levels', contentType: 'application/json', payload: deepJson(33, 'array') },
  { twist: 'arrays nested 100000 levels', contentType: 'application/json', payload: deepJson(100_000, 'array') },
  { twist: 'a body over 1 MiB', contentType: 'application/json', payload: `{"a":"${'x'.repeat(1024 * 1024 + 10)}"}` },
  { twist: 'the body as text/plain', contentType: 'text/plain', payload: 'keep' },
  { twist: 'the body as a form', contentType: 'application/x-www-form-urlencoded', payload: 'amount=12&title=x' },
  { twist: 'the body as multipart', contentType: 'multipart/form-data; boundary=x', payload: '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n' },
  { twist: 'JSON in UTF-16', contentType: 'application/json; charset=utf-16', payload: 'keep' },
  { twist: 'a near-JSON type', contentType: 'application/jsonp', payload: 'keep' },
  { twist: 'an upper-case type', contentType: 'APPLICATION/JSON', payload: 'keep' },
  { twist: 'a problem+json body', contentType: 'application/problem+json', payload: 'keep' },
  { twist: 'an image type', contentType: 'image/png', payload: 'keep' },
  { twist: 'an empty content type', contentType: '', payload: 'keep' },
  { twist: 'no content type', payload: 'keep' },
  { twist: 'a malformed content type', contentType: 'application/json;;;=', payload: 'keep' },
];

/** Past the largest body any route takes (uploads: 10 MiB). */
const OVER_TEN_MIB = Buffer.alloc(10 * 1024 * 1024 + 1, 0x20);

const ODD_QUERIES = [
  'limit=%ZZ',
  'after=%ZZ',
  '%ZZ=1',
  'limit=1&limit=2',
  'limit=',
  'limit=-1',
  'limit=0',
  'limit=501',
  'limit=1e2',
  'limit=0x10',
  'limit=1.5',
  'limit=%201',
  'a[b]=1&a[c]=2',
  '&&=&',
  `limit=${'9'.repeat(400)}`,
  `after=${'x'.repeat(8000)}`,
  '__proto__[isPlatformAdmin]=true',
  'constructor[prototype][x]=1',
  'after=%00',
  'after=%ED%A0%80',
  'period=%ZZ',
  'format=%00',
];

const ODD_PATHS: Array<{ twist: string; path: (path: string) => string }> = [
  { twist: 'a trailing slash', path: (p) => `${p}/` },
  { twist: 'a doubled slash', path: (p) => p.replace('/v1/', '/v1//') },
  { twist: 'an upper-case prefix', path: (p) => p.replace('/v1/', '/V1/') },
  { twist: 'an extra segment', path: (p) => `${p}/extra` },
  { twist: 'a matrix parameter', path: (p) => `${p};jsessionid=1` },
  { twist: 'an encoded slash', path: (p) => p.replace('/v1/', '/v1%2F') },
  { twist: 'a dot segment', path: (p) => p.replace('/v1/', '/v1/./') },
];

/**
 * A request broken below the schemas: bodies that are not JSON, nested too deep, too large
 * or of another type; path segments that do not decode; odd query strings, paths and
 * methods. Mostly from a member whose token is good, so the oddity is what gets answered.
 */
export function transportRequest(op: Operation, world: World): fc.Arbitrary<Plan> {
  const pools = poolsFor(op, world);
  const pathParams = op.parameters.filter((p) => p.in === 'path');
  const base = fc.record({
    role: roleArbitrary({ manager: 8, cosigner: 2, platformAdmin: 2 }),
    cosigner: fc.nat(2),
    garbage: fc.nat(50),
    method: fc.constant(op.method),
    params: fc.record(Object.fromEntries(pathParams.map((p) => [p.name, validValue(p.schema, p.name, pools).map((v) => ({ value: String(v) }))]))),
    query: fc.constant(''),
    headers: headerParams(op, pools),
    body: op.bodyTypes.length && !op.body ? binaryBody(op.bodyTypes) : jsonBody(op, pools, true),
  }) as fc.Arbitrary<Plan>;

  const twists: Array<fc.Arbitrary<(plan: Plan) => Plan>> = [
    fc.constantFrom(...ODD_BODIES).map((odd) => (plan: Plan) => withBody(plan, odd)),
    ...op.bodyTypes.map((type) => fc.constant((plan: Plan) => withBody(plan, { twist: `a ${type} over 10 MiB`, contentType: type, payload: OVER_TEN_MIB }))),
    fc.constantFrom(...ODD_QUERIES).map((query) => (plan: Plan) => ({ ...plan, query, twist: `query ${query.slice(0, 60)}` })),
    fc.constantFrom(...ODD_PATHS).map((odd) => (plan: Plan) => ({ ...plan, pathOverride: odd.path(urlOf(op, plan)), twist: odd.twist })),
    fc.constantFrom('DELETE', 'PATCH', 'OPTIONS', op.method === 'GET' ? 'POST' : 'GET').map((method) => (plan: Plan) => ({ ...plan, method, twist: `method ${method}` })),
  ];
  if (pathParams.length) {
    twists.push(
      fc.tuple(fc.constantFrom(...pathParams.map((p) => p.name)), fc.constantFrom(...RAW_PATH_SEGMENTS)).map(([name, segment]) => (plan: Plan) => ({
        ...plan,
        params: { ...plan.params, [name]: { value: segment, raw: true } },
        twist: `raw path segment ${name}=${segment}`,
      })),
      fc.constantFrom(...pathParams.map((p) => p.name)).map((name) => (plan: Plan) => ({
        ...plan,
        params: { ...plan.params, [name]: { value: 'x'.repeat(200) } },
        twist: `a 200-character ${name}`,
      })),
    );
  }
  return fc.tuple(base, fc.oneof(...twists)).map(([plan, twist]) => twist(plan));
}

function withBody(plan: Plan, odd: BodyTwist): Plan {
  const payload = odd.payload === 'keep' ? (plan.body?.payload ?? '{}') : odd.payload;
  return { ...plan, body: { ...(odd.contentType === undefined ? {} : { contentType: odd.contentType }), payload }, twist: odd.twist };
}

/** The request in a line or two, long values shortened, for a failure message. */
export function describePlan(op: Operation, plan: Plan): string {
  const short = (s: string) => (s.length > 160 ? `${s.slice(0, 120)}…(${s.length} chars)` : s);
  const payload = plan.body?.payload;
  const shown = Buffer.isBuffer(payload) ? `<${payload.length} bytes: ${short(payload.toString('hex'))}>` : short(JSON.stringify(payload ?? ''));
  const body = plan.body ? ` content-type=${JSON.stringify(plan.body.contentType ?? '(none)')} body=${shown}` : '';
  const headers = Object.keys(plan.headers).length ? ` headers=${short(JSON.stringify(plan.headers))}` : '';
  const role = plan.role === 'cosigner' ? `cosigner#${plan.cosigner + 1}` : plan.role === 'garbage' ? `garbage#${plan.garbage}` : plan.role;
  return `${plan.twist ? `[${plan.twist}] ` : ''}${plan.method} ${short(urlOf(op, plan))} as ${role}${headers}${body}`;
}
