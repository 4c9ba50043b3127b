/**
 * 支出 and 报修 under one tab: where the money goes and what it fixes ("from the broken lamp to
 * the receipt"). The tab bar keeps the names the contract gives it and still fits 360 px.
 */
export function SpendingNav({ current, exact = true }: { current: 'spend' | 'repairs'; exact?: boolean }) {
  const mark = (which: typeof current) => (which === current ? (exact ? 'page' : 'true') : undefined);
  return (
    <nav class="subnav" aria-label="支出与报修">
      <a href="/spend-requests" aria-current={mark('spend')}>
        支出申请
      </a>
      <a href="/repairs" aria-current={mark('repairs')}>
        报事报修
      </a>
    </nav>
  );
}
