import { useEffect } from 'preact/hooks';
import { api, type Ballot, type Membership, type Unit } from '../api.js';
import { hasRole, useSession } from '../context.js';
import { formatDateTime } from '../format.js';
import { useLoad } from '../hooks.js';
import { Card, Empty, Loading, Problem } from '../parts/ui.js';
import { VOTE_CHOICE_WORDS } from '../words.js';

/** Who may read who voted how: the API's rule (community admin, supervisors, the platform admin), said once here. */
export function mayReadBallots(here: Membership, isPlatformAdmin: boolean): boolean {
  return isPlatformAdmin || hasRole(here, 'admin', 'supervisor');
}

/** A ballot's choice in its colour and word: 同意 green, 反对 red, 弃权 grey. */
const CHOICE_CLASS: Record<Ballot['choice'], string> = { for: 'status-paid', against: 'status-rejected', abstain: 'status-cancelled' };

export function ChoiceWord({ choice }: { choice: Ballot['choice'] }) {
  return <span class={`status ${CHOICE_CLASS[choice]}`}>{VOTE_CHOICE_WORDS[choice]}</span>;
}

interface OwnerBallots {
  owner: Ballot['owner'];
  /** The ballot that counts: the owner's latest. */
  latest: Ballot;
  /** The ones it replaced, newest first. */
  earlier: Ballot[];
}

/** One entry per owner, from ballots in the order cast. */
function byOwner(ballots: Ballot[]): OwnerBallots[] {
  const groups = new Map<string, Ballot[]>();
  for (const b of ballots) groups.set(b.owner.id, [...(groups.get(b.owner.id) ?? []), b]);
  return [...groups.values()].map((list) => {
    // The API lists ballots in the order cast: the last is the one that counts.
    const newestFirst = [...list].reverse();
    return { owner: newestFirst[0]!.owner, latest: newestFirst[0]!, earlier: newestFirst.slice(1) };
  });
}

const unitLabel = (units: Map<string, Unit>, id: string) => {
  const u = units.get(id);
  return u ? `${u.building} ${u.code}` : id;
};

/**
 * /votes/<id>/ballots: the roll a residents' committee keeps, one line per owner in the order of
 * their units (as the paper roll is kept, so a household is found where it lives), the ballot
 * that counts and every earlier one it replaced.
 */
export function VoteBallots({ id }: { id: string }) {
  const { me, here, feed } = useSession();
  const allowed = mayReadBallots(here, me.isPlatformAdmin);
  // Nobody else calls the endpoint: it would only answer 403.
  const data = useLoad(
    () => (allowed ? Promise.all([api.vote(here.id, id), api.ballots(here.id, id), api.units(here.id)]) : Promise.resolve(undefined)),
    [here.id, id, allowed],
  );
  useEffect(() => {
    if (feed.version > 0 && allowed) data.reload();
  }, [feed.version]);
  const back = (
    <p class="small">
      <a href={`/votes/${encodeURIComponent(id)}`}>‹ 返回表决</a>
    </p>
  );
  if (!allowed) {
    return (
      <>
        {back}
        <h1>投票明细</h1>
        <p class="problem">投票明细仅小区管理员和监督单位可以查看。</p>
      </>
    );
  }
  if (data.error && !data.data) return <Problem error={data.error} />;
  if (!data.data) return <Loading what="投票明细" />;
  const [vote, ballots, unitList] = data.data;
  const units = new Map(unitList.map((u) => [u.id, u]));
  const firstUnit = (o: OwnerBallots) => (o.latest.unitIds.length ? unitLabel(units, o.latest.unitIds[0]!) : '');
  const owners = byOwner(ballots.items).sort(
    (a, b) => firstUnit(a).localeCompare(firstUnit(b), 'zh-CN', { numeric: true }) || a.owner.displayName.localeCompare(b.owner.displayName, 'zh-CN'),
  );
  const changed = owners.filter((o) => o.earlier.length > 0).length;
  return (
    <>
      {back}
      <h1>投票明细</h1>
      <p class="vote-ballots-title">{vote.title}</p>
      <p class="muted small">仅小区管理员和监督单位可见。每位业主以最后一次投票为准，截止前的每次更改都留有记录；时间按小区所在时区（{here.timezone}）。</p>
      <Card title="谁投了什么">
        {owners.length === 0 ? (
          <Empty>还没有业主投票。</Empty>
        ) : (
          <>
            <p data-testid="ballot-count">
              共 {owners.length} 位业主投票{changed ? `，其中 ${changed} 位更改过` : ''}。
            </p>
            <ul class="plain-list ballot-list">
              {owners.map((o) => (
                <li key={o.owner.id} class="ballot-owner">
                  <div class="ballot-head">
                    <span class="ballot-name">{o.owner.displayName || '（未具名）'}</span>
                    <ChoiceWord choice={o.latest.choice} />
                  </div>
                  <p class="small">{o.latest.unitIds.length ? o.latest.unitIds.map((u) => unitLabel(units, u)).join('、') : '（投票时未持有房屋）'}</p>
                  <p class="small muted">{formatDateTime(o.latest.at, here.timezone)}</p>
                  {o.earlier.length ? (
                    <div class="ballot-history">
                      <p class="small">此前投过（新的在前）：</p>
                      <ol class="small">
                        {o.earlier.map((b, i) => (
                          <li key={i}>
                            {VOTE_CHOICE_WORDS[b.choice]} · {formatDateTime(b.at, here.timezone)}
                          </li>
                        ))}
                      </ol>
                    </div>
                  ) : null}
                </li>
              ))}
            </ul>
          </>
        )}
      </Card>
    </>
  );
}
