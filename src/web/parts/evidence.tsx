import { api, type AttachmentRef } from '../api.js';
import type { Uploads } from './uploads.js';

/** 2.4 MB, 380 KB: a file's size as a phone shows it. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.max(1, Math.round(bytes / 1024))} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

const isImage = (a: AttachmentRef) => a.contentType.startsWith('image/');

/**
 * Evidence as residents look at it: each photo a thumbnail, each PDF a chip, opened full size
 * from the server (same origin; the session cookie lets a member read it). With `fingerprints`,
 * each file also shows the start and end of the SHA-256 the co-signers' keys sign.
 */
export function Evidence({ cid, attachments, fingerprints = false, label = '凭证' }: { cid: string; attachments: AttachmentRef[]; fingerprints?: boolean; label?: string }) {
  if (!attachments.length) return null;
  return (
    <ul class="evidence" aria-label={label}>
      {attachments.map((a, i) => {
        const url = api.attachmentUrl(cid, a.id);
        // Numbered in the order given: the order the digest covers them in.
        const name = `${label} ${i + 1}：${isImage(a) ? '照片' : 'PDF 文件'}`;
        return (
          <li key={a.id} class={isImage(a) ? 'evidence-photo' : 'evidence-pdf'}>
            <a href={url} target="_blank" rel="noopener" title={`${name}，${formatBytes(a.size)}（在新窗口打开）`}>
              {isImage(a) ? (
                <img src={url} alt={`${name}，${formatBytes(a.size)}`} loading="lazy" width={88} height={88} />
              ) : (
                <span class="pdf-chip">
                  <span class="pdf-mark" aria-hidden="true">
                    PDF
                  </span>
                  {i + 1}. PDF 文件 · {formatBytes(a.size)}
                </span>
              )}
            </a>
            {fingerprints ? (
              <code class="fingerprint" title={a.sha256}>
                {i + 1}. {a.sha256.slice(0, 8)}…{a.sha256.slice(-4)}
              </code>
            ) : null}
          </li>
        );
      })}
    </ul>
  );
}

const STATE_WORDS = { preparing: '准备中…', uploading: '上传中', done: '已上传', failed: '上传失败' } as const;

/**
 * A file field whose files upload as soon as they are chosen: each with its preview, its progress
 * and, when it fails, why, with 重试 and 移除. `camera` opens the phone's rear camera (photos only).
 */
export function FilesField(props: { id: string; label: string; hint?: string; uploads: Uploads; camera?: boolean; error?: string | undefined }) {
  const { id, label, hint, uploads, camera = false, error } = props;
  const describedBy = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div class={`field${error ? ' field-error' : ''}`}>
      <label for={id}>{label}</label>
      {hint ? (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p class="error-message" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
      {/* The browser's own button speaks the browser's language; ours is drawn by the label below. */}
      <input
        id={id}
        type="file"
        class="file-input visually-hidden"
        accept={camera ? 'image/*' : 'image/*,application/pdf'}
        {...(camera ? { capture: 'environment' } : {})}
        multiple
        aria-describedby={describedBy}
        onChange={(event) => {
          const input = event.target as HTMLInputElement;
          if (input.files?.length) uploads.add(input.files);
          // The same file may be chosen again after removing it.
          input.value = '';
        }}
      />
      <label for={id} class="button secondary file-button" aria-hidden="true">
        {camera ? '拍照或选择照片' : '选择照片或 PDF 文件'}
      </label>
      {uploads.items.length ? (
        <ul class="uploads" aria-label={`${label}：已选 ${uploads.items.length} 个`}>
          {uploads.items.map((u, i) => (
            <li key={u.key} class={`upload upload-${u.state}`}>
              {u.state === 'failed' ? (
                <span class="upload-mark" aria-hidden="true">
                  !
                </span>
              ) : u.preview ? (
                <img src={u.preview} alt="" width={56} height={56} />
              ) : (
                <span class="pdf-mark" aria-hidden="true">
                  PDF
                </span>
              )}
              <div class="upload-body">
                <p class="upload-name">
                  {i + 1}. {u.name || '照片'}
                </p>
                {u.state === 'uploading' ? (
                  <progress max={1} value={u.progress} aria-label={`${u.name} 上传进度`} />
                ) : null}
                <p class={`small ${u.state === 'failed' ? 'upload-problem' : 'muted'}`} role={u.state === 'failed' ? 'alert' : undefined}>
                  {STATE_WORDS[u.state]}
                  {u.state === 'uploading' ? ` ${Math.round(u.progress * 100)}%` : ''}
                  {u.state === 'done' && u.attachment ? ` · ${formatBytes(u.attachment.size)}` : ''}
                  {u.state === 'failed' ? `：${u.problem ?? ''}` : ''}
                </p>
              </div>
              <div class="upload-actions">
                {u.state === 'failed' ? (
                  <button type="button" class="link-like" onClick={() => uploads.retry(u.key)}>
                    重试<span class="visually-hidden"> {u.name}</span>
                  </button>
                ) : null}
                <button type="button" class="link-like" onClick={() => uploads.remove(u.key)}>
                  移除<span class="visually-hidden"> {u.name}</span>
                </button>
              </div>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** Checked before a form is sent: every chosen file must have arrived. */
export function uploadsProblem(uploads: Uploads): string | undefined {
  if (uploads.busy) return '还有文件正在上传，请稍候再提交。';
  if (uploads.failed) return '有文件上传失败：请重试，或移除后再提交。';
  return undefined;
}
