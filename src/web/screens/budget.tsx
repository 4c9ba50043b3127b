import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type BudgetReport } from '../api.js';
import { hasRole, useSession } from '../context.js';
import { barWidth, formatRate, maxAmount, rateWidth } from '../format.js';
import { useLoad, useSubmit } from '../hooks.js';
import { Bar, Card, Empty, Field, Loading, Money, Problem } from '../parts/ui.js';
import { accountWord } from '../words.js';

type Line = BudgetReport['lines'][number];

/** 年度预算: the year's budget against actuals, per line and by month, with execution rates. */
export function Budget() {
  const { me, here, feed } = useSession();
  const thisYear = Number(new Intl.DateTimeFormat('en-CA', { timeZone: here.timezone, year: 'numeric' }).format(new Date()));
  const [year, setYear] = useState(thisYear);
  const report = useLoad(() => api.budgetReport(here.id, year), [here.id, year]);
  useEffect(() => {
    if (feed.version > 0) report.reload();
  }, [feed.version]);
  const missing = report.error instanceof ApiError && report.error.status === 404;
  const drafts = hasRole(here, 'manager', 'admin') || me.isPlatformAdmin;

  return (
    <>
      <div class="title-row">
        <h1>年度预算</h1>
        {drafts ? (
          <a class="button small" href="/draft-budget">
            编制预算
          </a>
        ) : null}
        <div class="field inline">
          <label for="budget-year">年度</label>
          <select id="budget-year" value={year} onChange={(e) => setYear(Number((e.target as HTMLSelectElement).value))}>
            {[thisYear + 1, thisYear, thisYear - 1, thisYear - 2].map((y) => (
              <option key={y} value={y}>
                {y}年
              </option>
            ))}
          </select>
        </div>
      </div>
      {missing ? (
        <Empty>
          {year} 年度还没有编制预算。{drafts ? <a href="/draft-budget">现在编制 ›</a> : null}
        </Empty>
      ) : report.error ? (
        <Problem error={report.error} />
      ) : !report.data ? (
        <Loading what="预算" />
      ) : (
        <BudgetBody report={report.data} onApproved={report.reload} />
      )}
    </>
  );
}

function BudgetBody({ report, onApproved }: { report: BudgetReport; onApproved: () => void }) {
  const { here } = useSession();
  const expense = report.lines.filter((l) => l.type === 'expense');
  const income = report.lines.filter((l) => l.type === 'income');
  const t = report.totals;
  return (
    <>
      <section class="card">
        <p>
          <span class={`status ${report.status === 'approved' ? 'status-approved' : 'status-pending'}`}>
            {report.status === 'approved' ? '已批准' : '草案待批准'}
          </span>{' '}
          <span class="small muted">第 {report.version} 版</span>
        </p>
        <dl class="fund-split three">
          <div>
            <dt>支出预算</dt>
            <dd>
              <Money amount={t.budget} />
            </dd>
          </div>
          <div>
            <dt>已执行</dt>
            <dd>
              <Money amount={t.actual} />
            </dd>
          </div>
          <div>
            <dt>执行率</dt>
            <dd>{formatRate(t.executionRate)}</dd>
          </div>
        </dl>
        <Bar width={rateWidth(t.executionRate)} label={`支出预算执行率 ${formatRate(t.executionRate)}`} />
      </section>
      {report.status === 'draft' && hasRole(here, 'cosigner') ? <ApproveBudget year={report.year} onDone={onApproved} /> : null}
      <p class="small">
        <a href={`/ask?type=budget&id=${report.year}`}>对 {report.year} 年度预算有疑问？发起质询 ›</a>
      </p>
      <Card title="支出预算执行">
        <Lines lines={expense} />
      </Card>
      {income.length ? (
        <Card title="收入预算完成">
          <Lines lines={income} />
        </Card>
      ) : null}
    </>
  );
}

function Lines({ lines }: { lines: Line[] }) {
  if (!lines.length) return <Empty>没有预算科目。</Empty>;
  return (
    <ul class="budget-lines">
      {lines.map((line) => {
        const name = accountWord(line.name, line.account);
        const over = line.executionRate !== null && parseFloat(line.executionRate) > 1;
        const unbudgeted = line.executionRate === null;
        return (
          <li key={line.account}>
            <div class="budget-line-head">
              <span class="budget-name">{name}</span>
              <span class={`budget-rate${over ? ' over' : ''}`}>{unbudgeted ? '未列预算' : formatRate(line.executionRate)}</span>
            </div>
            {unbudgeted ? null : (
              <Bar width={rateWidth(line.executionRate)} tone={over ? 'over' : 'primary'} label={`${name} 执行率 ${formatRate(line.executionRate)}`} />
            )}
            <p class="small muted">
              {unbudgeted ? (
                <>
                  本年实际 <Money amount={line.actual} />
                </>
              ) : (
                <>
                  预算 <Money amount={line.budget} /> · 实际 <Money amount={line.actual} /> · 剩余 <Money amount={line.remaining} />
                </>
              )}
            </p>
            <details>
              <summary>按月查看</summary>
              <Months line={line} />
            </details>
          </li>
        );
      })}
    </ul>
  );
}

function Months({ line }: { line: Line }) {
  const top = maxAmount(line.months);
  return (
    <ol class="months" aria-label={`${accountWord(line.name, line.account)} 每月实际`}>
      {line.months.map((amount, i) => (
        <li key={i}>
          <span class="month-bar" aria-hidden="true">
            <span class="month-fill" style={{ height: barWidth(amount, top) }} />
          </span>
          <span class="month-label">{i + 1}月</span>
          <span class="visually-hidden">
            <Money amount={amount} />
          </span>
        </li>
      ))}
    </ol>
  );
}

function ApproveBudget({ year, onDone }: { year: number; onDone: () => void }) {
  const { here } = useSession();
  const budget = useLoad(() => api.budget(here.id, year), [here.id, year]);
  const [password, setPassword] = useState('');
  const approve = useSubmit(() => api.approveBudget(here.id, year, password, budget.data!.digest), onDone);
  if (!budget.data) return null;
  return (
    <Card title="批准年度预算">
      <p class="small">
        收入合计 <Money amount={budget.data.totals.income} />，支出合计 <Money amount={budget.data.totals.expense} />；已签{' '}
        {budget.data.approvals.length}/{budget.data.requiredApprovals}。
      </p>
      <p class="small">
        签名摘要 <code class="digest">{budget.data.digest}</code>
      </p>
      <Problem error={approve.error} />
      <form class="form" onSubmit={approve.submit}>
        <Field id="budget-signing-password" label="签名密码">
          <input
            id="budget-signing-password"
            type="password"
            autocomplete="off"
            required
            value={password}
            onInput={(e) => setPassword((e.target as HTMLInputElement).value)}
          />
        </Field>
        <button type="submit" class="button" disabled={approve.busy}>
          批准预算
        </button>
      </form>
    </Card>
  );
}
