import Fastify, { type FastifyBaseLogger } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import type { App } from './http/app-types.js';
import { authenticate } from './http/authenticate.js';
import { healthRoutes } from './http/health.js';
import { refuseNulCharacters } from './http/no-nul.js';
import { registerOpenApi } from './http/openapi.js';
import { errorHandler, sendProblem } from './http/problems.js';
import { validatorCompiler } from './http/validation.js';
import { authRoutes } from './modules/auth/auth.routes.js';
import { loadTokens } from './modules/auth/auth.tokens.js';
import { communitiesRoutes } from './modules/communities/communities.routes.js';
import { feesRoutes } from './modules/fees/fees.routes.js';
import { ledgerRoutes } from './modules/ledger/ledger.routes.js';
import { budgetsRoutes } from './modules/budgets/budgets.routes.js';
import { feedRoutes } from './modules/feed/feed.routes.js';
import { spendingRoutes } from './modules/spending/spending.routes.js';
import { createServices } from './services.js';
import { AppError } from './shared/errors.js';
import { sharedSchemas } from './shared/schemas.js';

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
    return503OnClosing: true,
    forceCloseConnections: false,
    ajv: { customOptions: { coerceTypes: false } },
  }).withTypeProvider<TypeBoxTypeProvider>() as App;

  for (const schema of sharedSchemas) app.addSchema(schema);
  app.setValidatorCompiler(validatorCompiler(sharedSchemas));
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => sendProblem(reply, new AppError('not_found', `No route ${request.method} ${request.url.split('?')[0]}`)));

  const tokens = loadTokens(db);
  const services = createServices(db, config, tokens);
  app.decorate('services', services);
  app.addHook('onClose', () => services.signal.close());
  app.decorateRequest('principal', null as never);
  app.addHook('onRequest', authenticate(tokens));
  app.addHook('preValidation', refuseNulCharacters);

  await registerOpenApi(app);
  await app.register(healthRoutes(db, options.expectedMigrations));
  await app.register(authRoutes);
  await app.register(communitiesRoutes);
  await app.register(ledgerRoutes);
  await app.register(feedRoutes);
  await app.register(budgetsRoutes);
  await app.register(spendingRoutes);
  await app.register(feesRoutes);
  return app;
}
