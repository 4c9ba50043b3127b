import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type Account, type Budget } from '../api.js';
import { hasRole, useSession } from '../context.js';
import { sumAmounts } from '../format.js';
import { useLoad, useSubmit } from '../hooks.js';
import { Confirmation, ErrorSummary, valueOf, type Errors } from '../parts/form.js';
import { Card, Field, Loading, Money, Problem } from '../parts/ui.js';
import { accountWord } from '../words.js';
import { NotForYou } from './record-income.js';

/** A budget amount: the money rule of the API, zero allowed ("nothing planned"). */
const AMOUNT = /^(0|[1-9]\d{0,12})(\.\d{1,2})?$/;
const fieldId = (code: string) => `budget-line-${code}`;

/**
 * A manager or admin drafts the year's budget: one amount per income and expense account of
 * the chart, filled in from the latest version when there is one. Saving rewrites an open
 * draft (its keys are void) or opens the next version; co-signers approve it on 年度预算.
 */
export function DraftBudget() {
  const { me, here } = useSession();
  const thisYear = Number(new Intl.DateTimeFormat('en-CA', { timeZone: here.timezone, year: 'numeric' }).format(new Date()));
  const [year, setYear] = useState(thisYear);
  const accounts = useLoad(() => api.accounts(here.id), [here.id]);
  const latest = useLoad(
    () =>
      api.budget(here.id, year).catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }),
    [here.id, year],
  );
  const [amounts, setAmounts] = useState<Record<string, string>>({});
  const [errors, setErrors] = useState<Errors>({});
  const [saved, setSaved] = useState<Budget | undefined>();
  useEffect(() => {
    setAmounts(Object.fromEntries((latest.data?.lines ?? []).map((l) => [l.account, l.amount])));
    setErrors({});
  }, [latest.data]);

  const lines = (accounts.data ?? []).filter((a) => a.type === 'income' || a.type === 'expense');
  const filled = lines.filter((a) => (amounts[a.code] ?? '').trim() !== '');
  const save = useSubmit(
    () => api.putBudget(here.id, year, { lines: filled.map((a) => ({ account: a.code, amount: amounts[a.code]!.trim() })) }),
    (budget) => {
      setSaved(budget);
      latest.reload();
    },
  );

  if (!hasRole(here, 'manager', 'admin') && !me.isPlatformAdmin) return <NotForYou what="编制年度预算" />;

  const onSubmit = (event: Event) => {
    event.preventDefault();
    setSaved(undefined);
    const found: Errors = {};
    for (const a of filled) {
      if (!AMOUNT.test(amounts[a.code]!.trim())) found[fieldId(a.code)] = `${accountWord(a.name, a.code)}：请填写金额，最多两位小数，例如 36000 或 0。`;
    }
    const first = lines.find((a) => a.type === 'expense') ?? lines[0];
    if (!filled.length && first) found[fieldId(first.code)] = '请至少为一个科目填写预算金额。';
    setErrors(found);
    if (!Object.keys(found).length) void save.submit();
  };
  const total = (type: Account['type']) =>
    sumAmounts(filled.filter((a) => a.type === type && AMOUNT.test(amounts[a.code]!.trim())).map((a) => amounts[a.code]!.trim()));

  return (
    <>
      <p class="small">
        <a href="/budget">‹ 年度预算</a>
      </p>
      <h1>编制年度预算</h1>
      <ErrorSummary errors={errors} />
      <Problem error={save.error} />
      {saved ? (
        <Confirmation key={saved.digest}>
          已保存 {saved.year} 年度预算第 {saved.version} 版草案：支出 <Money amount={saved.totals.expense} />，收入 <Money amount={saved.totals.income} />
          。需 {saved.requiredApprovals} 位共管签名人在“年度预算”页批准后生效。 <a href="/budget">查看预算 ›</a>
        </Confirmation>
      ) : null}
      <form class="form" onSubmit={onSubmit} noValidate>
        <Card>
          <Field id="draft-year" label="预算年度">
            <select id="draft-year" value={year} onChange={(e) => setYear(Number(valueOf(e)))}>
              {[thisYear + 1, thisYear].map((y) => (
                <option key={y} value={y}>
                  {y}年
                </option>
              ))}
            </select>
          </Field>
          {latest.loading && !latest.data ? <Loading what="已有预算" /> : <Standing budget={latest.data ?? null} />}
          <Problem error={latest.error ?? accounts.error} />
        </Card>
        {!accounts.data ? (
          <Loading what="会计科目" />
        ) : (
          <>
            <Lines title="支出预算" type="expense" accounts={lines} amounts={amounts} errors={errors} onChange={setAmounts} total={total('expense')} />
            <Lines title="收入预算" type="income" accounts={lines} amounts={amounts} errors={errors} onChange={setAmounts} total={total('income')} />
            <button type="submit" class="button wide" disabled={save.busy}>
              {save.busy ? '正在保存…' : '保存预算草案'}
            </button>
          </>
        )}
      </form>
    </>
  );
}

/** What saving does to the budget as it stands. */
function Standing({ budget }: { budget: Budget | null }) {
  if (!budget) return <p class="hint">本年度还没有预算：保存后成为第 1 版草案。</p>;
  if (budget.status === 'draft') {
    return (
      <p class="hint">
        第 {budget.version} 版草案待批准（已签 {budget.approvals.length}/{budget.requiredApprovals}）。保存将改写这份草案，已有的签名随之作废。
      </p>
    );
  }
  return <p class="hint">第 {budget.version} 版已批准并生效。保存将开启第 {budget.version + 1} 版草案；新版批准前，已批准的版本继续有效。</p>;
}

function Lines(props: {
  title: string;
  type: 'income' | 'expense';
  accounts: Account[];
  amounts: Record<string, string>;
  errors: Errors;
  onChange: (amounts: Record<string, string>) => void;
  total: string;
}) {
  const { amounts, errors } = props;
  const legendId = `draft-${props.type}-legend`;
  return (
    <Card>
      <fieldset class="budget-fieldset" aria-labelledby={legendId}>
        <legend id={legendId} class="card-legend">
          {props.title}
        </legend>
        <p class="hint">单位：元。留空的科目不列入预算；填 0 表示本年不安排。</p>
        {props.accounts
          .filter((a) => a.type === props.type)
          .map((a) => {
            const id = fieldId(a.code);
            return (
              <Field key={a.code} id={id} label={`${a.code} ${accountWord(a.name, a.code)}`} error={errors[id]}>
                <input
                  id={id}
                  inputMode="decimal"
                  autocomplete="off"
                  aria-invalid={errors[id] ? true : undefined}
                  aria-describedby={errors[id] ? `${id}-error` : undefined}
                  value={amounts[a.code] ?? ''}
                  onInput={(e) => props.onChange({ ...amounts, [a.code]: valueOf(e) })}
                />
              </Field>
            );
          })}
        <p class="budget-total">
          {props.type === 'expense' ? '支出合计' : '收入合计'} <Money amount={props.total} />
        </p>
      </fieldset>
    </Card>
  );
}
