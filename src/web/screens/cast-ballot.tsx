import { useEffect, useState } from 'preact/hooks';
import { api, type Vote } from '../api.js';
import { useSession } from '../context.js';
import { formatDateTime } from '../format.js';
import { useLoad, useSubmit } from '../hooks.js';
import { Confirmation } from '../parts/form.js';
import { Card, Loading, Problem } from '../parts/ui.js';
import { VOTE_CHOICE_WORDS, VOTE_MATTER_WORDS } from '../words.js';
import { mayReadBallots } from './vote-ballots.js';
import { VoteStatus } from './votes.js';

type Choice = NonNullable<Vote['myChoice']>;
const CHOICES: Choice[] = ['for', 'against', 'abstain'];

/** /votes/<id>: what is decided, the window, the owner's ballot and the totals by area and headcount. */
export function CastBallot({ id }: { id: string }) {
  const { me, here, feed } = useSession();
  const vote = useLoad(() => api.vote(here.id, id), [here.id, id]);
  useEffect(() => {
    if (feed.version > 0) vote.reload();
  }, [feed.version]);
  if (vote.error && !vote.data) return <Problem error={vote.error} />;
  if (!vote.data) return <Loading what="表决" />;
  const v = vote.data;
  const tz = here.timezone;
  return (
    <>
      <p class="small">
        <a href="/votes">‹ 全部表决</a>
      </p>
      <h1>{v.title}</h1>
      <p>
        <VoteStatus vote={v} /> <span class="small">{VOTE_MATTER_WORDS[v.matter]}</span>
      </p>
      {v.description ? <p class="prewrap">{v.description}</p> : null}
      <p class="small muted">
        投票时间：{formatDateTime(v.opensAt, tz)} 至 {formatDateTime(v.closesAt, tz)}
      </p>
      {here.unitIds.length > 0 && v.status === 'open' ? <Ballot vote={v} onCast={() => vote.reload()} /> : null}
      {here.unitIds.length > 0 && v.status === 'closed' && v.myChoice ? <p>您投了：{VOTE_CHOICE_WORDS[v.myChoice]}</p> : null}
      <Totals vote={v} />
      {mayReadBallots(here, me.isPlatformAdmin) ? (
        <p>
          <a class="button secondary" href={`/votes/${encodeURIComponent(v.id)}/ballots`}>
            投票明细：谁投了什么
          </a>
        </p>
      ) : null}
    </>
  );
}

function Ballot({ vote, onCast }: { vote: Vote; onCast: () => void }) {
  const { here } = useSession();
  const [choice, setChoice] = useState<Choice | undefined>(vote.myChoice ?? undefined);
  const [done, setDone] = useState(false);
  const [missing, setMissing] = useState(false);
  const cast = useSubmit(
    () => api.castBallot(here.id, vote.id, { choice: choice! }),
    () => {
      setDone(true);
      onCast();
    },
  );
  const onSubmit = (event: Event) => {
    event.preventDefault();
    setMissing(!choice);
    if (choice) void cast.submit();
  };
  return (
    <Card title="我的选票">
      {done && vote.myChoice ? <Confirmation>已记录您的选票：{VOTE_CHOICE_WORDS[vote.myChoice]}</Confirmation> : null}
      {vote.myChoice ? (
        <p class="my-ballot" data-testid="my-ballot">
          您已投：{VOTE_CHOICE_WORDS[vote.myChoice]}，截止前可更改
        </p>
      ) : (
        <p class="small muted">您持有本小区房屋，可以投票；截止前可以更改。</p>
      )}
      <Problem error={cast.error} />
      <form class="form" onSubmit={onSubmit} noValidate>
        <fieldset class={`field${missing ? ' field-error' : ''}`} aria-describedby={missing ? 'choice-error' : undefined}>
          <legend>您的意见</legend>
          {missing ? (
            <p id="choice-error" class="error-message">
              请选择同意、反对或弃权。
            </p>
          ) : null}
          {CHOICES.map((value) => (
            <div key={value} class="field checkbox radio">
              <input id={`choice-${value}`} type="radio" name="choice" value={value} checked={choice === value} onChange={() => setChoice(value)} />
              <label for={`choice-${value}`}>{VOTE_CHOICE_WORDS[value]}</label>
            </div>
          ))}
        </fieldset>
        <button type="submit" class="button wide" disabled={cast.busy}>
          {cast.busy ? '正在投票…' : vote.myChoice ? '更改投票' : '投票'}
        </button>
      </form>
    </Card>
  );
}

function Totals({ vote }: { vote: Vote }) {
  const rows: [string, { area: string; owners: number }][] = [
    ['全体业主', vote.eligible],
    ['参与表决', vote.participating],
    ['同意', vote.for],
    ['反对', vote.against],
    ['弃权', vote.abstain],
  ];
  return (
    <Card title="表决情况">
      <table class="table vote-totals">
        <caption class="visually-hidden">各项面积与人数</caption>
        <thead>
          <tr>
            <th scope="col">项目</th>
            <th scope="col" class="num">
              专有面积
            </th>
            <th scope="col" class="num">
              人数
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([label, share]) => (
            <tr key={label}>
              <th scope="row">{label}</th>
              <td class="num">{share.area} m²</td>
              <td class="num">{share.owners} 人</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="small">
        法定门槛：参与表决的专有面积与人数均需达三分之二；{vote.matter === 'special' ? '同意须达参与面积与人数的四分之三' : '同意须超过参与面积与人数的半数'}。
      </p>
      <p data-testid="vote-outcome">
        {vote.quorumMet ? '参与已达三分之二' : '参与尚未达到三分之二'}
        {vote.status === 'closed' ? (vote.passed ? '，表决结果：通过' : '，表决结果：未通过') : '，截止后公布结果'}
      </p>
    </Card>
  );
}
