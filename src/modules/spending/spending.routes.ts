import { Type } from 'typebox';
import { Repair } from '../repairs/repairs.schemas.js';
import type { App } from '../../http/app-types.js';
import { answerOnce } from '../../http/outcome-reply.js';
import { CommunityParams, IdempotencyHeaders, Page, problems } from '../../shared/schemas.js';
import {
  AcceptanceBody,
  ApprovalBody,
  CancellationBody,
  PayoutBody,
  RejectionBody,
  SpendListQuery,
  SpendParams,
  SpendRequest,
  SpendRequestSummary,
  SubmitSpendBody,
  TrackParams,
} from './spending.schemas.js';
import { DIGEST_DOCUMENTATION } from './spending.digest-docs.js';

/**
 * Spend requests. Submission answers 201 (a new request); every action on an existing
 * request (approval, rejection, cancellation, payout) answers 200 with the updated request.
 */
export async function spendingRoutes(app: App): Promise<void> {
  const { spending, repairs } = app.services;
  const tags = ['spending'];
  const base = '/v1/communities/:cid/spend-requests';

  app.post(
    base,
    {
      schema: {
        tags,
        summary: 'Submit a spend request (manager); its amount is reserved against the fund at once',
        description:
          '`account` is an expense account code, or 2201 to pay the steward at most its accrued remuneration ' +
          '(2201 balance less open requests on 2201; beyond that 409 invalid_state). If the fund\'s available ' +
          'balance is below the amount: 409 insufficient_funds, nothing reserved. Accepts Idempotency-Key.\n\n' +
          DIGEST_DOCUMENTATION,
        params: CommunityParams,
        headers: IdempotencyHeaders,
        body: SubmitSpendBody,
        response: { 201: SpendRequest, ...problems(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) =>
      answerOnce(request, reply, 'POST /spend-requests', (idempotency) => spending.submit(request.params.cid, request.principal, request.body, idempotency)),
  );

  app.get(
    base,
    {
      schema: {
        tags,
        summary: 'Spend requests, oldest first, optionally of one status (every member)',
        params: CommunityParams,
        querystring: SpendListQuery,
        response: { 200: Page(SpendRequestSummary), ...problems(400, 401, 404) },
      },
    },
    async (request) => spending.list(request.params.cid, request.principal, request.query),
  );

  app.get(
    `${base}/:id`,
    {
      schema: {
        tags,
        summary: 'A spend request with its approvals and timeline (every member)',
        description: 'Owners and supervisors see the payee\'s bank account masked to its last four characters.',
        params: SpendParams,
        response: { 200: SpendRequest, ...problems(401, 404) },
      },
    },
    async (request) => spending.get(request.params.cid, request.principal, request.params.id),
  );

  app.get(
    '/v1/track/:trackingNo',
    {
      schema: {
        tags,
        summary: 'Follow a spend request (XY-…) or a repair (BX-…) by its tracking number, like a parcel (members of its community)',
        params: TrackParams,
        response: { 200: Type.Union([SpendRequest, Repair]), ...problems(401, 404) },
      },
    },
    async (request) => {
      const { trackingNo } = request.params;
      return trackingNo.startsWith('BX-') ? repairs.track(request.principal, trackingNo) : spending.track(request.principal, trackingNo);
    },
  );

  app.post(
    `${base}/:id/approvals`,
    {
      schema: {
        tags,
        summary: 'Approve with your key (cosigner): 200 with the request; it becomes approved with enough distinct keys',
        description:
          'The submitter never approves (403 self_approval); each co-signer decides once (409 already_decided); the digest ' +
          'must be the request\'s (409 digest_mismatch); only a pending request is approved (409 invalid_state).',
        params: SpendParams,
        body: ApprovalBody,
        response: { 200: SpendRequest, ...problems(400, 401, 403, 404, 409, 429) },
      },
    },
    async (request) => spending.approve(request.params.cid, request.principal, request.params.id, request.body),
  );

  app.post(
    `${base}/:id/rejections`,
    {
      schema: {
        tags,
        summary: 'Reject with your key and a reason (cosigner): 200 with the request, now rejected; the reservation is released',
        description: 'A pending or approved (not yet paid) request may be rejected by a co-signer who has not decided on it.',
        params: SpendParams,
        body: RejectionBody,
        response: { 200: SpendRequest, ...problems(400, 401, 403, 404, 409, 429) },
      },
    },
    async (request) => spending.reject(request.params.cid, request.principal, request.params.id, request.body),
  );

  app.post(
    `${base}/:id/cancellation`,
    {
      schema: {
        tags,
        summary: 'Cancel your own pending or approved request: 200 with the request; the reservation is released',
        params: SpendParams,
        headers: IdempotencyHeaders,
        body: CancellationBody,
        response: { 200: SpendRequest, ...problems(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const { cid, id } = request.params;
      return answerOnce(request, reply, `POST /spend-requests/${id}/cancellation`, (idempotency) =>
        spending.cancel(cid, request.principal, id, request.body, idempotency),
      );
    },
  );

  app.post(
    `${base}/:id/acceptance`,
    {
      schema: {
        tags,
        summary: 'Record your verdict on a paid request (验收): accepted or disputed, with a note and photos; 200 with the request',
        description:
          'By a co-signer, or by the member who reported the repair the request pays for (anyone else: 403 forbidden); only once ' +
          'the request is paid (409 invalid_state); one verdict per person (a second is 409 already_decided). The timeline gains ' +
          '`accepted` or `disputed`, the feed `spend.accepted` or `spend.disputed`.',
        params: SpendParams,
        body: AcceptanceBody,
        response: { 200: SpendRequest, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => spending.accept(request.params.cid, request.principal, request.params.id, request.body),
  );

  app.post(
    `${base}/:id/payout`,
    {
      schema: {
        tags,
        summary: 'Pay out an approved request (manager): posts Dr account / Cr 1001, releases the reservation; 200 with the request',
        params: SpendParams,
        headers: IdempotencyHeaders,
        body: PayoutBody,
        response: { 200: SpendRequest, ...problems(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const { cid, id } = request.params;
      return answerOnce(request, reply, `POST /spend-requests/${id}/payout`, (idempotency) => spending.payout(cid, request.principal, id, request.body, idempotency));
    },
  );
}
