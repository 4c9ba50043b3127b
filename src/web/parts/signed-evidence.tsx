import type { SpendRequest } from '../api.js';
import { Evidence } from './evidence.js';

/** xinyi-spend/v2 when the request names evidence or a repair (the server's rule); v1 otherwise. */
export const digestVersion = (request: Pick<SpendRequest, 'attachments' | 'repairId'>) =>
  request.attachments.length > 0 || request.repairId !== null ? 'v2' : 'v1';

/**
 * The evidence a request was submitted with, and in plain words what the co-signers' digest
 * covers: with v2 each file's SHA-256, in this order, so a key approves exactly these files.
 */
export function SignedEvidence({ cid, request }: { cid: string; request: SpendRequest }) {
  const version = digestVersion(request);
  const count = request.attachments.length;
  return (
    <>
      <Evidence cid={cid} attachments={request.attachments} fingerprints />
      <p class="small muted signed-words">
        {version === 'v2' ? (
          <>
            签名摘要（xinyi-spend/v2）涵盖金额、科目、收款方及账号、事项、用途、预算年度
            {request.repairId !== null ? '、关联报修' : ''}
            {count ? `，以及这 ${count} 份凭证每一份的 SHA-256 指纹（按上面的顺序）。共管签名人批准的就是这些文件，提交后任何人都无法替换或增删。` : '。这笔申请没有附凭证。'}
          </>
        ) : (
          '这笔申请没有附凭证。签名摘要（xinyi-spend/v1）涵盖金额、科目、收款方及账号、事项、用途和预算年度。'
        )}
      </p>
    </>
  );
}
