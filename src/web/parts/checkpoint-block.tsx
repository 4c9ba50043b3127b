import { api, ApiError } from '../api.js';
import { NoteError, openCheckpoint, parseVerifierKey, toHex, type Checkpoint } from '../../shared/signed-note.js';

export interface SignedCheckpoint {
  /** The signed note exactly as the server sent it: what an owner can copy and check later. */
  note: string;
  /** The published verifier key. */
  key: string;
  /** What the note says, once its signature verified with that key; null when it did not. */
  checkpoint: Checkpoint | null;
}

/**
 * The community's current checkpoint for the 公示, its signature checked with the published key.
 * Null when the server keeps no checkpoints (the notice is printed without that block).
 */
export async function signedCheckpoint(cid: string): Promise<SignedCheckpoint | null> {
  let note: string;
  let key: string;
  try {
    [note, key] = await Promise.all([api.checkpoint(cid), api.transparencyKey()]);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
  key = key.trim();
  try {
    const verifier = parseVerifierKey(key);
    return { note, key, checkpoint: await openCheckpoint(note, [verifier], { origin: `${verifier.name}/${cid}` }) };
  } catch (error) {
    if (error instanceof NoteError) return { note, key, checkpoint: null };
    throw error;
  }
}

/** The hex root in groups of eight, easier to read aloud and to compare by eye on paper. */
const grouped = (hex: string) => hex.replace(/(.{8})(?=.)/g, '$1 ');

/**
 * 账本公证 on the printed 公示: the tree size and root the server signed, so that the paper on
 * the wall pins these books; a later history that rewrites any of them cannot match it.
 */
export function CheckpointBlock({ note, key, checkpoint }: SignedCheckpoint) {
  return (
    <section class="notice-checkpoint" aria-labelledby="checkpoint-title">
      <h2 id="checkpoint-title">账本公证</h2>
      {checkpoint ? (
        <>
          <p>此根哈希锁定截至公示时的全部 {checkpoint.size} 条账目：其中任何一笔被改动、删除或调换，根哈希都会不同。</p>
          <dl class="facts">
            <div>
              <dt>账本来源</dt>
              <dd class="digest">{checkpoint.origin}</dd>
            </div>
            <div>
              <dt>账目条数</dt>
              <dd data-testid="checkpoint-size">{checkpoint.size}</dd>
            </div>
            <div>
              <dt>根哈希（十六进制）</dt>
              <dd class="digest" data-testid="checkpoint-root-hex">
                {grouped(toHex(checkpoint.root))}
              </dd>
            </div>
          </dl>
        </>
      ) : (
        <p class="alarm" role="alert">
          注意：这份公证的签名没有通过校验，请勿以此为凭，并联系业委会核实。
        </p>
      )}
      <p class="small">签名的公证原文（可抄存为文件，日后用 xinyi-verify --since 该文件，核对届时的账本是否是它的延续）：</p>
      <pre class="digest" style={{ whiteSpace: 'pre-wrap', margin: '0.25rem 0', fontSize: '0.75rem' }} data-testid="checkpoint-note">
        {note.trimEnd()}
      </pre>
      <p class="small">
        公证公钥：<span class="digest">{key}</span>
      </p>
    </section>
  );
}
