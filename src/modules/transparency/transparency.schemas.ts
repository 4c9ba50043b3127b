import { Type, type Static } from 'typebox';

const Base64Hash = Type.String({ contentEncoding: 'base64', pattern: '^[A-Za-z0-9+/]{43}=$', description: 'A SHA-256 hash in base64' });
const WholeNumber = (description: string, minimum: number) => Type.Integer({ minimum, maximum: Number.MAX_SAFE_INTEGER, description });

export const InclusionQuery = Type.Object({
  seq: WholeNumber("The entry's seq; among the first treeSize entries", 1),
  treeSize: WholeNumber('The size of the tree to prove inclusion in: from 1 to the current tree size', 1),
});
export type InclusionQuery = Static<typeof InclusionQuery>;

export const InclusionProof = Type.Object({
  seq: Type.Integer(),
  leafIndex: Type.Integer({ description: 'seq - 1' }),
  treeSize: Type.Integer(),
  leafHash: { ...Base64Hash, description: "SHA-256(0x00 || leaf), the entry's leaf hash" },
  hashes: Type.Array(Base64Hash, { description: 'The RFC 9162 inclusion proof (§2.1.3), nearest the leaf first' }),
});
export type InclusionProof = Static<typeof InclusionProof>;

export const ConsistencyQuery = Type.Object({
  from: WholeNumber('The older tree size: from 0 to `to`', 0),
  to: WholeNumber('The newer tree size: at most the current tree size', 0),
});
export type ConsistencyQuery = Static<typeof ConsistencyQuery>;

export const ConsistencyProof = Type.Object({
  from: Type.Integer(),
  to: Type.Integer(),
  hashes: Type.Array(Base64Hash, { description: 'The RFC 9162 consistency proof (§2.1.4); empty when from is 0 or equals to' }),
});
export type ConsistencyProof = Static<typeof ConsistencyProof>;
