import { useState } from 'preact/hooks';
import { api, type Repair, type RepairEventBody, type Membership } from '../api.js';
import { hasRole, useSession } from '../context.js';
import { useSubmit } from '../hooks.js';
import { FilesField, uploadsProblem } from '../parts/evidence.js';
import { useUploads } from '../parts/uploads.js';
import { TextAreaField } from '../parts/form.js';
import { Card, Problem } from '../parts/ui.js';

type RepairEvent = RepairEventBody['event'];

interface Action {
  event: RepairEvent;
  /** The button that opens the step, and the step's title. */
  label: string;
  submit: string;
  note: string;
  hint?: string;
  noteRequired?: boolean;
  photos?: string;
  danger?: boolean;
}

const ACTIONS: Record<RepairEvent, Action> = {
  assigned: { event: 'assigned', label: '派单', submit: '确认派单', note: '派单说明（选填）', hint: '派给谁、预计何时上门' },
  started: { event: 'started', label: '开始维修', submit: '确认开始维修', note: '说明（选填）' },
  done: { event: 'done', label: '完工', submit: '确认完工', note: '完工说明（选填）', hint: '修了什么、换了什么', photos: '完工照片（选填）' },
  confirmed: { event: 'confirmed', label: '确认完成', submit: '确认已修好', note: '评价（选填）' },
  reopened: { event: 'reopened', label: '重新报修', submit: '提交重新报修', note: '哪里还没修好', noteRequired: true, photos: '照片（选填）' },
  cancelled: { event: 'cancelled', label: '撤销报修', submit: '确认撤销', note: '撤销原因（选填）', danger: true },
};

/**
 * What this member may do next, as the API allows it (the API decides again): the manager
 * assigns, starts and finishes; the reporter or a co-signer confirms or reopens once done;
 * the reporter cancels while it is only reported.
 */
export function nextActions(repair: Repair, here: Membership, myId: string): Action[] {
  const manager = hasRole(here, 'manager');
  const reporter = repair.reportedBy.id === myId;
  const judge = reporter || hasRole(here, 'cosigner');
  const found: RepairEvent[] = [];
  if (manager && (repair.status === 'reported' || repair.status === 'reopened')) found.push('assigned');
  if (manager && (repair.status === 'assigned' || repair.status === 'reopened')) found.push('started');
  if (manager && repair.status === 'started') found.push('done');
  if (judge && repair.status === 'done') found.push('confirmed', 'reopened');
  if (reporter && repair.status === 'reported') found.push('cancelled');
  return found.map((event) => ACTIONS[event]);
}

/** The buttons for the next steps; choosing one opens its form (a note, and photos where they help). */
export function RepairActions({ cid, repair, actions, onDone }: { cid: string; repair: Repair; actions: Action[]; onDone: (event: RepairEvent) => void }) {
  const [open, setOpen] = useState<Action | undefined>();
  if (open) return <StepForm cid={cid} repair={repair} action={open} onCancel={() => setOpen(undefined)} onDone={() => onDone(open.event)} />;
  return (
    <Card title="下一步">
      <div class="button-row wrap">
        {actions.map((a) => (
          <button key={a.event} type="button" class={`button${a.danger ? ' danger' : a.event === 'reopened' ? ' secondary' : ''}`} onClick={() => setOpen(a)}>
            {a.label}
          </button>
        ))}
      </div>
    </Card>
  );
}

function StepForm({ cid, repair, action, onCancel, onDone }: { cid: string; repair: Repair; action: Action; onCancel: () => void; onDone: () => void }) {
  const { here } = useSession();
  const uploads = useUploads(here.id);
  const [note, setNote] = useState('');
  const [errors, setErrors] = useState<{ note?: string; photos?: string }>({});
  const send = useSubmit(
    () =>
      api.repairEvent(cid, repair.id, {
        event: action.event,
        ...(note.trim() ? { note: note.trim() } : {}),
        ...(uploads.ids.length ? { attachments: uploads.ids } : {}),
      }),
    onDone,
  );
  const onSubmit = (event: Event) => {
    event.preventDefault();
    const found = {
      note: action.noteRequired && !note.trim() ? `请填写${action.note}。` : undefined,
      photos: action.photos ? uploadsProblem(uploads) : undefined,
    };
    setErrors(found);
    if (!found.note && !found.photos) void send.submit();
  };
  const noteId = `repair-${action.event}-note`;
  return (
    <Card title={action.label}>
      <form class="form" onSubmit={onSubmit} noValidate>
        <Problem error={send.error} />
        <TextAreaField id={noteId} label={action.note} hint={action.hint} error={errors.note} value={note} onInput={setNote} />
        {action.photos ? <FilesField id={`repair-${action.event}-photos`} label={action.photos} uploads={uploads} camera error={errors.photos} /> : null}
        <div class="button-row">
          <button type="submit" class={`button${action.danger ? ' danger' : ''}`} disabled={send.busy}>
            {send.busy ? '正在提交…' : action.submit}
          </button>
          <button type="button" class="button secondary" onClick={onCancel} disabled={send.busy}>
            返回
          </button>
        </div>
      </form>
    </Card>
  );
}

export const ACTION_DONE_WORDS: Record<RepairEvent, string> = {
  assigned: '已派单。',
  started: '已记录开始维修。',
  done: '已记录完工，等报修人确认。',
  confirmed: '已确认修好，谢谢！',
  reopened: '已重新报修，物业管家会再次派单。',
  cancelled: '已撤销这项报修。',
};
