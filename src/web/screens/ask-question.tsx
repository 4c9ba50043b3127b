import { useState } from 'preact/hooks';
import { api, type Challenge } from '../api.js';
import { useSession } from '../context.js';
import { useSubmit } from '../hooks.js';
import { SubjectLine } from '../parts/challenge-subject.js';
import { ErrorSummary, TextAreaField, type Errors } from '../parts/form.js';
import { navigate } from '../router.js';
import { Card, Problem } from '../parts/ui.js';

const TYPES = new Set<string>(['entry', 'spend-request', 'budget']);

/**
 * /ask?type=entry|spend-request|budget&id=…: any member asks the steward, in public, about one
 * line of the books, one spend request or a year's budget. Reached from those pages.
 */
export function AskQuestion() {
  const { here } = useSession();
  const params = new URLSearchParams(location.search);
  const type = params.get('type') ?? '';
  const id = params.get('id') ?? '';
  const subject = TYPES.has(type) && id ? ({ type, id } as Challenge['subject']) : undefined;
  const [question, setQuestion] = useState('');
  const [errors, setErrors] = useState<Errors>({});
  const send = useSubmit(
    () => api.ask(here.id, { subject: subject!, question: question.trim() }),
    (asked) => navigate(`/challenges/${encodeURIComponent(asked.id)}?asked=1`),
  );

  if (!subject) {
    return (
      <>
        <h1>发起质询</h1>
        <p>
          请先找到您有疑问的那一项：<a href="/entries">收支明细</a>中的一笔、<a href="/spend-requests">支出申请</a>或<a href="/budget">年度预算</a>
          ，再点那里的“质询”。
        </p>
      </>
    );
  }
  const onSubmit = (event: Event) => {
    event.preventDefault();
    const found: Errors = { 'question-text': question.trim() ? undefined : '请写下您的问题。' };
    setErrors(found);
    if (!found['question-text']) void send.submit();
  };
  return (
    <>
      <h1>发起质询</h1>
      <p class="muted small">质询和答复对全体业主公开，提问人显示您的名字。物业管家须在 7 天内公开答复，逾期会被标红。</p>
      <ErrorSummary errors={errors} />
      <Problem error={send.error} />
      <Card>
        <p>
          关于：
          <SubjectLine cid={here.id} subject={subject} seq={params.get('seq')} />
        </p>
        <form class="form" onSubmit={onSubmit} noValidate>
          <TextAreaField
            id="question-text"
            label="您的问题"
            hint="例如：这笔维修费为什么比去年高？有没有比价？"
            error={errors['question-text']}
            value={question}
            onInput={setQuestion}
            rows={5}
            maxLength={2000}
          />
          <button type="submit" class="button wide" disabled={send.busy}>
            {send.busy ? '正在提交…' : '公开提问'}
          </button>
        </form>
      </Card>
    </>
  );
}
