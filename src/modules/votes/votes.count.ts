/**
 * Counting an owners' vote exactly (Civil Code art. 278; the judicial interpretation of
 * 建筑物区分所有权, art. 8-9). Pure: no I/O, no floats. Areas are bigint hundredths of a m²,
 * headcounts are bigints, and every threshold is a cross-multiplication of integers, so
 * "at least 2/3" and "more than half" are decided exactly at their bounds.
 */

export type Choice = 'for' | 'against' | 'abstain';
export type Matter = 'ordinary' | 'special';

/** A unit on the roll: its area in hundredths of a m² and everyone who holds it. */
export interface RollUnit {
  id: string;
  areaCents: bigint;
  ownerIds: readonly string[];
}

/** A ballot in the order cast: `n` increases with every ballot of the vote. */
export interface CastBallot {
  n: number;
  ownerId: string;
  choice: Choice;
}

export interface Share {
  areaCents: bigint;
  owners: bigint;
}

export interface Tally {
  eligible: Share;
  participating: Share;
  for: Share;
  against: Share;
  abstain: Share;
  quorumMet: boolean;
  passed: boolean;
}

const none = (): Share => ({ areaCents: 0n, owners: 0n });

/** part ≥ num/den of whole. */
const atLeast = (part: bigint, whole: bigint, num: bigint, den: bigint) => part * den >= whole * num;
/** part > num/den of whole. */
const moreThan = (part: bigint, whole: bigint, num: bigint, den: bigint) => part * den > whole * num;

/**
 * The tally of a vote over the roll of units (every unit of the community, owned or not: its
 * area is part of the whole) and the ballots cast. The owners are those holding at least one
 * unit of the roll; a ballot from anyone else is ignored (the service refuses it earlier).
 *
 * Headcount: each owner counts once, by their latest ballot. Area: each unit counts once, by
 * the latest ballot among its owners. Every ballot participates, `abstain` included. The quorum
 * is ≥ 2/3 of all area and ≥ 2/3 of all owners, and needs at least one participant; `special`
 * passes with `for` ≥ 3/4 of the participating area and owners, `ordinary` with `for` > 1/2 of
 * each; nothing passes without the quorum.
 */
export function countVote(matter: Matter, roll: readonly RollUnit[], ballots: readonly CastBallot[]): Tally {
  const owners = new Set(roll.flatMap((u) => u.ownerIds));
  const latest = new Map<string, CastBallot>();
  for (const b of ballots) {
    if (!owners.has(b.ownerId)) continue;
    const seen = latest.get(b.ownerId);
    if (!seen || b.n > seen.n) latest.set(b.ownerId, b);
  }

  const eligible: Share = { areaCents: 0n, owners: BigInt(owners.size) };
  const by: Record<Choice, Share> = { for: none(), against: none(), abstain: none() };
  for (const b of latest.values()) by[b.choice].owners += 1n;
  for (const unit of roll) {
    if (unit.areaCents <= 0n) throw new Error(`Invariant broken: unit ${unit.id} has a positive area`);
    eligible.areaCents += unit.areaCents;
    let decisive: CastBallot | undefined;
    for (const ownerId of unit.ownerIds) {
      const b = latest.get(ownerId);
      if (b && (!decisive || b.n > decisive.n)) decisive = b;
    }
    if (decisive) by[decisive.choice].areaCents += unit.areaCents;
  }

  const participating: Share = {
    areaCents: by.for.areaCents + by.against.areaCents + by.abstain.areaCents,
    owners: by.for.owners + by.against.owners + by.abstain.owners,
  };
  const quorumMet =
    participating.owners > 0n &&
    atLeast(participating.areaCents, eligible.areaCents, 2n, 3n) &&
    atLeast(participating.owners, eligible.owners, 2n, 3n);
  const carried =
    matter === 'special'
      ? atLeast(by.for.areaCents, participating.areaCents, 3n, 4n) && atLeast(by.for.owners, participating.owners, 3n, 4n)
      : moreThan(by.for.areaCents, participating.areaCents, 1n, 2n) && moreThan(by.for.owners, participating.owners, 1n, 2n);
  return { eligible, participating, for: by.for, against: by.against, abstain: by.abstain, quorumMet, passed: quorumMet && carried };
}

/** "89.37" -> 8937n: a decimal string with at most two decimals, as hundredths. */
export function toCents(area: string): bigint {
  const match = /^([0-9]+)(?:\.([0-9]{1,2}))?$/.exec(area);
  if (!match) throw new Error(`Invariant broken: ${JSON.stringify(area)} is an area with two decimals at most`);
  return BigInt(match[1]!) * 100n + BigInt((match[2] ?? '').padEnd(2, '0'));
}

/** 8937n -> "89.37". */
export function fromCents(cents: bigint): string {
  const whole = cents / 100n;
  const rest = cents % 100n;
  return `${whole}.${rest.toString().padStart(2, '0')}`;
}
