import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { ed25519KeyId, formatCheckpoint, formatSignedNote, formatVerifierKey, isValidKeyName, signatureLine, type Checkpoint } from '../../shared/signed-note.js';
import type { Database } from '../../db/database.js';
import * as repo from './transparency.repository.js';

/** PKCS #8 and SPKI wrappers of a raw Ed25519 key (RFC 8410), so node:crypto takes the 32 bytes we keep. */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export interface Signer {
  /** The host: the key's name and the first part of every origin. */
  host: string;
  origin(communityId: string): string;
  /** The verifier key in signed-note form: `<host>+<hex key ID>+<base64(0x01 || public key)>`. */
  verifierKey: string;
  /** The checkpoint's note text with this key's signature line. */
  signCheckpoint(checkpoint: Checkpoint): string;
}

/**
 * The one key that signs every community's checkpoints, generated on first start and kept in
 * the database, so every API process signs with it and a restart keeps the verifier key the
 * owners pinned. The host is fixed with it: TRANSPARENCY_ORIGIN (default: the host name) of
 * the first start; a later value that differs is reported and ignored, since changing the
 * origin would orphan every saved checkpoint.
 */
export async function loadSigner(db: Database, configuredHost: string, warn: (message: string) => void): Promise<Signer> {
  if (!isValidKeyName(configuredHost) || configuredHost.includes('/')) throw new Error(`TRANSPARENCY_ORIGIN ${configuredHost} is not a host name`);
  const kept = (await repo.readKey(db)) ?? (await repo.readOrInsertKey(db, newKey(configuredHost)));
  if (kept.host !== configuredHost) warn(`TRANSPARENCY_ORIGIN is ${configuredHost}, but checkpoints keep the origin ${kept.host} fixed on first start`);
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, kept.private_key]), format: 'der', type: 'pkcs8' });
  const publicKey = rawPublicKey(createPublicKey(privateKey));
  if (!publicKey.equals(kept.public_key)) throw new Error('the kept transparency key does not match its public key');
  const keyId = ed25519KeyId(kept.host, publicKey);
  return {
    host: kept.host,
    origin: (communityId) => `${kept.host}/${communityId}`,
    verifierKey: formatVerifierKey(kept.host, publicKey),
    signCheckpoint(checkpoint) {
      const text = formatCheckpoint(checkpoint);
      const signature = new Uint8Array(sign(null, Buffer.from(text, 'utf8'), privateKey));
      return formatSignedNote(text, [signatureLine(kept.host, keyId, signature)]);
    },
  };
}

function newKey(host: string): repo.KeyRow {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_PREFIX.length);
  return { host, private_key: Buffer.from(seed), public_key: rawPublicKey(publicKey) };
}

function rawPublicKey(key: KeyObject): Buffer {
  const der = key.export({ format: 'der', type: 'spki' });
  if (der.length !== SPKI_PREFIX.length + 32 || !der.subarray(0, SPKI_PREFIX.length).equals(SPKI_PREFIX)) throw new Error('not an Ed25519 public key');
  return Buffer.from(der.subarray(SPKI_PREFIX.length));
}
