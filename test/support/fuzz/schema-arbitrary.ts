import fc from 'fast-check';
import type { JsonSchema } from './openapi.js';
import { HOSTILE_MONEY, HOSTILE_STRINGS, validMoney } from './values.js';

/**
 * Real values the fuzz can name, by field or parameter name (`unitId`, `digest`, `cid`):
 * `home` belongs to the community under test, `foreign` to another one. Naming real things
 * is what lets generated requests get past "no such thing" and into the services.
 */
export interface Pool {
  home: readonly unknown[];
  foreign: readonly unknown[];
}
export type Pools = (name: string) => Pool | undefined;

const MAX_DEPTH = 6;
const MAX_ITEMS = 4;

/**
 * Values the schema accepts, or very nearly: the shape a client that read the document would
 * send. Fields the world can fill with real values (ids, digests, passwords) mostly are.
 */
export function validValue(schema: JsonSchema, name: string, pools: Pools, depth = 0): fc.Arbitrary<unknown> {
  const generated = fromSchema(schema, name, pools, depth);
  // A pool holds single values; an array named like it (`unitIds`) takes them as its items.
  const pool = schema.type === 'array' || schema.type === 'object' ? undefined : pools(name);
  if (!pool || pool.home.length + pool.foreign.length === 0) return generated;
  return fc.oneof(
    ...(pool.home.length ? [{ weight: 10, arbitrary: fc.constantFrom(...pool.home) }] : []),
    ...(pool.foreign.length ? [{ weight: 1, arbitrary: fc.constantFrom(...pool.foreign) }] : []),
    { weight: 2, arbitrary: generated },
  );
}

/**
 * Mostly valid values, mixed with the wrong type, hostile strings, boundary money, and (for
 * objects) a missing required field or an extra one, at every level of the document.
 */
export function anyValue(schema: JsonSchema, name: string, pools: Pools, depth = 0): fc.Arbitrary<unknown> {
  if (depth > MAX_DEPTH) return fc.constant(null);
  const valid = isObject(schema) ? objectValue(schema, name, pools, depth, anyValue) : arrayOrValid(schema, name, pools, depth);
  // Money is where a ledger breaks, so its boundaries come up more often than other oddities.
  return fc.oneof(
    { weight: 30, arbitrary: valid },
    { weight: 1, arbitrary: wrongType(schema) },
    { weight: schema['x-component'] === 'Money' ? 4 : 2, arbitrary: hostileFor(schema) },
  );
}

function arrayOrValid(schema: JsonSchema, name: string, pools: Pools, depth: number): fc.Arbitrary<unknown> {
  if (schema.type === 'array') return arrayValue(schema, name, pools, depth, anyValue);
  return validValue(schema, name, pools, depth);
}

type Child = (schema: JsonSchema, name: string, pools: Pools, depth: number) => fc.Arbitrary<unknown>;

function fromSchema(schema: JsonSchema, name: string, pools: Pools, depth: number): fc.Arbitrary<unknown> {
  if (depth > MAX_DEPTH) return fc.constant(null);
  if (schema['x-component'] === 'Money') return validMoney();
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...schema.enum);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(alternatives)) return fc.oneof(...alternatives.map((s: JsonSchema) => validValue(s, name, pools, depth)));
  if (Array.isArray(schema.type)) return fc.oneof(...schema.type.map((type: string) => fromSchema({ ...schema, type }, name, pools, depth)));
  switch (schema.type) {
    case 'string':
      return stringValue(schema);
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1_000_000, max: schema.maximum ?? 1_000_000 });
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return arrayValue(schema, name, pools, depth, validValue);
    case 'object':
      return objectValue(schema, name, pools, depth, validValue);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function stringValue(schema: JsonSchema): fc.Arbitrary<string> {
  const min = schema.minLength ?? 0;
  const max = schema.maxLength ?? Number.POSITIVE_INFINITY;
  if (schema.format === 'date-time') {
    // Mostly the recent past, where events are recorded; sometimes the far past or the future.
    const between = (from: string, to: string) => fc.date({ min: new Date(from), max: new Date(to), noInvalidDate: true });
    return fc
      .oneof({ weight: 8, arbitrary: between('2025-01-01T00:00:00Z', new Date(Date.now() - 60_000).toISOString()) }, between('1900-01-01T00:00:00Z', '2101-01-01T00:00:00Z'))
      .map((d) => d.toISOString());
  }
  if (schema.format === 'date') {
    return fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
  }
  // The document's own examples are the most valid values there are.
  const examples: string[] = Array.isArray(schema.examples) ? schema.examples.filter((e: unknown) => typeof e === 'string') : [];
  const generated = schema.pattern
    ? matching(new RegExp(schema.pattern), min, max)
    : fc.string({ minLength: min, maxLength: Math.max(min, Math.min(max, 60)), unit: 'grapheme' });
  return examples.length ? fc.oneof(generated, fc.constantFrom(...examples)) : generated;
}

/**
 * Strings of a pattern within length bounds. A filter is used only where a probe shows most
 * strings fit, for a filter that rarely passes spins for ever; elsewhere they are cut or
 * padded to fit, which may break the pattern (still a near-valid value worth sending).
 */
function matching(pattern: RegExp, min: number, max: number): fc.Arbitrary<string> {
  const strings = fc.stringMatching(pattern);
  const fits = (s: string) => s.length >= min && s.length <= max;
  const probe = fc.sample(strings, { seed: 1, numRuns: 50 });
  if (probe.filter(fits).length >= 25) return strings.filter(fits);
  return strings.map((s) => (s.length > max ? s.slice(0, max) : s.padEnd(min, 'x')));
}

function arrayValue(schema: JsonSchema, name: string, pools: Pools, depth: number, child: Child): fc.Arbitrary<unknown[]> {
  const item = child(schema.items ?? {}, name, pools, depth + 1);
  const minLength = schema.minItems ?? 0;
  const maxLength = Math.max(minLength, Math.min(schema.maxItems ?? MAX_ITEMS, MAX_ITEMS));
  return schema.uniqueItems
    ? fc.uniqueArray(item, { minLength, maxLength, selector: (v) => JSON.stringify(v) })
    : fc.array(item, { minLength, maxLength });
}

function objectValue(schema: JsonSchema, name: string, pools: Pools, depth: number, child: Child): fc.Arbitrary<Record<string, unknown>> {
  const properties: Record<string, JsonSchema> = schema.properties ?? {};
  const required: string[] = schema.required ?? [];
  // Fields of the body are named by their key (`account`), nested ones by their path
  // (`payee.account`), so that a pool of ledger codes does not fill a bank account.
  const childName = (key: string) => (name === 'body' ? key : `${name}.${key}`);
  const model = Object.fromEntries(Object.entries(properties).map(([key, s]) => [key, child(s, childName(key), pools, depth + 1)]));
  const whole = fc.record(model, { requiredKeys: required.filter((k) => k in properties) }).map((record) => ({ ...record }));
  if (child === validValue) return whole;
  return fc.oneof(
    { weight: 20, arbitrary: whole },
    ...(required.length ? [{ weight: 1, arbitrary: fc.tuple(whole, fc.constantFrom(...required)).map(([r, missing]) => withoutKey(r, missing)) }] : []),
    { weight: 1, arbitrary: fc.tuple(whole, fc.constantFrom(...EXTRA_KEYS), fc.jsonValue({ maxDepth: 1 })).map(([r, key, value]) => withOwnKey(r, key, value)) },
  );
}

/** Extra fields, among them keys that poison prototypes when an object is merged carelessly. */
const EXTRA_KEYS = ['extra', '', ' ', '__proto__', 'constructor', 'id', 'communityId', 'status', 'x'.repeat(300), '账本'];

function withoutKey(record: Record<string, unknown>, key: string): Record<string, unknown> {
  const { [key]: _dropped, ...rest } = record;
  return rest;
}

function withOwnKey(record: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  const copy = { ...record };
  // defineProperty makes even `__proto__` an own, serialisable key rather than a prototype.
  Object.defineProperty(copy, key, { value, enumerable: true, configurable: true, writable: true });
  return copy;
}

/** A value of another JSON type than the schema asks for. */
function wrongType(schema: JsonSchema): fc.Arbitrary<unknown> {
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  const all: Record<string, fc.Arbitrary<unknown>> = {
    string: fc.constantFrom('12', 'text', ''),
    integer: fc.constantFrom(0, 12, -1, 2 ** 53, 1.5),
    boolean: fc.boolean(),
    null: fc.constant(null),
    array: fc.constantFrom([], ['12'], [null]),
    object: fc.constantFrom({}, { a: 1 }),
  };
  const others = Object.entries(all)
    .filter(([t]) => t !== type && !(type === 'number' && t === 'integer'))
    .map(([, arbitrary]) => arbitrary);
  return fc.oneof(...others);
}

function hostileFor(schema: JsonSchema): fc.Arbitrary<unknown> {
  if (schema['x-component'] === 'Money') return fc.constantFrom(...HOSTILE_MONEY);
  if (schema.type === 'integer' || schema.type === 'number') {
    return fc.constantFrom(-0, -1, 0, 1e308, -1e308, 2 ** 31, 2 ** 53 + 1, 1.5, 99999999999999999999, (schema.minimum ?? 0) - 1, (schema.maximum ?? 0) + 1);
  }
  return fc.constantFrom(...HOSTILE_STRINGS);
}

function isObject(schema: JsonSchema): boolean {
  return schema.type === 'object' || (schema.type === undefined && schema.properties !== undefined);
}
