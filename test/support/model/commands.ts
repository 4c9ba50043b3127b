import fc from 'fast-check';

/**
 * The commands the model check draws at random. A command names people by their part in
 * the community and things by a pick (an index taken modulo what exists when it runs), so a
 * shrunk sequence still makes sense after earlier steps are dropped.
 */

/** Everyone who acts: staff, four co-signers (one of them also a manager), an owner, oversight, the platform admin, and a manager of another community. */
export const ACTORS = ['manager', 'steward', 'c1', 'c2', 'c3', 'owner', 'supervisor', 'admin', 'outsider'] as const;
export type ActorName = (typeof ACTORS)[number];
/** An actor, or whoever submitted the request the command is about. */
export type Who = ActorName | 'submitter';

export const CATEGORIES = { parking: '4101', advertising: '4102', leasing: '4103', other: '4199' } as const;
export type Category = keyof typeof CATEGORIES;
export const EXPENSES = ['5101', '5102', '5105', '5199'] as const;
export const REMUNERATION_PAYABLE = '2201';
export const BUDGET_ACCOUNTS = ['4001', '4101', '4102', '4199', '5001', '5101', '5102', '5105', '5199'] as const;
export const METHODS = ['cash', 'bank', 'wechat', 'alipay', 'other'] as const;

/**
 * An amount given outright, or a share of a figure the model knows when the step runs,
 * nudged by a fen: of what may be spent (the available fund; for 2201 what is payable to the
 * steward), or of what a unit owes.
 */
export type AmountSpec = { abs: string } | { of: 'available' | 'due'; percent: number; nudge: -1 | 0 | 1 };

/** Which request a command is about: `fit` picks among those in a state the command suits. */
export interface Target {
  pick: number;
  fit: boolean;
}
export type Signing = 'right' | 'wrong';

export type Op =
  | { kind: 'income'; by: Who; category: Category; amount: string }
  | { kind: 'bad-income'; amount: unknown }
  | { kind: 'spend'; by: Who; account: string; amount: AmountSpec }
  | { kind: 'approve'; by: Who; target: Target; digest: 'right' | 'wrong'; signing: Signing }
  | { kind: 'reject'; by: Who; target: Target; signing: Signing }
  | { kind: 'cancel'; by: Who; target: Target }
  | { kind: 'payout'; by: Who; target: Target }
  | { kind: 'reverse'; by: Who; pick: number; fit: boolean; signing: Signing }
  | { kind: 'set-rate'; by: Who; ratePerM2: string; from: 'default' | 'next' | 'after-next' | 'first' }
  | { kind: 'bill'; by: Who; again: boolean }
  | { kind: 'pay-fee'; by: Who; unit: number; amount: AmountSpec; method: (typeof METHODS)[number] }
  | { kind: 'draft-budget'; by: Who; lines: BudgetLines }
  | { kind: 'approve-budget'; by: Who; digest: 'right' | 'omit' | 'wrong'; signing: Signing };

export type BudgetLines = { valid: Array<{ account: string; amount: string }> } | { same: true } | { invalid: 'duplicate' | 'asset' };

/** The shape of one run's community: its fee rate, time zone, keys needed, units and first billed period. */
export interface WorldSpec {
  managementFeeRate: string;
  timezone: string;
  requiredApprovals: number;
  areas: string[];
  firstPeriod: 'january' | 'last-november';
  /** Income recorded by the manager as the run's first step, so most runs have money to spend. */
  opening: string | null;
}

const weighted = <T>(pairs: Array<[T, number]>): fc.Arbitrary<T> =>
  fc.oneof(...pairs.map(([value, weight]) => ({ weight, arbitrary: fc.constant(value) })));

/** Who turns keys: mostly co-signers, sometimes the submitter and people who hold no key. */
const keyHolder = weighted<Who>([
  ['c1', 5], ['c2', 5], ['c3', 5], ['steward', 5], ['submitter', 3],
  ['manager', 1], ['owner', 1], ['supervisor', 1], ['admin', 1], ['outsider', 1],
]);
/** Who handles money: mostly the two managers. */
const staff = weighted<Who>([
  ['manager', 12], ['steward', 8], ['c1', 1], ['owner', 1], ['supervisor', 1], ['admin', 1], ['outsider', 1],
]);
const canceller = weighted<Who>([['submitter', 6], ['manager', 2], ['steward', 2], ['c2', 1], ['owner', 1], ['outsider', 1]]);
const planner = weighted<Who>([
  ['manager', 3], ['steward', 3], ['admin', 2], ['c1', 1], ['owner', 1], ['supervisor', 1], ['outsider', 1],
]);

const fen = (whole: bigint, cents: number) => (cents === 0 ? `${whole}` : `${whole}.${String(cents).padStart(2, '0')}`);
const positive = ([whole, cents]: [bigint, number]) => whole > 0n || cents > 0;

/** Valid money: mostly everyday amounts, now and then one of 13 digits. */
export const amountArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.bigInt({ min: 0n, max: 9_999n }), fc.integer({ min: 0, max: 99 })).filter(positive).map(([w, c]) => fen(w, c)) },
  { weight: 3, arbitrary: fc.tuple(fc.bigInt({ min: 0n, max: 99_999n }), fc.integer({ min: 0, max: 99 })).filter(positive).map(([w, c]) => fen(w, c)) },
  { weight: 1, arbitrary: fc.tuple(fc.bigInt({ min: 1n, max: 9_999_999_999_999n }), fc.integer({ min: 0, max: 99 })).map(([w, c]) => fen(w, c)) },
);

/** Mostly a share below the whole, now and then exactly all of it or more than there is. */
const percentArb = fc.oneof(
  { weight: 1, arbitrary: fc.constant(100) },
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 99 }) },
  { weight: 1, arbitrary: fc.integer({ min: 101, max: 200 }) },
);
const nudgeArb = weighted<-1 | 0 | 1>([[-1, 1], [0, 3], [1, 1]]);
const shareOf = (of: 'available' | 'due'): fc.Arbitrary<AmountSpec> => fc.record({ of: fc.constant(of), percent: percentArb, nudge: nudgeArb });

const targetArb: fc.Arbitrary<Target> = fc.record({ pick: fc.nat(), fit: weighted([[true, 4], [false, 1]]) });
const signingArb = weighted<Signing>([['right', 12], ['wrong', 1]]);

const badMoney = fc.oneof(
  fc.double(),
  fc.constantFrom('0', '-5', '1.005', '12345678901234', '1e2', ' ', 'NaN', '0.00', '+3', '١٢'),
  fc.string().filter((t) => !/^(0|[1-9][0-9]{0,12})(\.[0-9]{1,2})?$/.test(t)),
);

const rateArb = fc
  .tuple(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 9_999 }), fc.integer({ min: 0, max: 4 }))
  .filter(([w, f]) => w > 0 || f > 0)
  .map(([w, f, places]) => {
    const fraction = String(f).padStart(4, '0').slice(0, places);
    return places === 0 || /^0*$/.test(fraction) ? `${Math.max(w, 1)}` : `${w}.${fraction}`;
  });

const budgetLinesArb: fc.Arbitrary<BudgetLines> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .uniqueArray(fc.constantFrom(...BUDGET_ACCOUNTS), { minLength: 1, maxLength: 5 })
      .chain((accounts) => fc.tuple(...accounts.map((account) => fc.oneof(amountArb, fc.constant('0')).map((amount) => ({ account, amount })))))
      .map((valid) => ({ valid })),
  },
  { weight: 2, arbitrary: fc.constant({ same: true as const }) },
  { weight: 1, arbitrary: fc.constantFrom({ invalid: 'duplicate' as const }, { invalid: 'asset' as const }) },
);

export const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('income' as const), by: staff, category: fc.constantFrom(...(Object.keys(CATEGORIES) as Category[])), amount: amountArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('bad-income' as const), amount: badMoney }) },
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('spend' as const),
      by: staff,
      account: weighted<string>([...EXPENSES.map((e): [string, number] => [e, 1]), [REMUNERATION_PAYABLE, 1]]),
      // A share of what may be asked: the available fund, or for 2201 what is payable to the steward.
      amount: fc.oneof({ weight: 1, arbitrary: amountArb.map((abs) => ({ abs })) }, { weight: 4, arbitrary: shareOf('available') }),
    }),
  },
  { weight: 16, arbitrary: fc.record({ kind: fc.constant('approve' as const), by: keyHolder, target: targetArb, digest: weighted<'right' | 'wrong'>([['right', 12], ['wrong', 1]]), signing: signingArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reject' as const), by: keyHolder, target: targetArb, signing: signingArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cancel' as const), by: canceller, target: targetArb }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('payout' as const), by: staff, target: targetArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reverse' as const), by: keyHolder, pick: fc.nat(), fit: fc.boolean(), signing: signingArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('set-rate' as const), by: planner, ratePerM2: rateArb, from: fc.constantFrom('default' as const, 'next' as const, 'after-next' as const, 'first' as const) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('bill' as const), by: staff, again: weighted([[false, 4], [true, 1]]) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('pay-fee' as const),
      by: staff,
      unit: fc.nat(),
      amount: fc.oneof({ weight: 4, arbitrary: shareOf('due') }, { weight: 1, arbitrary: amountArb.map((abs) => ({ abs })) }),
      method: fc.constantFrom(...METHODS),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('draft-budget' as const), by: planner, lines: budgetLinesArb }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('approve-budget' as const), by: keyHolder, digest: weighted<'right' | 'omit' | 'wrong'>([['right', 6], ['omit', 3], ['wrong', 1]]), signing: signingArb }) },
);

const opOfKind = <K extends Op['kind']>(kind: K) => opArb.filter((op): op is Extract<Op, { kind: K }> => op.kind === kind);

/**
 * Stories: a request's life (a submission, keys by random people, then perhaps a payout, a
 * rejection or a cancellation), a fee cycle (a rate, a run, payments, the next run absorbing
 * advances) and a budget's approval, each drawn as one piece so that runs reach the later
 * steps often. Every piece is still an ordinary command with random actors, targets, amounts.
 */
const spendStory: fc.Arbitrary<Op[]> = fc
  .tuple(
    opOfKind('spend'),
    fc.array(opOfKind('approve'), { minLength: 1, maxLength: 4 }),
    fc.oneof(
      { weight: 2, arbitrary: fc.constant(null) },
      { weight: 4, arbitrary: opOfKind('payout') },
      { weight: 1, arbitrary: opOfKind('reject') },
      { weight: 1, arbitrary: opOfKind('cancel') },
    ),
  )
  .map(([spend, keys, end]) => [spend, ...keys, ...(end ? [end] : [])]);
const feeStory: fc.Arbitrary<Op[]> = fc
  .tuple(fc.option(opOfKind('set-rate'), { freq: 3 }), opOfKind('bill'), fc.array(opOfKind('pay-fee'), { minLength: 1, maxLength: 3 }), opOfKind('bill'))
  .map(([rate, bill, payments, next]) => [...(rate ? [rate] : []), bill, ...payments, next]);
const budgetStory: fc.Arbitrary<Op[]> = fc
  .tuple(opOfKind('draft-budget'), fc.array(opOfKind('approve-budget'), { minLength: 1, maxLength: 4 }))
  .map(([draft, keys]) => [draft, ...keys]);

/** A run's commands: single commands and request stories, at most `maxSteps` in all. */
export const scriptArb = (minSteps: number, maxSteps: number): fc.Arbitrary<Op[]> =>
  fc
    .array(
      fc.oneof(
        { weight: 6, arbitrary: opArb.map((op) => [op]) },
        { weight: 2, arbitrary: spendStory },
        { weight: 1, arbitrary: feeStory },
        { weight: 1, arbitrary: budgetStory },
      ),
      // Pieces average about two commands: this spreads runs over minSteps..maxSteps.
      { minLength: Math.ceil(minSteps / 2), maxLength: Math.ceil(maxSteps / 2), size: 'max' },
    )
    .map((pieces) => pieces.flat().slice(0, maxSteps))
    .filter((ops) => ops.length >= minSteps);

export const worldArb: fc.Arbitrary<WorldSpec> = fc.record({
  managementFeeRate: fc.constantFrom('0.10', '0.08', '0.125', '0.0333', '0.15', '0.0777', '0'),
  timezone: fc.constantFrom('Asia/Shanghai', 'America/Los_Angeles', 'Pacific/Auckland', 'UTC'),
  requiredApprovals: weighted([[2, 3], [3, 1]]),
  areas: fc.array(
    fc.tuple(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 0, max: 99 })).map(([w, c]) => fen(BigInt(w), c)),
    { minLength: 1, maxLength: 3 },
  ),
  firstPeriod: fc.constantFrom('january' as const, 'last-november' as const),
  opening: fc.option(amountArb, { freq: 5 }),
});
