import { Type } from 'typebox';
import type { App } from '../../http/app-types.js';
import { OUT_TRADE_NO_PATTERN } from './payments.schemas.js';
import { cashierPath } from './payments.service.js';

const Params = Type.Object({ outTradeNo: Type.String({ pattern: OUT_TRADE_NO_PATTERN }) });

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title><style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
.amount{font-size:2rem;font-weight:600}button{font-size:1.1rem;padding:.6rem 1.2rem;margin:.4rem .4rem 0 0}.note{color:#555;font-size:.9rem}</style></head>
<body><h1>${escape(title)}</h1>${body}<p class="note">这是模拟的微信支付收银台，只用于测试与演示，不会扣真实的钱。</p></body></html>`;
}

/**
 * The simulated WeChat Pay's cashier (API.md: `payParams.cashierUrl`), a page a browser opens
 * without a bearer token. Paying there makes the simulated provider send its signed, encrypted
 * notification to /v1/payments/wechat/notify through the same route the real provider calls.
 * Only orders opened while the simulator is on have a cashier; anyone holding the link may pay
 * the order, exactly as with a real provider's payment link, and it moves only play money.
 */
export async function cashierRoutes(app: App): Promise<void> {
  const { payments } = app.services;
  // The buttons post an empty form; nothing in it is read.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 1024 }, (_request, _body, done) => done(null, {}));

  app.get('/pay/simulated/:outTradeNo', { config: { public: true }, schema: { hide: true, params: Params } }, async (request, reply) => {
    const order = await payments.cashierOrder(request.params.outTradeNo);
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
    if (!order) return reply.code(404).send(page('找不到这笔订单', '<p>这笔订单不存在，或不是模拟支付的订单。</p>'));
    const action = escape(cashierPath(order.outTradeNo));
    const body =
      order.status === 'paid'
        ? `<p class="amount">¥${escape(order.amount)}</p><p role="status">已支付。可以关闭本页，回到信义家查看账单。</p>`
        : `<p>订单号 ${escape(order.outTradeNo)}</p><p class="amount">¥${escape(order.amount)}</p>
<form method="post" action="${action}/pay"><button type="submit">确认支付</button></form>
<form method="post" action="${action}/close"><button type="submit">取消支付</button></form>`;
    return reply.send(page('微信支付（模拟）', body));
  });

  for (const [step, tradeState] of [['pay', 'SUCCESS'], ['close', 'CLOSED']] as const) {
    app.post(`/pay/simulated/:outTradeNo/${step}`, { config: { public: true }, schema: { hide: true, params: Params } }, async (request, reply) => {
      const notification = await payments.simulatedNotification(request.params.outTradeNo, tradeState);
      const answer = await app.inject({ method: 'POST', url: '/v1/payments/wechat/notify', headers: notification.headers, payload: notification.body });
      if (answer.statusCode !== 204) {
        request.log.warn({ status: answer.statusCode, body: answer.body }, 'the simulated notification was refused');
        return reply.code(502).type('text/html; charset=utf-8').send(page('支付未完成', `<p role="alert">通知被拒绝（${answer.statusCode}）。</p>`));
      }
      return reply.code(303).header('location', cashierPath(request.params.outTradeNo)).send();
    });
  }
}
