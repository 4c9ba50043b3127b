import { useEffect, useState } from 'preact/hooks';
import { api, type Survey } from '../api.js';
import { useSession } from '../context.js';
import { barWidth, formatDateTime } from '../format.js';
import { useLoad, useSubmit } from '../hooks.js';
import { Confirmation, ErrorSummary, TextAreaField, type Errors } from '../parts/form.js';
import { Bar, Card, Loading, Problem } from '../parts/ui.js';
import { formatShare, SurveyStatus } from './surveys.js';

const SCORE_WORDS = ['', '很不满意', '不满意', '一般', '满意', '很满意'];

/** /surveys/<id>: an owner scores each item once; everyone reads the averages and the response rate. */
export function RateService({ id }: { id: string }) {
  const { here, feed } = useSession();
  const survey = useLoad(() => api.survey(here.id, id), [here.id, id]);
  const [sent, setSent] = useState(false);
  useEffect(() => {
    if (feed.version > 0) survey.reload();
  }, [feed.version]);
  if (survey.error && !survey.data) return <Problem error={survey.error} />;
  if (!survey.data) return <Loading what="测评" />;
  const s = survey.data;
  const canRespond = here.unitIds.length > 0 && s.status === 'open' && !s.responded;
  return (
    <>
      <p class="small">
        <a href="/surveys">‹ 全部测评</a>
      </p>
      <h1>{s.title}</h1>
      <p>
        <SurveyStatus survey={s} /> <span class="small">测评期间 {s.period} · 截止 {formatDateTime(s.closesAt, here.timezone)}</span>
      </p>
      {sent ? <Confirmation>谢谢您的评分，已记录。</Confirmation> : null}
      {canRespond ? (
        <ScoreForm
          survey={s}
          onDone={() => {
            setSent(true);
            survey.reload();
          }}
        />
      ) : s.responded ? (
        <p class="small">您已参与本次测评。</p>
      ) : null}
      <Results survey={s} />
    </>
  );
}

function ScoreForm({ survey, onDone }: { survey: Survey; onDone: () => void }) {
  const { here } = useSession();
  const [scores, setScores] = useState<Record<string, number>>({});
  const [comment, setComment] = useState('');
  const [errors, setErrors] = useState<Errors>({});
  const send = useSubmit(
    () => api.respond(here.id, survey.id, { scores, ...(comment.trim() ? { comment: comment.trim() } : {}) }),
    onDone,
  );
  const onSubmit = (event: Event) => {
    event.preventDefault();
    const found: Errors = Object.fromEntries(survey.items.map((i) => [`score-${i.key}-1`, scores[i.key] ? undefined : `请为“${i.label}”打分。`]));
    setErrors(found);
    if (!Object.values(found).some(Boolean)) void send.submit();
  };
  return (
    <Card title="我来评分">
      <ErrorSummary errors={errors} />
      <Problem error={send.error} />
      <form class="form" onSubmit={onSubmit} noValidate>
        {survey.items.map((item) => {
          const error = errors[`score-${item.key}-1`];
          return (
            <fieldset key={item.key} class={`field score${error ? ' field-error' : ''}`}>
              <legend>{item.label}</legend>
              {error ? <p class="error-message">{error}</p> : null}
              <div class="score-choices">
                {[1, 2, 3, 4, 5].map((n) => (
                  <label key={n} class="score-choice" for={`score-${item.key}-${n}`}>
                    <input
                      id={`score-${item.key}-${n}`}
                      type="radio"
                      name={`score-${item.key}`}
                      value={n}
                      checked={scores[item.key] === n}
                      onChange={() => setScores({ ...scores, [item.key]: n })}
                    />
                    <span class="score-star" aria-hidden="true">
                      {'★'.repeat(n)}
                    </span>
                    <span>
                      {n} 分 {SCORE_WORDS[n]}
                    </span>
                  </label>
                ))}
              </div>
            </fieldset>
          );
        })}
        <TextAreaField id="survey-comment" label="意见和建议（可不填）" value={comment} onInput={setComment} rows={3} maxLength={2000} />
        <button type="submit" class="button wide" disabled={send.busy}>
          {send.busy ? '正在提交…' : '提交评分'}
        </button>
      </form>
    </Card>
  );
}

function Results({ survey }: { survey: Survey }) {
  return (
    <Card title="测评结果">
      <p>
        回收 {survey.responses} 份，参与率 <strong data-testid="response-rate">{formatShare(survey.responseRate)}</strong>
      </p>
      <ul class="plain-list">
        {survey.items.map((i) => (
          <li key={i.key} class="trend-row">
            <span class="trend-period">{i.label}</span>
            <Bar width={i.average ? barWidth(i.average, '5') : '0%'} label={`${i.label} 平均 ${i.average ?? '暂无'} 分`} />
            <span class="num">{i.average ? `${i.average} 分` : '暂无'}</span>
          </li>
        ))}
      </ul>
    </Card>
  );
}
