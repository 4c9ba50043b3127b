/**
 * Reading an entry's leaf: the exact bytes the server hashed when it wrote the entry.
 *
 * The server builds them in the database (ledger_post_each) as `xinyi-ledger/v1;` followed by
 * length-prefixed fields, each `<UTF-8 byte count>:<text>;`, in this order:
 *
 *   community id, seq, entry id, kind, memo, source type, source id,
 *   occurred at, recorded at (both RFC 3339 UTC with milliseconds),
 *   seq of the entry it reverses, hash of the previous entry,
 *   then three fields per posting: account code, debit, credit (two decimals).
 *
 * A missing value (no source, nothing reversed) is the empty field `0:;`. Because every
 * field says its own length, no memo, however it is written, can pass for another field.
 * This file only reads those bytes; the verifier compares what it reads with the JSON the
 * server shows, so a leaf that says one thing while the page says another is caught.
 */

export const LEAF_PREFIX = 'xinyi-ledger/v1;';

/** The fields of one entry, as its leaf states them. */
export interface LeafEntry {
  communityId: string;
  seq: number;
  id: string;
  kind: string;
  memo: string;
  /** Empty when the entry has no source. */
  sourceType: string;
  sourceId: string;
  occurredAt: string;
  recordedAt: string;
  /** The seq of the entry this one reverses, or null. */
  reversesSeq: number | null;
  prevHash: string;
  postings: { account: string; debit: string; credit: string }[];
}

/** A leaf that is not in the canonical form; the message says where it went wrong. */
export class LeafFormatError extends Error {}

const HEADER_FIELDS = 11;
const utf8 = new TextDecoder('utf-8', { fatal: true });
const WHOLE_NUMBER = /^(0|[1-9][0-9]*)$/;
const AMOUNT = /^(0|[1-9][0-9]*)\.[0-9]{2}$/;

const PREFIX_BYTES = new TextEncoder().encode(LEAF_PREFIX);
const COLON = 0x3a;
const SEMICOLON = 0x3b;
const ZERO = 0x30;

/** Splits the bytes after the prefix into fields; throws LeafFormatError on any irregularity. */
function fieldsOf(bytes: Uint8Array): string[] {
  if (bytes.length < PREFIX_BYTES.length || PREFIX_BYTES.some((b, i) => bytes[i] !== b)) {
    throw new LeafFormatError(`does not start with ${LEAF_PREFIX}`);
  }
  const fields: string[] = [];
  let at = PREFIX_BYTES.length;
  while (at < bytes.length) {
    // The length: ASCII digits up to ':', written the one way String(n) writes it (no leading zero).
    let length = 0;
    let digits = 0;
    for (; at < bytes.length && bytes[at] !== COLON; at++, digits++) {
      const digit = bytes[at]! - ZERO;
      if (digit < 0 || digit > 9 || digits >= 9 || (digits === 1 && length === 0)) {
        throw new LeafFormatError(`field ${fields.length + 1} has a bad length`);
      }
      length = length * 10 + digit;
    }
    if (digits === 0 || at === bytes.length) throw new LeafFormatError(`field ${fields.length + 1} has no length`);
    const start = at + 1;
    const end = start + length;
    if (end >= bytes.length || bytes[end] !== SEMICOLON) throw new LeafFormatError(`field ${fields.length + 1} does not end where its length says`);
    try {
      fields.push(utf8.decode(bytes.subarray(start, end)));
    } catch {
      throw new LeafFormatError(`field ${fields.length + 1} is not valid UTF-8`);
    }
    at = end + 1;
  }
  return fields;
}

function wholeNumber(text: string, what: string): number {
  const n = Number(text);
  if (!WHOLE_NUMBER.test(text) || !Number.isSafeInteger(n)) throw new LeafFormatError(`${what} "${text}" is not a whole number`);
  return n;
}

/** Parses a leaf (its raw bytes) into the entry it states; throws LeafFormatError if it is not canonical. */
export function parseLeaf(bytes: Uint8Array): LeafEntry {
  const fields = fieldsOf(bytes);
  const lines = fields.length - HEADER_FIELDS;
  if (lines < 0 || lines % 3 !== 0) throw new LeafFormatError(`has ${fields.length} fields; expected 11 and three per posting`);
  const [communityId, seq, id, kind, memo, sourceType, sourceId, occurredAt, recordedAt, reversesSeq, prevHash] = fields as [
    string, string, string, string, string, string, string, string, string, string, string,
  ];
  const postings: LeafEntry['postings'] = [];
  for (let i = HEADER_FIELDS; i < fields.length; i += 3) {
    const [account, debit, credit] = [fields[i]!, fields[i + 1]!, fields[i + 2]!];
    if (!AMOUNT.test(debit) || !AMOUNT.test(credit)) throw new LeafFormatError(`posting ${postings.length + 1} has an amount that is not a two-decimal number`);
    postings.push({ account, debit, credit });
  }
  if (!/^[0-9a-f]{64}$/.test(prevHash)) throw new LeafFormatError('the previous hash is not 64 hex digits');
  return {
    communityId,
    seq: wholeNumber(seq, 'seq'),
    id,
    kind,
    memo,
    sourceType,
    sourceId,
    occurredAt,
    recordedAt,
    reversesSeq: reversesSeq === '' ? null : wholeNumber(reversesSeq, 'the reversed seq'),
    prevHash,
    postings,
  };
}
