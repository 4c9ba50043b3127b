import { useState } from 'preact/hooks';
import { api, type SpendRequest } from '../api.js';
import { useSubmit } from '../hooks.js';
import { FilesField, uploadsProblem } from '../parts/evidence.js';
import { useUploads } from '../parts/uploads.js';
import { Card, Field, Money, Problem } from '../parts/ui.js';

/** A manager pays out an approved request, records the bank's reference and attaches the invoice and the bank slip. */
export function PayRequest({ cid, request, onDone }: { cid: string; request: SpendRequest; onDone: () => void }) {
  const [reference, setReference] = useState('');
  const [missing, setMissing] = useState(false);
  const uploads = useUploads(cid);
  const [filesProblem, setFilesProblem] = useState<string | undefined>();
  const pay = useSubmit(
    (key) => api.payout(cid, request.id, { bankReference: reference.trim(), ...(uploads.ids.length ? { attachments: uploads.ids } : {}) }, key),
    onDone,
  );
  return (
    <Card title="付款">
      <form
        class="form"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          const files = uploadsProblem(uploads);
          setMissing(!reference.trim());
          setFilesProblem(files);
          if (reference.trim() && !files) void pay.submit();
        }}
      >
        <p>
          已获批准，向 {request.payee.name} 付款 <Money amount={request.amount} /> 后，填写银行流水号确认。
        </p>
        <Problem error={pay.error} />
        <Field id="bank-reference" label="银行流水号" error={missing ? '请填写银行流水号。' : undefined}>
          <input id="bank-reference" value={reference} onInput={(e) => setReference((e.target as HTMLInputElement).value)} />
        </Field>
        <FilesField id="payout-files" label="发票与银行回单（选填）" hint="照片或 PDF；付款后所有业主都能看到。" uploads={uploads} error={filesProblem} />
        <button type="submit" class="button" disabled={pay.busy}>
          确认已付款
        </button>
      </form>
    </Card>
  );
}

/** The submitter withdraws a request that has not been paid. */
export function CancelRequest({ cid, request, onDone }: { cid: string; request: SpendRequest; onDone: () => void }) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const cancel = useSubmit(() => api.cancel(cid, request.id, { reason: reason.trim() }), onDone);
  if (!open) {
    return (
      <p>
        <button type="button" class="button secondary" onClick={() => setOpen(true)}>
          撤销这笔申请
        </button>
      </p>
    );
  }
  return (
    <Card title="撤销申请">
      <form
        class="form"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (reason.trim()) void cancel.submit();
        }}
      >
        <Problem error={cancel.error} />
        <Field id="cancel-reason" label="撤销理由">
          <textarea id="cancel-reason" rows={2} value={reason} onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)} />
        </Field>
        <button type="submit" class="button danger" disabled={cancel.busy || !reason.trim()}>
          确认撤销
        </button>
      </form>
    </Card>
  );
}
