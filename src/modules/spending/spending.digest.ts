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

/**
 * The request's digest: SHA-256 (hex) over a canonical text of the signed fields, each
 * prefixed with its length in UTF-8 bytes so that no choice of title or description can make
 * two different requests serialize alike; an absent field is `~;`, distinct from an empty
 * one (`0:;`). The amount is in its two-decimal form. Clients may recompute it from the
 * request's body (with the payee's account whole) to check what they are approving.
 */
export function spendDigest(fields: SignedFields): string {
  const canonical =
    'xinyi-spend/v1;' +
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
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

function field(value: string | null): string {
  return value === null ? '~;' : `${Buffer.byteLength(value, 'utf8')}:${value};`;
}
