import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, type Attachment, type AttachmentType } from '../api.js';

/** The server's limit per file (MAX_ATTACHMENT_BYTES in evidence.schemas.ts, not bundled: it brings TypeBox). */
const MAX_BYTES = 10 * 1024 * 1024;
const ACCEPTED: readonly string[] = ['image/jpeg', 'image/png', 'image/webp', 'application/pdf'] satisfies AttachmentType[];
/** A photo re-encoded here is scaled to this many pixels on its long side: sharp enough for a crack or an invoice. */
const LONG_SIDE = 2560;

export interface Upload {
  key: number;
  name: string;
  /** A local preview of an image (an object URL), while and after it uploads. */
  preview?: string;
  state: 'preparing' | 'uploading' | 'done' | 'failed';
  /** 0..1 while uploading. */
  progress: number;
  attachment?: Attachment;
  problem?: string;
  file: File;
}

/** Why a file could not be sent, in residents' words. */
function uploadProblem(error: unknown): string {
  if (error instanceof UploadRefused) return error.message;
  if (error instanceof ApiError) {
    if (error.status === 413) return '文件超过 10 MB，无法上传。';
    if (error.status === 400) return '只能上传 JPEG、PNG、WebP 照片或 PDF 文件。';
    if (error.status === 401) return '登录已失效，请重新登录。';
    return `上传未成功（${error.status}），请重试。`;
  }
  return '网络中断，上传未成功，请重试。';
}

class UploadRefused extends Error {}

/**
 * What is sent for a file: the file itself when the server takes it as it is; a photo in another
 * format (HEIC, GIF…) or over 10 MiB is drawn again as a JPEG, when the browser can read it.
 */
async function prepare(file: File): Promise<{ blob: Blob; type: AttachmentType }> {
  if (ACCEPTED.includes(file.type) && file.size <= MAX_BYTES) return { blob: file, type: file.type as AttachmentType };
  if (!file.type.startsWith('image/')) {
    throw new UploadRefused(file.size > MAX_BYTES ? '文件超过 10 MB，无法上传。' : '只能上传照片或 PDF 文件。');
  }
  const bitmap = await createImageBitmap(file).catch(() => {
    throw new UploadRefused('这张照片的格式无法读取，请换一张或截图后上传。');
  });
  const scale = Math.min(1, LONG_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext('2d')!.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.85));
  if (!blob || blob.size > MAX_BYTES) throw new UploadRefused('照片太大，无法上传。');
  return { blob, type: 'image/jpeg' };
}

/**
 * Files chosen for a form, each uploaded to POST …/attachments as soon as it is chosen, with its
 * progress and, when it fails, why and a retry. The form then names the uploaded ids, in the
 * order chosen (the order a co-signer's key signs).
 */
export function useUploads(cid: string) {
  const [items, setItems] = useState<Upload[]>([]);
  const nextKey = useRef(1);
  const alive = useRef(true);
  const update = (key: number, change: Partial<Upload>) => {
    if (alive.current) setItems((list) => list.map((u) => (u.key === key ? { ...u, ...change } : u)));
  };
  const held = useRef<Upload[]>([]);
  held.current = items;
  useEffect(
    () => () => {
      alive.current = false;
      for (const u of held.current) if (u.preview) URL.revokeObjectURL(u.preview);
    },
    [],
  );

  const send = async (key: number, file: File) => {
    update(key, { state: 'preparing', progress: 0, problem: undefined });
    try {
      const { blob, type } = await prepare(file);
      update(key, { state: 'uploading' });
      const attachment = await api.upload(cid, blob, type, (progress) => update(key, { progress }));
      update(key, { state: 'done', progress: 1, attachment });
    } catch (error) {
      update(key, { state: 'failed', problem: uploadProblem(error) });
    }
  };

  return {
    items,
    /** The ids to name, in the order the files were chosen. */
    ids: items.flatMap((u) => (u.state === 'done' && u.attachment ? [u.attachment.id] : [])),
    busy: items.some((u) => u.state === 'preparing' || u.state === 'uploading'),
    failed: items.some((u) => u.state === 'failed'),
    add(files: FileList | File[]) {
      const added = Array.from(files).map<Upload>((file) => ({
        key: nextKey.current++,
        name: file.name,
        ...(file.type.startsWith('image/') ? { preview: URL.createObjectURL(file) } : {}),
        state: 'preparing',
        progress: 0,
        file,
      }));
      setItems((list) => [...list, ...added]);
      for (const u of added) void send(u.key, u.file);
    },
    retry(key: number) {
      const found = items.find((u) => u.key === key);
      if (found) void send(key, found.file);
    },
    remove(key: number) {
      const found = items.find((u) => u.key === key);
      if (found?.preview) URL.revokeObjectURL(found.preview);
      setItems((list) => list.filter((u) => u.key !== key));
    },
    clear() {
      for (const u of items) if (u.preview) URL.revokeObjectURL(u.preview);
      setItems([]);
    },
  };
}

export type Uploads = ReturnType<typeof useUploads>;
