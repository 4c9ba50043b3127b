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

/** Rows were fetched with limit + 1: the extra one tells whether another page exists. */
export function toPage<Row, Item>(rows: Row[], limit: number, key: (row: Row) => string | number, map: (row: Row) => Item) {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(map),
    nextAfter: rows.length > limit && last !== undefined ? encodeCursor(key(last)) : null,
  };
}
