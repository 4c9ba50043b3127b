import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { hasRole, useSession } from '../context.js';
import { useSubmit } from '../hooks.js';
import { CapitalsPreview, ErrorSummary, moneyProblem, valueOf, type Errors } from '../parts/form.js';
import { Card, Field, Money, Problem } from '../parts/ui.js';
import { INCOME_CATEGORIES } from '../words.js';

/** A manager records public income (parking, advertising, leasing…); it reaches every owner's feed at once. */
export function RecordIncome() {
  const { here } = useSession();
  const [form, setForm] = useState({ category: 'parking', amount: '', payer: '', reference: '', memo: '' });
  const [errors, setErrors] = useState<Errors>({});
  const [done, setDone] = useState<{ amount: string; category: string } | undefined>();
  const set = (name: keyof typeof form) => (event: Event) => setForm({ ...form, [name]: valueOf(event) });
  const record = useSubmit(
    (key) =>
      api.recordIncome(
        here.id,
        {
          category: form.category as 'parking',
          amount: form.amount.trim(),
          payer: form.payer.trim(),
          ...(form.reference.trim() ? { reference: form.reference.trim() } : {}),
          ...(form.memo.trim() ? { memo: form.memo.trim() } : {}),
        },
        key,
      ),
    (income) => {
      setDone({ amount: income.amount, category: income.category });
      setForm({ ...form, amount: '', payer: '', reference: '', memo: '' });
    },
  );

  if (!hasRole(here, 'manager')) return <NotForYou what="记录公共收益" />;
  const onSubmit = (event: Event) => {
    event.preventDefault();
    const found: Errors = { 'income-amount': moneyProblem(form.amount), 'income-payer': form.payer.trim() ? undefined : '请填写付款方。' };
    setErrors(found);
    if (!Object.values(found).some(Boolean)) void record.submit();
  };

  return (
    <>
      <h1>记录公共收益</h1>
      {done ? (
        <p class="notice-ok" role="status">
          已入账：{INCOME_CATEGORIES[done.category]} <Money amount={done.amount} />，业主们已能在首页实时看到。
        </p>
      ) : null}
      <ErrorSummary errors={errors} />
      <Problem error={record.error} />
      <Card>
        <form class="form" onSubmit={onSubmit} noValidate>
          <Field id="income-category" label="收益类别">
            <select id="income-category" value={form.category} onChange={set('category')}>
              {Object.entries(INCOME_CATEGORIES).map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          </Field>
          <Field id="income-amount" label="金额（元）" error={errors['income-amount']}>
            <input id="income-amount" inputMode="decimal" autocomplete="off" value={form.amount} onInput={set('amount')} />
            <CapitalsPreview value={form.amount} />
          </Field>
          <Field id="income-payer" label="付款方" hint="例如：某某广告公司、临时停车" error={errors['income-payer']}>
            <input id="income-payer" aria-describedby="income-payer-hint" value={form.payer} onInput={set('payer')} />
          </Field>
          <Field id="income-reference" label="凭证号（选填）" hint="银行流水号或收据编号">
            <input id="income-reference" aria-describedby="income-reference-hint" value={form.reference} onInput={set('reference')} />
          </Field>
          <Field id="income-memo" label="备注（选填）">
            <textarea id="income-memo" rows={2} value={form.memo} onInput={set('memo')} />
          </Field>
          <button type="submit" class="button wide" disabled={record.busy}>
            {record.busy ? '正在入账…' : '确认入账'}
          </button>
        </form>
      </Card>
    </>
  );
}

export function NotForYou({ what }: { what: string }) {
  return (
    <>
      <h1>{what}</h1>
      <p class="problem" role="alert">
        您的身份不能{what}。这项操作只对相应的物业管家、共管签名人或管理员开放。
      </p>
      <p>
        <a href="/">返回首页</a>
      </p>
    </>
  );
}
