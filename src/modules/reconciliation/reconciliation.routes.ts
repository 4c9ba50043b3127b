import type { App } from '../../http/app-types.js';
import { CommunityParams, problems } from '../../shared/schemas.js';
import { Reconciliation, StatementUpload } from './reconciliation.schemas.js';

/** A statement of 20,000 lines fits comfortably. */
const STATEMENT_LIMIT = 4 * 1024 * 1024;

/** The upload takes the CSV's bytes as they came: a plugin of its own holds that parser. */
async function uploadRoute(app: App): Promise<void> {
  const { reconciliation } = app.services;
  app.addContentTypeParser('text/csv', { parseAs: 'buffer', bodyLimit: STATEMENT_LIMIT }, (_request, body, done) => done(null, body));
  app.post(
    '/v1/communities/:cid/bank-statements',
    {
      bodyLimit: STATEMENT_LIMIT,
      schema: {
        tags: ['reconciliation'],
        operationId: 'uploadBankStatement',
        summary: 'Upload a bank statement as CSV (manager)',
        description:
          'Content-Type text/csv, UTF-8, RFC 4180, header `date,amount,direction,counterparty,reference,balance`. Any malformed line refuses the ' +
          'whole statement (400) and stores nothing. Each line matches at most one movement of account 1001: same amount and direction, dates at ' +
          'most 3 days apart, the same reference when both have one.',
        params: CommunityParams,
        response: { 201: StatementUpload, ...problems(400, 401, 403, 404, 413) },
      },
    },
    async (request, reply) => {
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      return reply.code(201).send(await reconciliation.upload(request.params.cid, request.principal, body));
    },
  );
}

export async function reconciliationRoutes(app: App): Promise<void> {
  const { reconciliation } = app.services;
  app.get(
    '/v1/communities/:cid/reconciliation',
    {
      schema: {
        tags: ['reconciliation'],
        operationId: 'getReconciliation',
        summary: "The books against the bank: balances, what matched and what did not (every member)",
        description: '`matchesBank` is true when the latest statement\'s closing balance equals account 1001 and nothing is unmatched on either side.',
        params: CommunityParams,
        response: { 200: Reconciliation, ...problems(401, 404) },
      },
    },
    async (request) => reconciliation.reconciliation(request.params.cid, request.principal),
  );
  await app.register(uploadRoute);
}
