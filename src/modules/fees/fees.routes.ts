import type { App } from '../../http/app-types.js';
import { answerOnce } from '../../http/outcome-reply.js';
import { CommunityParams, IdempotencyHeaders, problems } from '../../shared/schemas.js';
import {
  ArrearsPage,
  ArrearsQuery,
  BillingRun,
  BillingRunBody,
  FeePayment,
  FeePaymentBody,
  FeeSchedule,
  FeeScheduleBody,
  FeeSummary,
  Statement,
  SummaryQuery,
  UnitParams,
} from './fees.schemas.js';

export async function feesRoutes(app: App): Promise<void> {
  const { fees } = app.services;
  const tags = ['fees'];

  app.get(
    '/v1/communities/:cid/fee-schedule',
    {
      schema: { tags, summary: 'The fee rate in effect this month and every rate ever set', params: CommunityParams, response: { 200: FeeSchedule, ...problems(401, 404) } },
    },
    async (request) => fees.getSchedule(request.params.cid, request.principal),
  );

  app.put(
    '/v1/communities/:cid/fee-schedule',
    {
      schema: {
        tags,
        summary: 'Set the monthly fee per m² from a month on (manager or community admin)',
        description: 'A new rate never changes bills already issued; the latest rate set for a month wins for the periods billed after.',
        params: CommunityParams,
        body: FeeScheduleBody,
        response: { 200: FeeSchedule, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => fees.setSchedule(request.params.cid, request.principal, request.body),
  );

  app.post(
    '/v1/communities/:cid/billing-runs',
    {
      schema: {
        tags,
        summary: 'Bill every unit for a month (manager): Dr 1101 / Cr 4001, advances applied at once',
        description: 'A period is billed once: a second run is 409 invalid_state and changes nothing.',
        params: CommunityParams,
        headers: IdempotencyHeaders,
        body: BillingRunBody,
        response: { 201: BillingRun, ...problems(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) =>
      answerOnce(request, reply, 'POST /billing-runs', (idempotency) => fees.runBilling(request.params.cid, request.principal, request.body, idempotency)),
  );

  app.post(
    '/v1/communities/:cid/fee-payments',
    {
      schema: {
        tags,
        summary: "Record a unit's fee payment (manager): Dr 1001, Cr 1101 oldest bills first, the rest Cr 2101",
        params: CommunityParams,
        headers: IdempotencyHeaders,
        body: FeePaymentBody,
        response: { 201: FeePayment, ...problems(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) =>
      answerOnce(request, reply, 'POST /fee-payments', (idempotency) => fees.recordPayment(request.params.cid, request.principal, request.body, idempotency)),
  );

  app.get(
    '/v1/communities/:cid/units/:uid/statement',
    {
      schema: {
        tags,
        summary: "A unit's bills, payments, what it owes and what it paid in advance (its owners and staff)",
        params: UnitParams,
        response: { 200: Statement, ...problems(401, 403, 404) },
      },
    },
    async (request) => fees.statement(request.params.cid, request.principal, request.params.uid),
  );

  app.get(
    '/v1/communities/:cid/fee-summary',
    {
      schema: {
        tags,
        summary: "A period's fees billed and collected, per building (every member; names no household)",
        params: CommunityParams,
        querystring: SummaryQuery,
        response: { 200: FeeSummary, ...problems(400, 401, 404) },
      },
    },
    async (request) => fees.summary(request.params.cid, request.principal, request.query.period),
  );

  app.get(
    '/v1/communities/:cid/arrears',
    {
      schema: {
        tags,
        summary: 'Units with money due, by unit code (manager, cosigner, supervisor, admin)',
        params: CommunityParams,
        querystring: ArrearsQuery,
        response: { 200: ArrearsPage, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => fees.arrears(request.params.cid, request.principal, request.query.after, request.query.limit ?? 100),
  );
}
