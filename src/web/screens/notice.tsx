import QRCode from 'qrcode';
import { useEffect, useState } from 'preact/hooks';
import { formatMoney, Money, sum, ZERO } from '../../shared/money.js';
import { api, ApiError, type Account, type Entry, type Fund } from '../api.js';
import { formatDate, formatMonth, formatRate, formatYuan, lastDayOf, monthOf, shiftMonth } from '../format.js';
import { useLoad } from '../hooks.js';
import { CheckpointBlock, signedCheckpoint } from '../parts/checkpoint-block.js';
import { Loading, Problem } from '../parts/ui.js';
import { accountWord } from '../words.js';

const FUND = '1001';

interface MonthFigures {
  income: [string, string][];
  spending: [string, string][];
  incomeTotal: string;
  spendingTotal: string;
  payouts: { title: string; tracking?: string; amount: string; date: string }[];
  fundAtEnd: string;
}

/** The fund's net movement (debits minus credits of 1001) over some entries. */
const fundNet = (entries: Entry[]) =>
  entries.flatMap((e) => e.postings.filter((p) => p.account === FUND)).reduce((net, p) => net.plus(p.debit).minus(p.credit), ZERO);

/**
 * Sums the month's movements per account with decimal.js (money is never a float). The fund
 * at the month's end is the balance read less what moved it since (up to that balance's head).
 */
function figures(monthEntries: Entry[], laterEntries: Entry[], accounts: Account[], balance: Fund): MonthFigures {
  const type = new Map(accounts.map((a) => [a.code, a.type]));
  const income = new Map<string, Money>();
  const spending = new Map<string, Money>();
  const payouts: MonthFigures['payouts'] = [];
  for (const entry of monthEntries) {
    for (const p of entry.postings) {
      const net = new Money(p.debit).minus(p.credit);
      if (type.get(p.account) === 'income') income.set(p.account, (income.get(p.account) ?? ZERO).minus(net));
      if (type.get(p.account) === 'expense') spending.set(p.account, (spending.get(p.account) ?? ZERO).plus(net));
    }
    if (entry.kind === 'payout') {
      const out = entry.postings.find((p) => p.account === FUND)?.credit ?? '0.00';
      const tracking = /\b((?:XY|BX)-\d{4}-\d+-\d+)\b/.exec(entry.memo)?.[1];
      payouts.push({ title: /: (.+)$/.exec(entry.memo)?.[1] ?? '支出付款', ...(tracking ? { tracking } : {}), amount: out, date: entry.occurredAt });
    }
  }
  const rows = (m: Map<string, Money>) =>
    [...m.entries()].filter(([, v]) => !v.isZero()).map(([code, v]) => [code, formatMoney(v)] as [string, string]);
  const total = (m: Map<string, Money>) => formatMoney(sum(m.values()));
  const fundAtEnd = formatMoney(new Money(balance.balance).minus(fundNet(laterEntries.filter((e) => e.seq <= balance.ledgerHead.seq))));
  return { income: rows(income), spending: rows(spending), incomeTotal: total(income), spendingTotal: total(spending), payouts, fundAtEnd };
}

/**
 * /notice/<communityId>/<YYYY-MM>: the month's 公示 on one A4 sheet for the notice board, with a
 * QR code to the live books. It reads that month's entries only, and for a past month the
 * entries since its end, to tell the fund's balance on its last day.
 */
export function Notice({ communityId, month }: { communityId: string; month: string }) {
  const data = useLoad(async () => {
    const [community, accounts, fund, checkpoint] = await Promise.all([
      api.community(communityId),
      api.accounts(communityId),
      api.fund(communityId),
      signedCheckpoint(communityId),
    ]);
    const current = monthOf(new Date(), community.timezone) <= month;
    const [monthEntries, laterEntries, report] = await Promise.all([
      api.entriesBetween(communityId, `${month}-01`, lastDayOf(month)),
      current ? Promise.resolve([]) : api.entriesSince(communityId, `${shiftMonth(month, 1)}-01`),
      api.budgetReport(communityId, Number(month.slice(0, 4))).catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }),
    ]);
    return { community, monthEntries, laterEntries, accounts, fund, report, current, checkpoint };
  }, [communityId, month]);
  const [qr, setQr] = useState('');
  const liveUrl = `${location.origin}/`;
  useEffect(() => {
    void QRCode.toString(liveUrl, { type: 'svg', margin: 1, errorCorrectionLevel: 'M', color: { dark: '#000000', light: '#ffffff' } }).then(setQr);
  }, [liveUrl]);

  if (data.error) return <main class="page narrow"><Problem error={data.error} /></main>;
  if (!data.data) return <Loading what="公示" />;
  const { community, monthEntries, laterEntries, accounts, fund, report, current, checkpoint } = data.data;
  const tz = community.timezone;
  const f = figures(monthEntries, laterEntries, accounts, fund);
  const names = new Map(accounts.map((a) => [a.code, a.name]));
  const word = (code: string) => accountWord(names.get(code), code);

  return (
    <main class="notice-sheet">
      <header class="notice-head">
        <h1>
          {community.name}
          <br />
          {formatMonth(month)}共管资金收支公示
        </h1>
        <p class="small">依据《民法典》第二百八十二条、第九百四十三条，公共收益归全体业主所有，收支情况定期公开。</p>
      </header>

      <section class="notice-balance">
        <p>
          {current ? '当前' : '月末'}共管账户余额
          <strong>{formatYuan(current ? fund.balance : f.fundAtEnd)}</strong>
        </p>
        <p class="small">
          {current ? `截至 ${formatDate(fund.asOf, tz)}（本月尚未结束）` : `截至 ${formatMonth(month)}末`}
        </p>
      </section>

      <div class="notice-columns">
        <MonthTotals title="本月收入" rows={f.income} total={f.incomeTotal} none="本月无收入" word={word} />
        <MonthTotals title="本月支出" rows={f.spending} total={f.spendingTotal} none="本月无支出" word={word} />
      </div>

      {f.payouts.length ? (
        <section>
          <h2>本月付款明细</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">日期</th>
                <th scope="col">事项</th>
                <th scope="col">单号</th>
                <th scope="col" class="num">金额</th>
              </tr>
            </thead>
            <tbody>
              {f.payouts.map((p, i) => (
                <tr key={i}>
                  <td>{formatDate(p.date, tz)}</td>
                  <td>{p.title}</td>
                  <td>{p.tracking ?? ''}</td>
                  <td class="num">{formatYuan(p.amount)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}

      <section>
        <h2>{month.slice(0, 4)}年度预算执行</h2>
        {report ? (
          <table>
            <thead>
              <tr>
                <th scope="col">科目</th>
                <th scope="col" class="num">预算</th>
                <th scope="col" class="num">实际</th>
                <th scope="col" class="num">执行率</th>
              </tr>
            </thead>
            <tbody>
              {report.lines
                .filter((l) => l.type === 'expense')
                .map((l) => (
                  <tr key={l.account}>
                    <th scope="row">{accountWord(l.name, l.account)}</th>
                    <td class="num">{formatYuan(l.budget)}</td>
                    <td class="num">{formatYuan(l.actual)}</td>
                    <td class="num">{formatRate(l.executionRate)}</td>
                  </tr>
                ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row">支出合计</th>
                <td class="num">{formatYuan(report.totals.budget)}</td>
                <td class="num">{formatYuan(report.totals.actual)}</td>
                <td class="num">{formatRate(report.totals.executionRate)}</td>
              </tr>
            </tfoot>
          </table>
        ) : (
          <p>本年度预算尚未编制。</p>
        )}
      </section>

      {checkpoint ? <CheckpointBlock {...checkpoint} /> : null}

      <footer class="notice-foot">
        <div class="qr" role="img" aria-label="扫码查看实时账本" dangerouslySetInnerHTML={{ __html: qr }} />
        <div>
          <p>
            <strong>扫码查看实时账本</strong>
          </p>
          <p class="small">每一笔收入和支出都可在“信义家”实时查询，支出可按单号像查快递一样查看审批和付款进度。</p>
          <p class="small">
            账本第 {fund.ledgerHead.seq} 笔 · 哈希 {fund.ledgerHead.hash.slice(0, 16)}
          </p>
          <p class="small">公示日期：{formatDate(new Date().toISOString(), tz)}</p>
        </div>
      </footer>
      <p class="no-print">
        <button type="button" class="button" onClick={() => window.print()}>
          打印公示
        </button>{' '}
        <a href="/">返回首页</a>
      </p>
    </main>
  );
}

/** One side of the month, account by account, with its total: income and spending read alike. */
function MonthTotals(props: { title: string; rows: Array<[string, string]>; total: string; none: string; word: (code: string) => string }) {
  return (
    <section>
      <h2>{props.title}</h2>
      <table>
        <tbody>
          {props.rows.map(([code, amount]) => (
            <tr key={code}>
              <th scope="row">{props.word(code)}</th>
              <td class="num">{formatYuan(amount)}</td>
            </tr>
          ))}
          {props.rows.length === 0 ? (
            <tr>
              <td colSpan={2}>{props.none}</td>
            </tr>
          ) : null}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">合计</th>
            <td class="num">{formatYuan(props.total)}</td>
          </tr>
        </tfoot>
      </table>
    </section>
  );
}
