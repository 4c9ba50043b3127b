import { useEffect } from 'preact/hooks';
import { api } from '../api.js';
import { hasRole, useSession } from '../context.js';
import { formatDateTime, monthOf } from '../format.js';
import { useLoad } from '../hooks.js';
import { BankBadge } from '../parts/bank-badge.js';
import { FeedList } from '../parts/feed-list.js';
import { LedgerWitness } from '../parts/ledger-witness.js';
import { Card, Empty, Loading, Money, Problem } from '../parts/ui.js';

/** Feed items that move the fund's bank account (1001), and so may change the reconciliation. */
const BANK_MOVES = new Set(['income.recorded', 'fee.paid', 'spend.paid', 'entry.reversed']);

/** 首页: the fund (balance, reserved, available), whether the books verify, and the live feed. */
export function Home() {
  const { here, feed } = useSession();
  const fund = useLoad(() => api.fund(here.id), [here.id]);
  const verification = useLoad(() => api.verify(here.id), [here.id]);
  const reconciliation = useLoad(() => api.reconciliation(here.id), [here.id]);
  // The balance follows the feed: every live item re-reads the fund, which stays the authority.
  useEffect(() => {
    if (feed.version > 0) {
      fund.reload();
      verification.reload();
      // Matching every bank line is the heaviest read here: only money through the bank account moves it.
      if (BANK_MOVES.has(feed.items[0]?.type ?? '')) reconciliation.reload();
    }
  }, [feed.version]);

  return (
    <>
      <h1 class="visually-hidden">首页</h1>
      <section class="card fund" aria-labelledby="fund-title">
        <h2 id="fund-title">共管账户资金余额</h2>
        {fund.data ? (
          <>
            <p class="balance" data-testid="balance">
              <Money amount={fund.data.balance} />
            </p>
            <dl class="fund-split">
              <div>
                <dt>已预留</dt>
                <dd>
                  <Money amount={fund.data.reserved} />
                </dd>
              </div>
              <div>
                <dt>可用余额</dt>
                <dd>
                  <Money amount={fund.data.available} />
                </dd>
              </div>
            </dl>
            <p class="small muted">
              截至 {formatDateTime(fund.data.asOf, here.timezone)} · 账本第 {fund.data.ledgerHead.seq} 笔
              <span class="hash" title={fund.data.ledgerHead.hash}>
                {' '}
                #{fund.data.ledgerHead.hash.slice(0, 8)}
              </span>
            </p>
            {verification.data?.ok ? (
              <p class="badge-ok" role="status">
                ✓ 账本校验通过
              </p>
            ) : verification.data ? (
              <p class="badge-bad" role="alert">
                账本校验未通过，请联系业委会
              </p>
            ) : null}
            <BankBadge reconciliation={reconciliation} />
            <LedgerWitness />
          </>
        ) : fund.error ? (
          <Problem error={fund.error} />
        ) : (
          <Loading what="余额" />
        )}
      </section>

      <OverdueQuestions />
      <Actions />

      <Card
        title="实时收支"
        actions={
          <span class={`live ${feed.connected ? 'on' : ''}`} role="status">
            {feed.connected ? '实时更新中' : '连接中…'}
          </span>
        }
      >
        {feed.items.length ? (
          <FeedList items={feed.items} timeZone={here.timezone} />
        ) : (
          <Empty>还没有收支记录。每一笔收入和支出都会在这里实时出现。</Empty>
        )}
        <p class="small">
          <a href="/entries">查看全部收支明细 ›</a>
          {'　'}
          <a href={`/notice/${here.id}/${monthOf(new Date(), here.timezone)}`}>本月公示 ›</a>
        </p>
      </Card>
    </>
  );
}

/** Questions the steward let pass seven days unanswered, said on the first screen, in red, to everyone. */
function OverdueQuestions() {
  const { here, feed } = useSession();
  const overdue = useLoad(() => api.challenges(here.id, 'overdue'), [here.id]);
  useEffect(() => {
    if (feed.version > 0) overdue.reload();
  }, [feed.version]);
  const count = overdue.data?.items.length ?? 0;
  if (!count) return null;
  return (
    <p class="alarm">
      <a href="/challenges">
        {overdue.data?.nextAfter ? `${count}+` : count} 条业主质询逾期未答复 ›
      </a>
    </p>
  );
}

/** What this member can do from here, by role; the API decides again on every request. */
function Actions() {
  const { me, here } = useSession();
  // Repairs are for every member: the one thing a resident most often comes to do.
  const links: [string, string][] = [
    ['/report-repair', '我要报修'],
    ['/repairs', '报修进度'],
    ['/challenges', '业主质询'],
    ['/votes', '业主表决'],
    ['/surveys', '满意度测评'],
  ];
  if (hasRole(here, 'cosigner')) links.push(['/approvals', '待我审批']);
  if (hasRole(here, 'manager')) {
    links.push(['/record-income', '记录公共收益'], ['/submit-request', '提交支出申请'], ['/billing', '物业费计费与收款'], ['/reconciliation', '银行对账']);
  }
  if (hasRole(here, 'manager', 'admin') || me.isPlatformAdmin) links.push(['/draft-budget', '编制年度预算'], ['/fee-rate', '设定物业费单价']);
  if (hasRole(here, 'admin')) links.push(['/members-units', '成员与房屋']);
  if (!links.length) return null;
  return (
    <nav class="card actions" aria-label="常用操作">
      {links.map(([href, label]) => (
        <a key={href} class="action" href={href}>
          {label}
        </a>
      ))}
    </nav>
  );
}
