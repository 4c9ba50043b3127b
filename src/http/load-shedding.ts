import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DatabaseAvailability } from '../db/availability.js';
import { metrics } from '../shared/metrics.js';
import { unavailable } from '../shared/errors.js';

export interface SheddingLimits {
  /** Requests in flight in this process, streams apart. */
  maxInFlight: number;
  /** Requests in flight for one community. */
  maxPerCommunity: number;
  /** Open event streams in this process. */
  maxStreams: number;
}

/**
 * Work past what the process can do promptly is refused at once, not queued: a request that
 * waits seconds behind a thousand others helps nobody, and a queue that long makes `/health`
 * slow enough for a load balancer to take a healthy process out of service. So each request
 * takes a slot (one per process, one per community, so that one busy community cannot starve
 * the others) and gives it back when its response closes; past the bound it is answered
 * `503 unavailable` with `Retry-After`, having written nothing.
 *
 * While the database is known to be down, requests that need it are answered 503 the same way
 * instead of waiting for a connection that will not come.
 *
 * `/health` and `/metrics` are never shed.
 */
// Made once: a process shedding thousands of requests a second should not also capture a stack
// trace for each of them. An AppError carries no per-request state, so one instance serves all.
const DATABASE_DOWN = unavailable('The database cannot be reached right now; nothing was written. Try again shortly', 2);
const TOO_MANY_STREAMS = unavailable('Too many live streams are open on this server; reconnect in a moment', 5);
const PROCESS_BUSY = unavailable('The service is busy; nothing was written. Try again in a moment', 1);
const COMMUNITY_BUSY = unavailable('This community has too many requests in progress; nothing was written. Try again in a moment', 1);

export function shedLoad(limits: SheddingLimits, availability: DatabaseAvailability) {
  let inFlight = 0;
  let streams = 0;
  const perCommunity = new Map<string, number>();

  const release = (communityId: string | undefined) => {
    inFlight--;
    if (communityId === undefined) return;
    const left = (perCommunity.get(communityId) ?? 1) - 1;
    if (left <= 0) perCommunity.delete(communityId);
    else perCommunity.set(communityId, left);
  };

  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const route = request.routeOptions.url;
    if (route === undefined || !route.startsWith('/v1/')) return;
    if (!availability.reachable) {
      metrics.shed.inc({ reason: 'database' });
      throw DATABASE_DOWN;
    }
    if (route.endsWith('/stream')) {
      if (streams >= limits.maxStreams) {
        metrics.shed.inc({ reason: 'streams' });
        throw TOO_MANY_STREAMS;
      }
      streams++;
      reply.raw.once('close', () => streams--);
      return;
    }
    const communityId = (request.params as { cid?: unknown } | undefined)?.cid;
    const key = typeof communityId === 'string' ? communityId : undefined;
    if (inFlight >= limits.maxInFlight) {
      metrics.shed.inc({ reason: 'process' });
      throw PROCESS_BUSY;
    }
    if (key !== undefined && (perCommunity.get(key) ?? 0) >= limits.maxPerCommunity) {
      metrics.shed.inc({ reason: 'community' });
      throw COMMUNITY_BUSY;
    }
    inFlight++;
    if (key !== undefined) perCommunity.set(key, (perCommunity.get(key) ?? 0) + 1);
    reply.raw.once('close', () => release(key));
  };
}
