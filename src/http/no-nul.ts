import type { FastifyRequest } from 'fastify';
import { validationFailed } from '../shared/errors.js';

/**
 * PostgreSQL text cannot hold U+0000, so a string carrying it would fail deep in the
 * database. Refuse it at the door, in any field of the body, the query or the path, with a
 * clear 400 instead.
 */
export async function refuseNulCharacters(request: FastifyRequest): Promise<void> {
  for (const [part, value] of [
    ['body', request.body],
    ['query', request.query],
    ['params', request.params],
  ] as const) {
    const path = findNul(value, part);
    if (path) throw validationFailed(`${path} contains a NUL character (U+0000)`);
  }
}

function findNul(value: unknown, path: string): string | undefined {
  // Raw bytes (an uploaded file) are not text: a NUL there is data, and walking 10 MiB of
  // bytes one index at a time would cost seconds.
  if (Buffer.isBuffer(value)) return undefined;
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNul(value[i], `${path}/${i}`);
      if (found) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const found = findNul(item, `${path}/${key}`) ?? (key.includes('\u0000') ? `${path}/${key}` : undefined);
      if (found) return found;
    }
  }
  return undefined;
}
