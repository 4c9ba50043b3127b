import type { App } from '../../../src/http/app-types.js';

/** A JSON schema as the OpenAPI document spells it (3.1, so plain JSON Schema). */
export type JsonSchema = Record<string, any>;

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: JsonSchema;
}

/** One operation of the live document, with every `$ref` resolved. */
export interface Operation {
  method: string;
  /** The OpenAPI template, e.g. `/v1/communities/{cid}/fund`. */
  path: string;
  parameters: Parameter[];
  /** The JSON request body's schema, when the operation takes one. */
  body?: JsonSchema;
  /** Types the operation's body may take other than JSON (none today). */
  bodyTypes: string[];
  /** The operation needs no bearer token. */
  public: boolean;
  /** The summary, whose parenthesis names who may call it: `(manager)`, `(platform admin or community admin)`. */
  summary: string;
}

export const operationName = (op: Pick<Operation, 'method' | 'path'>) => `${op.method} ${op.path}`;

/**
 * Reads the document the running app serves at GET /openapi.json, so that a route added
 * tomorrow is fuzzed tomorrow without anyone touching this test.
 */
export async function liveOperations(app: App): Promise<Operation[]> {
  const reply = await app.inject({ method: 'GET', url: '/openapi.json' });
  if (reply.statusCode !== 200) throw new Error(`GET /openapi.json answered ${reply.statusCode}`);
  const doc = JSON.parse(reply.body);
  const resolve = (schema: unknown): any => resolveRefs(schema, doc, new Set());
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries<Record<string, any>>(doc.paths)) {
    for (const [method, op] of Object.entries<any>(item)) {
      if (!['get', 'put', 'post', 'patch', 'delete'].includes(method)) continue;
      const content = op.requestBody?.content ?? {};
      const json = content['application/json']?.schema;
      operations.push({
        method: method.toUpperCase(),
        path,
        parameters: (op.parameters ?? []).map((p: any) => ({ name: p.name, in: p.in, required: Boolean(p.required), schema: resolve(p.schema ?? {}) })),
        ...(json ? { body: resolve(json) } : {}),
        bodyTypes: Object.keys(content).filter((t) => t !== 'application/json'),
        public: isPublic(path, op),
        summary: String(op.summary ?? ''),
      });
    }
  }
  return operations;
}

/** API.md: all /v1 routes but login need a token; the payment notification carries a signature instead. */
function isPublic(path: string, op: { security?: unknown[] }): boolean {
  if (Array.isArray(op.security) && op.security.length === 0) return true;
  return !path.startsWith('/v1/') || path === '/v1/auth/login' || path === '/v1/payments/wechat/notify';
}

function resolveRefs(schema: unknown, doc: any, seen: Set<string>): unknown {
  if (Array.isArray(schema)) return schema.map((s) => resolveRefs(s, doc, seen));
  if (schema === null || typeof schema !== 'object') return schema;
  const { $ref, ...rest } = schema as Record<string, unknown>;
  if (typeof $ref === 'string') {
    if (seen.has($ref)) return { ...rest };
    const target = $ref.replace(/^#\//, '').split('/').reduce((node: any, key) => node?.[key], doc);
    if (target === undefined) throw new Error(`unresolved $ref ${$ref}`);
    // Keep the component's name: the money arbitrary recognises the Money schema by it.
    const name = $ref.split('/').pop();
    return { ...(resolveRefs(target, doc, new Set([...seen, $ref])) as object), ...rest, 'x-component': name };
  }
  return Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, resolveRefs(value, doc, seen)]));
}
