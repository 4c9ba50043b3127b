import type { ComponentChildren } from 'preact';
import { formatYuan } from '../format.js';
import { problemWords, STATUS_WORDS } from '../words.js';

/** An amount as residents read it: ¥12,345.67, from the decimal string. */
export function Money({ amount, sign }: { amount: string; sign?: '+' | '-' }) {
  return (
    <span class="money">
      {sign === '+' ? '+' : sign === '-' ? '−' : ''}
      {formatYuan(amount)}
    </span>
  );
}

/** A status in its word and colour; `words` for things other than spend requests (a repair's). */
export function StatusWord({ status, words = STATUS_WORDS }: { status: string; words?: Record<string, string> }) {
  return <span class={`status status-${status}`}>{words[status] ?? status}</span>;
}

/** A refusal or failure, announced to screen readers, in the residents' words. */
export function Problem({ error }: { error: unknown }) {
  if (!error) return null;
  const detail = (error as { problem?: { detail?: string } }).problem?.detail;
  return (
    <p class="problem" role="alert" title={detail}>
      {problemWords(error)}
    </p>
  );
}

export function Loading({ what = '' }: { what?: string }) {
  return (
    <p class="loading" aria-live="polite">
      正在加载{what}…
    </p>
  );
}

export function Card({ title, children, actions }: { title?: string; children: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <section class="card">
      {title || actions ? (
        <div class="card-head">
          {title ? <h2>{title}</h2> : null}
          {actions}
        </div>
      ) : null}
      {children}
    </section>
  );
}

/** A labelled field: label above, hint and error under the label, as GOV.UK forms do. */
export function Field(props: { id: string; label: string; hint?: string; error?: string | undefined; children: ComponentChildren }) {
  return (
    <div class={`field${props.error ? ' field-error' : ''}`}>
      <label for={props.id}>{props.label}</label>
      {props.hint ? (
        <p class="hint" id={`${props.id}-hint`}>
          {props.hint}
        </p>
      ) : null}
      {props.error ? (
        <p class="error-message" id={`${props.id}-error`}>
          {props.error}
        </p>
      ) : null}
      {props.children}
    </div>
  );
}

/** A bar of a given width (a percentage string), with its meaning in text for screen readers. */
export function Bar({ width, tone = 'primary', label }: { width: string; tone?: 'primary' | 'muted' | 'over'; label: string }) {
  return (
    <div class="bar" role="img" aria-label={label}>
      <div class={`bar-fill bar-${tone}`} style={{ width }} />
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}
