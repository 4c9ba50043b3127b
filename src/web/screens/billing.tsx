import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { hasRole, useSession } from '../context.js';
import { formatMonth, formatRatePerM2, formatYuan, monthOf, shiftMonth } from '../format.js';
import { useLoad, useSubmit } from '../hooks.js';
import { CapitalsPreview, FormOutcome, moneyProblem, recentMonths, valueOf, type Errors } from '../parts/form.js';
import { Card, Field, Money, Problem } from '../parts/ui.js';
import { PAYMENT_METHODS } from '../words.js';
import { NotForYou } from './record-income.js';

/** A manager bills a month and records the fees owners pay at the desk or by bank. */
export function Billing() {
  const { here } = useSession();
  if (!hasRole(here, 'manager')) return <NotForYou what="物业费计费与收款" />;
  return (
    <>
      <h1>物业费计费与收款</h1>
      <RunBilling />
      <RecordPayment />
    </>
  );
}

function RunBilling() {
  const { here } = useSession();
  const schedule = useLoad(() => api.feeSchedule(here.id), [here.id]);
  const [period, setPeriod] = useState(() => monthOf(new Date(), here.timezone));
  const [result, setResult] = useState<{ period: string; bills: number; total: string } | undefined>();
  const run = useSubmit((key) => api.billingRun(here.id, { period }, key), setResult);
  return (
    <Card title="按月计费">
      <p class="small muted">
        当前单价：{schedule.data?.ratePerM2 ? `${formatRatePerM2(schedule.data.ratePerM2)} 元/平方米·月` : '尚未设定'}。每户物业费 = 建筑面积 × 单价。{' '}
        <a href="/fee-rate">设定单价 ›</a>
      </p>
      {result ? (
        <p class="notice-ok" role="status">
          {formatMonth(result.period)} 已出账 {result.bills} 户，合计 <Money amount={result.total} />。
        </p>
      ) : null}
      <Problem error={run.error} />
      <form class="form" onSubmit={run.submit}>
        <Field id="billing-period" label="计费月份">
          <select id="billing-period" value={period} onChange={(e) => setPeriod(valueOf(e))}>
            {recentMonths(shiftMonth(monthOf(new Date(), here.timezone), 1), 13).map((m) => (
              <option key={m} value={m}>
                {formatMonth(m)}
              </option>
            ))}
          </select>
        </Field>
        <button type="submit" class="button" disabled={run.busy}>
          生成账单
        </button>
      </form>
    </Card>
  );
}

function RecordPayment() {
  const { here } = useSession();
  const units = useLoad(() => api.units(here.id), [here.id]);
  const [form, setForm] = useState({ unitId: '', amount: '', method: 'bank', reference: '' });
  const [errors, setErrors] = useState<Errors>({});
  const [done, setDone] = useState<string | undefined>();
  const set = (name: keyof typeof form) => (event: Event) => setForm({ ...form, [name]: valueOf(event) });
  const pay = useSubmit(
    (key) =>
      api.feePayment(
        here.id,
        {
          unitId: form.unitId,
          amount: form.amount.trim(),
          method: form.method as 'bank',
          ...(form.reference.trim() ? { reference: form.reference.trim() } : {}),
        },
        key,
      ),
    (payment) => {
      setDone(`已收款 ${formatYuan(payment.amount)}；该户尚欠 ${formatYuan(payment.unitDue)}，预缴余额 ${formatYuan(payment.unitAdvance)}。`);
      setForm({ ...form, amount: '', reference: '' });
    },
  );
  const onSubmit = (event: Event) => {
    event.preventDefault();
    const found: Errors = { 'payment-unit': form.unitId ? undefined : '请选择房屋。', 'payment-amount': moneyProblem(form.amount) };
    setErrors(found);
    if (!Object.values(found).some(Boolean)) void pay.submit();
  };
  return (
    <Card title="登记缴费">
      <FormOutcome done={done} errors={errors} error={pay.error} />
      <form class="form" onSubmit={onSubmit} noValidate>
        <Field id="payment-unit" label="房屋" error={errors['payment-unit']}>
          <select id="payment-unit" value={form.unitId} onChange={set('unitId')}>
            <option value="">请选择</option>
            {(units.data ?? []).map((u) => (
              <option key={u.id} value={u.id}>
                {u.building} {u.code}
              </option>
            ))}
          </select>
        </Field>
        <Field id="payment-amount" label="金额（元）" error={errors['payment-amount']}>
          <input id="payment-amount" inputMode="decimal" autocomplete="off" value={form.amount} onInput={set('amount')} />
          <CapitalsPreview value={form.amount} />
        </Field>
        <Field id="payment-method" label="缴费方式">
          <select id="payment-method" value={form.method} onChange={set('method')}>
            {Object.entries(PAYMENT_METHODS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </Field>
        <Field id="payment-reference" label="凭证号（选填）">
          <input id="payment-reference" value={form.reference} onInput={set('reference')} />
        </Field>
        <button type="submit" class="button" disabled={pay.busy}>
          登记缴费
        </button>
      </form>
    </Card>
  );
}
