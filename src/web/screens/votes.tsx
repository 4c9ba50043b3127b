import { useEffect } from 'preact/hooks';
import { allPages, api, type Vote } from '../api.js';
import { hasRole, useSession } from '../context.js';
import { formatDateTime } from '../format.js';
import { useLoad } from '../hooks.js';
import { Empty, Loading, Problem } from '../parts/ui.js';
import { VOTE_CHOICE_WORDS, VOTE_MATTER_WORDS } from '../words.js';

/** Every vote of the community, open ones first, each newest first (the API pages newest first). */
export async function loadVotes(cid: string): Promise<Vote[]> {
  const all = await allPages((after) => api.votes(cid, after));
  return [...all.filter((v) => v.status === 'open'), ...all.filter((v) => v.status !== 'open')];
}

/** The outcome word of a vote: 进行中 while open, 通过 / 未通过 once closed. */
export function VoteStatus({ vote }: { vote: Vote }) {
  if (vote.status === 'open') return <span class="status status-pending">进行中</span>;
  return vote.passed ? <span class="status status-approved">已通过</span> : <span class="status status-rejected">未通过</span>;
}

/** 业主表决: every member sees every vote; owners holding a unit cast their ballot on its page. */
export function Votes() {
  const { me, here, feed } = useSession();
  const list = useLoad(() => loadVotes(here.id), [here.id]);
  useEffect(() => {
    if (feed.version > 0) list.reload();
  }, [feed.version]);
  return (
    <>
      <h1>业主表决</h1>
      <p class="muted small">
        依《民法典》第二百七十八条，由业主共同决定的事项在这里公开表决：参与表决的专有部分面积和人数均需达到三分之二，一般事项同意须过半数，特别事项同意须达四分之三。
      </p>
      {hasRole(here, 'admin', 'cosigner') || me.isPlatformAdmin ? (
        <p>
          <a class="button secondary" href="/open-vote">
            发起表决
          </a>
        </p>
      ) : null}
      {list.error ? <Problem error={list.error} /> : null}
      {!list.data ? (
        <Loading what="表决" />
      ) : list.data.length === 0 ? (
        <Empty>还没有业主表决。</Empty>
      ) : (
        <ul class="list">
          {list.data.map((v) => (
            <li key={v.id} class="card request vote-item">
              <a class="request-link" href={`/votes/${encodeURIComponent(v.id)}`}>
                <span class="request-title">{v.title}</span>
                <VoteStatus vote={v} />
              </a>
              <p class="small muted">
                {VOTE_MATTER_WORDS[v.matter]} · {v.status === 'open' ? '截止' : '已于'} {formatDateTime(v.closesAt, here.timezone)}
                {v.status === 'open' ? '' : ' 结束'}
              </p>
              {v.myChoice ? <p class="small">您已投：{VOTE_CHOICE_WORDS[v.myChoice]}</p> : null}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
