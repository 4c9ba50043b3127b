/** A movement of the fund's bank account (1001) as the books hold it. */
export interface Movement {
  entryId: string;
  seq: number;
  date: string;
  amount: string;
  direction: 'in' | 'out';
  reference: string | null;
}

/** A bank statement line, with where it stands among all lines ever uploaded. */
export interface BankLine {
  key: string;
  date: string;
  amount: string;
  direction: 'in' | 'out';
  reference: string | null;
}

const DAY_MS = 86_400_000;
export const MATCH_WINDOW_DAYS = 3;

const daysApart = (a: string, b: string) => Math.abs(Date.parse(`${a}T00:00:00Z`) - Date.parse(`${b}T00:00:00Z`)) / DAY_MS;

/**
 * Matches bank lines to movements one to one (API.md, "Bank reconciliation"): same amount and
 * direction, dates at most three days apart, and the same reference when both have one. Lines
 * are taken in the order they were uploaded; each takes, among the movements still free, one
 * with its own reference first, then the nearest date, then the earliest entry. Greedy rather
 * than a maximum matching: statements come in order and a movement rarely fits two lines, and
 * the rule is one a treasurer can redo by hand. Returns line key → entry id.
 */
export function matchLines(lines: readonly BankLine[], movements: readonly Movement[]): Map<string, string> {
  const free = new Map<string, Movement[]>();
  for (const m of movements) {
    const bucket = `${m.direction} ${m.amount}`;
    free.set(bucket, [...(free.get(bucket) ?? []), m]);
  }
  const matched = new Map<string, string>();
  for (const line of lines) {
    const candidates = free.get(`${line.direction} ${line.amount}`) ?? [];
    let best: { index: number; rank: [number, number, number] } | null = null;
    candidates.forEach((m, index) => {
      const apart = daysApart(line.date, m.date);
      if (apart > MATCH_WINDOW_DAYS) return;
      if (line.reference !== null && m.reference !== null && line.reference !== m.reference) return;
      const rank: [number, number, number] = [line.reference !== null && line.reference === m.reference ? 0 : 1, apart, m.seq];
      if (!best || rank[0] < best.rank[0] || (rank[0] === best.rank[0] && (rank[1] < best.rank[1] || (rank[1] === best.rank[1] && rank[2] < best.rank[2])))) {
        best = { index, rank };
      }
    });
    if (best === null) continue;
    const [taken] = candidates.splice((best as { index: number }).index, 1);
    matched.set(line.key, taken!.entryId);
  }
  return matched;
}
