import { useState } from 'preact/hooks';
import { api, type Repair } from '../api.js';
import { useSession } from '../context.js';
import { useSubmit } from '../hooks.js';
import { FilesField, uploadsProblem } from '../parts/evidence.js';
import { SpendingNav } from '../parts/section-nav.js';
import { useUploads } from '../parts/uploads.js';
import { Confirmation, ErrorSummary, valueOf, type Errors } from '../parts/form.js';
import { Card, Field, Problem } from '../parts/ui.js';

const EMPTY = { title: '', location: '', description: '' };

/** 我要报修: any member reports what is broken, with photos from the phone's camera, and gets a BX- number. */
export function ReportRepair() {
  const { here } = useSession();
  const uploads = useUploads(here.id);
  const [form, setForm] = useState(EMPTY);
  const [errors, setErrors] = useState<Errors>({});
  const [reported, setReported] = useState<Repair | undefined>();
  const set = (name: keyof typeof form) => (event: Event) => setForm({ ...form, [name]: valueOf(event) });
  const send = useSubmit(
    () =>
      api.reportRepair(here.id, {
        title: form.title.trim(),
        location: form.location.trim(),
        ...(form.description.trim() ? { description: form.description.trim() } : {}),
        ...(uploads.ids.length ? { attachments: uploads.ids } : {}),
      }),
    (repair) => {
      setReported(repair);
      setForm(EMPTY);
      uploads.clear();
    },
  );

  if (reported) {
    return (
      <>
        <SpendingNav current="repairs" exact={false} />
        <h1>报修已提交</h1>
        <Confirmation>
          报修单号 <strong class="tracking-big">{reported.trackingNo}</strong>
        </Confirmation>
        <p>物业管家会尽快派单。凭这个单号，您和其他业主都能随时查看维修进度，每一步都有记录。</p>
        <p class="button-row spaced">
          <a class="button" href={`/track/${encodeURIComponent(reported.trackingNo)}`}>
            查看报修进度
          </a>
          <button type="button" class="button secondary" onClick={() => setReported(undefined)}>
            再报一项
          </button>
        </p>
      </>
    );
  }

  const onSubmit = (event: Event) => {
    event.preventDefault();
    const found: Errors = {
      'repair-title': form.title.trim() ? (/[\n\r]/.test(form.title) ? '报修事项请写在一行内。' : undefined) : '请写明要修什么。',
      'repair-location': form.location.trim() ? undefined : '请写明在哪里，例如：3号楼2单元5楼电梯厅。',
      'repair-photos': uploadsProblem(uploads) ?? (uploads.ids.length > 20 ? '照片最多 20 张，请移除几张。' : undefined),
    };
    setErrors(found);
    if (!Object.values(found).some(Boolean)) void send.submit();
  };

  return (
    <>
      <SpendingNav current="repairs" exact={false} />
      <h1>我要报修</h1>
      <p class="muted small">公共部位坏了（楼道灯、电梯、门禁、漏水……）都可以报修。提交后会得到报修单号，全体业主都能看到维修进度。</p>
      <ErrorSummary errors={errors} />
      <Problem error={send.error} />
      <Card>
        <form class="form" onSubmit={onSubmit} noValidate>
          <Field id="repair-title" label="报修事项" hint="一句话说明什么坏了，例如：楼道灯不亮" error={errors['repair-title']}>
            <input id="repair-title" aria-describedby="repair-title-hint" maxLength={200} value={form.title} onInput={set('title')} />
          </Field>
          <Field id="repair-location" label="位置" hint="楼栋、单元、楼层或具体地点" error={errors['repair-location']}>
            <input id="repair-location" aria-describedby="repair-location-hint" maxLength={200} value={form.location} onInput={set('location')} />
          </Field>
          <Field id="repair-description" label="详细描述（选填）" hint="从什么时候开始、有没有安全隐患">
            <textarea id="repair-description" aria-describedby="repair-description-hint" rows={3} maxLength={5000} value={form.description} onInput={set('description')} />
          </Field>
          <FilesField
            id="repair-photos"
            label="照片（选填）"
            hint="可直接拍照，最多 20 张。照片里的定位信息会在上传时去除。"
            uploads={uploads}
            camera
            error={errors['repair-photos']}
          />
          <button type="submit" class="button wide" disabled={send.busy}>
            {send.busy ? '正在提交…' : uploads.busy ? '照片上传中…' : '提交报修'}
          </button>
        </form>
      </Card>
    </>
  );
}
