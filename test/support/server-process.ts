import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/**
 * The service as an operator runs it: a real process, spoken to over a real socket. Tests
 * that involve signals, crashes or the database dying use this rather than `app.inject`.
 */
export const PROJECT_ROOT = path.resolve(import.meta.dirname, '..', '..');

export interface ServerProcess {
  child: ChildProcess;
  base: string;
  exited: Promise<number | null>;
  output(): string;
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `command args` in `cwd` with the given environment and waits until `/health` is 200.
 * `DATABASE_URL` is cleared unless given, so a stray one in the caller's environment cannot
 * point the server at another database.
 */
export async function startServer(options: {
  port: number;
  env?: Record<string, string>;
  cwd?: string;
  command?: string;
  args?: string[];
  healthyWithinMs?: number;
}): Promise<ServerProcess> {
  const child = spawn(options.command ?? process.execPath, options.args ?? ['--import', 'tsx', 'src/server.ts'], {
    cwd: options.cwd ?? PROJECT_ROOT,
    env: { ...process.env, PORT: String(options.port), HOST: '127.0.0.1', LOG_LEVEL: 'info', DATABASE_URL: '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const base = `http://127.0.0.1:${options.port}`;
  const deadline = Date.now() + (options.healthyWithinMs ?? 90_000);
  while (Date.now() < deadline) {
    const ok = await fetch(`${base}/health`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.ok, () => false);
    if (ok) return { child, base, exited, output: () => output };
    if (child.exitCode !== null) break;
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`the server did not become healthy:\n${output}`);
}

/** Pids of processes whose command line mentions `needle` (a data directory, say). */
export function processesUsing(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') continue; // exited, not reaped
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/** Waits until no process mentions `needle`, for at most `ms`; returns what is left. */
export async function untilGone(needle: string, ms = 15_000): Promise<number[]> {
  const deadline = Date.now() + ms;
  let left = processesUsing(needle);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(100);
    left = processesUsing(needle);
  }
  return left;
}

/** Waits until `check` holds, polling; throws with `what` when it does not within `ms`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A tiny JSON client over fetch for a real server. */
export function http(base: string, token?: string) {
  return async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(base + url, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(20_000),
    });
    const text = await response.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, body: json, text };
  };
}
