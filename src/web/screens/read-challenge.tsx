import { useEffect, useState } from 'preact/hooks';
import { api, type Challenge } from '../api.js';
import { hasRole, useSession } from '../context.js';
import { formatDate, formatDateTime } from '../format.js';
import { useLoad, useSubmit } from '../hooks.js';
import { ChallengeStatus, SubjectLine } from '../parts/challenge-subject.js';
import { Evidence, FilesField, uploadsProblem } from '../parts/evidence.js';
import { Confirmation, TextAreaField } from '../parts/form.js';
import { useUploads } from '../parts/uploads.js';
import { Card, Loading, Problem } from '../parts/ui.js';

/** /challenges/<id>: one public question, what it is about, and the steward's answer (or the form to give it). */
export function ReadChallenge({ id }: { id: string }) {
  const { here, feed } = useSession();
  const challenge = useLoad(() => api.challenge(here.id, id), [here.id, id]);
  const [answered, setAnswered] = useState(false);
  const asked = new URLSearchParams(location.search).has('asked');
  useEffect(() => {
    if (feed.version > 0) challenge.reload();
  }, [feed.version]);

  const c = challenge.data;
  if (!c) {
    return challenge.error ? (
      <>
        <h1>业主质询</h1>
        <Problem error={challenge.error} />
        <p>
          <a href="/challenges">返回质询列表</a>
        </p>
      </>
    ) : (
      <Loading what="质询" />
    );
  }
  const tz = here.timezone;
  return (
    <>
      <p class="small">
        <a href="/challenges">‹ 质询列表</a>
      </p>
      <h1>业主质询</h1>
      {asked && c.status === 'open' ? (
        <Confirmation>质询已公开。物业管家须在 {formatDate(c.dueAt, tz)} 前公开答复，全体业主都能看到。</Confirmation>
      ) : null}
      {answered ? <Confirmation>答复已公开。</Confirmation> : null}
      <section class={`card${c.overdue ? ' overdue' : ''}`}>
        <p>
          <ChallengeStatus challenge={c} />{' '}
          <span class={`small ${c.overdue ? 'overdue-words' : 'muted'}`}>
            {c.status === 'answered' ? '' : `${c.overdue ? '已过答复期限 ' : '答复期限 '}${formatDate(c.dueAt, tz)}`}
          </span>
        </p>
        <p class="question prewrap">{c.question}</p>
        <dl class="facts">
          <div>
            <dt>关于</dt>
            <dd>
              <SubjectLine cid={here.id} subject={c.subject} />
            </dd>
          </div>
          <div>
            <dt>提问人</dt>
            <dd>
              {c.askedBy.displayName} <span class="small muted">{formatDateTime(c.askedAt, tz)}</span>
            </dd>
          </div>
        </dl>
      </section>
      {c.answer ? (
        <Card title="物业管家的答复">
          <p class="prewrap">{c.answer.text}</p>
          <p class="small muted">
            {c.answer.by.displayName} · {formatDateTime(c.answer.at, tz)}
          </p>
          <Evidence cid={here.id} attachments={c.answer.attachments} label="答复附件" />
        </Card>
      ) : hasRole(here, 'manager') ? (
        <AnswerChallenge
          challenge={c}
          onDone={() => {
            setAnswered(true);
            challenge.reload();
          }}
        />
      ) : (
        <p class="muted small">物业管家还没有答复。答复后会出现在这里，并推送到首页的实时动态。</p>
      )}
    </>
  );
}

/** The steward answers in public, once, with documents if they help (an invoice, a contract). */
function AnswerChallenge({ challenge, onDone }: { challenge: Challenge; onDone: () => void }) {
  const { here } = useSession();
  const uploads = useUploads(here.id);
  const [text, setText] = useState('');
  const [errors, setErrors] = useState<{ text?: string; files?: string }>({});
  const send = useSubmit(
    () => api.answer(here.id, challenge.id, { answer: text.trim(), ...(uploads.ids.length ? { attachments: uploads.ids } : {}) }),
    onDone,
  );
  const onSubmit = (event: Event) => {
    event.preventDefault();
    const found = { text: text.trim() ? undefined : '请填写答复。', files: uploadsProblem(uploads) };
    setErrors(found);
    if (!found.text && !found.files) void send.submit();
  };
  return (
    <Card title="公开答复">
      <form class="form" onSubmit={onSubmit} noValidate>
        <Problem error={send.error} />
        <TextAreaField id="answer-text" label="答复" hint="答复会公开给全体业主，只能答复一次" error={errors.text} value={text} onInput={setText} rows={4} maxLength={2000} />
        <FilesField id="answer-files" label="附件（选填）" hint="发票、合同、照片等，照片或 PDF" uploads={uploads} error={errors.files} />
        <button type="submit" class="button wide" disabled={send.busy}>
          {send.busy ? '正在提交…' : '公开答复'}
        </button>
      </form>
    </Card>
  );
}
