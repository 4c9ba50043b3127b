/**
 * 信义家 as a witness of the books. Every member's browser keeps, per community, the last
 * checkpoint it saw (the tree size and root the server signed) and the key that signed it.
 * On each visit it fetches the current checkpoint, checks the signature with the key it pinned
 * the first time, and, when the books grew, asks for a consistency proof that the new tree is
 * the old one with entries appended. A server that showed one history to this member and
 * another later, or to someone else, cannot make that proof: the page says so in red.
 *
 * The hashing and signature rules are the shared ones (src/shared/merkle.ts and
 * signed-note.ts: RFC 9162 proofs, C2SP signed notes, Ed25519 through WebCrypto). This module
 * is loaded only when 首页 asks for it, so it costs the first screen nothing.
 */
import { api, ApiError } from './api.js';
import { verifyConsistency } from '../shared/merkle.js';
import { fromBase64, NoteError, openCheckpoint, parseVerifierKey, type Checkpoint, type VerifierKey } from '../shared/signed-note.js';

/** What this browser remembers of a community's books. */
interface Saved {
  /** The verifier key, pinned on first sight. */
  key: string;
  /** The last checkpoint that verified, as the signed note the server sent. */
  checkpoint: string;
}

export type Witnessed =
  | { state: 'ok'; size: number; root: Uint8Array; origin: string; previousSize: number | null }
  | { state: 'warning'; reason: string }
  /** The server could not be asked (offline, signed out): nothing is claimed either way. */
  | { state: 'unknown' };

const storageKey = (cid: string) => `xinyi.witness.${cid}`;
/** One key signs every community's checkpoints: pinned once for the server, so a community seen for the first time is held to it too. */
const PINNED_KEY = 'xinyi.witness.key';

function load(cid: string): Saved | null {
  try {
    const saved = JSON.parse(localStorage.getItem(storageKey(cid)) ?? 'null') as Partial<Saved> | null;
    return typeof saved?.key === 'string' && typeof saved.checkpoint === 'string' ? { key: saved.key, checkpoint: saved.checkpoint } : null;
  } catch {
    return null;
  }
}

function save(cid: string, saved: Saved): void {
  try {
    localStorage.setItem(storageKey(cid), JSON.stringify(saved));
    if (localStorage.getItem(PINNED_KEY) === null) localStorage.setItem(PINNED_KEY, saved.key);
  } catch {
    // Storage full or refused (private mode): the check still ran, it is just not remembered.
  }
}

function readPinnedKey(): string | null {
  try {
    return localStorage.getItem(PINNED_KEY);
  } catch {
    return null;
  }
}

/** A refusal the member should see, in words; the saved checkpoint is kept as it was. */
class Warning extends Error {}

async function opened(note: string, key: VerifierKey, origin: string, what: string): Promise<Checkpoint> {
  try {
    return await openCheckpoint(note, [key], { origin });
  } catch (error) {
    if (error instanceof NoteError) throw new Warning(`${what}的签名无效或不属于本小区（${error.message}）。`);
    throw error;
  }
}

/** Checks the current checkpoint against the one saved here, and remembers it when it holds. */
export async function witness(cid: string): Promise<Witnessed> {
  let keyText: string;
  let note: string;
  try {
    [keyText, note] = await Promise.all([api.transparencyKey(), api.checkpoint(cid)]);
  } catch (error) {
    if (error instanceof ApiError || error instanceof TypeError) return { state: 'unknown' };
    throw error;
  }
  keyText = keyText.trim();
  const saved = load(cid);
  const pinned = saved?.key ?? readPinnedKey();
  try {
    if (pinned !== null && pinned !== keyText) {
      throw new Warning('服务器的公证密钥与您上次看到的不同：可能换了密钥，也可能在向您展示另一本账。');
    }
    let key: VerifierKey;
    try {
      key = parseVerifierKey(keyText);
    } catch {
      throw new Warning('服务器公布的公证密钥格式不对。');
    }
    // One key signs every community; the origin names this one, so another's checkpoint cannot pass.
    const origin = `${key.name}/${cid}`;
    const now = await opened(note, key, origin, '服务器今天的公证');
    if (!saved) {
      save(cid, { key: keyText, checkpoint: note });
      return { state: 'ok', size: now.size, root: now.root, origin, previousSize: null };
    }
    const old = await opened(saved.checkpoint, key, origin, '本机保存的公证');
    await proveExtends(cid, old, now);
    save(cid, { key: keyText, checkpoint: note });
    return { state: 'ok', size: now.size, root: now.root, origin, previousSize: old.size };
  } catch (error) {
    if (error instanceof Warning) return { state: 'warning', reason: error.message };
    throw error;
  }
}

/** The new checkpoint extends the old one: the same tree, or a proof that only entries were added. */
async function proveExtends(cid: string, old: Checkpoint, now: Checkpoint): Promise<void> {
  const notExtended = `服务器现在展示的账本（${now.size} 条）不是您上次看到的账本（${old.size} 条）的延续：此前的记录可能被改动、删除或调换过。`;
  if (old.size > now.size) throw new Warning(`账本比您上次看到的短：上次 ${old.size} 条，现在 ${now.size} 条。`);
  if (old.size === now.size) {
    if (verifyConsistency(old.size, now.size, old.root, now.root, [])) return;
    throw new Warning(notExtended);
  }
  let hashes: (Uint8Array | null)[];
  try {
    const proof = await api.consistencyProof(cid, old.size, now.size);
    hashes = proof.from === old.size && proof.to === now.size ? proof.hashes.map(fromBase64) : [null];
  } catch (error) {
    // A server that will not prove what it signed is as good as one whose proof fails.
    if (error instanceof ApiError && error.status === 400) throw new Warning(notExtended);
    throw error;
  }
  if (hashes.some((h) => h === null) || !verifyConsistency(old.size, now.size, old.root, now.root, hashes as Uint8Array[])) {
    throw new Warning(notExtended);
  }
}
