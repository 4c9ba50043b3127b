import { useState } from 'preact/hooks';
import { api, type SpendRequest } from '../api.js';
import { chineseCapitals } from '../format.js';
import { useLoad, useSubmit } from '../hooks.js';
import { SignedEvidence } from '../parts/signed-evidence.js';
import { Card, Field, Money, Problem } from '../parts/ui.js';
import { accountWord } from '../words.js';

/**
 * A co-signer's key: what it signs is shown in full (the amount in figures and in capitals,
 * the account, the payee and its account, the purpose, the budget line and what remains of
 * it, the evidence whose SHA-256s the digest covers, and the digest), then 批准 or 驳回 with
 * the signing password.
 */
export function ApproveRequest({ cid, request, onDone }: { cid: string; request: SpendRequest; onDone: () => void }) {
  const accounts = useLoad(() => api.accounts(cid), [cid]);
  const budgetLine = useLoad(async () => {
    if (request.budgetYear === null) return null;
    const report = await api.budgetReport(cid, request.budgetYear).catch(() => null);
    return report?.lines.find((l) => l.account === request.account) ?? null;
  }, [cid, request.budgetYear, request.account]);
  const [password, setPassword] = useState('');
  const [reason, setReason] = useState('');
  const [rejecting, setRejecting] = useState(false);
  const [fieldError, setFieldError] = useState<string | undefined>();
  const accountName = accounts.data?.find((a) => a.code === request.account)?.name;

  const approve = useSubmit(() => api.approve(cid, request.id, { signingPassword: password, digest: request.digest }), () => {
    setPassword('');
    onDone();
  });
  const reject = useSubmit(() => api.reject(cid, request.id, { signingPassword: password, reason: reason.trim() }), () => {
    setPassword('');
    onDone();
  });

  const onApprove = (event: Event) => {
    event.preventDefault();
    if (!password) return setFieldError('请输入您的签名密码。');
    setFieldError(undefined);
    void approve.submit();
  };
  const onReject = (event: Event) => {
    event.preventDefault();
    if (!rejecting) return setRejecting(true);
    if (!password) return setFieldError('请输入您的签名密码。');
    if (!reason.trim()) return setFieldError('请写明驳回理由。');
    setFieldError(undefined);
    void reject.submit();
  };

  return (
    <Card title="审批这笔支出">
      <dl class="facts signing">
        <div>
          <dt>金额</dt>
          <dd class="signing-amount">
            <Money amount={request.amount} />
            <br />
            <span class="capitals">{chineseCapitals(request.amount)}</span>
          </dd>
        </div>
        <div>
          <dt>科目</dt>
          <dd>
            {request.account} {accountWord(accountName, request.account)}
          </dd>
        </div>
        <div>
          <dt>收款方</dt>
          <dd>
            {request.payee.name}
            <br />
            <span class="muted">账号 {request.payee.account ?? '未填写'}</span>
          </dd>
        </div>
        <div>
          <dt>用途说明</dt>
          <dd class="prewrap">{request.description ?? '未填写'}</dd>
        </div>
        {request.budgetYear !== null ? (
          <div>
            <dt>预算</dt>
            <dd>
              {request.budgetYear}年 {accountWord(accountName, request.account)}
              {budgetLine.data ? (
                <>
                  ：预算 <Money amount={budgetLine.data.budget} />，尚余 <Money amount={budgetLine.data.remaining} />
                </>
              ) : (
                '：暂无该科目的预算'
              )}
            </dd>
          </div>
        ) : null}
        <div>
          <dt>凭证</dt>
          <dd>
            <SignedEvidence cid={cid} request={request} />
          </dd>
        </div>
        <div>
          <dt>签名摘要</dt>
          <dd>
            <code class="digest">{request.digest}</code>
          </dd>
        </div>
      </dl>
      <form class="form" onSubmit={onApprove} noValidate>
        {fieldError ? (
          <p class="problem" role="alert">
            {fieldError}
          </p>
        ) : null}
        <Problem error={approve.error ?? reject.error} />
        <Field id="signing-password" label="签名密码" hint="您的签名密码是共管账户的第二把钥匙，与登录密码不同。">
          <input
            id="signing-password"
            name="signingPassword"
            type="password"
            autocomplete="off"
            aria-describedby="signing-password-hint"
            value={password}
            onInput={(e) => setPassword((e.target as HTMLInputElement).value)}
          />
        </Field>
        {rejecting ? (
          <Field id="reject-reason" label="驳回理由">
            <textarea id="reject-reason" rows={3} value={reason} onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)} />
          </Field>
        ) : null}
        <div class="button-row">
          <button type="submit" class="button" disabled={approve.busy || reject.busy}>
            批准
          </button>
          <button type="button" class="button danger" onClick={onReject} disabled={approve.busy || reject.busy}>
            驳回
          </button>
        </div>
      </form>
    </Card>
  );
}
