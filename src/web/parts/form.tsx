import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { chineseCapitals } from '../format.js';
import { Field, Problem } from './ui.js';

const MONEY = /^(0|[1-9]\d{0,12})(\.\d{1,2})?$/;

/** The amount rule of the API (at most 13 integer digits and 2 decimals), checked before sending. */
export function moneyProblem(value: string, label = '金额'): string | undefined {
  const v = value.trim();
  if (!v) return `请填写${label}。`;
  if (!MONEY.test(v)) return `${label}请填写数字，最多两位小数，例如 1280.50。`;
  if (!/[1-9]/.test(v)) return `${label}必须大于零。`;
  return undefined;
}

/** The amount in capitals under the field, as a resident double-checks a cheque. */
export function CapitalsPreview({ value }: { value: string }) {
  const v = value.trim();
  if (!MONEY.test(v)) return null;
  return (
    <p class="hint capitals" aria-live="polite">
      大写：{chineseCapitals(v)}
    </p>
  );
}

export type Errors = Record<string, string | undefined>;

/** GOV.UK's error summary: at the top, focused, each problem linking to its field. */
export function ErrorSummary({ errors }: { errors: Errors }) {
  const ref = useRef<HTMLDivElement>(null);
  const list = Object.entries(errors).filter((e): e is [string, string] => Boolean(e[1]));
  useEffect(() => {
    if (list.length) ref.current?.focus();
  }, [list.map((e) => e[0]).join()]);
  if (!list.length) return null;
  return (
    <div class="error-summary" role="alert" tabIndex={-1} ref={ref}>
      <h2>请修改以下内容</h2>
      <ul>
        {list.map(([id, message]) => (
          <li key={id}>
            <a href={`#${id}`} onClick={(event) => focusField(event, id)}>
              {message}
            </a>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** What a form did, at the top of the page: brought into view and read out when it appears. */
export function Confirmation({ children }: { children: ComponentChildren }) {
  const ref = useRef<HTMLParagraphElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <p class="notice-ok" role="status" tabIndex={-1} ref={ref}>
      {children}
    </p>
  );
}

/**
 * The top of a form that stays on the page after it is sent: what the last sending did, the
 * problems found before sending, and the API's refusal. The note is plain (not focused as
 * `Confirmation` is), because the person goes on to fill the same form again.
 */
export function FormOutcome({ done, errors, error }: { done?: string | undefined; errors: Errors; error: unknown }) {
  return (
    <>
      {done ? (
        <p class="notice-ok" role="status">
          {done}
        </p>
      ) : null}
      <ErrorSummary errors={errors} />
      <Problem error={error} />
    </>
  );
}

/** As GOV.UK's summary does: a problem's link takes the reader to its field and puts the cursor there. */
function focusField(event: Event, id: string): void {
  const field = document.getElementById(id);
  if (!field) return;
  event.preventDefault();
  field.scrollIntoView({ block: 'center' });
  field.focus();
}

export const valueOf = (event: Event) => (event.target as HTMLInputElement).value;

/** The last `count` months up to `latest` (YYYY-MM), newest first, for a month picker in Chinese. */
export function recentMonths(latest: string, count = 24): string[] {
  let [year, month] = latest.split('-').map(Number) as [number, number];
  const months: string[] = [];
  for (let i = 0; i < count; i++) {
    months.push(`${year}-${String(month).padStart(2, '0')}`);
    month -= 1;
    if (month === 0) {
      month = 12;
      year -= 1;
    }
  }
  return months;
}

/** Every month from `first` to `latest` (YYYY-MM), newest first; just `latest` when `first` is later. */
export function monthsSince(first: string, latest: string): string[] {
  const index = (month: string) => {
    const [year, m] = month.split('-').map(Number) as [number, number];
    return year * 12 + m - 1;
  };
  return recentMonths(latest, Math.max(1, index(latest) - index(first) + 1));
}

/** A textarea under its label, hint and error, described by both (GOV.UK), for the few lines a person writes. */
export function TextAreaField(props: {
  id: string;
  label: string;
  hint?: string | undefined;
  error?: string | undefined;
  value: string;
  onInput: (value: string) => void;
  rows?: number;
  maxLength?: number;
}) {
  const { id, hint, error } = props;
  const describedBy = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <Field id={id} label={props.label} hint={hint} error={error}>
      <textarea
        id={id}
        rows={props.rows ?? 3}
        maxLength={props.maxLength ?? 1000}
        aria-describedby={describedBy}
        value={props.value}
        onInput={(e) => props.onInput((e.target as HTMLTextAreaElement).value)}
      />
    </Field>
  );
}
