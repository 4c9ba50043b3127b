import { validationFailed } from './errors.js';

/**
 * Cursors are opaque to clients: the last key of a page, base64url-encoded. A cursor that
 * does not decode is a 400, not an empty page.
 */
export function encodeCursor(key: string | number): string {
  return Buffer.from(`v1:${key}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith('v1:') || encodeCursor(text.slice(3)) !== cursor) throw validationFailed('The `after` cursor is not valid');
  return text.slice(3);
}

export function decodeSeqCursor(cursor: string | undefined): number {
  const key = decodeCursor(cursor);
  if (key === undefined) return 0;
  const seq = Number(key);
  if (!Number.isSafeInteger(seq) || seq < 0) throw validationFailed('The `after` cursor is not valid');
  return seq;
}

/** The key of a row listed newest first by (created_at, id): what a time cursor holds. */
export function timeKey(row: { created_at: Date; id: string }): string {
  return `${row.created_at.toISOString()}|${row.id}`;
}

/** A cursor made of `timeKey`, as the (at, id) to list before; undefined for the first page. */
export function decodeTimeCursor(cursor: string | undefined): { at: Date; id: string } | undefined {
  const key = decodeCursor(cursor);
  if (key === undefined) return undefined;
  const [at, id] = key.split('|');
  if (!at || !id || Number.isNaN(Date.parse(at))) throw validationFailed('The `after` cursor is not valid');
  return { at: new Date(at), id };
}

/** Rows were fetched with limit + 1: the extra one tells whether another page exists. */
export function toPage<Row, Item>(rows: Row[], limit: number, key: (row: Row) => string | number, map: (row: Row) => Item) {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(map),
    nextAfter: rows.length > limit && last !== undefined ? encodeCursor(key(last)) : null,
  };
}
