/**
 * How a client recomputes the digest a co-signer signs, with a worked example, as the
 * OpenAPI description of spend request submission shows it. test/evidence.spend.test.ts
 * recomputes the example from this text alone and with `spendDigest`.
 */
export const DIGEST_EXAMPLE = {
  fields: {
    id: '5f0c6a1e-2b7d-4c39-9a51-0d7e2f3b8c11',
    communityId: 'c0ffee00-1111-4222-8333-444455556666',
    amount: '1280.50',
    account: '5105',
    payeeName: '杭州水泵维修公司',
    payeeAccount: '62220212345678901234',
    title: '更换3号楼水泵',
    description: null,
    budgetYear: 2026,
  },
  evidence: {
    repairId: 'b1e2d3c4-0000-4aaa-8bbb-123456789abc',
    attachments: [
      '6327245c3a45d3d9ea72b70fbb671926e7b80f63d311bfd73dde876d5df02b26',
      '55c64d0fcd6f9d5f7c828093857e3fdfda68478bb4e9bd24d481ef391c7804e8',
    ],
  },
  canonical:
    'xinyi-spend/v2;36:5f0c6a1e-2b7d-4c39-9a51-0d7e2f3b8c11;36:c0ffee00-1111-4222-8333-444455556666;7:1280.50;4:5105;' +
    '24:杭州水泵维修公司;20:62220212345678901234;19:更换3号楼水泵;~;4:2026;36:b1e2d3c4-0000-4aaa-8bbb-123456789abc;' +
    '64:6327245c3a45d3d9ea72b70fbb671926e7b80f63d311bfd73dde876d5df02b26;' +
    '64:55c64d0fcd6f9d5f7c828093857e3fdfda68478bb4e9bd24d481ef391c7804e8;',
  digest: '0de099e3ad967e000bf76f6a0b7f51c20d77023c2f3c26a824152aa9d996b890',
} as const;

export const DIGEST_DOCUMENTATION =
  '**The digest a co-signer signs.** `digest` is the lowercase hex SHA-256 of a canonical UTF-8 text. Each field is written ' +
  '`<length in UTF-8 bytes>:<value>;`, or `~;` when absent (null), in this order: id, communityId, amount (two decimals), ' +
  'account, payee name, payee account (whole, without spaces or hyphens), title, description, budgetYear. A request that ' +
  'names neither a repair nor attachments is `xinyi-spend/v1`: the text is `xinyi-spend/v1;` followed by those fields ' +
  '(every request made before evidence existed was signed so, and its digest still recomputes). A request with a ' +
  '`repairId` or `attachments` is `xinyi-spend/v2`: `xinyi-spend/v2;`, the same fields, then `repairId` and each ' +
  'attachment’s SHA-256 (its `sha256`, lowercase hex) in the order the request lists them, in the same form. The digest ' +
  'is fixed at submission.\n\n' +
  `Worked example (v2; no description, a repair, two attachments): the fields ${JSON.stringify(DIGEST_EXAMPLE.fields)}, ` +
  `repairId \`${DIGEST_EXAMPLE.evidence.repairId}\` and attachments with sha256 ` +
  `${DIGEST_EXAMPLE.evidence.attachments.map((a) => `\`${a}\``).join(' then ')} give the text\n\n` +
  `\`${DIGEST_EXAMPLE.canonical}\`\n\nwhose SHA-256 is \`${DIGEST_EXAMPLE.digest}\`. ` +
  '(The payee name 杭州水泵维修公司 is 8 characters but 24 bytes in UTF-8.)';
