import fc from 'fast-check';
import { binaryBody } from './binary.js';
import type { Operation, Parameter } from './openapi.js';
import { anyValue, validValue, type Pools } from './schema-arbitrary.js';
import { HOSTILE_HEADER_VALUES, HOSTILE_IDS, HOSTILE_STRINGS } from './values.js';
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

export const roleArbitrary = (weights: Partial<Record<RoleName, number>>) =>
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
export function poolsFor(op: Operation, world: World): Pools {
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

export function headerParams(op: Operation, pools: Pools): fc.Arbitrary<Record<string, string>> {
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

export function jsonBody(op: Operation, pools: Pools, valid: boolean): fc.Arbitrary<Plan['body']> {
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
