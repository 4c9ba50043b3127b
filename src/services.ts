import type { Config } from './config.js';
import { createChangeSignal, type ChangeSignal } from './db/change-signal.js';
import type { Database } from './db/database.js';
import { createAuthService } from './modules/auth/auth.service.js';
import type { Tokens } from './modules/auth/auth.tokens.js';
import { createCommunityDirectory } from './modules/communities/communities.members.js';
import { createCommunitiesService } from './modules/communities/communities.service.js';
import { createFeesService } from './modules/fees/fees.service.js';
import { createLedgerService } from './modules/ledger/ledger.service.js';
import { createBudgetsService } from './modules/budgets/budgets.service.js';
import { createEvidenceService } from './modules/evidence/evidence.service.js';
import { createRepairsService } from './modules/repairs/repairs.service.js';
import { createChallengesService } from './modules/challenges/challenges.service.js';
import { createFeedService } from './modules/feed/feed.service.js';
import { createSessionsService } from './modules/sessions/sessions.service.js';
import { createPaymentsService } from './modules/payments/payments.service.js';
import { createReconciliationService } from './modules/reconciliation/reconciliation.service.js';
import { createSpendingService } from './modules/spending/spending.service.js';
import { createVotesService } from './modules/votes/votes.service.js';
import { createSurveysService } from './modules/surveys/surveys.service.js';
import { createTransparencyService } from './modules/transparency/transparency.service.js';

/** The composition root: every service built once, each handed only what it needs. */
/** What services report through: the app's logger. */
export interface ServiceLog {
  warn(message: string, error?: unknown): void;
  error(message: string): void;
}

export function createServices(db: Database, config: Config, tokens: Tokens, log: ServiceLog) {
  const changes = createChangeSignal(db);
  // A commit the feed hears of also wakes this process's transparency appender (after the
  // commit, like the feed: the posting transaction itself does no work for the log).
  const signal: ChangeSignal = {
    touched: (communityId) => {
      changes.touched(communityId);
      transparency.wake(communityId);
    },
    close: () => changes.close(),
  };
  const auth = createAuthService(db, tokens, config);
  const directory = createCommunityDirectory(db, auth);
  const ledger = createLedgerService(db, signal, directory);
  const communities = createCommunitiesService(db, { ledger, auth, directory });
  const sessions = createSessionsService(db, auth);
  const evidence = createEvidenceService(db, communities);
  // A repair lists the requests that pay for it, and a request names its repair: repairs is
  // built first and reads spending's list through a late-bound call, made only per request.
  const repairs = createRepairsService(db, {
    communities,
    evidence,
    ledger,
    spendRequestsFor: (executor, communityId, repairId) => spending.requestsForRepair(executor, communityId, repairId),
  });
  const votes = createVotesService(db, { communities, ledger });
  const surveys = createSurveysService(db, { communities });
  const spending = createSpendingService(db, ledger, communities, { evidence, repairs, votes });
  const fees = createFeesService(db, ledger, communities);
  const payments = createPaymentsService(db, config, { communities, fees });
  const reconciliation = createReconciliationService(db, { communities, ledger, fees, spending });
  const feed = createFeedService(db, { tokens, ledger, auth, communities });
  const budgets = createBudgetsService(db, ledger, communities);
  const challenges = createChallengesService(db, { communities, evidence, ledger, spending, budgets });
  const transparency = createTransparencyService(db, { ledger, communities, host: config.TRANSPARENCY_ORIGIN, log });
  return { auth, sessions, communities, ledger, feed, budgets, fees, spending, evidence, repairs, challenges, payments, reconciliation, votes, surveys, transparency, tokens, signal };
}

export type Services = ReturnType<typeof createServices>;
