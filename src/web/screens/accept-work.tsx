import { useState } from 'preact/hooks';
import { api, type Membership, type SpendRequest } from '../api.js';
import { hasRole, useSession } from '../context.js';
import { formatDateTime } from '../format.js';
import { useLoad, useSubmit } from '../hooks.js';
import { Evidence, FilesField, uploadsProblem } from '../parts/evidence.js';
import { useUploads } from '../parts/uploads.js';
import { TextAreaField } from '../parts/form.js';
import { Card, Empty, Problem, StatusWord } from '../parts/ui.js';

type Verdict = 'accepted' | 'disputed';

/**
 * 验收 after the payout: every verdict so far, public; and, for a co-signer or the resident who
 * reported the repair this money paid for, the form to record theirs (once: the API refuses a
 * second). The page only offers it; the API decides who may.
 */
export function AcceptWork({ here, request, onDone }: { here: Membership; request: SpendRequest; onDone: () => void }) {
  const { me } = useSession();
  const cid = here.id;
  const cosigner = hasRole(here, 'cosigner');
  const repair = useLoad(async () => (request.repairId && !cosigner ? api.repair(cid, request.repairId) : null), [cid, request.repairId, cosigner]);
  const mine = request.acceptance.find((v) => v.by === me.id);
  const mayJudge = !mine && (cosigner || repair.data?.reportedBy.id === me.id);

  return (
    <Card title="验收">
      {request.acceptance.length === 0 ? (
        <Empty>还没有人验收。付款后，共管签名人{request.repairId ? '和报修人' : ''}可以在这里说明活干得怎么样。</Empty>
      ) : (
        <ul class="plain-list verdicts">
          {request.acceptance.map((v) => (
            <li key={v.by}>
              <div>
                <p>
                  <StatusWord status={v.verdict} /> <strong>{v.displayName}</strong>{' '}
                  <time class="small muted" dateTime={v.at}>
                    {formatDateTime(v.at, here.timezone)}
                  </time>
                </p>
                <p class="small prewrap">{v.note}</p>
                <Evidence cid={cid} attachments={v.attachments} label="验收照片" />
              </div>
            </li>
          ))}
        </ul>
      )}
      {mayJudge ? <VerdictForm cid={cid} request={request} onDone={onDone} /> : null}
    </Card>
  );
}

function VerdictForm({ cid, request, onDone }: { cid: string; request: SpendRequest; onDone: () => void }) {
  const uploads = useUploads(cid);
  const [verdict, setVerdict] = useState<Verdict | undefined>();
  const [note, setNote] = useState('');
  const [errors, setErrors] = useState<Record<string, string | undefined>>({});
  const send = useSubmit(
    () => api.accept(cid, request.id, { verdict: verdict!, note: note.trim(), ...(uploads.ids.length ? { attachments: uploads.ids } : {}) }),
    onDone,
  );
  const onSubmit = (event: Event) => {
    event.preventDefault();
    const found = {
      verdict: verdict ? undefined : '请选择验收结论。',
      note: note.trim() ? undefined : verdict === 'disputed' ? '请写明哪里有问题。' : '请写一句验收说明。',
      photos: uploadsProblem(uploads),
    };
    setErrors(found);
    if (!Object.values(found).some(Boolean)) void send.submit();
  };
  return (
    <form class="form verdict-form" onSubmit={onSubmit} noValidate>
      <h3>您的验收</h3>
      <Problem error={send.error} />
      <fieldset class={`field${errors.verdict ? ' field-error' : ''}`} aria-describedby={errors.verdict ? 'verdict-error' : undefined}>
        <legend>验收结论</legend>
        {errors.verdict ? (
          <p class="error-message" id="verdict-error">
            {errors.verdict}
          </p>
        ) : null}
        {(
          [
            ['accepted', '已验收', '活干好了，钱花得值'],
            ['disputed', '有异议', '没修好、质量有问题或与申请不符'],
          ] as const
        ).map(([value, word, hint]) => (
          <div key={value} class="field checkbox radio">
            <input id={`verdict-${value}`} type="radio" name="verdict" value={value} checked={verdict === value} onChange={() => setVerdict(value)} />
            <label for={`verdict-${value}`}>
              <strong>{word}</strong> <span class="muted small">{hint}</span>
            </label>
          </div>
        ))}
      </fieldset>
      <TextAreaField id="verdict-note" label="验收说明" hint="看到了什么；有异议请写明哪里不对" error={errors.note} value={note} onInput={setNote} />
      <FilesField id="verdict-photos" label="现场照片（选填）" uploads={uploads} camera error={errors.photos} />
      <button type="submit" class="button wide" disabled={send.busy}>
        {send.busy ? '正在提交…' : '提交验收'}
      </button>
    </form>
  );
}
