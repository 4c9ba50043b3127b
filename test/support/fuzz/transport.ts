import fc from 'fast-check';
import { binaryBody } from './binary.js';
import type { Operation } from './openapi.js';
import { headerParams, jsonBody, poolsFor, roleArbitrary, urlOf, type Plan } from './requests.js';
import { validValue } from './schema-arbitrary.js';
import { RAW_PATH_SEGMENTS } from './values.js';
import type { World } from './world.js';

/*
 * Requests broken below the schemas, where Fastify, the body parsers and the router answer
 * before any route runs: what API.md means by "errors raised before a route runs are
 * problems too".
 */

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
