import { bytesEqual, concat } from './merkle.js';
import { sha256 } from './sha256.js';

/**
 * C2SP signed notes (c2sp.org/signed-note) carrying C2SP transparency-log checkpoints
 * (c2sp.org/tlog-checkpoint), with Ed25519 keys only. No dependency on Node: the verifier,
 * the web app and the server share these functions; signing stays with the server, which holds
 * the private key.
 *
 *   xinyi-ledger.example/<cid>          origin
 *   42                                  tree size, decimal, no leading zeros
 *   <base64 root hash>                  RFC 6962 root
 *                                       blank line
 *   — xinyi-ledger.example <base64(key ID || Ed25519 signature)>
 *
 * The signature covers the note text: the three lines with their newlines, not the blank line.
 * The key ID is SHA-256(name || 0x0A || 0x01 || public key)[:4]; a verifier key is written
 * `<name>+<key ID in hex>+<base64(0x01 || public key)>`.
 */

/** The signature type byte of Ed25519 in signed notes. */
export const ED25519_TYPE = 0x01;
const SIGNATURE_PREFIX = '\u2014 ';
/** Verifiers must accept at least 16 signatures; more than this is refused as abuse. */
const MAX_SIGNATURES = 100;

export interface VerifierKey {
  name: string;
  keyId: Uint8Array;
  publicKey: Uint8Array;
}

export interface NoteSignature {
  name: string;
  keyId: Uint8Array;
  signature: Uint8Array;
}

export interface Checkpoint {
  origin: string;
  size: number;
  root: Uint8Array;
}

/** Thrown for anything malformed, unsigned or badly signed; its message says which. */
export class NoteError extends Error {
  override name = 'NoteError';
}

const utf8 = new TextEncoder();

// ---------------------------------------------------------------------------------------------
// Encodings: standard base64 with padding (RFC 4648 §4), decoded strictly so that one value has
// exactly one spelling; lowercase hex.

export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** Decodes canonical standard base64 or returns null. */
export function fromBase64(text: string): Uint8Array | null {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null;
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    return null;
  }
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return toBase64(bytes) === text ? bytes : null;
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

// ---------------------------------------------------------------------------------------------
// Keys

/** Key names are non-empty, without Unicode spaces or '+'. */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+]/u.test(name) && !hasControl(name);
}

function hasControl(text: string): boolean {
  // Every ASCII control character but the newline is forbidden in a note.
  return /[\u0000-\u0009\u000b-\u001f\u007f]/.test(text);
}

/** SHA-256(name || 0x0A || 0x01 || publicKey)[:4]. */
export function ed25519KeyId(name: string, publicKey: Uint8Array): Uint8Array {
  return sha256(concat(utf8.encode(name), Uint8Array.of(0x0a, ED25519_TYPE), publicKey)).slice(0, 4);
}

export function formatVerifierKey(name: string, publicKey: Uint8Array): string {
  if (!isValidKeyName(name)) throw new NoteError(`invalid key name ${JSON.stringify(name)}`);
  if (publicKey.length !== 32) throw new NoteError('an Ed25519 public key has 32 bytes');
  return `${name}+${toHex(ed25519KeyId(name, publicKey))}+${toBase64(concat(Uint8Array.of(ED25519_TYPE), publicKey))}`;
}

/** Parses `<name>+<hex key ID>+<base64(0x01 || key)>`, checking that the ID is the key's. */
export function parseVerifierKey(vkey: string): VerifierKey {
  const trimmed = vkey.trim();
  const parts = trimmed.split('+');
  // The name has no '+', and base64 may: rejoin what follows the second '+'.
  const [name, idHex] = parts;
  const keyText = parts.slice(2).join('+');
  if (name === undefined || idHex === undefined || parts.length < 3 || !isValidKeyName(name)) throw new NoteError('malformed verifier key');
  if (!/^[0-9a-f]{8}$/.test(idHex)) throw new NoteError('malformed verifier key ID');
  const key = fromBase64(keyText);
  if (!key || key.length !== 33 || key[0] !== ED25519_TYPE) throw new NoteError('the verifier key is not an Ed25519 key');
  const publicKey = key.slice(1);
  const keyId = ed25519KeyId(name, publicKey);
  if (toHex(keyId) !== idHex) throw new NoteError('the verifier key ID does not match its key');
  return { name, keyId, publicKey };
}

// ---------------------------------------------------------------------------------------------
// Checkpoints (the note text)

export function formatCheckpoint(checkpoint: Checkpoint): string {
  const { origin, size, root } = checkpoint;
  if (origin.length === 0 || origin.includes('\n') || hasControl(origin)) throw new NoteError('invalid origin');
  if (!Number.isSafeInteger(size) || size < 0) throw new NoteError('invalid tree size');
  if (root.length !== 32) throw new NoteError('a root hash has 32 bytes');
  return `${origin}\n${size}\n${toBase64(root)}\n`;
}

/** Parses a checkpoint's note text (not the signed note), ignoring extension lines. */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n')) throw new NoteError('a checkpoint ends with a newline');
  const lines = text.slice(0, -1).split('\n');
  const [origin, sizeText, rootText] = lines;
  if (origin === undefined || sizeText === undefined || rootText === undefined) throw new NoteError('a checkpoint has at least three lines');
  if (lines.some((l) => l.length === 0)) throw new NoteError('checkpoint lines are non-empty');
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText)) throw new NoteError('the tree size is not a decimal without leading zeros');
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) throw new NoteError('the tree size is too large');
  const root = fromBase64(rootText);
  if (!root || root.length !== 32) throw new NoteError('the root hash is not 32 bytes of base64');
  return { origin, size, root };
}

// ---------------------------------------------------------------------------------------------
// Signed notes

export function signatureLine(name: string, keyId: Uint8Array, signature: Uint8Array): string {
  if (!isValidKeyName(name)) throw new NoteError(`invalid key name ${JSON.stringify(name)}`);
  if (keyId.length !== 4) throw new NoteError('a key ID has 4 bytes');
  return `${SIGNATURE_PREFIX}${name} ${toBase64(concat(keyId, signature))}\n`;
}

/** The note text, the blank line, then the signature lines (each as signatureLine makes it). */
export function formatSignedNote(text: string, signatureLines: readonly string[]): string {
  if (!text.endsWith('\n')) throw new NoteError('a note text ends with a newline');
  if (signatureLines.length === 0) throw new NoteError('a signed note has at least one signature');
  return `${text}\n${signatureLines.join('')}`;
}

/** Splits a signed note at its last blank line into the text and its signatures, unverified. */
export function parseSignedNote(note: string): { text: string; signatures: NoteSignature[] } {
  if (hasControl(note)) throw new NoteError('a note has no control characters but newlines');
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new NoteError('a signed note separates its signatures with a blank line');
  const text = note.slice(0, split + 1);
  const block = note.slice(split + 2);
  if (!block.endsWith('\n')) throw new NoteError('signature lines end with a newline');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw new NoteError('too many signatures');
  const signatures = lines.map((line): NoteSignature => {
    if (!line.startsWith(SIGNATURE_PREFIX)) throw new NoteError('a signature line starts with an em dash and a space');
    const rest = line.slice(SIGNATURE_PREFIX.length);
    const space = rest.indexOf(' ');
    const name = rest.slice(0, space);
    const bytes = space < 0 ? null : fromBase64(rest.slice(space + 1));
    if (space < 0 || !isValidKeyName(name) || !bytes || bytes.length < 5) throw new NoteError('malformed signature line');
    return { name, keyId: bytes.slice(0, 4), signature: bytes.slice(4) };
  });
  return { text, signatures };
}

/** Verifies an Ed25519 signature; may be asynchronous (WebCrypto is). */
export type Ed25519Verify = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean | Promise<boolean>;

/** Ed25519 through WebCrypto, present in browsers and in Node ≥ 20 as globalThis.crypto. */
export const webCryptoEd25519: Ed25519Verify = async (publicKey, message, signature) => {
  const subtle = globalThis.crypto.subtle;
  const key = await subtle.importKey('raw', publicKey as Uint8Array<ArrayBuffer>, { name: 'Ed25519' }, false, ['verify']);
  return subtle.verify({ name: 'Ed25519' }, key, signature as Uint8Array<ArrayBuffer>, message as Uint8Array<ArrayBuffer>);
};

/**
 * Opens a signed note with the keys the caller trusts, as the specification asks: signatures
 * of unknown keys (name and ID not both matching) are ignored, a known key's signature that
 * does not verify rejects the whole note, and at least one known key must have signed.
 * Returns the verified text and the names of the keys that signed it; throws NoteError.
 */
export async function openSignedNote(
  note: string,
  known: readonly VerifierKey[],
  verify: Ed25519Verify = webCryptoEd25519,
): Promise<{ text: string; signedBy: string[] }> {
  const { text, signatures } = parseSignedNote(note);
  const message = utf8.encode(text);
  const signedBy: string[] = [];
  for (const sig of signatures) {
    const key = known.find((k) => k.name === sig.name && bytesEqual(k.keyId, sig.keyId));
    if (!key) continue;
    if (sig.signature.length !== 64 || !(await verify(key.publicKey, message, sig.signature))) {
      throw new NoteError(`the signature of ${sig.name} does not verify`);
    }
    if (!signedBy.includes(key.name)) signedBy.push(key.name);
  }
  if (signedBy.length === 0) throw new NoteError('no signature from a known key');
  return { text, signedBy };
}

/** Opens a signed checkpoint and parses its text; optionally demands its origin. */
export async function openCheckpoint(
  note: string,
  known: readonly VerifierKey[],
  options: { origin?: string; verify?: Ed25519Verify } = {},
): Promise<Checkpoint> {
  const { text } = await openSignedNote(note, known, options.verify);
  const checkpoint = parseCheckpoint(text);
  if (options.origin !== undefined && checkpoint.origin !== options.origin) {
    throw new NoteError(`the checkpoint names origin ${checkpoint.origin}, not ${options.origin}`);
  }
  return checkpoint;
}
