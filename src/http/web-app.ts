import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from './app-types.js';

/** Where `scripts/build-web.ts` puts the built web app (git-ignored). */
export const WEB_DIST = path.resolve(import.meta.dirname, '../../dist/web');

/**
 * The paths of the web app's screens. Each serves index.html and the app routes itself; any
 * other path (and every unknown `/v1/...`) keeps the API's JSON 404.
 */
export const APP_PATHS = [
  '/',
  '/sign-in',
  '/entries',
  '/budget',
  '/fees',
  '/spend-requests',
  '/approvals',
  '/my-units',
  '/record-income',
  '/submit-request',
  '/billing',
  '/fee-rate',
  '/draft-budget',
  '/members-units',
  '/reconciliation',
  '/repairs',
  '/report-repair',
  '/challenges',
  '/challenges/:id',
  '/ask',
  '/votes',
  '/votes/:id',
  '/votes/:id/ballots',
  '/open-vote',
  '/surveys',
  '/surveys/:id',
  '/start-survey',
  '/track/:trackingNo',
  '/notice/:communityId/:month',
] as const;

interface IndexFile {
  identity: Buffer;
  br?: Buffer;
  gzip?: Buffer;
}

/**
 * 信义家, the web app, from the same process and origin as the API: hashed assets under
 * /assets/ cached for a year and sent precompressed (brotli or gzip, built next to them);
 * index.html for every screen path, never cached, so a new build is picked up at once.
 */
export async function webAppRoutes(app: App): Promise<void> {
  await app.register(fastifyStatic, {
    root: path.join(WEB_DIST, 'assets'),
    prefix: '/assets/',
    preCompressed: true,
    immutable: true,
    maxAge: '365d',
    index: false,
    wildcard: true,
    decorateReply: false,
  });

  // Read on first use and kept: a build happens before start, never while serving.
  let index: IndexFile | undefined;
  const readIndex = (): IndexFile | undefined => {
    if (index) return index;
    const file = path.join(WEB_DIST, 'index.html');
    if (!existsSync(file)) return undefined;
    const optional = (suffix: string) => (existsSync(file + suffix) ? readFileSync(file + suffix) : undefined);
    index = { identity: readFileSync(file), br: optional('.br'), gzip: optional('.gz') };
    return index;
  };

  const serveIndex = async (request: FastifyRequest, reply: FastifyReply) => {
    const file = readIndex();
    if (!file) {
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .header('retry-after', '10')
        .send('信义家 is not built yet: run `npm run build:web` (npm start and npm ci build it).\n');
    }
    const accepts = String(request.headers['accept-encoding'] ?? '');
    const [body, encoding] =
      file.br && /\bbr\b/.test(accepts) ? [file.br, 'br'] : file.gzip && /\bgzip\b/.test(accepts) ? [file.gzip, 'gzip'] : [file.identity, undefined];
    if (encoding) reply.header('content-encoding', encoding);
    return reply
      .header('cache-control', 'no-cache')
      .header('vary', 'accept-encoding')
      .type('text/html; charset=utf-8')
      .send(body);
  };

  for (const url of APP_PATHS) {
    app.get(url, { config: { public: true }, schema: { hide: true } }, serveIndex);
  }
}
