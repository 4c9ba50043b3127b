import type { ActorName, Signing, Who, WorldSpec } from './commands.js';
import { toFen, Yuan, ZERO } from './money.js';

/**
 * What the reference model holds, and the plain rules every part of it shares: the chart,
 * the journal as balances and monthly movements, who may do what, and the refusals.
 */

export type AccountType = 'asset' | 'liability' | 'equity' | 'income' | 'expense';

/** The default chart of the contract, in code order. */
export const CHART: ReadonlyArray<readonly [string, AccountType]> = [
  ['1001', 'asset'], ['1101', 'asset'], ['2101', 'liability'], ['2201', 'liability'], ['3001', 'equity'],
  ['4001', 'income'], ['4101', 'income'], ['4102', 'income'], ['4103', 'income'], ['4199', 'income'],
  ['5001', 'expense'], ['5101', 'expense'], ['5102', 'expense'], ['5103', 'expense'], ['5104', 'expense'],
  ['5105', 'expense'], ['5106', 'expense'], ['5107', 'expense'], ['5199', 'expense'],
];
export const TYPE_OF = new Map(CHART);

/** A balance in the account's normal direction, from debits minus credits. */
export const normal = (code: string, debitsMinusCredits: Yuan): Yuan => {
  const type = TYPE_OF.get(code);
  return type === 'asset' || type === 'expense' ? debitsMinusCredits : debitsMinusCredits.neg();
};

export interface Person {
  id: string;
  roles: readonly string[];
  /** The platform admin: reads and administers every community without being a member. */
  platformAdmin: boolean;
  member: boolean;
}

export interface Refusal {
  status: number;
  code: string;
}
export const REFUSE = {
  validation: { status: 400, code: 'validation_failed' },
  forbidden: { status: 403, code: 'forbidden' },
  selfApproval: { status: 403, code: 'self_approval' },
  badSigning: { status: 403, code: 'bad_signing_password' },
  notFound: { status: 404, code: 'not_found' },
  alreadyDecided: { status: 409, code: 'already_decided' },
  digestMismatch: { status: 409, code: 'digest_mismatch' },
  invalidState: { status: 409, code: 'invalid_state' },
  insufficientFunds: { status: 409, code: 'insufficient_funds' },
} as const satisfies Record<string, Refusal>;

/** One HTTP call, relative to the community; the driver adds the actor's signing password when asked. */
export interface Call {
  by: ActorName;
  method: 'POST' | 'PUT';
  path: string;
  body: Record<string, unknown>;
  signing?: Signing;
}

/**
 * What the model predicts for one command: the answer's status and code (and some of its
 * body), and what changes when the API accepts it. A refusal has no `commit`: it changes
 * nothing, which the check verifies down to the ledger head.
 */
export interface Plan {
  describe: string;
  call: Call;
  expect: { status: number; code?: string; body?: Record<string, unknown> };
  commit?: (body: any) => void;
  /** The spend request the command touched (known once committed), whose whole body is then compared. */
  request?: () => string;
}

export const refuse = (describe: string, call: Call, refusal: Refusal): Plan => ({ describe, call, expect: { ...refusal } });

/** Who may act: outsiders are told nothing exists; members lacking every role are forbidden. */
export function gate(person: Person, roles: readonly string[], platformAdminMay = false): Refusal | undefined {
  if (!person.member && !person.platformAdmin) return REFUSE.notFound;
  if (platformAdminMay && person.platformAdmin) return undefined;
  return roles.some((role) => person.roles.includes(role)) ? undefined : REFUSE.forbidden;
}

/** An entry the model can name by id (remuneration entries are posted unseen by the caller). */
export interface KnownEntry {
  id: string;
  kind: 'income' | 'payout' | 'fee_bill' | 'fee_payment' | 'reversal';
  lines: Array<[string, Yuan]>;
  reversed: boolean;
}

/**
 * The journal as the model keeps it: balances as debits minus credits, movements per
 * account and local month (for the budget report), and the count of entries.
 */
export class Journal {
  readonly balances = new Map<string, Yuan>();
  readonly monthly = new Map<string, Yuan>();
  readonly known: KnownEntry[] = [];
  entries = 0;
  reserved = ZERO;

  /** Posts one balanced entry dated in `month` (YYYY-MM, the community's time zone). Zero lines are left out, as the service does. */
  post(lines: Array<[string, Yuan]>, month: string, known?: Omit<KnownEntry, 'lines' | 'reversed'>): void {
    const posted = lines.filter(([, amount]) => !amount.isZero());
    const sum = posted.reduce((s, [, amount]) => s.plus(amount), ZERO);
    if (!sum.isZero() || posted.length === 0) throw new Error(`model bug: an unbalanced or empty entry ${JSON.stringify(lines)}`);
    for (const [code, amount] of posted) {
      this.balances.set(code, this.balance(code).plus(amount));
      const key = `${code} ${month}`;
      this.monthly.set(key, (this.monthly.get(key) ?? ZERO).plus(amount));
    }
    this.entries += 1;
    if (known) this.known.push({ ...known, lines: posted, reversed: false });
  }

  balance(code: string): Yuan {
    return this.balances.get(code) ?? ZERO;
  }

  /** What is owed on `code` as a liability: its credit balance. */
  owed(code: string): Yuan {
    return this.balance(code).neg();
  }

  available(): Yuan {
    return this.balance('1001').minus(this.reserved);
  }
}

export type SpendStatus = 'pending' | 'approved' | 'rejected' | 'cancelled' | 'paid';
export interface Step {
  event: 'submitted' | 'key' | 'approved' | 'rejected' | 'cancelled' | 'paid';
  actor: ActorName;
  note?: string;
}
export interface SpendState {
  id: string;
  digest: string;
  amount: Yuan;
  account: string;
  submitter: ActorName;
  status: SpendStatus;
  decided: Set<ActorName>;
  approvals: ActorName[];
  timeline: Step[];
}

export interface UnitState {
  id: string;
  area: Yuan;
  bills: Array<{ period: string; amount: Yuan; paid: Yuan }>;
  advance: Yuan;
}

export interface BudgetVersion {
  version: number;
  status: 'draft' | 'approved';
  digest: string;
  lines: Array<{ account: string; amount: string }>;
  drafter: ActorName;
  approvals: ActorName[];
}

export interface State {
  spec: WorldSpec;
  people: Record<ActorName, Person>;
  /** The budget year: the current year in the community's time zone when the run began. */
  year: number;
  firstPeriod: string;
  journal: Journal;
  requests: SpendState[];
  units: UnitState[];
  rates: Array<{ effectiveFrom: string; ratePerM2: Yuan; order: number }>;
  billed: string[];
  budget: BudgetVersion[];
  /** Wrong signing passwords sent per person, kept well below the throttle's ten a minute. */
  wrongKeys: Map<ActorName, number>;
}

/** The actor a command names; `submitter` is whoever submitted its request (or `fallback` where none applies). */
export function who(by: Who, fallback: ActorName, submitter?: ActorName): ActorName {
  return by === 'submitter' ? (submitter ?? fallback) : by;
}

/** A wrong signing password only while the person has sent few; the throttle is not under test here. */
export function signingFor(state: State, actor: ActorName, wanted: Signing): Signing {
  return wanted === 'wrong' && (state.wrongKeys.get(actor) ?? 0) < 3 ? 'wrong' : 'right';
}

export function countWrongKey(state: State, actor: ActorName): void {
  state.wrongKeys.set(actor, (state.wrongKeys.get(actor) ?? 0) + 1);
}

/** The month an instant falls in, in `timeZone`: YYYY-MM. */
export function localMonth(at: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit' }).formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)!.value;
  return `${part('year')}-${part('month')}`;
}

export const nowMonth = (state: State): string => localMonth(new Date(), state.spec.timezone);

export function addMonths(period: string, months: number): string {
  const [year, month] = period.split('-').map(Number) as [number, number];
  const index = year * 12 + (month - 1) + months;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** The steward's share of a settling amount: rate × amount, half-up to the fen. */
export const remunerationOn = (state: State, amount: Yuan): Yuan => toFen(amount.times(state.spec.managementFeeRate));

/** The contract's money: at most 13 integer digits. */
export const fitsMoney = (amount: Yuan): boolean => amount.lt('1e13');
