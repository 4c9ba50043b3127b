import type { ComponentChildren } from 'preact';
import type { SpendRequestSummary } from '../api.js';
import { Money } from './ui.js';

/**
 * A spend request in a list, as every list of them shows it: its title and amount, opening its
 * timeline by tracking number; the lines under it are the list's own.
 */
export function SpendRequestItem({ request: r, children }: { request: Pick<SpendRequestSummary, 'trackingNo' | 'title' | 'amount'>; children: ComponentChildren }) {
  return (
    <li class="card request">
      <a class="request-link" href={`/track/${encodeURIComponent(r.trackingNo)}`}>
        <span class="request-title">{r.title}</span>
        <span class="request-amount">
          <Money amount={r.amount} />
        </span>
      </a>
      {children}
    </li>
  );
}
