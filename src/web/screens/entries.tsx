import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, type Account, type Entry } from '../api.js';
import { useSession } from '../context.js';
import { formatDateTime, formatMonth, lastDayOf, monthOf } from '../format.js';
import { monthsSince } from '../parts/form.js';
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

const PAGE = 50;

/** The days of a month, as `from`/`to` of GET …/entries; every month when 'all'. */
const rangeOf = (month: string) => (month === 'all' ? {} : { from: `${month}-01`, to: lastDayOf(month) });

interface Pages {
  items: Entry[];
  next: string | null;
}

/**
 * The entries of a month (or of all time), newest first, a page at a time from the server;
 * an entry recorded while the page is open is read and put on top.
 */
function useEntryPages(cid: string, month: string, liveVersion: number) {
  const first = useLoad<Pages>(async () => {
    const page = await api.entries(cid, { order: 'desc', limit: PAGE, ...rangeOf(month) });
    return { items: page.items, next: page.nextAfter };
  }, [cid, month]);
  const [pages, setPages] = useState<Pages | undefined>();
  const [more, setMore] = useState<{ busy: boolean; error?: Error }>({ busy: false });
  useEffect(() => setPages(first.data), [first.data]);
  useEffect(() => {
    if (liveVersion === 0 || !pages) return;
    let current = true;
    void api.entries(cid, { order: 'desc', limit: PAGE, ...rangeOf(month) }).then((page) => {
      if (!current) return;
      setPages((held) => {
        if (!held) return held;
        const top = held.items[0]?.seq ?? 0;
        const fresh = page.items.filter((e) => e.seq > top);
        // More new entries than a page: start again from the newest rather than leave a gap.
        if (fresh.length === page.items.length && page.nextAfter && held.items.length) return { items: page.items, next: page.nextAfter };
        return { items: [...fresh, ...held.items], next: held.next };
      });
    }, () => undefined);
    return () => {
      current = false;
    };
  }, [liveVersion]);
  const loadMore = async () => {
    if (!pages?.next || more.busy) return;
    setMore({ busy: true });
    try {
      const page = await api.entries(cid, { order: 'desc', limit: PAGE, after: pages.next, ...rangeOf(month) });
      setPages((held) => held && { items: [...held.items, ...page.items], next: page.nextAfter });
      setMore({ busy: false });
    } catch (error) {
      setMore({ busy: false, error: error as Error });
    }
  };
  return { pages: pages ?? first.data, error: first.error ?? more.error, loadingMore: more.busy, loadMore };
}

/** 收支明细: the journal newest first, a page at a time, by month (read from the server) and by money in or out. */
export function Entries() {
  const { here, feed } = useSession();
  const [month, setMonth] = useState('all');
  const [direction, setDirection] = useState<Direction>('all');
  const entries = useEntryPages(here.id, month, feed.version);
  const accounts = useLoad(() => api.accounts(here.id), [here.id]);
  // The months to choose from: from the first entry's to this one.
  const oldest = useLoad(() => api.entries(here.id, { limit: 1 }), [here.id]);

  const names = useMemo(() => new Map((accounts.data ?? []).map((a: Account) => [a.code, a.name])), [accounts.data]);
  const thisMonth = monthOf(new Date(), here.timezone);
  const firstMonth = oldest.data?.items[0] ? monthOf(oldest.data.items[0].occurredAt, here.timezone) : thisMonth;
  const months = useMemo(() => monthsSince(firstMonth, thisMonth), [firstMonth, thisMonth]);
  const visible = useMemo(
    () => (entries.pages?.items ?? []).filter((e) => direction === 'all' || fundMovement(e).sign === (direction === 'in' ? '+' : '-')),
    [entries.pages, direction],
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
      {!entries.pages ? (
        <Loading what="收支明细" />
      ) : (
        <>
          {visible.length === 0 ? <Empty>{entries.pages.next ? '已加载的记录中没有符合条件的。' : '没有符合条件的记录。'}</Empty> : null}
          <ul class="list entries">
            {visible.map((e) => {
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
                    <p class="small">
                      <a href={`/ask?type=entry&id=${encodeURIComponent(e.id)}&seq=${e.seq}`}>对这笔有疑问？发起质询 ›</a>
                    </p>
                  </details>
                </li>
              );
            })}
          </ul>
          {entries.pages.next ? (
            <button type="button" class="button secondary wide" disabled={entries.loadingMore} onClick={() => void entries.loadMore()}>
              {entries.loadingMore ? '正在加载…' : '加载更早的记录'}
            </button>
          ) : visible.length ? (
            <p class="small muted center">{month === 'all' ? '已显示全部记录。' : `已显示${formatMonth(month)}的全部记录。`}</p>
          ) : null}
        </>
      )}
    </>
  );
}
