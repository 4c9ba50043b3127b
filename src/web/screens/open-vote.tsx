import { useState } from 'preact/hooks';
import { api, type CreateVoteBody } from '../api.js';
import { useSession } from '../context.js';
import { useSubmit } from '../hooks.js';
import { ErrorSummary, TextAreaField, valueOf, type Errors } from '../parts/form.js';
import { instantIn } from '../parts/local-time.js';
import { Card, Field, Problem } from '../parts/ui.js';
import { navigate } from '../router.js';
import { VOTE_MATTER_WORDS } from '../words.js';

/** /open-vote: a community admin or co-signer puts a matter to the owners. */
export function OpenVote() {
  const { here } = useSession();
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [matter, setMatter] = useState<CreateVoteBody['matter']>('ordinary');
  const [closesAt, setClosesAt] = useState('');
  const [errors, setErrors] = useState<Errors>({});
  const send = useSubmit(
    () =>
      api.openVote(here.id, {
        title: title.trim(),
        matter,
        closesAt: instantIn(closesAt, here.timezone)!,
        ...(description.trim() ? { description: description.trim() } : {}),
      }),
    (opened) => navigate(`/votes/${encodeURIComponent(opened.id)}`),
  );
  const onSubmit = (event: Event) => {
    event.preventDefault();
    const at = instantIn(closesAt, here.timezone);
    const found: Errors = {
      'vote-title': title.trim() ? undefined : '请填写表决事项。',
      'vote-closes': !at ? '请填写截止时间。' : Date.parse(at) <= Date.now() ? '截止时间须晚于现在。' : undefined,
    };
    setErrors(found);
    if (!Object.values(found).some(Boolean)) void send.submit();
  };
  return (
    <>
      <h1>发起业主表决</h1>
      <p class="muted small">表决立即开始，到截止时间自动结束并公布结果；每位持有房屋的业主一票，按专有面积和人数计算。</p>
      <ErrorSummary errors={errors} />
      <Problem error={send.error} />
      <Card>
        <form class="form" onSubmit={onSubmit} noValidate>
          <Field id="vote-title" label="表决事项" error={errors['vote-title']}>
            <input id="vote-title" type="text" maxLength={200} value={title} onInput={(e) => setTitle(valueOf(e))} />
          </Field>
          <TextAreaField id="vote-description" label="说明（可不填）" value={description} onInput={setDescription} rows={4} maxLength={5000} />
          <fieldset class="field">
            <legend>事项类别</legend>
            {(['ordinary', 'special'] as const).map((value) => (
              <div key={value} class="field checkbox radio">
                <input id={`matter-${value}`} type="radio" name="matter" value={value} checked={matter === value} onChange={() => setMatter(value)} />
                <label for={`matter-${value}`}>{VOTE_MATTER_WORDS[value]}</label>
              </div>
            ))}
            <p class="hint">特别事项：筹集或提高维修资金、改建重建、改变共有部分用途或利用共有部分从事经营活动；其他为一般事项。</p>
          </fieldset>
          <Field id="vote-closes" label="截止时间" hint={`按小区所在时区（${here.timezone}）`} error={errors['vote-closes']}>
            <input id="vote-closes" type="datetime-local" value={closesAt} onInput={(e) => setClosesAt(valueOf(e))} />
          </Field>
          <button type="submit" class="button wide" disabled={send.busy}>
            {send.busy ? '正在发起…' : '发起表决'}
          </button>
        </form>
      </Card>
    </>
  );
}
