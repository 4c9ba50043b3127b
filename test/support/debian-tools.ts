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

/** What the suite drives from Debian: a command to look for, or a package without one. */
const SUITE_TOOLS: Array<{ debianPackage: string; present: () => boolean }> = [
  { debianPackage: 'hledger', present: () => onPath('hledger') !== undefined },
  { debianPackage: 'chromium', present: () => onPath('chromium') !== undefined },
  { debianPackage: 'curl', present: () => onPath('curl') !== undefined },
  { debianPackage: 'jq', present: () => onPath('jq') !== undefined },
  { debianPackage: 'fonts-noto-cjk', present: () => spawnSync('dpkg-query', ['-W', '-f=${Status}', 'fonts-noto-cjk'], { encoding: 'utf8' }).stdout?.includes('install ok installed') ?? false },
];

/**
 * Checked once before the suite starts (the global setup): everything missing is installed in
 * one apt-get run when we may (root, apt-get at hand), or the run stops at once naming the
 * command that would install it.
 */
export function requireSuiteTools(): void {
  let missing = SUITE_TOOLS.filter((tool) => !tool.present()).map((tool) => tool.debianPackage);
  if (missing.length === 0) return;
  if (isRoot() && onPath('apt-get')) {
    console.warn(`installing from Debian for the suite: ${missing.join(' ')}`);
    if (!aptGet(['install', '-y', '-qq', '--no-install-recommends', ...missing])) {
      aptGet(['update', '-qq']);
      aptGet(['install', '-y', '-qq', '--no-install-recommends', ...missing]);
    }
    missing = SUITE_TOOLS.filter((tool) => !tool.present()).map((tool) => tool.debianPackage);
    if (missing.length === 0) return;
  }
  throw new Error(
    `The suite needs Debian packages that are not installed: ${missing.join(' ')}. Install them with: ` +
      `${isRoot() ? '' : 'sudo '}apt-get install -y ${missing.join(' ')}`,
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
