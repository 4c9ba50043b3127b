import { useRef, useState } from 'preact/hooks';
import { api, type CreateSurveyBody } from '../api.js';
import { hasRole, useSession } from '../context.js';
import { useSubmit } from '../hooks.js';
import { ErrorSummary, valueOf, type Errors } from '../parts/form.js';
import { instantIn, localDaysAhead, monthNowIn } from '../parts/local-time.js';
import { Card, Field, Problem } from '../parts/ui.js';
import { navigate } from '../router.js';
import { periodWords } from '../words.js';

/** The items most 物业服务 surveys ask about, offered pre-filled; the rest are one tap away. */
const USUAL_ITEMS = ['保洁', '安保', '绿化', '维修响应', '客服态度'];
const MORE_ITEMS = ['停车管理', '电梯运行', '公共设施维护', '装修管理'];

/** Keys for the usual items, so scripts reading the API see words rather than numbers; others are itemN. */
const ITEM_KEYS: Record<string, string> = {
  保洁: 'cleaning',
  安保: 'security',
  绿化: 'greening',
  维修响应: 'repairs',
  客服态度: 'service',
  停车管理: 'parking',
  电梯运行: 'elevators',
  公共设施维护: 'facilities',
  装修管理: 'renovation',
};

const MAX_ITEMS = 20;

interface Row {
  /** Stable while the form lives: the row's field id and list key, whatever is removed around it. */
  id: number;
  label: string;
}

/** The periods an admin is likely to rate: this and the last three quarters, this and the last eleven months, this and last year. */
function periodChoices(timeZone: string): { group: string; periods: string[] }[] {
  const { year, month } = monthNowIn(timeZone);
  const quarters: string[] = [];
  for (let i = 0; i < 4; i++) {
    const index = year * 4 + Math.ceil(month / 3) - 1 - i;
    quarters.push(`${Math.floor(index / 4)}-Q${(index % 4) + 1}`);
  }
  const months: string[] = [];
  for (let i = 0; i < 12; i++) {
    const index = year * 12 + month - 1 - i;
    months.push(`${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`);
  }
  return [
    { group: '按季度', periods: quarters },
    { group: '按月', periods: months },
    { group: '按年度', periods: [String(year), String(year - 1)] },
  ];
}

/** The body the API takes: labels trimmed, keys from the usual words or by position (distinct, since labels are). */
export function surveyItems(rows: Row[]): CreateSurveyBody['items'] {
  return rows.map((row, index) => {
    const label = row.label.trim();
    return { key: ITEM_KEYS[label] ?? `item${index + 1}`, label };
  });
}

function rowProblems(rows: Row[]): Errors {
  const seen = new Set<string>();
  const found: Errors = {};
  rows.forEach((row, index) => {
    const label = row.label.trim();
    const id = `survey-item-${row.id}`;
    if (!label) found[id] = `请填写第 ${index + 1} 项的名称，或删除这一项。`;
    else if (label.length > 100) found[id] = `第 ${index + 1} 项的名称请不超过 100 个字。`;
    else if (seen.has(label)) found[id] = `“${label}”重复了，请删除重复的一项。`;
    seen.add(label);
  });
  return found;
}

/** /start-survey: the community admin asks the owners to score the steward's service for a period. */
export function StartSurvey() {
  const { here } = useSession();
  const [choices] = useState(() => periodChoices(here.timezone));
  const [period, setPeriod] = useState(choices[0]!.periods[0]!);
  // The title follows the period until the admin writes one of their own.
  const [ownTitle, setOwnTitle] = useState<string | undefined>();
  const title = ownTitle ?? `${periodWords(period)}物业服务满意度测评`;
  const [closesAt, setClosesAt] = useState(() => localDaysAhead(14, 18, here.timezone));
  const nextId = useRef(USUAL_ITEMS.length);
  const [rows, setRows] = useState<Row[]>(() => USUAL_ITEMS.map((label, id) => ({ id, label })));
  const [errors, setErrors] = useState<Errors>({});
  const send = useSubmit(
    () => api.startSurvey(here.id, { title: title.trim(), period, closesAt: instantIn(closesAt, here.timezone)!, items: surveyItems(rows) }),
    (created) => navigate(`/surveys/${encodeURIComponent(created.id)}`),
  );
  if (!hasRole(here, 'admin')) {
    return (
      <>
        <h1>发起满意度测评</h1>
        <p class="problem">只有小区管理员可以发起满意度测评。</p>
        <p>
          <a href="/surveys">‹ 全部测评</a>
        </p>
      </>
    );
  }

  const addRow = (label = '') => {
    const id = nextId.current++;
    setRows([...rows, { id, label }]);
    // A blank row is for typing: put the cursor in it once it is drawn.
    if (!label) requestAnimationFrame(() => document.getElementById(`survey-item-${id}`)?.focus());
  };
  const setLabel = (id: number, label: string) => setRows(rows.map((r) => (r.id === id ? { ...r, label } : r)));
  const removeRow = (id: number) => {
    setRows(rows.filter((r) => r.id !== id));
    setErrors({ ...errors, [`survey-item-${id}`]: undefined });
  };
  const inList = new Set(rows.map((r) => r.label.trim()));
  const suggestions = [...USUAL_ITEMS, ...MORE_ITEMS].filter((label) => !inList.has(label));

  const onSubmit = (event: Event) => {
    event.preventDefault();
    const at = instantIn(closesAt, here.timezone);
    const found: Errors = {
      'survey-title': title.trim() ? undefined : '请填写测评名称。',
      'survey-closes': !at ? '请填写截止时间。' : Date.parse(at) <= Date.now() ? '截止时间须晚于现在。' : undefined,
      ...rowProblems(rows),
    };
    setErrors(found);
    if (!Object.values(found).some(Boolean)) void send.submit();
  };

  return (
    <>
      <p class="small">
        <a href="/surveys">‹ 全部测评</a>
      </p>
      <h1>发起满意度测评</h1>
      <p class="muted small">业主为每一项打 1 至 5 分，每户一次，截止后不再收集；结果对全体成员公开。</p>
      <ErrorSummary errors={errors} />
      <Problem error={send.error} />
      <Card>
        <form class="form" onSubmit={onSubmit} noValidate>
          <Field id="survey-period" label="测评期间" hint="本次测评评价哪一段时间的物业服务">
            <select id="survey-period" aria-describedby="survey-period-hint" value={period} onChange={(e) => setPeriod((e.target as HTMLSelectElement).value)}>
              {choices.map((c) => (
                <optgroup key={c.group} label={c.group}>
                  {c.periods.map((p) => (
                    <option key={p} value={p}>
                      {periodWords(p)}（{p}）
                    </option>
                  ))}
                </optgroup>
              ))}
            </select>
          </Field>
          <Field id="survey-title" label="测评名称" error={errors['survey-title']}>
            <input
              id="survey-title"
              type="text"
              maxLength={200}
              aria-describedby={errors['survey-title'] ? 'survey-title-error' : undefined}
              value={title}
              onInput={(e) => setOwnTitle(valueOf(e))}
            />
          </Field>
          <Field id="survey-closes" label="截止时间" hint={`按小区所在时区（${here.timezone}）`} error={errors['survey-closes']}>
            <input
              id="survey-closes"
              type="datetime-local"
              aria-describedby={['survey-closes-hint', errors['survey-closes'] ? 'survey-closes-error' : ''].join(' ').trim()}
              value={closesAt}
              onInput={(e) => setClosesAt(valueOf(e))}
            />
          </Field>
          <fieldset class="field survey-items">
            <legend>测评项目</legend>
            <p class="hint">每项一个名称，业主逐项打分；最多 {MAX_ITEMS} 项。</p>
            {rows.map((row, index) => (
              <ItemRow
                key={row.id}
                row={row}
                number={index + 1}
                error={errors[`survey-item-${row.id}`]}
                onInput={(label) => setLabel(row.id, label)}
                onRemove={rows.length > 1 ? () => removeRow(row.id) : undefined}
              />
            ))}
            {rows.length < MAX_ITEMS ? (
              <>
                <button type="button" class="button secondary small" onClick={() => addRow()}>
                  添加一项
                </button>
                {suggestions.length ? (
                  <div class="survey-suggestions">
                    <p class="hint" id="survey-suggestions-hint">
                      常用项目，点一下加入：
                    </p>
                    <div class="chips" role="group" aria-labelledby="survey-suggestions-hint">
                      {suggestions.map((label) => (
                        <button key={label} type="button" class="chip" onClick={() => addRow(label)}>
                          ＋ {label}
                        </button>
                      ))}
                    </div>
                  </div>
                ) : null}
              </>
            ) : null}
          </fieldset>
          <button type="submit" class="button wide" disabled={send.busy}>
            {send.busy ? '正在发起…' : '发起测评'}
          </button>
        </form>
      </Card>
    </>
  );
}

function ItemRow(props: { row: Row; number: number; error: string | undefined; onInput: (label: string) => void; onRemove: (() => void) | undefined }) {
  const id = `survey-item-${props.row.id}`;
  const name = props.row.label.trim();
  return (
    <Field id={id} label={`第 ${props.number} 项`} error={props.error}>
      <div class="item-row">
        <input id={id} type="text" maxLength={100} aria-describedby={props.error ? `${id}-error` : undefined} value={props.row.label} onInput={(e) => props.onInput(valueOf(e))} />
        {props.onRemove ? (
          <button type="button" class="button secondary small" aria-label={`删除第 ${props.number} 项${name ? `“${name}”` : ''}`} onClick={props.onRemove}>
            删除
          </button>
        ) : null}
      </div>
    </Field>
  );
}
