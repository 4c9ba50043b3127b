import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, type Account, type Entry } from '../api.js';
import { useSession } from '../context.js';
import { formatDateTime, formatMonth, monthOf } from '../format.js';
import { useLoad } from '../hooks.js';
import { Empty, Loading, Money, Problem } from '../parts/ui.js';
import { accountWord, ENTRY_KINDS } from '../words.js';

const FUND = '1001';
type Direction = 'all' | 'in' | 'out';

/** How an entry moved the community fund: money in, money out, or none (a bill, an accrual). */
function fundMovement(entry: Entry): { amount: string; sign?: '+' | '-' } {
  const fund = entry.postings.find((p) => p.account === FUND);
  if (fund) return fund.debit !== '0.00' ? { amount: fund.debit, sign: '+' } : { amount: fund.credit, sign: '-' };
  const first = entry.postings.find((p) => p.debit !== '0.00');
  return { amount: first?.debit ?? '0.00' };
}

/** An entry in residents' words, from its kind and accounts (the stored memo is for the books). */
function describe(entry: Entry, names: Map<string, string>): { title: string; tracking?: string } {
  const word = (code: string) => accountWord(names.get(code), code);
  const tracking = /\b((?:XY|BX)-\d{4}-\d+-\d+)\b/.exec(entry.memo)?.[1];
  switch (entry.kind) {
    case 'income': {
      const credited = entry.postings.find((p) => p.credit !== '0.00');
      return { title: credited ? word(credited.account) : '公共收益' };
    }
    case 'fee_bill': {
      const period = /(\d{4}-\d{2})/.exec(entry.memo)?.[1];
      return { title: period ? `${formatMonth(period)}物业费出账` : '物业费出账' };
    }
    case 'payout': {
      const title = /: (.+)$/.exec(entry.memo)?.[1];
      return { title: title ? `支出：${title}` : '支出付款', ...(tracking ? { tracking } : {}) };
    }
    default:
      return { title: ENTRY_KINDS[entry.kind] ?? entry.kind, ...(tracking ? { tracking } : {}) };
  }
}

/** 收支明细: every journal entry, newest first, filtered by month and by money in or out. */
export function Entries() {
  const { here, feed } = useSession();
  const entries = useLoad(() => api.allEntries(here.id), [here.id]);
  const accounts = useLoad(() => api.accounts(here.id), [here.id]);
  const [month, setMonth] = useState('all');
  const [direction, setDirection] = useState<Direction>('all');
  const [shown, setShown] = useState(50);
  useEffect(() => {
    if (feed.version > 0) entries.reload();
  }, [feed.version]);

  const names = useMemo(() => new Map((accounts.data ?? []).map((a: Account) => [a.code, a.name])), [accounts.data]);
  const months = useMemo(
    () => [...new Set((entries.data ?? []).map((e) => monthOf(e.occurredAt, here.timezone)))].sort().reverse(),
    [entries.data, here.timezone],
  );
  const visible = useMemo(
    () =>
      [...(entries.data ?? [])]
        .reverse()
        .filter((e) => month === 'all' || monthOf(e.occurredAt, here.timezone) === month)
        .filter((e) => direction === 'all' || fundMovement(e).sign === (direction === 'in' ? '+' : '-')),
    [entries.data, month, direction, here.timezone],
  );

  return (
    <>
      <h1>收支明细</h1>
      <p class="muted small">账本只增不改：每一笔都有编号和哈希，写错了只能另记一笔冲正。</p>
      <div class="filters">
        <div class="field inline">
          <label for="entries-month">月份</label>
          <select id="entries-month" value={month} onChange={(e) => setMonth((e.target as HTMLSelectElement).value)}>
            <option value="all">全部月份</option>
            {months.map((m) => (
              <option key={m} value={m}>
                {formatMonth(m)}
              </option>
            ))}
          </select>
        </div>
        <div class="chips" role="group" aria-label="收入或支出">
          {(['all', 'in', 'out'] as Direction[]).map((d) => (
            <button key={d} type="button" class="chip" aria-pressed={direction === d} onClick={() => setDirection(d)}>
              {d === 'all' ? '全部' : d === 'in' ? '收入' : '支出'}
            </button>
          ))}
        </div>
      </div>
      {entries.error ? <Problem error={entries.error} /> : null}
      {!entries.data ? (
        <Loading what="收支明细" />
      ) : visible.length === 0 ? (
        <Empty>没有符合条件的记录。</Empty>
      ) : (
        <>
          <ul class="list entries">
            {visible.slice(0, shown).map((e) => {
              const move = fundMovement(e);
              const what = describe(e, names);
              return (
                <li key={e.id} class="card entry">
                  <div class="entry-row">
                    <div>
                      <p class="entry-title">{what.title}</p>
                      <p class="small muted">
                        <time dateTime={e.occurredAt}>{formatDateTime(e.occurredAt, here.timezone)}</time> · 第 {e.seq} 笔
                        {what.tracking ? (
                          <>
                            {' · '}
                            <a href={`/track/${what.tracking}`}>{what.tracking}</a>
                          </>
                        ) : null}
                      </p>
                    </div>
                    <span class={`entry-amount ${move.sign === '+' ? 'in' : move.sign === '-' ? 'out' : ''}`}>
                      <Money amount={move.amount} sign={move.sign} />
                    </span>
                  </div>
                  <details>
                    <summary>会计分录</summary>
                    <table class="postings">
                      <caption class="visually-hidden">第 {e.seq} 笔的分录</caption>
                      <thead>
                        <tr>
                          <th scope="col">科目</th>
                          <th scope="col" class="num">借方</th>
                          <th scope="col" class="num">贷方</th>
                        </tr>
                      </thead>
                      <tbody>
                        {e.postings.map((p, i) => (
                          <tr key={i}>
                            <td>
                              {p.account} {accountWord(names.get(p.account), p.account)}
                            </td>
                            <td class="num">{p.debit !== '0.00' ? <Money amount={p.debit} /> : ''}</td>
                            <td class="num">{p.credit !== '0.00' ? <Money amount={p.credit} /> : ''}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                    <p class="small muted hash">哈希 {e.hash}</p>
                  </details>
                </li>
              );
            })}
          </ul>
          {visible.length > shown ? (
            <button type="button" class="button secondary wide" onClick={() => setShown(shown + 50)}>
              显示更多（还有 {visible.length - shown} 笔）
            </button>
          ) : null}
        </>
      )}
    </>
  );
}
