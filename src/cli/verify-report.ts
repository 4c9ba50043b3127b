/**
 * What xinyi-verify says: one line per check, the first few problems under it, and the count
 * of checks that did not hold. Plain lines on standard output, so an owner can keep them.
 */

/** The books do not hold: something recomputed differs from what the server says. */
export class Mismatch extends Error {}
/** The check could not be done: bad arguments, the network, a refused token. */
export class CannotCheck extends Error {}

/** What each check found wrong, by check. */
export class Problems {
  private readonly found = new Map<string, string[]>();
  add(check: string, problem: string): void {
    const list = this.found.get(check) ?? [];
    list.push(problem);
    this.found.set(check, list);
  }
  of(check: string): string[] {
    return this.found.get(check) ?? [];
  }
}

const SHOWN = 5;
let failures = 0;

/** One line for the owner, on standard output (what the verifier found). */
export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** One line on standard error (why the check could not be done). */
export function complain(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Checks that did not hold so far in this run; `startRun` sets it back to none. */
export const failureCount = (): number => failures;
export function startRun(): void {
  failures = 0;
}

export function report(ok: boolean, line: string, problems: string[] = []): void {
  say(`${ok ? '✓' : '✗'} ${line}`);
  for (const p of problems.slice(0, SHOWN)) say(`    - ${p}`);
  if (problems.length > SHOWN) say(`    - ……另有 ${problems.length - SHOWN} 处`);
  if (!ok) failures++;
}

/** Reports a check that gathered its problems as it went: the ok line, or the fail line and the problems. */
export function tally(found: string[], okLine: string, failLine: string): void {
  report(found.length === 0, found.length === 0 ? okLine : `${failLine}（${found.length} 处）`, found);
}

/** Runs a check that either holds or throws Mismatch, and reports it. */
export async function step<T>(okLine: (value: T) => string, failLine: string, run: () => Promise<T>): Promise<T | undefined> {
  try {
    const value = await run();
    report(true, okLine(value));
    return value;
  } catch (error) {
    if (!(error instanceof Mismatch)) throw error;
    report(false, `${failLine}：${error.message}`);
    return undefined;
  }
}
