import { useState } from 'preact/hooks';
import { api, type FeeSchedule } from '../api.js';
import { hasRole, useSession } from '../context.js';
import { formatMonth, formatRatePerM2, fromFen, monthOf, shiftMonth } from '../format.js';
import { useLoad, useSubmit } from '../hooks.js';
import { Confirmation, ErrorSummary, recentMonths, valueOf, type Errors } from '../parts/form.js';
import { Card, Empty, Field, Loading, Money, Problem } from '../parts/ui.js';
import { NotForYou } from './record-income.js';

/** The API's rule for a rate: positive, at most 9999.9999, up to 4 decimals. */
const RATE = /^(0|[1-9]\d{0,3})(\.\d{1,4})?$/;

/** What 100 m² pays a month at a rate: the rate's ten-thousandths are exactly its fen. */
function per100m2(rate: string): string {
  const [whole, fraction = ''] = rate.split('.') as [string, string?];
  return fromFen(BigInt(whole) * 10_000n + BigInt(fraction.padEnd(4, '0')));
}

/** A manager or admin sets the monthly property fee per m², from a month on; bills already issued never change. */
export function SetFeeRate() {
  const { me, here } = useSession();
  const loaded = useLoad(() => api.feeSchedule(here.id), [here.id]);
  // A save answers with the schedule as it now stands.
  const [saved, setSaved] = useState<FeeSchedule | undefined>();
  const schedule = saved ?? loaded.data;
  const thisMonth = monthOf(new Date(), here.timezone);
  // From three months back (a period not billed yet) to a year ahead, in calendar order.
  const months = recentMonths(shiftMonth(thisMonth, 12), 16).reverse();
  const [form, setForm] = useState({ rate: '', effectiveFrom: thisMonth });
  const [errors, setErrors] = useState<Errors>({});
  const [done, setDone] = useState<string | undefined>();
  const save = useSubmit(
    () => api.setFeeSchedule(here.id, { ratePerM2: form.rate.trim(), effectiveFrom: form.effectiveFrom }),
    (now) => {
      setDone(`已设定：自${formatMonth(form.effectiveFrom)}起，物业费 ${formatRatePerM2(form.rate.trim())} 元/平方米·月。`);
      setForm({ ...form, rate: '' });
      setSaved(now);
    },
  );

  if (!hasRole(here, 'manager', 'admin') && !me.isPlatformAdmin) return <NotForYou what="设定物业费单价" />;

  const onSubmit = (event: Event) => {
    event.preventDefault();
    setDone(undefined);
    const rate = form.rate.trim();
    const found: Errors = {
      'fee-rate':
        !rate ? '请填写单价。' : !RATE.test(rate) ? '单价请填写数字，最多四位小数，例如 2.35。' : !/[1-9]/.test(rate) ? '单价必须大于零。' : undefined,
    };
    setErrors(found);
    if (!Object.values(found).some(Boolean)) void save.submit();
  };
  const rate = form.rate.trim();

  return (
    <>
      <p class="small">
        <a href="/fees">‹ 物业费</a>
      </p>
      <h1>设定物业费单价</h1>
      <ErrorSummary errors={errors} />
      <Problem error={save.error} />
      {done ? <Confirmation key={done}>{done}</Confirmation> : null}
      <Card>
        <p>
          当前单价：
          {schedule?.ratePerM2 ? (
            <strong>{formatRatePerM2(schedule.ratePerM2)} 元/平方米·月</strong>
          ) : schedule ? (
            '尚未设定'
          ) : (
            '…'
          )}
        </p>
        <p class="hint">每户每月物业费 = 建筑面积 × 单价，四舍五入到分。新单价不改变已出的账单，从生效月份起计费时使用。</p>
        <form class="form" onSubmit={onSubmit} noValidate>
          <Field id="fee-rate" label="单价（元/平方米·月）" hint="例如 2.35，最多四位小数" error={errors['fee-rate']}>
            <input
              id="fee-rate"
              inputMode="decimal"
              autocomplete="off"
              aria-invalid={errors['fee-rate'] ? true : undefined}
              aria-describedby={errors['fee-rate'] ? 'fee-rate-hint fee-rate-error' : 'fee-rate-hint'}
              value={form.rate}
              onInput={(e) => setForm({ ...form, rate: valueOf(e) })}
            />
            {RATE.test(rate) && /[1-9]/.test(rate) ? (
              <p class="hint" aria-live="polite">
                按此单价，100 平方米的房屋每月 <Money amount={per100m2(rate)} />
              </p>
            ) : null}
          </Field>
          <Field id="fee-from" label="生效月份">
            <select id="fee-from" value={form.effectiveFrom} onChange={(e) => setForm({ ...form, effectiveFrom: valueOf(e) })}>
              {months.map((m) => (
                <option key={m} value={m}>
                  {formatMonth(m)}
                  {m === thisMonth ? '（本月）' : ''}
                </option>
              ))}
            </select>
          </Field>
          <button type="submit" class="button" disabled={save.busy}>
            {save.busy ? '正在保存…' : '保存单价'}
          </button>
        </form>
      </Card>
      <Card title="历次设定">
        <Problem error={loaded.error} />
        {!schedule ? (
          <Loading />
        ) : schedule.history.length === 0 ? (
          <Empty>还没有设定过单价。</Empty>
        ) : (
          <ul class="plain-list">
            {schedule.history.map((r) => (
              <li key={`${r.effectiveFrom}-${r.setAt}`}>
                <span>
                  自{formatMonth(r.effectiveFrom)}起
                  {r.effectiveFrom > thisMonth ? <span class="small muted">（待生效）</span> : null}
                </span>
                <span>{formatRatePerM2(r.ratePerM2)} 元/平方米·月</span>
              </li>
            ))}
          </ul>
        )}
      </Card>
    </>
  );
}
