import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { hasRole, useSession } from './context.js';
import { Home } from './screens/home.js';
import { Entries } from './screens/entries.js';
import { Budget } from './screens/budget.js';
import { Fees } from './screens/fees.js';
import { SpendRequests } from './screens/spend-requests.js';
import { TrackRequest } from './screens/track-request.js';
import { PendingApprovals } from './screens/pending-approvals.js';
import { MyUnits } from './screens/my-units.js';
import { RecordIncome } from './screens/record-income.js';
import { SubmitRequest } from './screens/submit-request.js';
import { Billing } from './screens/billing.js';
import { MembersUnits } from './screens/members-units.js';
import { DraftBudget } from './screens/draft-budget.js';
import { SetFeeRate } from './screens/set-fee-rate.js';
import { Repairs } from './screens/repairs.js';
import { ReportRepair } from './screens/report-repair.js';
import { TrackRepair } from './screens/track-repair.js';
import { AskQuestion } from './screens/ask-question.js';
import { Challenges } from './screens/challenges.js';
import { ReadChallenge } from './screens/read-challenge.js';
import { Votes } from './screens/votes.js';
import { CastBallot } from './screens/cast-ballot.js';
import { OpenVote } from './screens/open-vote.js';
import { Surveys } from './screens/surveys.js';
import { RateService } from './screens/rate-service.js';
import { StartSurvey } from './screens/start-survey.js';
import { VoteBallots } from './screens/vote-ballots.js';
import { ReconcileBank } from './screens/reconcile-bank.js';

interface Tab {
  href: string;
  label: string;
  show?: (roles: ReturnType<typeof useSession>['here']) => boolean;
}

const TABS: Tab[] = [
  { href: '/', label: '首页' },
  { href: '/entries', label: '收支明细' },
  { href: '/budget', label: '年度预算' },
  { href: '/fees', label: '物业费' },
  { href: '/spend-requests', label: '支出' },
  // Only for members who hold a unit: the role alone gives nothing to show.
  { href: '/my-units', label: '我的房屋', show: (here) => here.unitIds.length > 0 },
  { href: '/approvals', label: '待我审批', show: (here) => hasRole(here, 'cosigner') },
];

/** The screen for a path; the printable notice is loaded only when asked for (it brings the QR code). */
function screenFor(path: string): { screen: preact.JSX.Element; tab: string; bare?: boolean } {
  const track = /^\/track\/([^/]+)$/.exec(path);
  if (track) {
    const trackingNo = decodeURIComponent(track[1]!);
    // A repair (BX-…) and a spend request (XY-…) share the one tracking route, and the 支出 tab.
    const screen = trackingNo.startsWith('BX-') ? <TrackRepair trackingNo={trackingNo} /> : <TrackRequest trackingNo={trackingNo} />;
    return { screen, tab: '/spend-requests' };
  }
  const challenge = /^\/challenges\/([^/]+)$/.exec(path);
  if (challenge) return { screen: <ReadChallenge id={decodeURIComponent(challenge[1]!)} />, tab: '/' };
  const ballots = /^\/votes\/([^/]+)\/ballots$/.exec(path);
  if (ballots) return { screen: <VoteBallots id={decodeURIComponent(ballots[1]!)} />, tab: '/' };
  const vote = /^\/votes\/([^/]+)$/.exec(path);
  if (vote) return { screen: <CastBallot id={decodeURIComponent(vote[1]!)} />, tab: '/' };
  const survey = /^\/surveys\/([^/]+)$/.exec(path);
  if (survey) return { screen: <RateService id={decodeURIComponent(survey[1]!)} />, tab: '/' };
  const notice = /^\/notice\/([^/]+)\/(\d{4}-\d{2})$/.exec(path);
  if (notice) return { screen: <LazyNotice communityId={notice[1]!} month={notice[2]!} />, tab: '', bare: true };
  const screens: Record<string, [ComponentType, string]> = {
    '/': [Home, '/'],
    '/sign-in': [Home, '/'],
    '/entries': [Entries, '/entries'],
    '/budget': [Budget, '/budget'],
    '/fees': [Fees, '/fees'],
    '/spend-requests': [SpendRequests, '/spend-requests'],
    '/approvals': [PendingApprovals, '/approvals'],
    '/my-units': [MyUnits, '/my-units'],
    '/record-income': [RecordIncome, '/'],
    '/submit-request': [SubmitRequest, '/spend-requests'],
    '/repairs': [Repairs, '/spend-requests'],
    '/report-repair': [ReportRepair, '/spend-requests'],
    '/challenges': [Challenges, '/'],
    '/ask': [AskQuestion, '/'],
    '/votes': [Votes, '/'],
    '/open-vote': [OpenVote, '/'],
    '/surveys': [Surveys, '/'],
    '/start-survey': [StartSurvey, '/'],
    '/billing': [Billing, '/fees'],
    '/fee-rate': [SetFeeRate, '/fees'],
    '/draft-budget': [DraftBudget, '/budget'],
    '/members-units': [MembersUnits, '/'],
    '/reconciliation': [ReconcileBank, '/'],
  };
  const found = screens[path.replace(/\/+$/, '') || '/'];
  if (!found) return { screen: <NotFound />, tab: '' };
  const [Screen, tab] = found;
  return { screen: <Screen />, tab };
}

export function Shell({ path }: { path: string }) {
  const session = useSession();
  const { me, here } = session;
  const { screen, tab, bare } = screenFor(path);
  if (bare) return screen;
  const tabs = TABS.filter((t) => !t.show || t.show(here));
  return (
    <div class="shell">
      <a class="skip" href="#main">
        跳到正文
      </a>
      <header class="topbar">
        <div class="brand" aria-hidden="true">
          信义家
        </div>
        <CommunitySwitcher />
        <div class="who">
          <span class="who-name">{me.displayName}</span>
          <button type="button" class="link-button" onClick={session.signOut}>
            退出
          </button>
        </div>
      </header>
      <main id="main" class="page">
        {screen}
      </main>
      <nav class={`tabs${tabs.length > 6 ? ' crowded' : ''}`} aria-label="主导航" style={{ '--tab-count': String(tabs.length) }}>
        {tabs.map((t) => (
          <a key={t.href} href={t.href} aria-current={t.href === tab ? 'page' : undefined}>
            {t.label}
          </a>
        ))}
      </nav>
    </div>
  );
}

function CommunitySwitcher() {
  const { me, here, switchCommunity } = useSession();
  if (me.communities.length < 2) return <div class="community">{here.name}</div>;
  return (
    <div class="community">
      <label for="community-switcher" class="visually-hidden">
        切换小区
      </label>
      <select id="community-switcher" value={here.id} onChange={(e) => switchCommunity((e.target as HTMLSelectElement).value)}>
        {me.communities.map((c) => (
          <option key={c.id} value={c.id}>
            {c.name}
          </option>
        ))}
      </select>
    </div>
  );
}

function LazyNotice(props: { communityId: string; month: string }) {
  const [Notice, setNotice] = useState<ComponentType<{ communityId: string; month: string }> | null>(null);
  useEffect(() => {
    void import('./screens/notice.js').then((m) => setNotice(() => m.Notice));
  }, []);
  return Notice ? <Notice {...props} /> : <p class="boot">公示加载中…</p>;
}

function NotFound() {
  return (
    <section>
      <h1>页面不存在</h1>
      <p>
        <a href="/">返回首页</a>
      </p>
    </section>
  );
}
