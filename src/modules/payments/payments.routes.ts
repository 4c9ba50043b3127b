import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../http/app-types.js';
import { sendProblem, toAppError } from '../../http/problems.js';
import { CommunityParams, problems } from '../../shared/schemas.js';
import { BillCheck, BillCheckQuery, NotifyHeaders, NotifyProblem, PaymentOrder, PaymentOrderBody, PaymentOrderParams } from './payments.schemas.js';
import { cashierRoutes } from './payments.cashier.routes.js';

/** The provider reads only the status; the body also carries WeChat Pay's `message`. */
function notifyErrorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  const problem = toAppError(error, request);
  return sendProblem(reply, problem, { message: problem.message });
}

/**
 * The notification needs the exact bytes the provider signed, so its route lives in a plugin
 * of its own whose parsers hand the body over as a Buffer, whatever its content type.
 */
async function notifyRoute(app: App): Promise<void> {
  const { payments } = app.services;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 64 * 1024 }, (_request, body, done) => done(null, body));
  app.post(
    '/v1/payments/wechat/notify',
    {
      config: { public: true },
      errorHandler: notifyErrorHandler,
      schema: {
        tags: ['payments'],
        operationId: 'receiveWechatPayNotification',
        security: [],
        summary: "WeChat Pay's asynchronous payment notification (authenticated by its signature, no bearer token)",
        description:
          'Verified as WeChat Pay API v3 signs it (RSA-SHA256 over `timestamp\\nnonce\\nbody\\n`, within 5 minutes, known serial) and ' +
          'decrypted (AEAD_AES_256_GCM under the APIv3 key). SUCCESS with the exact amount books the fee payment once and marks the order paid; ' +
          'another trade_state or a repeat changes nothing (204). 401 signature_invalid for anything that does not verify or decrypt; 409 invalid_state ' +
          'for another merchant, an unknown out_trade_no or another amount.',
        headers: NotifyHeaders,
        response: { 204: { description: 'Accepted (booked now, before, or nothing to book)' }, 401: NotifyProblem, 409: NotifyProblem, 413: NotifyProblem, 503: NotifyProblem },
      },
    },
    async (request, reply) => {
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      await payments.acceptNotification(
        {
          timestamp: request.headers['wechatpay-timestamp'],
          nonce: request.headers['wechatpay-nonce'],
          signature: request.headers['wechatpay-signature'],
          serial: request.headers['wechatpay-serial'],
        },
        body,
      );
      return reply.code(204).send();
    },
  );
}

export async function paymentsRoutes(app: App): Promise<void> {
  const { payments } = app.services;
  const tags = ['payments'];

  app.post(
    '/v1/communities/:cid/payment-orders',
    {
      schema: {
        tags,
        operationId: 'createPaymentOrder',
        summary: "Open a payment order for a unit's fees (an owner of the unit or a manager)",
        description:
          'The amount defaults to what the unit owes; a unit that owes nothing needs an amount (409 invalid_state otherwise). ' +
          '409 invalid_state too when online payment is not configured. `payParams.cashierUrl` opens the simulated cashier. ' +
          "With a merchant key configured the order is opened by WeChat Pay's JSAPI prepay first: `openid` is then required (400), " +
          '`payParams` carries the JSAPI invoke parameters, and a provider that fails or does not answer within 5 s is 503 unavailable with nothing stored.',
        params: CommunityParams,
        body: PaymentOrderBody,
        response: { 201: PaymentOrder, ...problems(400, 401, 403, 404, 409, 503) },
      },
    },
    async (request, reply) => reply.code(201).send(await payments.createOrder(request.params.cid, request.principal, request.body)),
  );

  app.get(
    '/v1/communities/:cid/payment-orders/bill-check',
    {
      schema: {
        tags,
        operationId: 'checkProviderBill',
        summary: "The provider's daily trade bill against the community's orders (manager)",
        description:
          "An extension of the contract. Fetches WeChat Pay's trade bill (bill_type ALL) for the Beijing days that hold the community's `date`, " +
          'and compares it with the orders: matched, paid at the provider but not booked, booked but missing from the bill, amount differs. ' +
          '409 invalid_state when the provider serves no bill here (the real WeChat Pay needs the merchant key); 503 unavailable when it fails or does not answer.',
        params: CommunityParams,
        querystring: BillCheckQuery,
        response: { 200: BillCheck, ...problems(400, 401, 403, 404, 409, 503) },
      },
    },
    async (request) => payments.billCheck(request.params.cid, request.principal, request.query.date),
  );

  app.get(
    '/v1/communities/:cid/payment-orders/:id',
    {
      schema: {
        tags,
        operationId: 'getPaymentOrder',
        summary: 'A payment order and its status (an owner of the unit or a manager)',
        params: PaymentOrderParams,
        response: { 200: PaymentOrder, ...problems(401, 403, 404) },
      },
    },
    async (request) => payments.getOrder(request.params.cid, request.principal, request.params.id),
  );

  await app.register(notifyRoute);
  await app.register(cashierRoutes);
}
