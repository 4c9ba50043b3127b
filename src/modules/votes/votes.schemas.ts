import { Type, type Static } from 'typebox';
import { Body, Id, Timestamp } from '../../shared/schemas.js';

const Line = (max: number) => Type.String({ minLength: 1, maxLength: max, pattern: '^[^\\x00-\\x1F\\x7F]*\\S[^\\x00-\\x1F\\x7F]*$' });

export const VoteMatter = Type.Enum(['ordinary', 'special'], {
  description:
    '`special`: raising the maintenance fund, rebuilding, changing the use of common parts or using them for business (≥ 3/4 to pass); ' +
    '`ordinary`: anything else, using the maintenance fund and hiring or firing the steward among them (> 1/2 to pass)',
});
export const VoteChoice = Type.Enum(['for', 'against', 'abstain']);

export const CreateVoteBody = Body({
  title: Line(200),
  description: Type.Optional(Type.String({ maxLength: 5000 })),
  matter: VoteMatter,
  opensAt: Type.Optional({ ...Timestamp, description: 'When ballots may first be cast; default now' }),
  closesAt: { ...Timestamp, description: 'When the vote closes by itself; later than opensAt' },
});
export type CreateVoteBody = Static<typeof CreateVoteBody>;

export const BallotBody = Body({ choice: VoteChoice });
export type BallotBody = Static<typeof BallotBody>;

const Share = Type.Object({
  area: Type.String({ description: 'm², two decimals' }),
  owners: Type.Integer({ minimum: 0 }),
});

export const Vote = Type.Object({
  id: Id,
  title: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  matter: VoteMatter,
  status: Type.Enum(['open', 'closed'], { description: '`open` until closesAt, then `closed` with its figures frozen' }),
  opensAt: Timestamp,
  closesAt: Timestamp,
  closedAt: Type.Union([Timestamp, Type.Null()]),
  eligible: { ...Share, description: 'All units’ area, and the owners (members holding at least one unit)' },
  participating: { ...Share, description: 'for + against + abstain' },
  for: Share,
  against: Share,
  abstain: Share,
  quorumMet: Type.Boolean({ description: 'Participating area ≥ 2/3 of all area and participating owners ≥ 2/3 of all owners' }),
  passed: Type.Boolean({ description: 'special: for ≥ 3/4 of the participating area and owners; ordinary: for > 1/2 of each; false without the quorum' }),
  myChoice: Type.Union([VoteChoice, Type.Null()], { description: 'The caller’s own latest ballot, if any' }),
});
export type Vote = Static<typeof Vote>;

export const Ballot = Type.Object({
  owner: Type.Object({ id: Id, displayName: Type.String() }),
  unitIds: Type.Array(Id, { description: 'The units the owner held when casting it' }),
  choice: VoteChoice,
  at: Timestamp,
});
export type Ballot = Static<typeof Ballot>;

export const BallotList = Type.Object({ items: Type.Array(Ballot, { description: 'Every ballot in the order cast, changed ones included' }) });

export const VoteParams = Type.Object({ cid: Id, id: Id });
