import { createHash } from 'node:crypto';

/** Everything a co-signer approves when they sign a spend request. */
export interface SignedFields {
  id: string;
  communityId: string;
  amount: string;
  account: string;
  payeeName: string;
  payeeAccount: string | null;
  title: string;
  description: string | null;
  budgetYear: number | null;
}

/** The evidence a `xinyi-spend/v2` digest covers besides the fields: the repair and each attachment's hash, in order. */
export interface SignedEvidence {
  repairId: string | null;
  /** Lowercase hex SHA-256 of each attachment, in the order the request names them. */
  attachments: readonly string[];
}

/**
 * The request's digest: SHA-256 (hex) over a canonical text of the signed fields, each
 * prefixed with its length in UTF-8 bytes so that no choice of title or description can make
 * two different requests serialize alike; an absent field is `~;`, distinct from an empty
 * one (`0:;`). The amount is in its two-decimal form. Clients may recompute it from the
 * request's body (with the payee's account whole) to check what they are approving.
 *
 * A request that names a repair or carries attachments is signed as `xinyi-spend/v2`: the same
 * text under the prefix `xinyi-spend/v2;`, followed in the same form by the repair's id and
 * each attachment's SHA-256 in order, so the key approves exactly the evidence shown. A
 * request with neither keeps `xinyi-spend/v1`, which is how every request made before
 * evidence existed was signed: their stored digests still recompute.
 */
export function spendDigest(fields: SignedFields, evidence: SignedEvidence = { repairId: null, attachments: [] }): string {
  return createHash('sha256').update(canonicalSpendText(fields, evidence), 'utf8').digest('hex');
}

/** The text a digest hashes (see `spendDigest`); exported so tests and docs can show it. */
export function canonicalSpendText(fields: SignedFields, evidence: SignedEvidence = { repairId: null, attachments: [] }): string {
  const v2 = evidence.repairId !== null || evidence.attachments.length > 0;
  const text =
    (v2 ? 'xinyi-spend/v2;' : 'xinyi-spend/v1;') +
    [
      fields.id,
      fields.communityId,
      fields.amount,
      fields.account,
      fields.payeeName,
      fields.payeeAccount,
      fields.title,
      fields.description,
      fields.budgetYear === null ? null : String(fields.budgetYear),
    ]
      .map(field)
      .join('');
  return v2 ? text + [evidence.repairId, ...evidence.attachments].map(field).join('') : text;
}

function field(value: string | null): string {
  return value === null ? '~;' : `${Buffer.byteLength(value, 'utf8')}:${value};`;
}
