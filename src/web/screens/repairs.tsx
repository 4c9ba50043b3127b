import { useEffect, useState } from 'preact/hooks';
import { allPages, api, type Repair, type RepairStatus } from '../api.js';
import { hasRole, useSession } from '../context.js';
import { formatDate } from '../format.js';
import { useLoad } from '../hooks.js';
import { SpendingNav } from '../parts/section-nav.js';
import { RepairSteps } from '../parts/steps.js';
import { Empty, Loading, Problem, StatusWord } from '../parts/ui.js';
import { REPAIR_STATUS_WORDS, REPAIR_STEP_WORDS } from '../words.js';

const FILTERS: (RepairStatus | 'all')[] = ['all', 'reported', 'assigned', 'started', 'done', 'reopened', 'confirmed', 'cancelled'];

/** Every repair of a status, newest first (the API pages oldest first; a community's repairs are a short list). */
export async function loadRepairs(cid: string, status?: RepairStatus): Promise<Repair[]> {
  return (await allPages((after) => api.repairs(cid, status, after))).reverse();
}

/** 报修: my repairs or everyone's, by status; each opens its tracking page. */
export function Repairs() {
  const { me, here, feed } = useSession();
  // The steward works on everyone's; a resident first looks for their own.
  const [whose, setWhose] = useState<'mine' | 'all'>(() => (hasRole(here, 'manager', 'cosigner', 'supervisor') ? 'all' : 'mine'));
  const [filter, setFilter] = useState<RepairStatus | 'all'>('all');
  const list = useLoad(() => loadRepairs(here.id, filter === 'all' ? undefined : filter), [here.id, filter]);
  useEffect(() => {
    if (feed.version > 0) list.reload();
  }, [feed.version]);
  const visible = (list.data ?? []).filter((r) => whose === 'all' || r.reportedBy.id === me.id);

  return (
    <>
      <SpendingNav current="repairs" />
      <div class="title-row">
        <h1>报事报修</h1>
        <a class="button small" href="/report-repair">
          我要报修
        </a>
      </div>
      <div class="chips" role="group" aria-label="谁的报修">
        <button type="button" class="chip" aria-pressed={whose === 'mine'} onClick={() => setWhose('mine')}>
          我的报修
        </button>
        <button type="button" class="chip" aria-pressed={whose === 'all'} onClick={() => setWhose('all')}>
          全部报修
        </button>
      </div>
      <div class="field inline">
        <label for="repairs-status">状态</label>
        <select id="repairs-status" value={filter} onChange={(e) => setFilter((e.target as HTMLSelectElement).value as RepairStatus | 'all')}>
          {FILTERS.map((f) => (
            <option key={f} value={f}>
              {f === 'all' ? '全部状态' : REPAIR_STATUS_WORDS[f]}
            </option>
          ))}
        </select>
      </div>
      {list.error ? <Problem error={list.error} /> : null}
      {!list.data ? (
        <Loading what="报修" />
      ) : visible.length === 0 ? (
        <Empty>
          {whose === 'mine' ? '您' : '小区'}还没有{filter === 'all' ? '' : `“${REPAIR_STATUS_WORDS[filter]}”的`}报修。
          {whose === 'mine' ? <a href="/report-repair">我要报修 ›</a> : null}
        </Empty>
      ) : (
        <ul class="list">
          {visible.map((r) => (
            <RepairItem key={r.id} repair={r} timeZone={here.timezone} />
          ))}
        </ul>
      )}
    </>
  );
}

function RepairItem({ repair: r, timeZone }: { repair: Repair; timeZone: string }) {
  const latest = r.timeline[r.timeline.length - 1];
  const photos = r.timeline[0]?.attachments.length ?? 0;
  return (
    <li class="card request">
      <a class="request-link" href={`/track/${encodeURIComponent(r.trackingNo)}`}>
        <span class="request-title">{r.title}</span>
        <StatusWord status={r.status} words={REPAIR_STATUS_WORDS} />
      </a>
      <p class="small muted">
        {r.location} · {r.reportedBy.displayName} {formatDate(r.reportedAt, timeZone)}报修{photos ? ` · 照片 ${photos} 张` : ''}
      </p>
      <p class="small muted">
        {r.trackingNo}
        {latest && latest.event !== 'reported' ? ` · 最新：${REPAIR_STEP_WORDS[latest.event] ?? latest.event}` : ''}
      </p>
      <RepairSteps status={r.status} />
    </li>
  );
}
