import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTool } from './support/debian-tools.js';

/**
 * The README's walk-through, run verbatim: every `sh` block between the walkthrough markers,
 * in order, as one bash script with `-euo pipefail`, against the real server started the way
 * the README says (`ADMIN_PASSWORD=… npm start` on a fresh database).
 *
 * The server gets its own embedded PostgreSQL under a fresh DATA_DIR rather than the run's
 * shared database: it costs a few seconds, but it is exactly what a reader meets (the first
 * start applies ADMIN_PASSWORD; the README's fixed usernames are new), and the shared database
 * keeps its own admin password and never sees the README's users.
 */
const root = path.resolve(import.meta.dirname, '..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
const ADMIN_PASSWORD = 'walkthrough-admin-password';

/** The fenced `sh` blocks between `<!-- walkthrough:begin` and `<!-- walkthrough:end -->`. */
function walkthroughBlocks(text: string): string[] {
  const begin = text.indexOf('<!-- walkthrough:begin');
  const end = text.indexOf('<!-- walkthrough:end', begin);
  if (begin < 0 || end < 0) throw new Error('README.md lacks the <!-- walkthrough:begin --> … <!-- walkthrough:end --> markers');
  return [...text.slice(begin, end).matchAll(/^```(?:sh|bash)\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

let workDir: string;
let server: ChildProcess | undefined;
let serverOutput = '';
let base: string;

beforeAll(async () => {
  requireTool('curl', 'curl');
  requireTool('jq', 'jq');
  workDir = mkdtempSync(path.join(os.tmpdir(), 'xinyi-walkthrough-'));
  // As root, PostgreSQL runs as another user, who must be able to pass through to DATA_DIR.
  chmodSync(workDir, 0o711);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: root,
    env: {
      ...process.env,
      DATA_DIR: path.join(workDir, 'data'),
      DATABASE_URL: '',
      PORT: String(port),
      HOST: '127.0.0.1',
      ADMIN_PASSWORD,
      PASSWORD_HASH_COST: '10',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout!.on('data', (d) => (serverOutput += d));
  server.stderr!.on('data', (d) => (serverOutput += d));
  for (let i = 0; i < 900; i++) {
    if (await fetch(`${base}/health`).then((r) => r.ok, () => false)) return;
    if (server.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the server did not become healthy:\n${serverOutput}`);
});

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server!.once('exit', resolve));
    server.kill('SIGTERM');
    const timer = setTimeout(() => server!.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

async function getJson(url: string, token: string): Promise<any> {
  const response = await fetch(`${base}${url}`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status, `${url}: ${response.status}`).toBe(200);
  return response.json();
}

describe('the README', () => {
  it('links only to files inside the repository', () => {
    const targets = [...readme.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!).filter((t) => !/^[a-z]+:/i.test(t));
    for (const target of targets) {
      expect(path.resolve(root, target).startsWith(root + path.sep), `${target} leaves the repository`).toBe(true);
      expect(existsSync(path.resolve(root, target)), `${target} exists`).toBe(true);
    }
  });

  it('walk-through runs verbatim in bash against a fresh server: two keys pay a request, fees are billed and paid, the books verify', async () => {
    const blocks = walkthroughBlocks(readme);
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    const script = path.join(workDir, 'walkthrough.sh');
    // The README's blocks as they are, then one line of ours that names what they created.
    writeFileSync(script, `${blocks.join('\n')}\nprintf '\\n@walkthrough %s %s %s\\n' "$CID" "$UNIT" "$REQUEST"\n`);

    const result = await run('bash', ['-euo', 'pipefail', script], {
      cwd: workDir,
      env: { ...process.env, B: base, ADMIN_PASSWORD },
      timeoutMs: 90_000,
    });
    const transcript = `exit ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}\n--- server\n${serverOutput}`;
    expect(result.code, transcript).toBe(0);
    const names = /^@walkthrough (\S+) (\S+) (\S+)$/m.exec(result.stdout);
    expect(names, transcript).toBeTruthy();
    const [, cid, unit, request] = names!;

    // What the walk-through says happened, read back from the server.
    const login = await fetch(`${base}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    const { accessToken } = (await login.json()) as { accessToken: string };

    const fund = await getJson(`/v1/communities/${cid}/fund`, accessToken);
    expect(fund).toMatchObject({ balance: '780.50', reserved: '0.00', available: '780.50', currency: 'CNY' });

    const spend = await getJson(`/v1/communities/${cid}/spend-requests/${request}`, accessToken);
    expect(spend.status).toBe('paid');
    expect(spend.approvals).toHaveLength(2);
    const events = (spend.timeline as Array<{ event: string }>).map((e) => e.event);
    expect(events[0]).toBe('submitted');
    expect(events.slice(-2)).toEqual(['approved', 'paid']);

    const statement = await getJson(`/v1/communities/${cid}/units/${unit}/statement`, accessToken);
    expect(statement.bills).toHaveLength(1);
    expect(statement.bills[0]).toMatchObject({ amount: '210.33', paid: '210.33' });
    expect(statement).toMatchObject({ due: '0.00', advance: '89.67' });

    const accounts = await getJson(`/v1/communities/${cid}/accounts`, accessToken);
    const balanceOf = (code: string) => (accounts.items as Array<{ code: string; balance: string }>).find((a) => a.code === code)?.balance;
    expect([balanceOf('1001'), balanceOf('5105'), balanceOf('4101'), balanceOf('2101'), balanceOf('5001')]).toEqual(['780.50', '800.00', '1280.50', '89.67', '16.83']);

    const verify = await getJson(`/v1/communities/${cid}/ledger/verify`, accessToken);
    expect(verify.ok).toBe(true);

    // The script itself showed the reader the same: the fund, the feed, verify and the journal.
    expect(result.stdout).toMatch(/"balance": "780\.50"/);
    expect(result.stdout).toMatch(/"ok": true/);
    expect(result.stdout).toMatch(/spend\.paid/);
    expect(readFileSync(path.join(workDir, 'books.journal'), 'utf8')).toMatch(/1001/);
    if (spawnSync('hledger', ['--version']).status === 0) {
      expect(result.stdout, 'hledger balance shows the fund').toMatch(/780\.50 CNY\s+assets:1001/);
    } else {
      expect(result.stdout).toMatch(/install hledger/);
    }
  }, 120_000);
});
