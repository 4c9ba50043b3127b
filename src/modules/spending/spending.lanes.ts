import type { Database } from '../../db/database.js';
import { createGroupCommit, hashLanes } from '../../db/group-commit.js';
import { AppError, assert, notFound } from '../../shared/errors.js';
import type { Principal } from '../auth/auth.service.js';
import { requireRole, type CommunitiesService, type Member } from '../communities/communities.service.js';
import type { EvidenceService } from '../evidence/evidence.service.js';
import { translatePostError, type FeedDraft, type LedgerService } from '../ledger/ledger.service.js';
import type { VotesService } from '../votes/votes.service.js';
import * as repo from './spending.repository.js';
import type { SpendRequest, SubmitSpendBody } from './spending.schemas.js';
import {
  allowingVote,
  draftRequest,
  fundRefusal,
  remunerationRefusal,
  requestOf,
  submissionFeed,
  submissionFields,
  submittedBody,
  type ChartAccount,
  type SubmittedRequest,
} from './spending.submission.js';

/**
 * Spend submissions in lanes, as incomes (ledger.service.ts) and fee payments
 * (fees.lanes.ts) are: a city of quiet communities, each with one submission at a time, would
 * otherwise pay a transaction per submission. A submission without an Idempotency-Key that
 * names no repair waits in its community's lane. A lane's batch reads, for all of its
 * submissions at once, who each caller is (one membership query), the accounts they name (one
 * query) and their communities' vote policy (one query), concurrently; then checks each
 * submission in the order the single path does, so each refusal is the one that path gives;
 * and writes the rest in one statement (`spending_submit_each`), which is its own transaction.
 *
 * The statement takes only the heads that are free, and refuses on its own, writing nothing of
 * it, a request the fund or the steward's remuneration cannot cover. The requests of a busy
 * community wrote nothing and go to `contended`, which writes them when its head is free, one
 * statement at a time per community, while the lane goes on; their callers are answered then.
 *
 * A request naming a repair stays on the single path: the repair's step is the repairs
 * module's to write, under the repair's lock, in the submission's transaction. Evidence and a
 * vote ride the lane: both are read before anything is locked on the single path too.
 */

/** A submission asked for, waiting for its lane's batch. */
interface Ask {
  communityId: string;
  principal: Principal;
  input: SubmitSpendBody;
}

/** A submission checked and drafted: what the statement writes and what its answer is built from. */
interface Drafted {
  communityId: string;
  member: Member;
  request: SubmittedRequest;
  feed: FeedDraft;
}

type Answer = SpendRequest | AppError;

export interface SubmissionLaneDeps {
  communities: Pick<CommunitiesService, 'membersEach' | 'findCommunities'>;
  ledger: Pick<LedgerService, 'findAccountsEach' | 'touched'>;
  evidence: Pick<EvidenceService, 'resolve'>;
  votes: Pick<VotesService, 'passedVote'>;
}

/** Submissions wait in one of a few lanes, by community (see hashLanes). */
const submissionLane = hashLanes(4);

export function createSubmissionLanes(db: Database, { communities, ledger, evidence, votes }: SubmissionLaneDeps) {
  const lanes = createGroupCommit<Ask, Answer | Promise<Answer>>((_lane, batch) => writeLane(batch), { laneOf: submissionLane });

  async function writeLane(batch: Ask[]): Promise<Array<Answer | Promise<Answer>>> {
    const checked = await checkAll(batch);
    const answers: Array<Answer | Promise<Answer>> = new Array(batch.length);
    const drafted: Array<{ at: number; draft: Drafted }> = [];
    checked.forEach((c, at) => (c instanceof AppError ? (answers[at] = c) : drafted.push({ at, draft: c })));
    if (drafted.length === 0) return answers;
    // One statement is its own transaction: no BEGIN or COMMIT round trip (StatementTx).
    const outcomes = await repo.submitRequests(db, drafted.map((d) => statementItem(d.draft)), true);
    drafted.forEach(({ at, draft }, k) => {
      const outcome = outcomes[k]!;
      answers[at] = outcome.status === 'busy' ? contended.submit(draft.communityId, draft) : answerOf(draft, outcome);
    });
    return answers;
  }

  /** Submissions of a community whose head was busy: they wait for it together, in one statement. */
  const contended = createGroupCommit<Drafted, Answer>(async (_communityId, drafts) => {
    const outcomes = await repo.submitRequests(db, drafts.map(statementItem), false);
    return drafts.map((draft, k) => answerOf(draft, outcomes[k]!));
  });

  /**
   * Each submission checked as the single path checks it, in the same order: the caller
   * (an outsider learns nothing, then only a manager submits), the fields and the account, the
   * evidence, the vote. What every submission needs is read for the whole batch at once, each
   * read keyed by the community its caller named; evidence and votes, which few name, are read
   * for those that name them. A refusal is that submission's answer; any other failure fails
   * the batch, which group commit then retries key by key.
   */
  async function checkAll(batch: readonly Ask[]): Promise<Array<Drafted | AppError>> {
    const [members, accounts, policies] = await Promise.all([
      communities.membersEach(batch),
      ledger.findAccountsEach(db, batch.map((ask) => ({ communityId: ask.communityId, code: ask.input.account }))),
      communities.findCommunities(db, batch.map((ask) => ask.communityId)),
    ]);
    return Promise.all(
      batch.map((ask, i) =>
        check(ask, members[i], accounts[i], policies.get(ask.communityId)?.vote_required_above).catch((error: unknown) => {
          if (error instanceof AppError) return error;
          throw error;
        }),
      ),
    );
  }

  async function check(ask: Ask, member: Member | undefined, account: ChartAccount | undefined, threshold: string | null | undefined): Promise<Drafted> {
    const { communityId, input } = ask;
    if (!member) throw notFound('community');
    requireRole(member, 'manager');
    const fields = submissionFields(input, account);
    const attachments = input.attachments && input.attachments.length > 0 ? await evidence.resolve(db, communityId, input.attachments) : [];
    assert(threshold !== undefined, 'the member’s community exists');
    const vote = await allowingVote(threshold, fields.amount, input.voteId, (voteId) => votes.passedVote(communityId, voteId));
    const request = draftRequest(communityId, member, fields, { attachments, repair: null, vote });
    return { communityId, member, request, feed: submissionFeed(request) };
  }

  /** A written submission is answered with its body, and the live feed hears of it: the statement has committed. */
  function answerOf(draft: Drafted, outcome: repo.SubmissionOutcome): Answer {
    assert(outcome.status !== 'busy', 'a statement that waits for the heads never finds one busy');
    if (outcome.status === 'insufficient_funds') return fundRefusal();
    if (outcome.status === 'remuneration') return remunerationRefusal(outcome.payable, draft.request.amount);
    ledger.touched(draft.communityId);
    return submittedBody(draft.member, draft.request, outcome.submitted);
  }

  return {
    /**
     * Submits a request with those of its lane: a request without an Idempotency-Key that
     * names no repair. Resolves with its body, or throws the refusal the single path would.
     */
    async submit(communityId: string, principal: Principal, input: SubmitSpendBody): Promise<SpendRequest> {
      assert(input.repairId === undefined, 'a request naming a repair is submitted alone');
      const answer = await lanes.submit(communityId, { communityId, principal, input }).catch((error: unknown) => {
        // Only a statement that failed whole lands here (the fund's CHECK would be one).
        throw translatePostError(error);
      });
      if (answer instanceof AppError) throw answer;
      return answer;
    },
  };
}

/** A drafted submission as `spending_submit_each` reads it. */
function statementItem(draft: Drafted): repo.SubmissionItem {
  return {
    communityId: draft.communityId,
    request: requestOf(draft.request),
    attachments: draft.request.attachments.map((a) => a.id),
    steps: draft.request.steps,
    feed: draft.feed,
  };
}
