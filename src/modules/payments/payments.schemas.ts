import { Type, type Static } from 'typebox';
import { ERROR_STATUS } from '../../shared/errors.js';
import { Body, Id, Money, ref, Timestamp } from '../../shared/schemas.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

export const OUT_TRADE_NO_PATTERN = '^[0-9A-Za-z_|*-]{6,32}$';

export const PaymentOrderBody = Body({
  unitId: Id,
  amount: Type.Optional(ref(Money)),
  provider: Type.Literal('wechat'),
  openid: Type.Optional(
    Type.String({
      pattern: '^[0-9A-Za-z_-]{1,128}$',
      description: "The payer's openid under WECHATPAY_APPID (an extension of the contract): required when JSAPI prepay is on, ignored otherwise",
    }),
  ),
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
    {
      cashierUrl: Type.Optional(Type.String({ description: "The simulated provider's cashier page, opened without a bearer token" })),
      // The JSAPI invoke's parameters (WeixinJSBridge getBrandWCPayRequest / wx.requestPayment), with prepay on.
      appId: Type.Optional(Type.String()),
      timeStamp: Type.Optional(Type.String({ description: 'Unix seconds, as text' })),
      nonceStr: Type.Optional(Type.String()),
      package: Type.Optional(Type.String({ description: '`prepay_id=…`' })),
      signType: Type.Optional(Type.Literal('RSA')),
      paySign: Type.Optional(Type.String({ description: 'RSA-SHA256 by the merchant key over `appId\\ntimeStamp\\nnonceStr\\npackage\\n`, base64' })),
    },
    { additionalProperties: true, description: 'What the client needs to pay: the simulated cashier, or the JSAPI parameters when prepay is on; `{}` otherwise' },
  ),
  createdAt: Timestamp,
  paidAt: Nullable(Timestamp),
  transactionId: Nullable(Type.String()),
  feePaymentId: Nullable(Id),
});
export type PaymentOrder = Static<typeof PaymentOrder>;

export const PaymentOrderParams = Type.Object({ cid: Id, id: Id });

const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: "A calendar day in the community's time zone" });
export const BillCheckQuery = Type.Object({ date: Day }, { additionalProperties: false });
export type BillCheckQuery = Static<typeof BillCheckQuery>;

const Traded = { orderId: Id, unitId: Id, outTradeNo: Type.String(), transactionId: Type.String(), tradedAt: Timestamp };
const OrderStatus = Type.Enum(['created', 'paid']);

export const BillCheck = Type.Object(
  {
    date: Day,
    timezone: Type.String(),
    billDates: Type.Array(Type.String(), { description: "The provider's bill days (Beijing time) that hold the community's day" }),
    simulated: Type.Boolean({ description: 'The bill came from the simulated provider' }),
    consistent: Type.Boolean({ description: 'Nothing paid but not booked, booked but not billed, or of another amount' }),
    totals: Type.Object({ bill: ref(Money), booked: ref(Money) }, { description: "The community's payments in the bill, and its orders booked that day" }),
    matched: Type.Array(Type.Object({ ...Traded, amount: ref(Money), paidAt: Timestamp })),
    paidNotBooked: Type.Array(
      Type.Object({ ...Traded, amount: ref(Money), status: OrderStatus, bookedTransactionId: Nullable(Type.String()) }, { description: 'Paid at the provider, not booked here (or booked under another transaction)' }),
    ),
    amountDiffers: Type.Array(Type.Object({ ...Traded, billAmount: ref(Money), orderAmount: ref(Money), status: OrderStatus })),
    bookedNotInBill: Type.Array(Type.Object({ orderId: Id, unitId: Id, outTradeNo: Type.String(), transactionId: Nullable(Type.String()), amount: ref(Money), paidAt: Timestamp })),
    unattributed: Type.Integer({ minimum: 0, description: "Payments in the bill that no order of any community knows (the merchant serves every community): counted, not shown" }),
  },

);
export type BillCheck = Static<typeof BillCheck>;

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
