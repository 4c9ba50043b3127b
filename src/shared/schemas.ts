import { Type, type TSchema, type TProperties, type Static } from 'typebox';
import { MONEY_PATTERN } from './money.js';
import { ERROR_STATUS } from './errors.js';

/**
 * Schemas shared by every module. Each has an `$id`, is registered once with the app and is
 * referenced through `ref()`, so the OpenAPI document names it as a component and the
 * TypeScript type still comes from the schema itself.
 */
export const Money = Type.String({
  $id: 'Money',
  pattern: MONEY_PATTERN,
  description:
    'An amount of CNY as a decimal string: up to 13 integer digits and 2 fractional digits. ' +
    'Output always has exactly two fractional digits.',
  examples: ['1280.50'],
});

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.Enum(Object.keys(ERROR_STATUS)),
  },
  { $id: 'Problem', description: 'An RFC 9457 problem detail; `code` is one of the contract codes.' },
);

export const Role = Type.Enum(['owner', 'manager', 'cosigner', 'supervisor', 'admin'], { $id: 'Role' });
export type Role = Static<typeof Role>;

export const sharedSchemas: TSchema[] = [Money, Problem, Role];

/** A reference to a shared schema that keeps the referenced schema's static type. */
export function ref<T extends TSchema>(schema: T): T {
  const id = (schema as { $id?: string }).$id;
  if (!id) throw new Error('ref() needs a schema with an $id');
  return { $ref: `${id}#` } as unknown as T;
}

/** A request body object: unknown fields are refused rather than silently dropped. */
export function Body<P extends TProperties>(properties: P, options: { description?: string } = {}) {
  return Type.Object(properties, { additionalProperties: false, ...options });
}

export const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$', description: 'An opaque id' });
export const CommunityParams = Type.Object({ cid: Id });

/** Cursor paging shared by every list: `?after=<cursor>&limit=<1..500>`. */
export const PageQuery = Type.Object({
  after: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'The `nextAfter` of the previous page' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
});
export type PageQuery = Static<typeof PageQuery>;

/** Which end of a list comes first: `asc` oldest first (the default), `desc` newest first. */
export const ListOrder = Type.Enum(['asc', 'desc'], {
  description:
    '`asc` (the default): oldest first, and `nextAfter` continues with newer items. `desc`: newest first, and `nextAfter` continues with older ones, those before the last item of the page',
});
export type ListOrder = Static<typeof ListOrder>;

export function Page<T extends TSchema>(item: T) {
  return Type.Object({
    items: Type.Array(item),
    nextAfter: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `after` for the next page; null at the end' }),
  });
}

/**
 * Error responses listed on a route, all problem+json. Every route that reaches the database
 * may also answer 503 `unavailable` (the database is down, or the service sheds load).
 */
export function problems(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries([...new Set([...statuses, 503])].map((s) => [s, ref(Problem)]));
}

export const Timestamp = Type.String({ format: 'date-time', description: 'RFC 3339, UTC' });

/** Requests that move money accept an Idempotency-Key (1-255 printable ASCII). */
export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({ pattern: '^[\\x20-\\x7E]{1,255}$', description: 'Replays the first answer for the same key and body' }),
  ),
});
