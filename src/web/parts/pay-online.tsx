import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type PaymentOrder } from '../api.js';
import { useSession } from '../context.js';
import { formatDateTime } from '../format.js';
import { useSubmit } from '../hooks.js';
import { Money, Problem } from './ui.js';

const key = (cid: string, unitId: string) => `xinyi.payment-order.${cid}.${unitId}`;

/**
 * 缴费 on an owner's statement: opens a WeChat Pay order for what the unit owes and links to
 * its cashier; the order is remembered in this tab, so coming back shows whether it was paid
 * (the API's answer, read again when the page is shown again).
 */
export function PayOnline({ unitId, due, onPaid }: { unitId: string; due: string; onPaid: () => void }) {
  const { here } = useSession();
  const [order, setOrder] = useState<PaymentOrder | undefined>();
  const [readError, setReadError] = useState<unknown>();
  const refresh = async (id: string) => {
    try {
      const read = await api.paymentOrder(here.id, id);
      setReadError(undefined);
      setOrder((before) => {
        if (before?.status !== 'paid' && read.status === 'paid') onPaid();
        return read;
      });
    } catch (error) {
      setReadError(error);
    }
  };
  useEffect(() => {
    const remembered = sessionStorage.getItem(key(here.id, unitId));
    if (remembered) void refresh(remembered);
    const onShow = () => {
      const id = sessionStorage.getItem(key(here.id, unitId));
      if (id && document.visibilityState === 'visible') void refresh(id);
    };
    document.addEventListener('visibilitychange', onShow);
    window.addEventListener('focus', onShow);
    return () => {
      document.removeEventListener('visibilitychange', onShow);
      window.removeEventListener('focus', onShow);
    };
  }, [here.id, unitId]);
  const open = useSubmit(
    () => api.openPaymentOrder(here.id, { unitId, provider: 'wechat' }),
    (opened) => {
      sessionStorage.setItem(key(here.id, unitId), opened.id);
      setOrder(opened);
    },
  );
  const cashier = order?.status === 'created' ? order.payParams.cashierUrl : undefined;
  return (
    <div class="pay-online">
      {paymentProblem(open.error) ? (
        <p class="problem" role="alert">
          {paymentProblem(open.error)}
        </p>
      ) : (
        <Problem error={open.error ?? readError} />
      )}
      {order ? (
        <div class="pay-order" role="status">
          <p>
            微信支付订单 <span class="hash">{order.outTradeNo}</span> · <Money amount={order.amount} /> ·{' '}
            {order.status === 'paid' ? (
              <strong class="paid-word">已支付</strong>
            ) : (
              <strong>待支付</strong>
            )}
          </p>
          {order.status === 'paid' && order.paidAt ? <p class="small muted">{formatDateTime(order.paidAt, here.timezone)} 到账，已记入缴费记录。</p> : null}
        </div>
      ) : null}
      {cashier ? (
        <p class="pay-actions">
          <a class="button" href={cashier} target="_blank" rel="noopener">
            前往微信支付
          </a>
          <button type="button" class="button secondary" onClick={() => void refresh(order!.id)}>
            刷新订单状态
          </button>
        </p>
      ) : due !== '0.00' && order?.status !== 'created' ? (
        <button type="button" class="button wide" disabled={open.busy} onClick={() => void open.submit()}>
          {open.busy ? '正在创建订单…' : '缴费'}
        </button>
      ) : null}
    </div>
  );
}

/**
 * The refusals of opening an order that only payment explains: WeChat Pay's JSAPI needs the
 * payer's WeChat identity (openid), which a page opened outside WeChat does not have, and the
 * provider itself may fail or fall silent (503, no order was made).
 */
function paymentProblem(error: unknown): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  const detail = error.problem?.detail ?? '';
  if (error.code === 'validation_failed' && /openid/.test(detail)) return '微信支付需要在微信里完成：请在微信中打开信义家再缴费，或到物业服务中心缴费。';
  if (error.code === 'unavailable' && /WeChat Pay/.test(detail)) return '微信支付暂时没有响应，订单没有创建，也没有扣款。请稍后再试。';
  return undefined;
}
