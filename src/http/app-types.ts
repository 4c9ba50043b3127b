import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Services } from '../services.js';
import type { DatabaseAvailability } from '../db/availability.js';
import type { Principal } from '../modules/auth/auth.principal.js';

/** The Fastify instance every route module receives: TypeBox-typed, with our decorations. */
export type App = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
    /** Whether the database answers; requests that meet a lost connection report it here. */
    availability: DatabaseAvailability;
  }
  interface FastifyRequest {
    /** Who is calling; set for every route that is not marked public. */
    principal: Principal;
  }
  interface FastifyContextConfig {
    /** No bearer token needed (login, health, docs). */
    public?: boolean;
    /** Also accept a short-lived stream token in `?access_token=` (EventSource cannot set headers). */
    streamToken?: boolean;
  }
}
