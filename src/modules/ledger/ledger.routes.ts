import { Type } from 'typebox';
import type { App } from '../../http/app-types.js';
import { answerOnce } from '../../http/outcome-reply.js';
import { CommunityParams, IdempotencyHeaders, Page, problems } from '../../shared/schemas.js';
import {
  Account,
  AccountList,
  CreateAccountBody,
  EntriesQuery,
  Entry,
  EntryParams,
  ExportQuery,
  Fund,
  Income,
  RecordIncomeBody,
  ReversalBody,
  Verification,
  VerifyQuery,
} from './ledger.schemas.js';

export async function ledgerRoutes(app: App): Promise<void> {
  const { ledger, spending, transparency } = app.services;
  const tags = ['ledger'];

  app.get(
    '/v1/communities/:cid/accounts',
    {
      schema: { tags, summary: 'The chart of accounts with balances', params: CommunityParams, response: { 200: AccountList, ...problems(401, 404) } },
    },
    async (request) => ledger.accounts(request.params.cid, request.principal),
  );

  app.post(
    '/v1/communities/:cid/accounts',
    {
      schema: {
        tags,
        summary: 'Add an account to the chart (community admin)',
        params: CommunityParams,
        body: CreateAccountBody,
        response: { 201: Account, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => reply.code(201).send(await ledger.addAccount(request.params.cid, request.principal, request.body)),
  );

  app.get(
    '/v1/communities/:cid/fund',
    {
      schema: {
        tags,
        summary: 'The fund balance, what open spend requests reserve, and what is available',
        params: CommunityParams,
        response: { 200: Fund, ...problems(401, 404) },
      },
    },
    async (request) => ledger.fund(request.params.cid, request.principal),
  );

  app.post(
    '/v1/communities/:cid/income',
    {
      schema: {
        tags,
        summary: 'Record public income (manager): Dr 1001, Cr 4101/4102/4103/4199',
        params: CommunityParams,
        headers: IdempotencyHeaders,
        body: RecordIncomeBody,
        response: { 201: Income, ...problems(400, 401, 403, 404, 422) },
      },
    },
    async (request, reply) =>
      answerOnce(request, reply, 'POST /income', (idempotency) => ledger.recordIncome(request.params.cid, request.principal, request.body, idempotency)),
  );

  app.get(
    '/v1/communities/:cid/entries',
    {
      schema: {
        tags,
        summary: 'Journal entries, oldest first or newest first, optionally between two days',
        description: [
          'By `seq`, oldest first by default; with `order=desc` newest first, where `nextAfter` continues with the',
          'entries before the last one of the page. `from` and `to` (YYYY-MM-DD, inclusive) keep the entries that',
          "occurred on those days in the community's time zone; a day that does not exist, or `from` after `to`,",
          'is `400 validation_failed`. A cursor marks a position by `seq`, valid in either order and with any filter.',
        ].join(' '),
        params: CommunityParams,
        querystring: EntriesQuery,
        response: { 200: Page(Entry), ...problems(400, 401, 404) },
      },
    },
    async (request) => ledger.entries(request.params.cid, request.principal, request.query),
  );

  app.post(
    '/v1/communities/:cid/entries/:id/reversal',
    {
      schema: {
        tags,
        summary: 'Reverse an entry with a mirrored entry (cosigner, with signing password)',
        description: 'An entry is reversed at most once; payouts, fee and remuneration entries are not reversed this way.',
        params: EntryParams,
        body: ReversalBody,
        response: { 201: Entry, ...problems(400, 401, 403, 404, 409, 429) },
      },
    },
    async (request, reply) => reply.code(201).send(await ledger.reverse(request.params.cid, request.principal, request.params.id, request.body)),
  );

  app.get(
    '/v1/communities/:cid/ledger/verify',
    {
      schema: {
        tags,
        summary: 'Recompute the hash chain, the balance of every entry, and every stored total',
        description: [
          'Entries are re-read from the last verification that found nothing wrong, its running sums carried',
          'forward; `full=true` re-checks from the first entry. Balances, monthly totals and the head are always',
          'checked whole, and `entries` is always the community\'s total.',
        ].join(' '),
        params: CommunityParams,
        querystring: VerifyQuery,
        response: { 200: Verification, ...problems(400, 401, 404) },
      },
    },
    async (request) => ledger.verify(request.params.cid, request.principal, { full: request.query.full === true, progress: transparency.verification }),
  );

  app.get(
    '/v1/communities/:cid/ledger/export',
    {
      schema: {
        tags,
        summary: 'The books as an hledger journal with a balance assertion per account',
        params: CommunityParams,
        querystring: ExportQuery,
        produces: ['text/plain'],
        response: { 200: Type.String({ description: 'An hledger journal' }), ...problems(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const journal = await ledger.exportHledger(request.params.cid, request.principal, spending.payees);
      return reply.type('text/plain; charset=utf-8').send(journal as unknown as string);
    },
  );
}
