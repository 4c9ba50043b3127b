import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countVote, fromCents, toCents, type CastBallot, type Choice, type Matter, type RollUnit } from '../src/modules/votes/votes.count.js';

/**
 * The counting of an owners' vote against a naive model that shares nothing with it: the model
 * replays the ballots one by one into per-owner and per-unit choices, sums with reduced
 * fractions and compares each share with its threshold by the sign of a difference of
 * fractions. Then the bounds themselves: at, just below and just above each threshold.
 */

// ---- the reference model ------------------------------------------------------------------
const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? (a < 0n ? -a : a) : gcd(b, a % b));
class Fraction {
  readonly n: bigint;
  readonly d: bigint;
  constructor(n: bigint, d: bigint) {
    if (d === 0n) throw new Error('zero denominator');
    const g = gcd(n, d) || 1n;
    const sign = d < 0n ? -1n : 1n;
    this.n = (sign * n) / g;
    this.d = (sign * d) / g;
  }
  minus(o: Fraction) {
    return new Fraction(this.n * o.d - o.n * this.d, this.d * o.d);
  }
  /** -1, 0 or 1. */
  compare(o: Fraction) {
    const diff = this.minus(o).n;
    return diff === 0n ? 0 : diff > 0n ? 1 : -1;
  }
}
const share = (part: bigint, whole: bigint) => (whole === 0n ? new Fraction(0n, 1n) : new Fraction(part, whole));

function model(matter: Matter, roll: RollUnit[], ballots: CastBallot[]) {
  const owners = new Set<string>();
  for (const u of roll) for (const o of u.ownerIds) owners.add(o);
  const ownerChoice = new Map<string, Choice>();
  const unitChoice = new Map<string, Choice>();
  for (const b of [...ballots].sort((x, y) => x.n - y.n)) {
    if (!owners.has(b.ownerId)) continue;
    ownerChoice.set(b.ownerId, b.choice);
    for (const u of roll) if (u.ownerIds.includes(b.ownerId)) unitChoice.set(u.id, b.choice);
  }
  const sum = (choice: Choice | 'any') => {
    let area = 0n;
    for (const u of roll) {
      const c = unitChoice.get(u.id);
      if (c !== undefined && (choice === 'any' || c === choice)) area += u.areaCents;
    }
    let heads = 0n;
    for (const c of ownerChoice.values()) if (choice === 'any' || c === choice) heads += 1n;
    return { areaCents: area, owners: heads };
  };
  const totalArea = roll.reduce((a, u) => a + u.areaCents, 0n);
  const participating = sum('any');
  const yes = sum('for');
  const twoThirds = new Fraction(2n, 3n);
  const quorumMet =
    participating.owners > 0n &&
    share(participating.areaCents, totalArea).compare(twoThirds) >= 0 &&
    share(participating.owners, BigInt(owners.size)).compare(twoThirds) >= 0;
  const carried =
    matter === 'special'
      ? share(yes.areaCents, participating.areaCents).compare(new Fraction(3n, 4n)) >= 0 &&
        share(yes.owners, participating.owners).compare(new Fraction(3n, 4n)) >= 0
      : share(yes.areaCents, participating.areaCents).compare(new Fraction(1n, 2n)) > 0 &&
        share(yes.owners, participating.owners).compare(new Fraction(1n, 2n)) > 0;
  return {
    eligible: { areaCents: totalArea, owners: BigInt(owners.size) },
    participating,
    for: yes,
    against: sum('against'),
    abstain: sum('abstain'),
    quorumMet,
    passed: quorumMet && carried,
  };
}

// ---- generators ---------------------------------------------------------------------------
const OWNERS = ['o1', 'o2', 'o3', 'o4', 'o5', 'o6', 'o7', 'o8'];
const choice = fc.constantFrom<Choice>('for', 'against', 'abstain');
const area = fc.oneof(fc.bigInt({ min: 1n, max: 100_000n }), fc.constantFrom(8937n, 1n, 9999n, 12_000n, 33_333n));
const roll = fc
  .array(fc.record({ areaCents: area, ownerIds: fc.uniqueArray(fc.constantFrom(...OWNERS), { maxLength: 3 }) }), { minLength: 1, maxLength: 12 })
  .map((units) => units.map((u, i) => ({ id: `u${i}`, ...u })));
const ballots = fc
  .array(fc.record({ ownerId: fc.constantFrom(...OWNERS, 'outsider'), choice }), { maxLength: 30 })
  .map((bs) => bs.map((b, i) => ({ n: i + 1, ...b })));
const matter = fc.constantFrom<Matter>('ordinary', 'special');

describe('counting an owners’ vote (art. 278) against a naive model', () => {
  it('agrees with the model on every figure, for any roll and any ballots', () => {
    fc.assert(
      fc.property(matter, roll, ballots, (m, r, b) => {
        expect(countVote(m, r, b)).toEqual(model(m, r, b));
      }),
      { numRuns: 2_000 },
    );
  });

  it('depends on the order ballots were cast, not on the order they are listed', () => {
    fc.assert(
      fc.property(matter, roll, ballots, fc.infiniteStream(fc.nat()), (m, r, b, seeds) => {
        const shuffled = [...b].sort(() => (seeds.next().value % 3) - 1);
        expect(countVote(m, r, shuffled)).toEqual(countVote(m, r, b));
      }),
      { numRuns: 300 },
    );
  });

  it('passing implies the quorum, and for + against + abstain is the participation', () => {
    fc.assert(
      fc.property(matter, roll, ballots, (m, r, b) => {
        const t = countVote(m, r, b);
        if (t.passed) expect(t.quorumMet).toBe(true);
        expect(t.for.areaCents + t.against.areaCents + t.abstain.areaCents).toBe(t.participating.areaCents);
        expect(t.for.owners + t.against.owners + t.abstain.owners).toBe(t.participating.owners);
        expect(t.participating.areaCents <= t.eligible.areaCents).toBe(true);
        expect(t.participating.owners <= t.eligible.owners).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('areas read and print exactly to the hundredth', () => {
    expect(toCents('89.37')).toBe(8937n);
    expect(toCents('89.3')).toBe(8930n);
    expect(toCents('120')).toBe(12000n);
    expect(fromCents(8937n)).toBe('89.37');
    expect(fromCents(5n)).toBe('0.05');
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n }), (c) => {
        expect(toCents(fromCents(c))).toBe(c);
      }),
    );
  });
});

// ---- the bounds -----------------------------------------------------------------------------
/** `n` owners, one unit each of `areas[i]` hundredths. */
const solo = (areas: bigint[]): RollUnit[] => areas.map((a, i) => ({ id: `u${i}`, areaCents: a, ownerIds: [`o${i}`] }));
const cast = (choices: Array<Choice | null>): CastBallot[] =>
  choices.flatMap((c, i) => (c === null ? [] : [{ n: i + 1, ownerId: `o${i}`, choice: c }]));

describe('the quorum: at least 2/3 of the area and at least 2/3 of the owners', () => {
  it('exactly 2/3 of both meets it', () => {
    // Three owners of 100 m² each; two take part: 200/300 and 2/3 exactly.
    const t = countVote('ordinary', solo([10_000n, 10_000n, 10_000n]), cast(['for', 'for', null]));
    expect(t.participating).toEqual({ areaCents: 20_000n, owners: 2n });
    expect(t.quorumMet).toBe(true);
    expect(t.passed).toBe(true);
  });

  it('one hundredth of a m² below 2/3 of the area misses it, though 2/3 of the owners take part', () => {
    // 9999 + 10000 = 19999 of 30000 hundredths: 2/3 would need 20000.
    const t = countVote('ordinary', solo([9_999n, 10_000n, 10_001n]), cast(['for', 'for', null]));
    expect(t.participating.areaCents * 3n).toBe(59_997n);
    expect(t.quorumMet).toBe(false);
    expect(t.passed).toBe(false);
  });

  it('one hundredth above 2/3 of the area meets it', () => {
    const t = countVote('ordinary', solo([10_000n, 10_001n, 9_999n]), cast(['for', 'for', null]));
    expect(t.quorumMet).toBe(true);
  });

  it('just below 2/3 of the owners misses it whatever the area', () => {
    // Five owners: 3/5 < 2/3 though they hold nearly all the area.
    const t = countVote('ordinary', solo([100_000n, 100_000n, 100_000n, 1n, 1n]), cast(['for', 'for', 'for', null, null]));
    expect(t.participating.areaCents * 3n >= t.eligible.areaCents * 2n).toBe(true);
    expect(t.quorumMet).toBe(false);
  });

  it('just above 2/3 of the owners (4 of 5) meets it', () => {
    const t = countVote('ordinary', solo([100n, 100n, 100n, 100n, 100n]), cast(['for', 'for', 'for', 'for', null]));
    expect(t.quorumMet).toBe(true);
  });

  it('nobody voting is never a quorum, even in a community without owners', () => {
    expect(countVote('special', [], []).quorumMet).toBe(false);
    expect(countVote('special', [{ id: 'u', areaCents: 100n, ownerIds: [] }], []).passed).toBe(false);
  });
});

describe('special matters: for ≥ 3/4 of the participating area and owners', () => {
  it('exactly 3/4 of both passes', () => {
    const t = countVote('special', solo([100n, 100n, 100n, 100n]), cast(['for', 'for', 'for', 'against']));
    expect(t.passed).toBe(true);
  });

  it('one hundredth below 3/4 of the area fails', () => {
    // for 7499 of 10000 hundredths participating.
    const t = countVote('special', solo([2_500n, 2_500n, 2_499n, 2_501n]), cast(['for', 'for', 'for', 'against']));
    expect(t.for.areaCents).toBe(7_499n);
    expect(t.passed).toBe(false);
  });

  it('one hundredth above 3/4 of the area passes', () => {
    const t = countVote('special', solo([2_500n, 2_500n, 2_501n, 2_499n]), cast(['for', 'for', 'for', 'against']));
    expect(t.passed).toBe(true);
  });

  it('an abstention participates: 3 for of 4 participating passes, 3 for of 5 does not', () => {
    expect(countVote('special', solo([100n, 100n, 100n, 100n]), cast(['for', 'for', 'for', 'abstain'])).passed).toBe(true);
    const t = countVote('special', solo([100n, 100n, 100n, 100n, 100n]), cast(['for', 'for', 'for', 'abstain', 'abstain']));
    expect(t.quorumMet).toBe(true);
    expect(t.passed).toBe(false);
  });

  it('just below 3/4 of the owners fails whatever the area (5 of 7)', () => {
    const t = countVote('special', solo([10_000n, 10_000n, 10_000n, 10_000n, 10_000n, 1n, 1n]), cast(['for', 'for', 'for', 'for', 'for', 'against', 'against']));
    expect(t.for.areaCents * 4n >= t.participating.areaCents * 3n).toBe(true);
    expect(t.passed).toBe(false);
  });
});

describe('ordinary matters: for > 1/2 of the participating area and owners', () => {
  it('exactly half of the owners fails: more than half does not include the bound', () => {
    const t = countVote('ordinary', solo([10_000n, 100n, 100n, 100n]), cast(['for', 'for', 'against', 'against']));
    expect(t.for.areaCents * 2n > t.participating.areaCents).toBe(true);
    expect(t.passed).toBe(false);
  });

  it('exactly half of the area fails; one hundredth more passes', () => {
    expect(countVote('ordinary', solo([5_000n, 2_500n, 2_500n]), cast(['for', 'against', 'for'])).for.areaCents).toBe(7_500n);
    // for holds 5000 of 10000 hundredths with 2 of 3 owners.
    const at = countVote('ordinary', solo([2_500n, 2_500n, 5_000n]), cast(['for', 'for', 'against']));
    expect(at.for.areaCents * 2n).toBe(at.participating.areaCents);
    expect(at.passed).toBe(false);
    const above = countVote('ordinary', solo([2_500n, 2_501n, 5_000n]), cast(['for', 'for', 'against']));
    expect(above.passed).toBe(true);
  });
});

describe('who counts: multi-unit owners once, shared units once by the latest ballot', () => {
  it('an owner of two units counts once with both areas', () => {
    const r: RollUnit[] = [
      { id: 'a', areaCents: 8_937n, ownerIds: ['li'] },
      { id: 'b', areaCents: 12_050n, ownerIds: ['li'] },
      { id: 'c', areaCents: 9_000n, ownerIds: ['wang'] },
    ];
    const t = countVote('ordinary', r, [{ n: 1, ownerId: 'li', choice: 'for' }]);
    expect(t.eligible).toEqual({ areaCents: 29_987n, owners: 2n });
    expect(t.for).toEqual({ areaCents: 20_987n, owners: 1n });
  });

  it('a shared unit goes with the latest ballot among its owners; each owner still counts once', () => {
    const r: RollUnit[] = [{ id: 'a', areaCents: 10_000n, ownerIds: ['husband', 'wife'] }];
    const t = countVote('ordinary', r, [
      { n: 1, ownerId: 'wife', choice: 'for' },
      { n: 2, ownerId: 'husband', choice: 'against' },
    ]);
    expect(t.against).toEqual({ areaCents: 10_000n, owners: 1n });
    expect(t.for).toEqual({ areaCents: 0n, owners: 1n });
    expect(t.participating).toEqual({ areaCents: 10_000n, owners: 2n });
  });

  it('a changed ballot replaces the earlier one', () => {
    const t = countVote('special', solo([100n]), [
      { n: 1, ownerId: 'o0', choice: 'against' },
      { n: 2, ownerId: 'o0', choice: 'for' },
    ]);
    expect(t.for.owners).toBe(1n);
    expect(t.against.owners).toBe(0n);
    expect(t.passed).toBe(true);
  });
});
