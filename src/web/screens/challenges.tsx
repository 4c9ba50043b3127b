import { useEffect, useState } from 'preact/hooks';
import { allPages, api, type Challenge, type ChallengeFilter } from '../api.js';
import { useSession } from '../context.js';
import { formatDate } from '../format.js';
import { useLoad } from '../hooks.js';
import { ChallengeStatus } from '../parts/challenge-subject.js';
import { Empty, Loading, Problem } from '../parts/ui.js';
import { CHALLENGE_STATUS_WORDS, CHALLENGE_SUBJECT_WORDS } from '../words.js';

const FILTERS: (ChallengeFilter | 'all')[] = ['all', 'open', 'answered', 'overdue'];

/** Every question of a state, newest first (the API pages oldest first). */
export async function loadChallenges(cid: string, status?: ChallengeFilter): Promise<Challenge[]> {
  return (await allPages((after) => api.challenges(cid, status, after))).reverse();
}

/** 质询: every member's public questions on the books, and the steward's answers; overdue ones in red. */
export function Challenges() {
  const { here, feed } = useSession();
  const [filter, setFilter] = useState<ChallengeFilter | 'all'>('all');
  const list = useLoad(() => loadChallenges(here.id, filter === 'all' ? undefined : filter), [here.id, filter]);
  useEffect(() => {
    if (feed.version > 0) list.reload();
  }, [feed.version]);

  return (
    <>
      <h1>业主质询</h1>
      <p class="muted small">
        对任何一笔收支、支出申请或年度预算有疑问，都可以公开提问；物业管家须在 7 天内公开答复，逾期未答复会在这里标红。在
        <a href="/entries">收支明细</a>、<a href="/spend-requests">支出申请</a>或<a href="/budget">年度预算</a>页面点“质询”即可发起。
      </p>
      <div class="chips" role="group" aria-label="按状态筛选">
        {FILTERS.map((f) => (
          <button key={f} type="button" class={`chip${f === 'overdue' ? ' chip-alarm' : ''}`} aria-pressed={filter === f} onClick={() => setFilter(f)}>
            {f === 'all' ? '全部' : CHALLENGE_STATUS_WORDS[f]}
          </button>
        ))}
      </div>
      {list.error ? <Problem error={list.error} /> : null}
      {!list.data ? (
        <Loading what="质询" />
      ) : list.data.length === 0 ? (
        <Empty>{filter === 'all' ? '还没有人提出质询。' : `没有${CHALLENGE_STATUS_WORDS[filter]}的质询。`}</Empty>
      ) : (
        <ul class="list">
          {list.data.map((c) => (
            <li key={c.id} class={`card request${c.overdue ? ' overdue' : ''}`}>
              <a class="request-link" href={`/challenges/${encodeURIComponent(c.id)}`}>
                <span class="request-title">{c.question}</span>
                <ChallengeStatus challenge={c} />
              </a>
              <p class="small muted">
                关于{c.subject.type === 'budget' ? ` ${c.subject.id}` : ''}
                {CHALLENGE_SUBJECT_WORDS[c.subject.type]} · {c.askedBy.displayName} {formatDate(c.askedAt, here.timezone)}提问
              </p>
              <p class={`small ${c.overdue ? 'overdue-words' : 'muted'}`}>
                {c.answer
                  ? `${c.answer.by.displayName} ${formatDate(c.answer.at, here.timezone)}已答复`
                  : `${c.overdue ? '已逾期：' : ''}应于 ${formatDate(c.dueAt, here.timezone)} 前答复`}
              </p>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
