import { Type, type Static } from 'typebox';
import { ERROR_STATUS } from '../../shared/errors.js';
import { Body, Id, Money, ref, Timestamp } from '../../shared/schemas.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

export const OUT_TRADE_NO_PATTERN = '^[0-9A-Za-z_|*-]{6,32}$';

export const PaymentOrderBody = Body({
  unitId: Id,
  amount: Type.Optional(ref(Money)),
  provider: Type.Literal('wechat'),
});
export type PaymentOrderBody = Static<typeof PaymentOrderBody>;

export const PaymentOrder = Type.Object({
  id: Id,
  outTradeNo: Type.String({ pattern: OUT_TRADE_NO_PATTERN, description: "WeChat Pay's out_trade_no: unique, 6-32 of [0-9A-Za-z_|*-]" }),
  provider: Type.Literal('wechat'),
  unitId: Id,
  amount: ref(Money),
  status: Type.Enum(['created', 'paid']),
  payParams: Type.Object(
    { cashierUrl: Type.Optional(Type.String({ description: "The simulated provider's cashier page, opened without a bearer token" })) },
    { additionalProperties: true, description: 'What the client needs to pay: the simulated cashier, or the JSAPI parameters when prepay is on; `{}` otherwise' },
  ),
  createdAt: Timestamp,
  paidAt: Nullable(Timestamp),
  transactionId: Nullable(Type.String()),
  feePaymentId: Nullable(Id),
});
export type PaymentOrder = Static<typeof PaymentOrder>;

export const PaymentOrderParams = Type.Object({ cid: Id, id: Id });

export const NotifyHeaders = Type.Object({
  'wechatpay-timestamp': Type.Optional(Type.String()),
  'wechatpay-nonce': Type.Optional(Type.String()),
  'wechatpay-signature': Type.Optional(Type.String()),
  'wechatpay-serial': Type.Optional(Type.String()),
});

/** The notification's failures: a problem with the `message` WeChat Pay's documentation asks for. */
export const NotifyProblem = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  code: Type.Enum(Object.keys(ERROR_STATUS)),
  message: Type.String(),
});
