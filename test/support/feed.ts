import http from 'node:http';
import type { App } from '../../src/http/app-types.js';

export interface SseEvent {
  id: string;
  event: string;
  data: any;
}

export interface Stream {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The next event; rejects if none comes within `waitMs` (a guard against hanging, not a timing check). */
  next(waitMs?: number): Promise<SseEvent>;
  /** Every event received and not yet taken by `next`. */
  pending(): SseEvent[];
  comments: string[];
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
  body: string;
}

/** Listens on a random loopback port (once per app) and returns the base URL. */
export async function baseUrl(app: App): Promise<string> {
  const address = app.server.address();
  if (address && typeof address === 'object') return `http://127.0.0.1:${address.port}`;
  await app.listen({ port: 0, host: '127.0.0.1' });
  const bound = app.server.address();
  if (!bound || typeof bound !== 'object') throw new Error('not listening');
  return `http://127.0.0.1:${bound.port}`;
}

/**
 * Opens an event stream over real HTTP and parses it as EventSource would: events are
 * separated by a blank line, `:` lines are comments.
 */
export function openStream(url: string, headers: Record<string, string> = {}): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (response) => {
      const queue: SseEvent[] = [];
      const waiters: Array<(e: SseEvent) => void> = [];
      const comments: string[] = [];
      let buffer = '';
      let body = '';
      response.setEncoding('utf8');
      const ended = new Promise<void>((done) => {
        response.on('end', done);
        response.on('close', done);
        response.on('error', () => done());
      });
      response.on('data', (chunk: string) => {
        body += chunk;
        buffer += chunk;
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const fields: Record<string, string> = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else if (line.includes(':')) fields[line.slice(0, line.indexOf(':'))] = line.slice(line.indexOf(':') + 1).trimStart();
          }
          if (fields.data === undefined) continue;
          const event = { id: fields.id ?? '', event: fields.event ?? 'message', data: JSON.parse(fields.data) };
          const waiter = waiters.shift();
          if (waiter) waiter(event);
          else queue.push(event);
        }
      });
      resolve({
        status: response.statusCode ?? 0,
        headers: response.headers,
        comments,
        ended,
        get body() {
          return body;
        },
        pending: () => queue.splice(0),
        next(waitMs = 10_000) {
          const queued = queue.shift();
          if (queued) return Promise.resolve(queued);
          return new Promise<SseEvent>((ok, fail) => {
            const timer = setTimeout(() => fail(new Error(`no event within ${waitMs} ms`)), waitMs);
            waiters.push((e) => {
              clearTimeout(timer);
              ok(e);
            });
          });
        },
        close: () => request.destroy(),
      } as Stream);
    });
    request.on('error', reject);
  });
}

/** Reads a whole (non-stream) response, for refusals of the stream route. */
export function getText(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (c: string) => (body += c));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body, headers: response.headers }));
      })
      .on('error', reject);
  });
}
