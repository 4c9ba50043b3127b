import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import cors from '@fastify/cors';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from './config.js';
import { connectionStringOf, poolUsage, type Database } from './db/database.js';
import { watchDatabase } from './db/availability.js';
import { boundJsonDepth } from './http/json-body.js';
import { shedLoad } from './http/load-shedding.js';
import { securityHeaders } from './http/security-headers.js';
import { metricsRoute } from './http/metrics-route.js';
import { metrics, observePool } from './shared/metrics.js';
import type { App } from './http/app-types.js';
import { authenticate } from './http/authenticate.js';
import { healthRoutes } from './http/health.js';
import { refuseNulCharacters } from './http/no-nul.js';
import { registerOpenApi } from './http/openapi.js';
import { clientErrorHandler, errorHandler, sendProblem } from './http/problems.js';
import { validatorCompiler } from './http/validation.js';
import { authRoutes } from './modules/auth/auth.routes.js';
import { loadTokens } from './modules/auth/auth.tokens.js';
import { communitiesRoutes } from './modules/communities/communities.routes.js';
import { feesRoutes } from './modules/fees/fees.routes.js';
import { ledgerRoutes } from './modules/ledger/ledger.routes.js';
import { budgetsRoutes } from './modules/budgets/budgets.routes.js';
import { feedRoutes } from './modules/feed/feed.routes.js';
import { spendingRoutes } from './modules/spending/spending.routes.js';
import { evidenceRoutes } from './modules/evidence/evidence.routes.js';
import { repairsRoutes } from './modules/repairs/repairs.routes.js';
import { challengesRoutes } from './modules/challenges/challenges.routes.js';
import { votesRoutes } from './modules/votes/votes.routes.js';
import { surveysRoutes } from './modules/surveys/surveys.routes.js';
import { transparencyRoutes } from './modules/transparency/transparency.routes.js';
import { paymentsRoutes } from './modules/payments/payments.routes.js';
import { reconciliationRoutes } from './modules/reconciliation/reconciliation.routes.js';
import { registerSessions } from './modules/sessions/sessions.routes.js';
import { webAppRoutes } from './http/web-app.js';
import { createServices } from './services.js';
import { AppError, unavailable } from './shared/errors.js';
import { sharedSchemas } from './shared/schemas.js';

/** How often each process looks for votes whose closing time has passed. */
const VOTE_SWEEP_MS = 1_000;

export interface AppOptions {
  config: Config;
  db: Database;
  /** How many migrations /health expects to find applied. */
  expectedMigrations: number;
  /** The process's pino logger; tests leave it out to log only warnings. */
  logger?: FastifyBaseLogger;
}

/** Builds the whole API (plugins, then routes) without listening; tests call `inject` on it. */
export async function buildApp(options: AppOptions): Promise<App> {
  const { config, db } = options;
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: { level: config.LOG_LEVEL } }),
    bodyLimit: 1024 * 1024,
    trustProxy: false,
    // Our own 503 while closing, so that even that answer is a problem (below).
    return503OnClosing: false,
    forceCloseConnections: false,
    ajv: { customOptions: { coerceTypes: false } },
    // A caller's request id (a proxy's, say) is kept when it is a sane token, so one id follows
    // the request through every log line; otherwise we make one. Either way it is answered.
    requestIdHeader: false,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && /^[A-Za-z0-9._:-]{1,64}$/.test(given) ? given : randomUUID();
    },
    // Errors raised before a route runs (a bad URL, an id past any length) go through the one
    // error handler like every other, and so do the HTTP parser's own (431 and the rest).
    frameworkErrors: (error, request, reply) => errorHandler(error, request, reply),
    clientErrorHandler,
  }).withTypeProvider<TypeBoxTypeProvider>() as App;

  for (const schema of sharedSchemas) app.addSchema(schema);
  app.setValidatorCompiler(validatorCompiler(sharedSchemas));
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => sendProblem(reply, new AppError('not_found', `No route ${request.method} ${request.url.split('?')[0]}`)));
  boundJsonDepth(app);

  const availability = await watchDatabase({ url: connectionStringOf(db), expectedMigrations: options.expectedMigrations, log: app.log });
  app.decorate('availability', availability);
  const unobservePool = observePool(() => poolUsage(db));
  app.addHook('onClose', async () => {
    availability.close();
    unobservePool();
  });

  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (closing) {
      reply.header('connection', 'close');
      throw unavailable('This server is shutting down; try again, another may answer', 1);
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ route, method: request.method, status: String(reply.statusCode) });
    metrics.requestSeconds.observe({ route, method: request.method }, reply.elapsedTime / 1000);
  });
  app.addHook('onRequest', shedLoad(
    { maxInFlight: config.MAX_IN_FLIGHT, maxPerCommunity: config.MAX_IN_FLIGHT_PER_COMMUNITY, maxStreams: config.MAX_STREAMS },
    availability,
  ));

  const security = securityHeaders({
    // The web app and the API docs are served from this origin only; nothing is inlined
    // but the docs' styles.
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'", 'data:'],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    // Attachments and the docs are fetched cross-origin by nobody; API answers may be read by
    // the configured origins below.
    crossOriginResourcePolicy: { policy: config.corsOrigins.length > 0 ? 'cross-origin' : 'same-origin' },
    // Not `no-referrer`: with it browsers send `Origin: null` on same-origin POSTs, and the web
    // app's CSRF check rightly refuses those. Other sites still learn nothing.
    referrerPolicy: { policy: 'same-origin' },
  });
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(security);
    done();
  });
  await app.register(cors, {
    origin: config.corsOrigins.length > 0 ? [...config.corsOrigins] : false,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'last-event-id', 'x-request-id'],
    exposedHeaders: ['retry-after', 'x-request-id', 'location'],
    maxAge: 600,
  });

  const tokens = loadTokens(db);
  const services = createServices(db, config, tokens, {
    warn: (message, error) => app.log.warn({ err: error }, message),
    error: (message) => app.log.error(message),
  });
  app.decorate('services', services);
  app.addHook('onClose', () => services.signal.close());
  // Every process closes due votes now and then (each exactly once), so vote.closed reaches
  // the feed within a few seconds whether or not anyone reads the vote.
  const stopVoteSweep = services.votes.startSweep(VOTE_SWEEP_MS, app.log);
  app.addHook('onClose', async () => stopVoteSweep());
  // Every process appends committed entries to the communities' transparency logs (woken by
  // its own commits, and sweeping for everyone else's); the head lock keeps one at a time.
  const stopAppending = services.transparency.start();
  app.addHook('onClose', () => stopAppending());
  app.decorateRequest('principal', null as never);
  app.addHook('onRequest', authenticate(tokens));
  app.addHook('preValidation', refuseNulCharacters);

  await registerOpenApi(app);
  await app.register(healthRoutes(availability));
  await app.register(metricsRoute(config.METRICS_TOKEN));
  await app.register(authRoutes);
  await app.register(communitiesRoutes);
  await app.register(ledgerRoutes);
  await app.register(transparencyRoutes);
  await app.register(feedRoutes);
  await app.register(budgetsRoutes);
  await app.register(spendingRoutes);
  await app.register(feesRoutes);
  await app.register(evidenceRoutes);
  await app.register(repairsRoutes);
  await app.register(challengesRoutes);
  await app.register(votesRoutes);
  await app.register(surveysRoutes);
  await app.register(paymentsRoutes);
  await app.register(reconciliationRoutes);
  await registerSessions(app);
  await app.register(webAppRoutes);
  return app;
}
