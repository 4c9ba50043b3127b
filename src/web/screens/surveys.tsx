import { useEffect } from 'preact/hooks';
import { allPages, api, type Survey } from '../api.js';
import { hasRole, useSession } from '../context.js';
import { barWidth, formatDateTime } from '../format.js';
import { useLoad } from '../hooks.js';
import { Bar, Card, Empty, Loading, Problem } from '../parts/ui.js';

/** A rate such as "0.6667" as 66.67%, by string arithmetic. */
export function formatShare(rate: string): string {
  const [whole = '0', fraction = ''] = rate.split('.');
  const digits = (whole + fraction.padEnd(4, '0')).replace(/^0+(?=\d{3})/, '');
  const padded = digits.padStart(3, '0');
  return `${String(Number(padded.slice(0, -2)))}.${padded.slice(-2)}%`;
}

export function SurveyStatus({ survey }: { survey: Survey }) {
  return survey.status === 'open' ? <span class="status status-pending">进行中</span> : <span class="status status-cancelled">已结束</span>;
}

/** 满意度测评: every survey, newest first, and the steward's scores item by item over time. */
export function Surveys() {
  const { here, feed } = useSession();
  const list = useLoad(() => allPages((after) => api.surveys(here.id, after)), [here.id]);
  useEffect(() => {
    if (feed.version > 0) list.reload();
  }, [feed.version]);
  const surveys = list.data ?? [];
  // Item labels in the order first asked, then each survey oldest first.
  const labels = [...new Set([...surveys].reverse().flatMap((s) => s.items.map((i) => i.label)))];
  return (
    <>
      <h1>满意度测评</h1>
      <p class="muted small">业主为物业服务逐项打分（1 分很不满意，5 分很满意）。结果对全体成员公开。</p>
      {hasRole(here, 'admin') ? (
        <p>
          <a class="button secondary" href="/start-survey">
            发起测评
          </a>
        </p>
      ) : null}
      {list.error ? <Problem error={list.error} /> : null}
      {!list.data ? (
        <Loading what="测评" />
      ) : surveys.length === 0 ? (
        <Empty>还没有满意度测评。</Empty>
      ) : (
        <>
          <ul class="list">
            {surveys.map((s) => (
              <li key={s.id} class="card request survey-item">
                <a class="request-link" href={`/surveys/${encodeURIComponent(s.id)}`}>
                  <span class="request-title">{s.title}</span>
                  <SurveyStatus survey={s} />
                </a>
                <p class="small muted">
                  {s.period} · 回收 {s.responses} 份（参与率 {formatShare(s.responseRate)}）· {s.status === 'open' ? '截止' : '已于'}{' '}
                  {formatDateTime(s.closesAt, here.timezone)}
                  {s.status === 'open' ? '' : ' 结束'}
                </p>
                {s.status === 'open' && !s.responded && here.unitIds.length > 0 ? <p class="small">您还没有评分 ›</p> : null}
              </li>
            ))}
          </ul>
          <Card title="物业服务评分走势">
            {labels.map((label) => (
              <section key={label} class="trend">
                <h3>{label}</h3>
                <ul class="plain-list">
                  {[...surveys].reverse().map((s) => {
                    const average = s.items.find((i) => i.label === label)?.average;
                    if (average === undefined) return null;
                    return (
                      <li key={s.id} class="trend-row">
                        <span class="trend-period">{s.period}</span>
                        <Bar width={average ? barWidth(average, '5') : '0%'} label={`${s.period} ${label} ${average ?? '暂无'} 分`} />
                        <span class="num">{average ?? '—'}</span>
                      </li>
                    );
                  })}
                </ul>
              </section>
            ))}
          </Card>
        </>
      )}
    </>
  );
}
