import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/**
 * Tools the suite runs that come from Debian rather than npm (curl, jq, hledger, chromium).
 * A test that needs one calls `requireTool` first: as root with apt-get at hand the package
 * is installed on the spot, as CI does in `.ci/run`; anywhere else a missing tool fails the
 * test at once with the command that installs it, rather than with a puzzling error later.
 */
export function requireTool(command: string, debianPackage: string): string {
  const found = onPath(command);
  if (found) return found;
  if (isRoot() && onPath('apt-get')) {
    // Another test file may be installing at the same moment: wait for dpkg's lock, and
    // refresh the package lists only when the install could not find the package.
    if (!aptInstall(debianPackage)) {
      aptGet(['update', '-qq']);
      aptInstall(debianPackage);
    }
    const installed = onPath(command);
    if (installed) return installed;
  }
  throw new Error(
    `This test needs \`${command}\`, which is not installed. Install it with: ` +
      `${isRoot() ? '' : 'sudo '}apt-get install -y ${debianPackage}`,
  );
}

function aptInstall(debianPackage: string): boolean {
  return aptGet(['install', '-y', '-qq', '--no-install-recommends', debianPackage]);
}

function aptGet(args: string[]): boolean {
  const result = spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=300', ...args], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    stdio: 'ignore',
    timeout: 600_000,
  });
  return result.status === 0;
}

/** The full path of an executable on PATH, or undefined. */
function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}
