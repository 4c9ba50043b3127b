import { Type } from 'typebox';
import type { App } from '../../http/app-types.js';
import { CommunityParams, problems } from '../../shared/schemas.js';
import { ConsistencyProof, ConsistencyQuery, InclusionProof, InclusionQuery } from './transparency.schemas.js';

/** Verifiable books (可验证账本): signed checkpoints, the verifier key, and proofs against them. */
export async function transparencyRoutes(app: App): Promise<void> {
  const { transparency } = app.services;
  const tags = ['ledger'];
  const base = '/v1/communities/:cid/ledger';

  app.get(
    `${base}/checkpoint`,
    {
      schema: {
        tags,
        operationId: 'getLedgerCheckpoint',
        summary: "The community's latest signed checkpoint (C2SP tlog-checkpoint), text/plain",
        description: [
          'A signed note: the origin `<TRANSPARENCY_ORIGIN host>/<cid>`, the tree size, the base64 RFC 6962 root',
          'over the entries by seq (leaf = the entry\'s canonical bytes), a blank line, and one Ed25519 signature line',
          '(C2SP signed-note) verifiable with GET /v1/transparency/key. It covers every entry within a few seconds of',
          'its commit, and a community\'s tree size never shrinks.',
        ].join(' '),
        params: CommunityParams,
        produces: ['text/plain'],
        response: { 200: Type.String({ description: 'A signed checkpoint' }), ...problems(401, 404) },
      },
    },
    async (request, reply) => reply.type('text/plain; charset=utf-8').send(await transparency.checkpoint(request.params.cid, request.principal)),
  );

  app.get(
    `${base}/proof/inclusion`,
    {
      schema: {
        tags,
        operationId: 'getInclusionProof',
        summary: 'Proof that an entry is in the tree of a given size (RFC 9162 §2.1.3)',
        description: 'treeSize runs from 1 to the current tree size and seq must be among its first treeSize entries; anything else is 400 validation_failed.',
        params: CommunityParams,
        querystring: InclusionQuery,
        response: { 200: InclusionProof, ...problems(400, 401, 404) },
      },
    },
    async (request) => transparency.inclusionProof(request.params.cid, request.principal, request.query.seq, request.query.treeSize),
  );

  app.get(
    `${base}/proof/consistency`,
    {
      schema: {
        tags,
        operationId: 'getConsistencyProof',
        summary: 'Proof that the tree of size `to` extends the tree of size `from` (RFC 9162 §2.1.4)',
        description: 'from ≤ to ≤ the current tree size; anything else is 400 validation_failed.',
        params: CommunityParams,
        querystring: ConsistencyQuery,
        response: { 200: ConsistencyProof, ...problems(400, 401, 404) },
      },
    },
    async (request) => transparency.consistencyProof(request.params.cid, request.principal, request.query.from, request.query.to),
  );

  app.get(
    '/v1/transparency/key',
    {
      config: { public: true },
      schema: {
        tags,
        operationId: 'getTransparencyKey',
        summary: 'The verifier key of every checkpoint (C2SP signed-note vkey), text/plain; public',
        description: '`<name>+<hex key ID>+<base64(0x01 || Ed25519 public key)>`, named after the TRANSPARENCY_ORIGIN host; fixed on first start.',
        security: [],
        produces: ['text/plain'],
        response: { 200: Type.String({ description: 'A signed-note verifier key' }), ...problems() },
      },
    },
    async (_request, reply) => reply.type('text/plain; charset=utf-8').send(`${await transparency.verifierKey()}\n`),
  );
}
