import type { FastifyRequest } from 'fastify';
import { validationFailed } from '../shared/errors.js';

/**
 * PostgreSQL text cannot hold U+0000, and JSON stored in it cannot hold half of a surrogate
 * pair (the driver would also quietly turn one into U+FFFD in plain text): neither is text a
 * person typed. Refuse both at the door, in any field of the body, the query or the path, with
 * a clear 400, rather than failing deep in the database or storing something else than was sent.
 */
const UNSTORABLE = /[\u0000\p{Cs}]/u;
export async function refuseNulCharacters(request: FastifyRequest): Promise<void> {
  for (const [part, value] of [
    ['body', request.body],
    ['query', request.query],
    ['params', request.params],
  ] as const) {
    const path = findNul(value, part);
    if (path) throw validationFailed(`${path} contains a NUL character (U+0000) or a lone surrogate: it is not Unicode text`);
  }
}

function findNul(value: unknown, path: string): string | undefined {
  // Raw bytes (an uploaded file) are not text: a NUL there is data, and walking 10 MiB of
  // bytes one index at a time would cost seconds.
  if (Buffer.isBuffer(value)) return undefined;
  if (typeof value === 'string') return UNSTORABLE.test(value) ? path : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNul(value[i], `${path}/${i}`);
      if (found) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const found = findNul(item, `${path}/${key}`) ?? (UNSTORABLE.test(key) ? `${path}/${key}` : undefined);
      if (found) return found;
    }
  }
  return undefined;
}
