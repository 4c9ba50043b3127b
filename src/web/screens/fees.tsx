import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { hasRole, useSession } from '../context.js';
import { formatMonth, formatRate, monthOf, rateWidth } from '../format.js';
import { useLoad } from '../hooks.js';
import { recentMonths } from '../parts/form.js';
import { Bar, Card, Empty, Loading, Money, Problem } from '../parts/ui.js';

/** 物业费: the month's fees billed and collected, by building (never by household), and arrears for those who follow them up. */
export function Fees() {
  const { me, here, feed } = useSession();
  const [period, setPeriod] = useState(() => monthOf(new Date(), here.timezone));
  const summary = useLoad(() => api.feeSummary(here.id, period), [here.id, period]);
  useEffect(() => {
    if (feed.version > 0) summary.reload();
  }, [feed.version]);
  const s = summary.data;

  return (
    <>
      <div class="title-row">
        <h1>物业费</h1>
        <div class="title-actions">
          {hasRole(here, 'manager', 'admin') || me.isPlatformAdmin ? (
            <a class="button small secondary" href="/fee-rate">
              设定单价
            </a>
          ) : null}
          {hasRole(here, 'manager') ? (
            <a class="button small" href="/billing">
              计费与收款
            </a>
          ) : null}
        </div>
      </div>
      <div class="field inline">
        <label for="fees-period">月份</label>
        <select id="fees-period" value={period} onChange={(e) => setPeriod((e.target as HTMLSelectElement).value)}>
          {recentMonths(monthOf(new Date(), here.timezone)).map((m) => (
            <option key={m} value={m}>
              {formatMonth(m)}
            </option>
          ))}
        </select>
      </div>
      {summary.error ? <Problem error={summary.error} /> : null}
      {!s ? (
        <Loading what="缴费汇总" />
      ) : (
        <>
          <section class="card">
            <h2>{formatMonth(s.period)}物业费收缴</h2>
            <dl class="fund-split three">
              <div>
                <dt>应收</dt>
                <dd>
                  <Money amount={s.billed} />
                </dd>
              </div>
              <div>
                <dt>实收</dt>
                <dd>
                  <Money amount={s.collected} />
                </dd>
              </div>
              <div>
                <dt>收缴率</dt>
                <dd>{formatRate(s.collectionRate)}</dd>
              </div>
            </dl>
            <Bar width={rateWidth(s.collectionRate)} label={`收缴率 ${formatRate(s.collectionRate)}`} />
          </section>
          <Card title="各楼栋收缴情况">
            {s.byBuilding.length === 0 ? (
              <Empty>本月还没有出账。</Empty>
            ) : (
              <ul class="budget-lines">
                {s.byBuilding.map((b) => (
                  <li key={b.building}>
                    <div class="budget-line-head">
                      <span class="budget-name">
                        {b.building} <span class="small muted">{b.units} 户</span>
                      </span>
                      <span class="budget-rate">{formatRate(b.collectionRate)}</span>
                    </div>
                    <Bar width={rateWidth(b.collectionRate)} label={`${b.building} 收缴率 ${formatRate(b.collectionRate)}`} />
                    <p class="small muted">
                      应收 <Money amount={b.billed} /> · 实收 <Money amount={b.collected} /> · 未缴 <Money amount={b.due} />
                    </p>
                  </li>
                ))}
              </ul>
            )}
          </Card>
          {hasRole(here, 'manager', 'cosigner', 'supervisor', 'admin') ? <Arrears /> : null}
        </>
      )}
    </>
  );
}

function Arrears() {
  const { here } = useSession();
  const arrears = useLoad(() => api.arrears(here.id), [here.id]);
  return (
    <Card title="欠费房屋">
      {arrears.error ? <Problem error={arrears.error} /> : null}
      {!arrears.data ? (
        <Loading />
      ) : arrears.data.items.length === 0 ? (
        <Empty>没有欠费房屋。</Empty>
      ) : (
        <ul class="plain-list">
          {arrears.data.items.map((a) => (
            <li key={a.unitId}>
              <span>
                {a.building} {a.code} <span class="small muted">欠 {a.unpaidBills} 期，自 {formatMonth(a.oldestUnpaidPeriod)}</span>
              </span>
              <Money amount={a.due} />
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
