/**
 * The one module that speaks to the API. Every type comes from the server's own TypeBox
 * schemas (`Static<>`), so a change there breaks the build here instead of the page.
 * The browser's session cookie authenticates; unsafe methods add the CSRF token that
 * `GET /v1/me` hands to a cookie session.
 */
import type { Static } from 'typebox';
import type { Budget, BudgetReport, PutBudgetBody } from '../modules/budgets/budgets.schemas.js';
import type { Community, CreateMemberBody, CreateUnitBody, Me, MemberResponse, Unit } from '../modules/communities/communities.schemas.js';
import type { FeedItem, FeedQuery } from '../modules/feed/feed.schemas.js';
import type {
  ArrearsPage,
  BillingRun,
  BillingRunBody,
  FeePayment,
  FeePaymentBody,
  FeeSchedule,
  FeeScheduleBody,
  FeeSummary,
  Statement,
} from '../modules/fees/fees.schemas.js';
import type { Account, EntriesQuery, Entry, Fund, Income, RecordIncomeBody, Verification } from '../modules/ledger/ledger.schemas.js';
import type { AnswerBody, Challenge, ChallengeListQuery, OpenChallengeBody } from '../modules/challenges/challenges.schemas.js';
import type {
  AcceptanceBody,
  ApprovalBody,
  CancellationBody,
  PayoutBody,
  RejectionBody,
  SpendRequest,
  SpendRequestSummary,
  SpendStatus,
  SubmitSpendBody,
} from '../modules/spending/spending.schemas.js';
import type { Attachment, AttachmentRef, AttachmentType } from '../modules/evidence/evidence.schemas.js';
import type { Repair, RepairEventBody, RepairStatus, ReportRepairBody } from '../modules/repairs/repairs.schemas.js';
import type { Ballot, BallotBody, BallotList, CreateVoteBody, Vote } from '../modules/votes/votes.schemas.js';
import type { PaymentOrder, PaymentOrderBody } from '../modules/payments/payments.schemas.js';
import type { CreateSurveyBody, ResponseBody, Survey } from '../modules/surveys/surveys.schemas.js';
import type { Reconciliation, StatementUpload } from '../modules/reconciliation/reconciliation.schemas.js';
import type { ConsistencyProof } from '../modules/transparency/transparency.schemas.js';
import type { Page, Problem } from '../shared/schemas.js';

export type { Account, Budget, BudgetReport, Community, Entry, FeedItem, FeeSchedule, FeeSummary, Fund, Me, MemberResponse, SpendRequest, SpendRequestSummary, SpendStatus, Statement, Unit };
export type { Attachment, AttachmentRef, AttachmentType, Challenge, OpenChallengeBody, Repair, RepairEventBody, RepairStatus };
export type { Ballot, BallotBody, CreateSurveyBody, CreateVoteBody, PaymentOrder, ResponseBody, Survey, Vote };
export type BallotListBody = Static<typeof BallotList>;
export type { Reconciliation, StatementUpload };
export type SurveyPage = PageOf<typeof Survey>;
export type VotePage = PageOf<typeof Vote>;
export type ChallengeFilter = NonNullable<ChallengeListQuery['status']>;
export type Membership = Me['communities'][number];
export type ProblemBody = Static<typeof Problem>;
type PageOf<T extends Parameters<typeof Page>[0]> = Static<ReturnType<typeof Page<T>>>;
export type EntryPage = PageOf<typeof Entry>;
export type FeedPage = PageOf<typeof FeedItem>;
export type SpendPage = PageOf<typeof SpendRequestSummary>;
export type UnitPage = PageOf<typeof Unit>;
export type MemberPage = PageOf<typeof MemberResponse>;
export type Arrears = Static<typeof ArrearsPage>;
export type RepairPage = PageOf<typeof Repair>;
export type ChallengePage = PageOf<typeof Challenge>;

/** A refusal from the API, carrying its problem body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: ProblemBody | undefined,
  ) {
    super(problem?.detail ?? `HTTP ${status}`);
  }
  get code(): string {
    return this.problem?.code ?? 'unknown';
  }
}

let csrfToken: string | undefined;
const signedOutListeners = new Set<() => void>();

/** Called when the API says the session has ended (401), wherever that happens. */
export function onSignedOut(listener: () => void): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

/** A fresh Idempotency-Key: one per form submission, reused if the same submission is retried. */
export function newIdempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function call<T>(method: string, path: string, body?: unknown, idempotencyKey?: string): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    // Same-origin requests then carry our Origin (under no-referrer a POST would send "Origin: null").
    referrerPolicy: 'same-origin',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const parsed: unknown = text ? JSON.parse(text) : undefined;
  if (!response.ok) {
    if (response.status === 401) for (const listener of signedOutListeners) listener();
    throw new ApiError(response.status, parsed as ProblemBody | undefined);
  }
  return parsed as T;
}

/** A plain-text resource (the transparency key, a signed checkpoint): its exact bytes matter, so no JSON. */
async function callText(path: string): Promise<string> {
  const response = await fetch(path, { headers: { accept: 'text/plain' }, credentials: 'same-origin', referrerPolicy: 'same-origin' });
  const text = await response.text();
  if (!response.ok) {
    if (response.status === 401) for (const listener of signedOutListeners) listener();
    let problem: ProblemBody | undefined;
    try {
      problem = JSON.parse(text) as ProblemBody;
    } catch {
      problem = undefined;
    }
    throw new ApiError(response.status, problem);
  }
  return text;
}

/** A bank statement's CSV as the raw body (text/csv), with the session's CSRF token as `call` sends it. */
async function postCsv<T>(path: string, file: Blob): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', 'content-type': 'text/csv' };
  if (csrfToken) headers['x-csrf-token'] = csrfToken;
  const response = await fetch(path, { method: 'POST', headers, body: file, credentials: 'same-origin', referrerPolicy: 'same-origin' });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    if (response.status === 401) for (const listener of signedOutListeners) listener();
    throw new ApiError(response.status, parsed as ProblemBody | undefined);
  }
  return parsed as T;
}

/**
 * Uploads one file as the raw body of POST …/attachments, reporting progress (fetch cannot
 * report an upload's progress; XMLHttpRequest can). Same session cookie and CSRF token as `call`.
 */
function upload(path: string, file: Blob, contentType: AttachmentType, onProgress: (fraction: number) => void): Promise<Attachment> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', path);
    request.setRequestHeader('content-type', contentType);
    request.setRequestHeader('accept', 'application/json');
    if (csrfToken) request.setRequestHeader('x-csrf-token', csrfToken);
    request.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    };
    request.onerror = () => reject(new TypeError('network error'));
    request.onload = () => {
      let parsed: unknown;
      try {
        parsed = request.responseText ? JSON.parse(request.responseText) : undefined;
      } catch {
        parsed = undefined;
      }
      if (request.status === 201) return resolve(parsed as Attachment);
      if (request.status === 401) for (const listener of signedOutListeners) listener();
      reject(new ApiError(request.status, parsed as ProblemBody | undefined));
    };
    request.send(file);
  });
}

const c = (cid: string) => `/v1/communities/${encodeURIComponent(cid)}`;
const query = (params: Record<string, string | number | undefined>) => {
  const entries = Object.entries(params).filter((e): e is [string, string | number] => e[1] !== undefined);
  return entries.length ? `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)]))}` : '';
};

/** Every page of a list, for lists a community keeps short (units, members, accounts' entries of a month…). */
export async function allPages<T>(fetchPage: (after: string | undefined) => Promise<{ items: T[]; nextAfter: string | null }>, max = 50): Promise<T[]> {
  const items: T[] = [];
  let after: string | undefined;
  for (let i = 0; i < max; i++) {
    const page = await fetchPage(after);
    items.push(...page.items);
    if (!page.nextAfter) break;
    after = page.nextAfter;
  }
  return items;
}

export const api = {
  async me(): Promise<Me> {
    const me = await call<Me>('GET', '/v1/me');
    csrfToken = me.csrfToken;
    return me;
  },

  /** The app's own sign-in route: sets the session cookie. */
  async signIn(username: string, password: string): Promise<void> {
    await call<void>('POST', '/sign-in', { username, password });
  },

  async signOut(): Promise<void> {
    await call<void>('POST', '/sign-out');
    csrfToken = undefined;
  },

  community: (cid: string) => call<Community>('GET', c(cid)),
  fund: (cid: string) => call<Fund>('GET', `${c(cid)}/fund`),
  verify: (cid: string) => call<Verification>('GET', `${c(cid)}/ledger/verify`),
  /** The one verifier key that signs every community's checkpoints (C2SP signed-note vkey). */
  transparencyKey: () => callText('/v1/transparency/key'),
  /** The community's latest signed checkpoint, as the signed note's text. */
  checkpoint: (cid: string) => callText(`${c(cid)}/ledger/checkpoint`),
  /** The RFC 9162 proof that the tree of size `to` extends the tree of size `from`. */
  consistencyProof: (cid: string, from: number, to: number) =>
    call<ConsistencyProof>('GET', `${c(cid)}/ledger/proof/consistency${query({ from, to })}`),
  accounts: async (cid: string) => (await call<{ items: Account[] }>('GET', `${c(cid)}/accounts`)).items,
  /** A page of entries: newest first with `order: 'desc'`, only those between two local days with `from`/`to`. */
  entries: (cid: string, params: EntriesQuery = {}) => call<EntryPage>('GET', `${c(cid)}/entries${query(params)}`),
  /** Every entry that occurred between two local days (a month: a few pages at most), oldest first. */
  entriesBetween: (cid: string, from: string, to: string) => allPages((after) => api.entries(cid, { after, from, to, limit: 500 }), 400),
  /** Every entry that occurred on or after a local day, oldest first. */
  entriesSince: (cid: string, from: string) => allPages((after) => api.entries(cid, { after, from, limit: 500 }), 400),
  /** A page of the feed; the latest items first with `order: 'desc'`. */
  feed: (cid: string, params: FeedQuery = {}) => call<FeedPage>('GET', `${c(cid)}/feed${query(params)}`),
  feedStreamUrl: (cid: string, afterSeq: number) => `${c(cid)}/feed/stream${query({ after: afterSeq })}`,

  budget: (cid: string, year: number) => call<Budget>('GET', `${c(cid)}/budgets/${year}`),
  budgetReport: (cid: string, year: number) => call<BudgetReport>('GET', `${c(cid)}/budgets/${year}/report`),
  putBudget: (cid: string, year: number, body: PutBudgetBody) => call<Budget>('PUT', `${c(cid)}/budgets/${year}`, body),
  approveBudget: (cid: string, year: number, signingPassword: string, digest: string) =>
    call<Budget>('POST', `${c(cid)}/budgets/${year}/approvals`, { signingPassword, digest }),

  feeSummary: (cid: string, period: string) => call<FeeSummary>('GET', `${c(cid)}/fee-summary${query({ period })}`),
  feeSchedule: (cid: string) => call<FeeSchedule>('GET', `${c(cid)}/fee-schedule`),
  setFeeSchedule: (cid: string, body: FeeScheduleBody) => call<FeeSchedule>('PUT', `${c(cid)}/fee-schedule`, body),
  statement: (cid: string, unitId: string) => call<Statement>('GET', `${c(cid)}/units/${encodeURIComponent(unitId)}/statement`),
  arrears: (cid: string) => call<Arrears>('GET', `${c(cid)}/arrears${query({ limit: 500 })}`),
  billingRun: (cid: string, body: BillingRunBody, key: string) => call<BillingRun>('POST', `${c(cid)}/billing-runs`, body, key),
  feePayment: (cid: string, body: FeePaymentBody, key: string) => call<FeePayment>('POST', `${c(cid)}/fee-payments`, body, key),

  units: (cid: string) => allPages((after) => call<UnitPage>('GET', `${c(cid)}/units${query({ after, limit: 500 })}`)),
  members: (cid: string) => allPages((after) => call<MemberPage>('GET', `${c(cid)}/members${query({ after, limit: 500 })}`)),
  addUnit: (cid: string, body: CreateUnitBody) => call<Unit>('POST', `${c(cid)}/units`, body),
  addMember: (cid: string, body: CreateMemberBody) => call<MemberResponse>('POST', `${c(cid)}/members`, body),

  recordIncome: (cid: string, body: RecordIncomeBody, key: string) => call<Income>('POST', `${c(cid)}/income`, body, key),

  spendRequests: (cid: string, status?: SpendStatus, after?: string) =>
    call<SpendPage>('GET', `${c(cid)}/spend-requests${query({ status, after, limit: 100 })}`),
  spendRequest: (cid: string, id: string) => call<SpendRequest>('GET', `${c(cid)}/spend-requests/${encodeURIComponent(id)}`),
  track: (trackingNo: string) => call<SpendRequest>('GET', `/v1/track/${encodeURIComponent(trackingNo)}`),
  /** A repair by its BX-… number: the same route answers repairs. */
  trackRepair: (trackingNo: string) => call<Repair>('GET', `/v1/track/${encodeURIComponent(trackingNo)}`),
  submitSpend: (cid: string, body: SubmitSpendBody, key: string) => call<SpendRequest>('POST', `${c(cid)}/spend-requests`, body, key),
  approve: (cid: string, id: string, body: ApprovalBody) => call<SpendRequest>('POST', `${c(cid)}/spend-requests/${encodeURIComponent(id)}/approvals`, body),
  reject: (cid: string, id: string, body: RejectionBody) => call<SpendRequest>('POST', `${c(cid)}/spend-requests/${encodeURIComponent(id)}/rejections`, body),
  cancel: (cid: string, id: string, body: CancellationBody) =>
    call<SpendRequest>('POST', `${c(cid)}/spend-requests/${encodeURIComponent(id)}/cancellation`, body),
  payout: (cid: string, id: string, body: PayoutBody, key: string) =>
    call<SpendRequest>('POST', `${c(cid)}/spend-requests/${encodeURIComponent(id)}/payout`, body, key),

  /** Where the browser reads an attachment's bytes: same origin, the session cookie authenticates. */
  attachmentUrl: (cid: string, id: string) => `${c(cid)}/attachments/${encodeURIComponent(id)}`,
  upload: (cid: string, file: Blob, contentType: AttachmentType, onProgress: (fraction: number) => void) =>
    upload(`${c(cid)}/attachments`, file, contentType, onProgress),

  repairs: (cid: string, status?: RepairStatus, after?: string) => call<RepairPage>('GET', `${c(cid)}/repairs${query({ status, after, limit: 100 })}`),
  repair: (cid: string, id: string) => call<Repair>('GET', `${c(cid)}/repairs/${encodeURIComponent(id)}`),
  accept: (cid: string, id: string, body: AcceptanceBody) => call<SpendRequest>('POST', `${c(cid)}/spend-requests/${encodeURIComponent(id)}/acceptance`, body),

  challenges: (cid: string, status?: ChallengeFilter, after?: string) =>
    call<ChallengePage>('GET', `${c(cid)}/challenges${query({ status, after, limit: 100 })}`),
  challenge: (cid: string, id: string) => call<Challenge>('GET', `${c(cid)}/challenges/${encodeURIComponent(id)}`),
  ask: (cid: string, body: OpenChallengeBody) => call<Challenge>('POST', `${c(cid)}/challenges`, body),
  reconciliation: (cid: string) => call<Reconciliation>('GET', `${c(cid)}/reconciliation`),
  uploadStatement: (cid: string, file: Blob) => postCsv<StatementUpload>(`${c(cid)}/bank-statements`, file),
  openPaymentOrder: (cid: string, body: PaymentOrderBody) => call<PaymentOrder>('POST', `${c(cid)}/payment-orders`, body),
  paymentOrder: (cid: string, id: string) => call<PaymentOrder>('GET', `${c(cid)}/payment-orders/${encodeURIComponent(id)}`),
  surveys: (cid: string, after?: string) => call<SurveyPage>('GET', `${c(cid)}/surveys${query({ after, limit: 100 })}`),
  survey: (cid: string, id: string) => call<Survey>('GET', `${c(cid)}/surveys/${encodeURIComponent(id)}`),
  respond: (cid: string, id: string, body: ResponseBody) => call<Survey>('POST', `${c(cid)}/surveys/${encodeURIComponent(id)}/responses`, body),
  startSurvey: (cid: string, body: CreateSurveyBody) => call<Survey>('POST', `${c(cid)}/surveys`, body),
  votes: (cid: string, after?: string) => call<VotePage>('GET', `${c(cid)}/votes${query({ after, limit: 100 })}`),
  vote: (cid: string, id: string) => call<Vote>('GET', `${c(cid)}/votes/${encodeURIComponent(id)}`),
  openVote: (cid: string, body: CreateVoteBody) => call<Vote>('POST', `${c(cid)}/votes`, body),
  castBallot: (cid: string, id: string, body: BallotBody) => call<unknown>('POST', `${c(cid)}/votes/${encodeURIComponent(id)}/ballots`, body),
  /** Who voted how, every ballot in the order cast: the community admin and supervisors only (others 403). */
  ballots: (cid: string, id: string) => call<BallotListBody>('GET', `${c(cid)}/votes/${encodeURIComponent(id)}/ballots`),
  answer: (cid: string, id: string, body: AnswerBody) => call<Challenge>('POST', `${c(cid)}/challenges/${encodeURIComponent(id)}/answer`, body),

  reportRepair: (cid: string, body: ReportRepairBody) => call<Repair>('POST', `${c(cid)}/repairs`, body),
  repairEvent: (cid: string, id: string, body: RepairEventBody) => call<Repair>('POST', `${c(cid)}/repairs/${encodeURIComponent(id)}/events`, body),
};
