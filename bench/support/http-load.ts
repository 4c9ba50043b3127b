import autocannon from 'autocannon';

export interface LoadResult {
  /** Responses with a 2xx status: each is an income the server says it recorded. */
  ok: number;
  non2xx: number;
  /** Socket errors and timeouts: requests whose outcome we never learned. */
  errors: number;
  /** The errors by code or message (ECONNRESET, ETIMEDOUT, request timed out, ...). */
  errorKinds?: Record<string, number>;
  statusCodes: Record<string, number>;
  seconds: number;
  /** Milliseconds of every 2xx response. */
  latencies: number[];
  /**
   * The same, leaving out each connection's first response, whose time includes opening the
   * connection (seconds, when the server's accept queue overflows and SYNs are retried).
   */
  steadyLatencies?: number[];
  /** How many of the connections received at least one answer. */
  connectionsAnswered?: number;
}

/**
 * Drives one request with `connections` keep-alive connections for `seconds`, then drains:
 * after the deadline no connection sends again, and each one closes only once its last
 * response has arrived. autocannon's own stop destroys connections with requests still in
 * flight, which the server may yet commit; draining makes every committed write one we
 * counted, so the books can be checked exactly against the 2xx count.
 */
export async function runHttpLoad(options: {
  url: string;
  headers: Record<string, string>;
  body: string;
  connections: number;
  seconds: number;
  /** Seconds without an answer before autocannon gives a request up (default 20). */
  timeoutSeconds?: number;
}): Promise<LoadResult> {
  const latencies: number[] = [];
  const steadyLatencies: number[] = [];
  const answeredClients = new Set<object>();
  const errorKinds: Record<string, number> = {};
  const statusCodes: Record<string, number> = {};
  let ok = 0;
  let non2xx = 0;
  let started = 0;
  let deadline = Number.POSITIVE_INFINITY;
  let lastResponse = 0;

  let instance!: autocannon.Instance;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(
      {
        url: options.url,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...options.headers },
        body: options.body,
        connections: options.connections,
        pipelining: 1,
        // A hard bound only; the drain below normally ends the run right after the deadline.
        duration: options.seconds + 10 + (options.timeoutSeconds ?? 20),
        timeout: options.timeoutSeconds ?? 20,
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
  instance.on('start', () => {
    started = performance.now();
    deadline = started + options.seconds * 1000;
  });
  instance.on('reqError', (error: NodeJS.ErrnoException) => {
    const kind = error.code ?? error.message;
    errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
  });
  instance.on('response', (client, statusCode, _bytes, responseTime) => {
    const now = performance.now();
    statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
    if (statusCode >= 200 && statusCode < 300) {
      ok++;
      latencies.push(responseTime);
      if (answeredClients.has(client)) steadyLatencies.push(responseTime);
      lastResponse = now;
    } else {
      non2xx++;
    }
    answeredClients.add(client);
    // Past the deadline: cap this connection at the requests it has sent; autocannon then
    // closes it cleanly after this response instead of sending another.
    if (now >= deadline) {
      const internal = client as unknown as { reqsMade: number; responseMax?: number };
      internal.responseMax = internal.reqsMade;
    }
  });
  const result = await finished;

  const seconds = ((lastResponse || performance.now()) - started) / 1000;
  return { ok, non2xx, errors: result.errors, errorKinds, statusCodes, seconds, latencies, steadyLatencies, connectionsAnswered: answeredClients.size };
}
