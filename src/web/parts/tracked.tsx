import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';
import { communityOf, useSession } from '../context.js';
import { formatDateTime } from '../format.js';
import { useLoad } from '../hooks.js';
import { ROLE_WORDS } from '../words.js';
import { Problem } from './ui.js';

/**
 * Something followed by its tracking number (a spend request XY-…, a repair BX-…): loaded, read
 * again whenever the live feed moves, in the community the number names.
 */
export function useTracked<T>(load: () => Promise<T>, trackingNo: string) {
  const session = useSession();
  const loaded = useLoad(load, [trackingNo]);
  useEffect(() => {
    if (session.feed.version > 0) loaded.reload();
  }, [session.feed.version]);
  return { loaded, membership: communityOf(session, trackingNo) };
}

/** A tracking number that finds nothing (or nothing of the reader's communities). */
export function TrackingProblem(props: { heading: string; error: unknown; back: string; backLabel: string }) {
  return (
    <>
      <h1>{props.heading}</h1>
      <Problem error={props.error} />
      <p>
        <a href={props.back}>{props.backLabel}</a>
      </p>
    </>
  );
}

interface Step {
  at: string;
  actor: { displayName: string; roles: string[] };
  ref?: string;
}

/**
 * One step of a parcel-style timeline: what happened (linking the other thing it names, a
 * repair's or a request's tracking number), when and by whom in which role, the note, and the
 * step's evidence as children.
 */
export function TimelineItem(props: { event: string; what: string; step: Step; timeZone: string; note?: string | undefined; children?: ComponentChildren }) {
  const { step } = props;
  return (
    <li class={`timeline-item timeline-${props.event.replace('.', '-')}`}>
      <p class="timeline-what">
        {props.what}
        {step.ref ? (
          <>
            {' '}
            <a href={`/track/${encodeURIComponent(step.ref)}`}>{step.ref}</a>
          </>
        ) : null}
      </p>
      <p class="small muted">
        <time dateTime={step.at}>{formatDateTime(step.at, props.timeZone)}</time> · {step.actor.displayName}
        {step.actor.roles.length ? `（${step.actor.roles.map((role) => ROLE_WORDS[role] ?? role).join('、')}）` : ''}
      </p>
      {props.note ? <p class="small prewrap">{props.note}</p> : null}
      {props.children}
    </li>
  );
}
