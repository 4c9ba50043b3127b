import { useState } from 'preact/hooks';
import { api, ApiError, type Reconciliation, type StatementUpload } from '../api.js';
import { hasRole, useSession } from '../context.js';
import { formatDateTime, fromFen, toFen } from '../format.js';
import { useLoad, useSubmit } from '../hooks.js';
import { Card, Empty, Field, Loading, Money, Problem } from '../parts/ui.js';
import { problemWords } from '../words.js';

/** A statement line's day, `2026-11-23`, as residents write it: 2026年11月23日. */
const day = (date: string) => {
  const [y, m, d] = date.split('-');
  return `${y}年${Number(m)}月${Number(d)}日`;
};

const DIRECTION = { in: '收入', out: '支出' } as const;

/**
 * 银行对账: the books of the fund's bank account (1001) against the bank's own statement, for
 * every member: both balances, and every movement that one side has and the other does not.
 * A manager uploads the bank's statement here as CSV; the API checks and matches it.
 */
export function ReconcileBank() {
  const { here, feed } = useSession();
  const reconciliation = useLoad(() => api.reconciliation(here.id), [here.id, feed.version]);
  return (
    <>
      <h1>银行对账</h1>
      <p class="small muted">共管账户在银行的流水，与账本中“银行存款”科目的每一笔收支逐笔核对。</p>
      {reconciliation.data ? <Summary r={reconciliation.data} /> : reconciliation.error ? <Problem error={reconciliation.error} /> : <Loading what="对账结果" />}
      {hasRole(here, 'manager') ? <UploadStatement onUploaded={reconciliation.reload} /> : null}
    </>
  );
}

function Summary({ r }: { r: Reconciliation }) {
  const { here } = useSession();
  if (r.statementBalance === null) {
    return (
      <Card title="对账结果">
        <p data-testid="reconciliation-verdict">尚未上传银行流水，暂时无法与银行核对。</p>
        <p class="small muted">物业管家每月上传共管账户的银行流水后，这里会显示账本与银行是否一致。</p>
      </Card>
    );
  }
  const difference = toFen(r.statementBalance) - toFen(r.ledgerBalance);
  return (
    <>
      <Card title="对账结果">
        {r.matchesBank ? (
          <p class="badge-ok" role="status" data-testid="reconciliation-verdict">
            ✓ 与银行流水一致
          </p>
        ) : (
          <p class="badge-bad" role="status" data-testid="reconciliation-verdict">
            与银行流水不一致
          </p>
        )}
        <dl class="fund-split reconcile-balances">
          <div>
            <dt>银行流水余额</dt>
            <dd data-testid="statement-balance">
              <Money amount={r.statementBalance} />
            </dd>
          </div>
          <div>
            <dt>账本余额</dt>
            <dd data-testid="ledger-balance">
              <Money amount={r.ledgerBalance} />
            </dd>
          </div>
        </dl>
        {difference !== 0n ? (
          <p data-testid="balance-difference">
            银行流水余额比账本余额{difference > 0n ? '多' : '少'} <Money amount={fromFen(difference < 0n ? -difference : difference)} />。
          </p>
        ) : (
          <p class="small">两边余额相同{r.matchesBank ? '，每一笔收支都已对上。' : '，但有收支没有对上（见下）。'}</p>
        )}
        {!r.matchesBank ? (
          <p class="small muted">
            常见原因：款项在途（入账日期相差 3 天以内的会自动对上）、凭证号填写不一致，或有一边漏记。物业管家核实后应补记或更正，结果对所有业主公开。
          </p>
        ) : null}
        <p class="small muted">截至 {formatDateTime(r.asOf, here.timezone)}，银行流水余额取最近一份流水的最后一行。</p>
      </Card>
      {r.matchesBank ? null : <Unmatched r={r} />}
    </>
  );
}

function Unmatched({ r }: { r: Reconciliation }) {
  return (
    <>
      <UnmatchedSide
        title={`账本有、银行流水没有（${r.unmatchedLedger.length} 笔）`}
        testId="unmatched-ledger"
        lines={r.unmatchedLedger.map((m) => ({ ...m, key: m.entryId }))}
        empty="账本中的每一笔都在银行流水里找到了。"
      />
      <UnmatchedSide
        title={`银行流水有、账本没有（${r.unmatchedBank.length} 笔）`}
        testId="unmatched-bank"
        lines={r.unmatchedBank.map((l, i) => ({ ...l, key: `${l.date}-${i}`, party: l.counterparty || '（未写对方户名）' }))}
        empty="银行流水中的每一笔都在账本里找到了。"
      />
    </>
  );
}

/** A movement one side has and the other lacks; only a bank line names the other party. */
type UnmatchedLine = Pick<Reconciliation['unmatchedLedger'][number], 'date' | 'direction' | 'reference' | 'amount'> & { key: string; party?: string };

/** One side's movements that the other side does not have, or a word that it has none. */
function UnmatchedSide({ title, testId, lines, empty }: { title: string; testId: string; lines: UnmatchedLine[]; empty: string }) {
  return (
    <Card title={title}>
      {lines.length ? (
        <ul class="plain-list unmatched-list" data-testid={testId}>
          {lines.map((line) => (
            <li key={line.key}>
              <span>
                {day(line.date)} · {DIRECTION[line.direction]}
                {line.party === undefined ? null : ` · ${line.party}`}
                {line.reference ? <span class="small muted"> · 凭证号 {line.reference}</span> : null}
              </span>
              <Money amount={line.amount} sign={line.direction === 'in' ? '+' : '-'} />
            </li>
          ))}
        </ul>
      ) : (
        <Empty>{empty}</Empty>
      )}
    </Card>
  );
}

const FIELD_WORDS: Array<[RegExp, (m: RegExpExecArray) => string]> = [
  [/^date is not a calendar date/, () => '日期不是有效的日期（应写作 2026-11-23）'],
  [/^amount is not a positive amount of money/, () => '金额应为大于 0 的数，最多两位小数，正负写在 direction 列'],
  [/^direction is neither in nor out/, () => 'direction 列只能是 in（收入）或 out（支出）'],
  [/^counterparty is longer than/, () => '对方户名超过 200 个字'],
  [/^reference is longer than/, () => '凭证号超过 200 个字'],
  [/^balance is not an amount of money/, () => '余额不是有效的金额（最多两位小数）'],
  [/^(\d+) fields, expected (\d+)/, (m) => `有 ${m[1]} 列，应为 ${m[2]} 列（含逗号的内容请用英文双引号括起来）`],
  [/^a quoted field is never closed/, () => '有一个双引号没有闭合'],
  [/^text after a closing quote/, () => '双引号后面还有多余的文字'],
  [/^a bare (quote|carriage return) inside a field/, (m) => (m[1] === 'quote' ? '字段中间有多余的双引号' : '字段中间有多余的回车符')],
];

const STATEMENT_WORDS: Array<[RegExp, (m: RegExpExecArray) => string]> = [
  [/^The statement is not UTF-8 text/, () => '文件不是 UTF-8 编码的文本。请在表格软件中“另存为 CSV UTF-8”后再上传。'],
  [/^The statement contains a NUL character/, () => '文件中有非文本字符，不是 CSV 文件。'],
  [/^The first row must be the header/, () => '第一行必须是表头：date,amount,direction,counterparty,reference,balance'],
  [/^The statement has no lines/, () => '文件只有表头，没有流水记录。'],
  [/^A statement holds at most (\d+) lines/, (m) => `一份流水最多 ${m[1]} 行，请分几次上传。`],
];

/** The API's refusal of a statement in words a treasurer acts on; the whole statement was not stored. */
export function statementProblem(error: unknown): string {
  if (!(error instanceof ApiError)) return problemWords(error);
  if (error.status === 413) return '文件太大（最多 4 MB），请分几次上传。';
  if (error.code !== 'validation_failed') return problemWords(error);
  const detail = error.problem?.detail ?? '';
  const row = /^CSV row (\d+): (.*)$/.exec(detail);
  const rules = row ? FIELD_WORDS : STATEMENT_WORDS;
  const text = row ? row[2]! : detail;
  for (const [pattern, words] of rules) {
    const m = pattern.exec(text);
    if (m) return `${row ? `第 ${row[1]} 行：` : ''}${words(m)}`;
  }
  return `文件格式不对（${detail}）。`;
}

function UploadStatement({ onUploaded }: { onUploaded: () => void }) {
  const { here } = useSession();
  const [file, setFile] = useState<File | undefined>();
  const [missing, setMissing] = useState<string | undefined>();
  const [done, setDone] = useState<StatementUpload | undefined>();
  const upload = useSubmit(
    () => api.uploadStatement(here.id, file!),
    (result) => {
      setDone(result);
      onUploaded();
    },
  );
  const onSubmit = (event: Event) => {
    event.preventDefault();
    setDone(undefined);
    if (!file) return setMissing('请选择银行流水文件。');
    setMissing(undefined);
    void upload.submit();
  };
  return (
    <Card title="上传银行流水">
      <form class="form" onSubmit={onSubmit} noValidate>
        <Field id="statement-file" label="银行流水文件（CSV）" hint="从网银导出共管账户的流水，另存为 UTF-8 编码的 CSV 文件。" error={missing}>
          <input
            id="statement-file"
            type="file"
            accept=".csv,text/csv"
            aria-describedby="statement-file-hint"
            onChange={(e) => setFile((e.target as HTMLInputElement).files?.[0])}
          />
        </Field>
        <p class="small muted statement-format">
          第一行为表头 <code>date,amount,direction,counterparty,reference,balance</code>；每行一笔：日期（2026-11-23）、金额、in 收入或 out 支出、对方户名、凭证号（可空）、该笔之后的余额。
        </p>
        {upload.error ? (
          <div class="problem statement-format" role="alert" data-testid="upload-problem">
            <p>{statementProblem(upload.error)}</p>
            <p class="small">整份流水都没有保存，请改正后重新上传。</p>
          </div>
        ) : null}
        {done ? (
          <p class="notice-ok" role="status" data-testid="upload-done">
            已上传 {done.lines} 行流水：{done.matched} 行与账本对上{done.unmatched ? `，${done.unmatched} 行没有对上` : ''}。
          </p>
        ) : null}
        <button type="submit" class="button wide" disabled={upload.busy}>
          {upload.busy ? '正在上传…' : '上传并对账'}
        </button>
      </form>
    </Card>
  );
}
