import type { Answer } from './contract.js';

/**
 * With FUZZ_STATS=1 (or `detail`, to add each problem's detail), how each operation answered,
 * printed at the end: the way to see how deep the generated requests reach into the services.
 */
export class Tally {
  private readonly byOperation = new Map<string, Map<string, number>>();
  private readonly mode = process.env.FUZZ_STATS;

  count(name: string, answer: Answer): void {
    if (!this.mode) return;
    const byAnswer = this.byOperation.get(name) ?? new Map<string, number>();
    const detail = this.mode === 'detail' ? ` ${field(answer.text, 'detail').replace(/"[^"]*"/g, '"…"').slice(0, 90)}` : '';
    const key = answer.status >= 400 ? `${answer.status} ${field(answer.text, 'code')}${detail}` : String(answer.status);
    byAnswer.set(key, (byAnswer.get(key) ?? 0) + 1);
    this.byOperation.set(name, byAnswer);
  }

  print(): void {
    for (const [name, byAnswer] of this.byOperation) {
      console.log(`${name}: ${[...byAnswer].sort().map(([answer, n]) => `${answer}×${n}`).join(', ')}`);
    }
  }
}

function field(text: string, name: string): string {
  try {
    return String(JSON.parse(text)[name]);
  } catch {
    return '(not JSON)';
  }
}
