import type { FeedItem } from '../api.js';
import { formatDateTime } from '../format.js';
import { accountWord, FEED_WORDS } from '../words.js';
import { Money } from './ui.js';

const MONEY_IN = new Set(['income.recorded', 'fee.paid', 'payment.received']);
const MONEY_OUT = new Set(['spend.paid']);

/** One line per money event, newest first; a tracking number links to its timeline. */
export function FeedList({ items, timeZone }: { items: FeedItem[]; timeZone: string }) {
  return (
    <ol class="feed" aria-label="实时收支动态">
      {items.map((item) => {
        const sign = MONEY_IN.has(item.type) ? '+' : MONEY_OUT.has(item.type) ? '-' : undefined;
        const tracked = /^(XY|BX)-/.test(item.ref);
        // A question's ref is its id: its page answers it in public.
        const question = item.type.startsWith('challenge.');
        return (
          <li key={item.seq} class="feed-item">
            <div class="feed-main">
              <span class={`feed-type feed-${item.type.split('.')[0]}`}>{FEED_WORDS[item.type] ?? item.type}</span>
              <span class="feed-summary">{item.summary}</span>
              <span class="feed-meta">
                <time dateTime={item.at}>{formatDateTime(item.at, timeZone)}</time>
                {item.account ? ` · ${accountWord(item.accountName, item.account)}` : ''}
                {tracked ? (
                  <>
                    {' · '}
                    <a href={`/track/${encodeURIComponent(item.ref)}`}>{item.ref}</a>
                  </>
                ) : question ? (
                  <>
                    {' · '}
                    <a href={`/challenges/${encodeURIComponent(item.ref)}`}>查看质询</a>
                  </>
                ) : null}
              </span>
            </div>
            {item.amount ? (
              <span class={`feed-amount ${sign === '+' ? 'in' : sign === '-' ? 'out' : ''}`}>
                <Money amount={item.amount} sign={sign} />
              </span>
            ) : null}
          </li>
        );
      })}
    </ol>
  );
}
