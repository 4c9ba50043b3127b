import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { hasRole, useSession } from '../context.js';
import { useLoad, useSubmit } from '../hooks.js';
import { navigate } from '../router.js';
import { CapitalsPreview, ErrorSummary, moneyProblem, valueOf, type Errors } from '../parts/form.js';
import { FilesField, uploadsProblem } from '../parts/evidence.js';
import { useUploads } from '../parts/uploads.js';
import { Card, Field, Problem } from '../parts/ui.js';
import { accountWord, REPAIR_STATUS_WORDS } from '../words.js';
import { NotForYou } from './record-income.js';
import { loadRepairs } from './repairs.js';

const PAYEE_ACCOUNT = /^[0-9A-Za-z][0-9A-Za-z -]{4,48}[0-9A-Za-z]$/;

/** A manager asks to spend: the amount is reserved at once and waits for the co-signers' keys. */
export function SubmitRequest() {
  const { here } = useSession();
  const year = new Date().getFullYear();
  const accounts = useLoad(() => api.accounts(here.id), [here.id]);
  // A repair's page links here with ?repair=<id>: the request pays for that repair.
  const repairs = useLoad(async () => (await loadRepairs(here.id)).filter((r) => r.status !== 'cancelled'), [here.id]);
  const uploads = useUploads(here.id);
  const [form, setForm] = useState(() => ({
    title: '',
    amount: '',
    account: '',
    payeeName: '',
    payeeAccount: '',
    description: '',
    inBudget: true,
    repairId: new URLSearchParams(location.search).get('repair') ?? '',
  }));
  const [errors, setErrors] = useState<Errors>({});
  const set = (name: keyof typeof form) => (event: Event) => setForm({ ...form, [name]: valueOf(event) });
  const choices = (accounts.data ?? []).filter((a) => a.type === 'expense' || a.code === '2201');
  const send = useSubmit(
    (key) =>
      api.submitSpend(
        here.id,
        {
          title: form.title.trim(),
          amount: form.amount.trim(),
          account: form.account,
          payee: { name: form.payeeName.trim(), ...(form.payeeAccount.trim() ? { account: form.payeeAccount.trim() } : {}) },
          ...(form.description.trim() ? { description: form.description.trim() } : {}),
          ...(form.inBudget ? { budgetYear: year } : {}),
          ...(uploads.ids.length ? { attachments: uploads.ids } : {}),
          ...(form.repairId ? { repairId: form.repairId } : {}),
        },
        key,
      ),
    (created) => navigate(`/track/${encodeURIComponent(created.trackingNo)}`),
  );

  if (!hasRole(here, 'manager')) return <NotForYou what="提交支出申请" />;
  const onSubmit = (event: Event) => {
    event.preventDefault();
    const found: Errors = {
      'spend-title': form.title.trim() ? undefined : '请填写支出事项。',
      'spend-amount': moneyProblem(form.amount),
      'spend-account': form.account ? undefined : '请选择支出科目。',
      'spend-payee': form.payeeName.trim() ? undefined : '请填写收款方。',
      'spend-payee-account':
        !form.payeeAccount.trim() || PAYEE_ACCOUNT.test(form.payeeAccount.trim()) ? undefined : '收款账号为 6 到 40 位字母或数字。',
      'spend-files': uploadsProblem(uploads) ?? (uploads.ids.length > 20 ? '凭证最多 20 份，请移除几份。' : undefined),
    };
    setErrors(found);
    if (!Object.values(found).some(Boolean)) void send.submit();
  };

  return (
    <>
      <h1>提交支出申请</h1>
      <p class="muted small">提交后金额会先从可用余额中预留，需两位以上共管签名人批准后才能付款。全体业主都能看到进度。</p>
      <ErrorSummary errors={errors} />
      <Problem error={send.error} />
      <Card>
        <form class="form" onSubmit={onSubmit} noValidate>
          <Field id="spend-title" label="支出事项" hint="例如：3号楼电梯年度维保" error={errors['spend-title']}>
            <input id="spend-title" aria-describedby="spend-title-hint" value={form.title} onInput={set('title')} />
          </Field>
          <Field id="spend-amount" label="金额（元）" error={errors['spend-amount']}>
            <input id="spend-amount" inputMode="decimal" autocomplete="off" value={form.amount} onInput={set('amount')} />
            <CapitalsPreview value={form.amount} />
          </Field>
          <Field id="spend-account" label="支出科目" error={errors['spend-account']}>
            <select id="spend-account" value={form.account} onChange={set('account')}>
              <option value="">请选择</option>
              {choices.map((a) => (
                <option key={a.code} value={a.code}>
                  {a.code} {accountWord(a.name, a.code)}
                </option>
              ))}
            </select>
          </Field>
          <Field id="spend-payee" label="收款方" error={errors['spend-payee']}>
            <input id="spend-payee" value={form.payeeName} onInput={set('payeeName')} />
          </Field>
          <Field id="spend-payee-account" label="收款账号（选填）" error={errors['spend-payee-account']}>
            <input id="spend-payee-account" inputMode="numeric" autocomplete="off" value={form.payeeAccount} onInput={set('payeeAccount')} />
          </Field>
          <Field id="spend-description" label="用途说明（选填）" hint="写清楚买什么、为什么，共管签名人和业主都会看到">
            <textarea id="spend-description" aria-describedby="spend-description-hint" rows={3} value={form.description} onInput={set('description')} />
          </Field>
          <Field id="spend-repair" label="关联报修（选填）" hint="这笔钱修的是哪项报修：报修人和业主都能在报修页看到这笔支出">
            <select id="spend-repair" aria-describedby="spend-repair-hint" value={form.repairId} onChange={set('repairId')}>
              <option value="">不关联</option>
              {(repairs.data ?? []).map((r) => (
                <option key={r.id} value={r.id}>
                  {r.trackingNo} {r.title}（{REPAIR_STATUS_WORDS[r.status]}）
                </option>
              ))}
            </select>
          </Field>
          <FilesField
            id="spend-files"
            label="凭证（选填）"
            hint="报价单、合同、现场照片，照片或 PDF，最多 20 份。每份文件的指纹都写进签名摘要：共管签名人批准的就是这些文件，提交后不能增删。"
            uploads={uploads}
            error={errors['spend-files']}
          />
          <div class="field checkbox">
            <input
              id="spend-in-budget"
              type="checkbox"
              checked={form.inBudget}
              onChange={(e) => setForm({ ...form, inBudget: (e.target as HTMLInputElement).checked })}
            />
            <label for="spend-in-budget">计入 {year} 年度预算</label>
          </div>
          <button type="submit" class="button wide" disabled={send.busy}>
            {send.busy ? '正在提交…' : '提交申请'}
          </button>
        </form>
      </Card>
    </>
  );
}
