import http from 'node:http';
import net from 'node:net';
import type { App } from '../../../src/http/app-types.js';
import type { Answer } from './contract.js';
import type { Operation } from './openapi.js';
import { urlOf, type Plan } from './requests.js';
import type { World } from './world.js';

function headersOf(plan: Plan, world: World): Record<string, string> {
  const authorization = world.authorization(plan.role, plan.cosigner, plan.garbage);
  return {
    ...plan.headers,
    ...(authorization === undefined ? {} : { authorization }),
    ...(plan.body?.contentType === undefined ? {} : { 'content-type': plan.body.contentType }),
  };
}

/**
 * Sends a plan through `inject`, or over a real socket for an event stream, which `inject`
 * would wait on forever: a stream's answer is its status and headers.
 */
export async function send(app: App, op: Operation, plan: Plan, world: World, baseUrl: string): Promise<Answer> {
  const url = urlOf(op, plan);
  const headers = headersOf(plan, world);
  if (op.path.endsWith('/stream') && plan.method === 'GET') return overSocket(baseUrl, plan.method, url, headers, plan.body?.payload);
  const reply = await within(
    ANSWER_TIMEOUT_MS,
    `${plan.method} ${url.slice(0, 200)}`,
    app.inject({ method: plan.method as 'GET', url, headers, ...(plan.body ? { payload: plan.body.payload } : {}) }),
  );
  return { status: reply.statusCode, headers: reply.headers, text: reply.body };
}

/** A request that hangs is a failure to report, not a test that times out without saying which. */
const ANSWER_TIMEOUT_MS = 15_000;

async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer to ${what} within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function overSocket(baseUrl: string, method: string, path: string, headers: Record<string, string>, payload?: string | Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${baseUrl}${path}`, { method, headers, agent: false }, (response) => {
      const answer = { status: response.statusCode ?? 0, headers: response.headers };
      if (String(response.headers['content-type']).startsWith('text/event-stream')) {
        response.destroy();
        resolve({ ...answer, text: '' });
        return;
      }
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ ...answer, text: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.setTimeout(ANSWER_TIMEOUT_MS, () => request.destroy(new Error(`no answer to ${method} ${path} within 10 s`)));
    request.end(payload);
  });
}

/**
 * Writes bytes to the server exactly as given (what `http.request` would refuse to send: an
 * unescaped path, a header of 100 KiB) and parses the one answer that comes back.
 */
export function rawExchange(baseUrl: string, bytes: string): Promise<Answer> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (error) => (chunks.length ? finish() : reject(error)));
    socket.on('close', finish);
    // Written without half-closing: the request says `Connection: close` and the server ends it.
    socket.on('connect', () => socket.write(bytes));
    let done = false;
    function finish() {
      if (done) return;
      done = true;
      const text = Buffer.concat(chunks).toString('latin1');
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(
        lines.map((line) => [line.slice(0, line.indexOf(':')).trim().toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
      );
      // Still bytes (latin1) here, so chunk sizes count what they should.
      let body = rest.join('\r\n\r\n');
      if (/chunked/i.test(String(headers['transfer-encoding']))) body = dechunk(body);
      resolve({ status: Number(statusLine.split(' ')[1] ?? 0), headers, text: Buffer.from(body, 'latin1').toString('utf8') });
    }
  });
}

function dechunk(body: string): string {
  let out = '';
  let rest = body;
  for (;;) {
    const end = rest.indexOf('\r\n');
    const size = parseInt(rest.slice(0, end), 16);
    if (!(size > 0)) return out;
    out += rest.slice(end + 2, end + 2 + size);
    rest = rest.slice(end + 2 + size + 2);
  }
}
