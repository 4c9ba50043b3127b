import http from 'node:http';

/** One request of a closed-loop load: where, as whom, with what. */
export interface Task {
  method: 'GET' | 'POST' | 'PUT';
  /** Absolute URL. */
  url: string;
  token: string;
  body?: unknown;
  /** What the caller wants back with the outcome (a community, a request id...). */
  tag?: unknown;
}

export interface Outcome {
  tag: unknown;
  /** The HTTP status, or 0 when no answer came (a reset, a timeout). */
  status: number;
  error?: string;
  ms: number;
  /** When it was sent, in ms since the load began, and whether it opened its worker's connection. */
  sentAt?: number;
  first?: boolean;
  /** The answer's body, parsed, when `keepBodies` asked for it (2xx only). */
  body?: any;
}

export interface DriveResult {
  outcomes: Outcome[];
  /** From the first request sent to the last answer received. */
  seconds: number;
}

/**
 * A closed-loop HTTP load for requests that differ one from the next (autocannon sends one
 * body): `connections` workers, each on its own keep-alive connection, each sending the next
 * task the moment its previous answer arrives, until `seconds` pass or `next` runs dry. A
 * request already sent is always waited for (up to `timeoutMs`), so every write the server
 * acknowledged is one we counted and the books can be checked exactly.
 */
export async function drive(options: {
  connections: number;
  seconds: number;
  /** The next task for this worker, or null when there is nothing left to send. */
  next: (worker: number) => Task | null;
  keepBodies?: boolean;
  timeoutMs?: number;
}): Promise<DriveResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections, maxFreeSockets: options.connections });
  const outcomes: Outcome[] = [];
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  let last = started;
  const worker = async (index: number) => {
    for (let first = true; performance.now() < deadline; first = false) {
      const task = options.next(index);
      if (!task) return;
      const sentAt = performance.now() - started;
      const outcome = await send(agent, task, options.keepBodies ?? false, options.timeoutMs ?? 60_000);
      outcomes.push({ ...outcome, sentAt, first });
      last = performance.now();
    }
  };
  try {
    await Promise.all(Array.from({ length: options.connections }, (_, i) => worker(i)));
  } finally {
    agent.destroy();
  }
  return { outcomes, seconds: (last - started) / 1000 };
}

function send(agent: http.Agent, task: Task, keepBody: boolean, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const payload = task.body === undefined ? undefined : Buffer.from(JSON.stringify(task.body));
    let settled = false;
    const finish = (status: number, body?: any, error?: string) => {
      if (settled) return;
      settled = true;
      resolve({ tag: task.tag, status, ms: performance.now() - t0, ...(body === undefined ? {} : { body }), ...(error ? { error } : {}) });
    };
    const request = http.request(
      task.url,
      {
        method: task.method,
        agent,
        headers: {
          authorization: `Bearer ${task.token}`,
          ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
        },
        timeout: timeoutMs,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          const text = Buffer.concat(chunks).toString('utf8');
          if (status >= 200 && status < 300) {
            finish(status, keepBody ? JSON.parse(text) : undefined);
          } else {
            // Keep the problem's code and detail: a finding names what came back.
            let what = '';
            try {
              const problem = JSON.parse(text) as { code?: string; detail?: string };
              what = `${problem.code ?? ''}${problem.detail ? `: ${problem.detail.slice(0, 120)}` : ''}`;
            } catch {
              what = text.slice(0, 80);
            }
            finish(status, undefined, what);
          }
        });
        response.on('error', (e) => finish(0, undefined, e.message));
      },
    );
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', (e: NodeJS.ErrnoException) => finish(0, undefined, e.code ?? e.message));
    request.end(payload);
  });
}

/** `[status or error]: count`, for the report. */
export function statusSummary(outcomes: readonly Outcome[]): string {
  const counts = new Map<string, number>();
  for (const o of outcomes) {
    const key = o.status === 0 ? `no answer (${o.error})` : o.status < 300 ? String(o.status) : `${o.status} ${o.error ?? ''}`.trim();
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${k}: ${n}`).join(', ');
}

export const isOk = (o: Outcome) => o.status >= 200 && o.status < 300;
