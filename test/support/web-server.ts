import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { requireTool } from './debian-tools.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const SCREENSHOTS = path.join(ROOT, 'screenshots');

const BUILD_LOCK = path.join(ROOT, 'dist/.web-build.lock');

/**
 * Builds the web app when its sources changed since the last build (a fresh clone has none).
 * Several browser test files start at once: the first takes a lock file and builds, the others
 * wait for it and then find the build fresh, instead of emptying dist/web under each other.
 */
export function buildWebIfStale(): void {
  mkdirSync(path.dirname(BUILD_LOCK), { recursive: true });
  for (let waited = 0; ; waited += 200) {
    try {
      closeSync(openSync(BUILD_LOCK, 'wx'));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A lock older than any build is left by a run that died: take it over.
      const age = Date.now() - (statSync(BUILD_LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 180_000) rmSync(BUILD_LOCK, { force: true });
      if (waited > 240_000) throw new Error(`${BUILD_LOCK} is held: is another build of the web app stuck?`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build-web.ts', '--if-stale'], { cwd: ROOT, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`building the web app failed:\n${result.stdout}${result.stderr}`);
  } finally {
    rmSync(BUILD_LOCK, { force: true });
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface RunningServer {
  base: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** The service as `npm start` runs it (a real process), on the test run's database. */
export async function startServer(databaseUrl: string, env: Record<string, string> = {}, port?: number): Promise<RunningServer> {
  port ??= await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', PASSWORD_HASH_COST: '10', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (await fetch(`${base}/health`).then((r) => r.ok, () => false)) {
      return {
        base,
        child,
        async stop() {
          child.kill('SIGTERM');
          await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
          if (child.exitCode === null) child.kill('SIGKILL');
        },
      };
    }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`the server did not become healthy:\n${output}`);
}

/** Debian's Chromium, headless, with a fresh profile; installed first when missing and allowed. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : requireTool('chromium', 'chromium');
  if (!existsSync('/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc')) {
    console.warn('fonts-noto-cjk is not installed: screenshots will show boxes for Chinese (apt-get install chromium fonts-noto-cjk)');
  }
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--lang=zh-CN'],
  });
}
