import { api, type Statement } from '../api.js';
import { useSession } from '../context.js';
import { formatDate, formatMonth } from '../format.js';
import { useLoad } from '../hooks.js';
import { Card, Empty, Loading, Money, Problem } from '../parts/ui.js';
import { PAYMENT_METHODS } from '../words.js';
import { PayOnline } from '../parts/pay-online.js';

/** 我的房屋: each of my units' bills, payments, what is due and what was paid in advance. */
export function MyUnits() {
  const { here } = useSession();
  const statements = useLoad(() => Promise.all(here.unitIds.map((id) => api.statement(here.id, id))), [here.id, here.unitIds.join()]);
  return (
    <>
      <h1>我的房屋</h1>
      {statements.error ? <Problem error={statements.error} /> : null}
      {here.unitIds.length === 0 ? (
        <Empty>您在本小区名下还没有登记房屋。如有疑问请联系小区管理员。</Empty>
      ) : !statements.data ? (
        <Loading what="账单" />
      ) : (
        statements.data.map((s) => <UnitStatement key={s.unit.id} statement={s} timeZone={here.timezone} onPaid={statements.reload} />)
      )}
    </>
  );
}

function UnitStatement({ statement: s, timeZone, onPaid }: { statement: Statement; timeZone: string; onPaid: () => void }) {
  const bills = [...s.bills].reverse();
  const payments = [...s.payments].reverse();
  return (
    <Card title={`${s.unit.building} ${s.unit.code}`}>
      <p class="small muted">建筑面积 {s.unit.areaM2} 平方米</p>
      <dl class="fund-split">
        <div>
          <dt>待缴</dt>
          <dd class={s.due !== '0.00' ? 'due' : ''}>
            <Money amount={s.due} />
          </dd>
        </div>
        <div>
          <dt>预缴余额</dt>
          <dd>
            <Money amount={s.advance} />
          </dd>
        </div>
      </dl>
      <PayOnline unitId={s.unit.id} due={s.due} onPaid={onPaid} />
      <p class="small muted">也可以到物业服务中心或通过银行转账缴纳，缴费后会实时出现在这里。</p>
      <h3>账单</h3>
      {bills.length === 0 ? (
        <Empty>还没有账单。</Empty>
      ) : (
        <div class="table-wrap">
          <table>
            <caption class="visually-hidden">物业费账单</caption>
            <thead>
              <tr>
                <th scope="col">月份</th>
                <th scope="col" class="num">应缴</th>
                <th scope="col" class="num">已缴</th>
                <th scope="col" class="num">待缴</th>
              </tr>
            </thead>
            <tbody>
              {bills.map((b) => (
                <tr key={b.period}>
                  <th scope="row">{formatMonth(b.period)}</th>
                  <td class="num">
                    <Money amount={b.amount} />
                  </td>
                  <td class="num">
                    <Money amount={b.paid} />
                  </td>
                  <td class={`num${b.due !== '0.00' ? ' due' : ''}`}>
                    <Money amount={b.due} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h3>缴费记录</h3>
      {payments.length === 0 ? (
        <Empty>还没有缴费记录。</Empty>
      ) : (
        <ul class="plain-list">
          {payments.map((p) => (
            <li key={p.id}>
              <span>
                {formatDate(p.paidAt, timeZone)} · {PAYMENT_METHODS[p.method] ?? p.method}
              </span>
              <Money amount={p.amount} />
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
