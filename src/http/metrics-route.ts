import { timingSafeEqual } from 'node:crypto';
import type { App } from './app-types.js';
import { registry } from '../shared/metrics.js';
import { notFound } from '../shared/errors.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * `GET /metrics` in Prometheus text format. Not public: with METRICS_TOKEN set it needs that
 * token as a bearer; without one it answers loopback callers only (a scraper on the same host
 * or behind the same proxy). Anyone else gets the same 404 as a route that does not exist.
 */
export function metricsRoute(token: string | undefined) {
  return async (app: App): Promise<void> => {
    app.get('/metrics', { config: { public: true }, schema: { hide: true } }, async (request, reply) => {
      if (!allowed(token, request.headers.authorization, request.socket.remoteAddress)) throw notFound('route');
      reply.type(registry.contentType);
      return registry.metrics();
    });
  };
}

function allowed(token: string | undefined, authorization: string | undefined, remoteAddress: string | undefined): boolean {
  if (token === undefined) return LOOPBACK.has(remoteAddress ?? '');
  const given = Buffer.from(/^Bearer (.+)$/.exec(authorization ?? '')?.[1] ?? '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
