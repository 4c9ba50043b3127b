import { api, type Challenge } from '../api.js';
import { useLoad } from '../hooks.js';
import { CHALLENGE_STATUS_WORDS, CHALLENGE_SUBJECT_WORDS } from '../words.js';
import { Money } from './ui.js';

type Subject = Challenge['subject'];

/** 待答复, 已答复, or 已逾期 in red: an unanswered question past its seven days is said publicly. */
export function ChallengeStatus({ challenge }: { challenge: Pick<Challenge, 'status' | 'overdue'> }) {
  const state = challenge.overdue ? 'overdue' : challenge.status;
  return <span class={`status status-challenge-${state}`}>{CHALLENGE_STATUS_WORDS[state]}</span>;
}

/**
 * What a question is about, in words, with a link to it: a spend request by its title and
 * tracking number (read from the API), a budget by its year, an entry by its number when known.
 */
export function SubjectLine({ cid, subject, seq }: { cid: string; subject: Subject; seq?: string | null }) {
  const request = useLoad(
    async () => (subject.type === 'spend-request' ? api.spendRequest(cid, subject.id).catch(() => null) : null),
    [cid, subject.type, subject.id],
  );
  switch (subject.type) {
    case 'budget':
      return <a href="/budget">{subject.id}年度预算</a>;
    case 'entry':
      return <a href="/entries">{seq ? `收支明细第 ${seq} 笔` : '收支明细中的一笔记录'}</a>;
    case 'spend-request':
      return request.data ? (
        <a href={`/track/${encodeURIComponent(request.data.trackingNo)}`}>
          支出 {request.data.trackingNo} {request.data.title} <Money amount={request.data.amount} />
        </a>
      ) : (
        <span>{CHALLENGE_SUBJECT_WORDS['spend-request']}</span>
      );
  }
}
