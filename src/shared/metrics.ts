import client from 'prom-client';

/**
 * What an operator scrapes from `GET /metrics` (Prometheus text format). One registry per
 * process; the sources read at scrape time (pool, feed) register themselves, so that nothing
 * is counted on the request's path but two counters and a histogram.
 */
export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry, prefix: 'xinyi_' });

const poolSources = new Set<() => { total: number; idle: number; waiting: number }>();
const subscriberSources = new Set<() => number>();

export const metrics = {
  requests: new client.Counter({
    name: 'xinyi_http_requests_total',
    help: 'HTTP requests answered, by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
  }),
  requestSeconds: new client.Histogram({
    name: 'xinyi_http_request_duration_seconds',
    help: 'Time from receiving a request to answering it, by route and method',
    labelNames: ['route', 'method'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  }),
  shed: new client.Counter({
    name: 'xinyi_shed_requests_total',
    help: 'Requests answered 503 at once, by reason (process or community bound, database down)',
    labelNames: ['reason'] as const,
    registers: [registry],
  }),
  batchSize: new client.Histogram({
    name: 'xinyi_group_commit_batch_size',
    help: 'Items written per group-commit batch',
    buckets: [1, 2, 4, 8, 16, 32, 64, 100],
    registers: [registry],
  }),
  databaseUp: new client.Gauge({
    name: 'xinyi_database_up',
    help: '1 when the database answered the last probe, 0 otherwise',
    registers: [registry],
  }),
};

new client.Gauge({
  name: 'xinyi_db_pool_connections',
  help: 'Database pool connections by state (total, idle) and requests waiting for one',
  labelNames: ['state'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const read of poolSources) {
      const { total, idle, waiting } = read();
      this.inc({ state: 'total' }, total);
      this.inc({ state: 'idle' }, idle);
      this.inc({ state: 'waiting' }, waiting);
    }
  },
});

new client.Gauge({
  name: 'xinyi_feed_subscribers',
  help: 'Open live-feed streams in this process',
  registers: [registry],
  collect() {
    let total = 0;
    for (const read of subscriberSources) total += read();
    this.set(total);
  },
});

/** Registers a pool whose usage is read at scrape time; returns the undo. */
export function observePool(read: () => { total: number; idle: number; waiting: number }): () => void {
  poolSources.add(read);
  return () => poolSources.delete(read);
}

/** Registers a count of feed subscribers read at scrape time; returns the undo. */
export function observeSubscribers(read: () => number): () => void {
  subscriberSources.add(read);
  return () => subscriberSources.delete(read);
}
