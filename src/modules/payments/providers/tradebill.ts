/**
 * WeChat Pay's trade bill (交易账单, `bill_type=ALL`), the CSV the provider serves for a day:
 * a header row, one row per payment or refund whose every field carries a leading backtick
 * (so that spreadsheets keep long numbers as text), then the summary's header and its one row,
 * backticked too. Fields are found by their header names, as the official format description
 * asks ("请根据返回文件中第一行表头的列名顺序获取明细字段"). Times are Beijing time
 * (`YYYY-MM-DD HH:MM:SS`, UTC+8 all year); amounts are yuan with two decimals.
 */
export const TRADEBILL_HEADER = [
  '交易时间', '公众账号ID', '商户号', '特约商户号', '设备号', '微信订单号', '商户订单号', '用户标识', '交易类型', '交易状态',
  '付款银行', '货币种类', '应结订单金额', '代金券金额', '微信退款单号', '商户退款单号', '退款金额', '充值券退款金额', '退款类型',
  '退款状态', '商品名称', '商户数据包', '手续费', '费率', '订单金额', '申请退款金额', '费率备注',
] as const;

export const TRADEBILL_SUMMARY_HEADER = ['总交易单数', '应结订单总金额', '退款总金额', '充值券退款总金额', '手续费总金额', '订单总金额', '申请退款总金额'] as const;

/** One row of the bill, the fields the orders are compared on. */
export interface TradeBillRow {
  /** Beijing time, `YYYY-MM-DD HH:MM:SS`. */
  tradeTime: string;
  appid: string;
  mchid: string;
  transactionId: string;
  outTradeNo: string;
  openid: string;
  tradeType: string;
  tradeState: string;
  /** 应结订单金额, yuan. */
  settlementAmount: string;
  /** 订单金额, yuan. */
  orderAmount: string;
  description: string;
}

export interface TradeBill {
  rows: TradeBillRow[];
  summary: { count: number; settlementTotal: string; orderTotal: string };
}

const BEIJING_OFFSET_MS = 8 * 3_600_000;

/** An instant as the bill writes it: Beijing wall time. */
export function beijingTime(instant: Date): string {
  return new Date(instant.getTime() + BEIJING_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}

/** The instant a bill's Beijing wall time stands for. */
export function instantOfBeijingTime(text: string): Date {
  if (!/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(text)) throw new Error(`not a bill time: ${text}`);
  return new Date(`${text.replace(' ', 'T')}+08:00`);
}

/** The instants [from, to) of a Beijing calendar day, the bill's day. */
export function beijingDay(billDate: string): { from: Date; to: Date } {
  const from = new Date(`${billDate}T00:00:00+08:00`);
  return { from, to: new Date(from.getTime() + 86_400_000) };
}

const tick = (field: string) => `\`${field}`;

/** Writes a bill as the provider serves it; `sumYuan` adds yuan strings exactly. */
export function formatTradeBill(rows: readonly TradeBillRow[], sumYuan: (amounts: string[]) => string): string {
  const lines = [TRADEBILL_HEADER.join(',')];
  for (const r of rows) {
    const byName: Record<(typeof TRADEBILL_HEADER)[number], string> = {
      交易时间: r.tradeTime,
      公众账号ID: r.appid,
      商户号: r.mchid,
      特约商户号: '0',
      设备号: '',
      微信订单号: r.transactionId,
      商户订单号: r.outTradeNo,
      用户标识: r.openid,
      交易类型: r.tradeType,
      交易状态: r.tradeState,
      付款银行: 'OTHERS',
      货币种类: 'CNY',
      应结订单金额: r.settlementAmount,
      代金券金额: '0.00',
      微信退款单号: '0',
      商户退款单号: '0',
      退款金额: '0.00',
      充值券退款金额: '0.00',
      退款类型: '',
      退款状态: '',
      商品名称: r.description.replace(/[,\r\n`]/g, ' '),
      商户数据包: '',
      手续费: '0.00000',
      费率: '0.00%',
      订单金额: r.orderAmount,
      申请退款金额: '0.00',
      费率备注: '',
    };
    lines.push(TRADEBILL_HEADER.map((name) => tick(byName[name])).join(','));
  }
  lines.push(TRADEBILL_SUMMARY_HEADER.join(','));
  const settlement = sumYuan(rows.map((r) => r.settlementAmount));
  const orders = sumYuan(rows.map((r) => r.orderAmount));
  lines.push([String(rows.length), settlement, '0.00', '0.00', '0.00000', orders, '0.00'].map(tick).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

const untick = (field: string) => (field.startsWith('`') ? field.slice(1) : field);

/** Reads a bill; throws an Error naming what is wrong when it is not one. */
export function parseTradeBill(text: string): TradeBill {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = lines[0]?.split(',').map((h) => h.trim());
  if (!header) throw new Error('the bill is empty');
  const column = (name: string) => {
    const at = header.indexOf(name);
    if (at < 0) throw new Error(`the bill has no column ${name}`);
    return at;
  };
  const at = {
    tradeTime: column('交易时间'),
    appid: column('公众账号ID'),
    mchid: column('商户号'),
    transactionId: column('微信订单号'),
    outTradeNo: column('商户订单号'),
    openid: column('用户标识'),
    tradeType: column('交易类型'),
    tradeState: column('交易状态'),
    settlementAmount: column('应结订单金额'),
    orderAmount: column('订单金额'),
    description: column('商品名称'),
  };
  const summaryAt = lines.findIndex((l) => l.startsWith(TRADEBILL_SUMMARY_HEADER[0]));
  if (summaryAt < 1 || summaryAt !== lines.length - 2) throw new Error('the bill does not end with its summary');
  const rows = lines.slice(1, summaryAt).map((line, i) => {
    const fields = line.split(',').map(untick);
    if (fields.length !== header.length) throw new Error(`bill row ${i + 2} has ${fields.length} fields, not ${header.length}`);
    const row = Object.fromEntries(Object.entries(at).map(([key, index]) => [key, fields[index]!])) as unknown as TradeBillRow;
    instantOfBeijingTime(row.tradeTime);
    for (const amount of [row.settlementAmount, row.orderAmount]) if (!/^\d+\.\d{2}$/.test(amount)) throw new Error(`bill row ${i + 2}: ${amount} is not an amount`);
    return row;
  });
  const summaryHeader = lines[summaryAt]!.split(',');
  const summary = lines[summaryAt + 1]!.split(',').map(untick);
  const count = Number(summary[summaryHeader.indexOf('总交易单数')]);
  if (!Number.isSafeInteger(count) || count !== rows.length) throw new Error(`the summary counts ${summary[0]} rows, the bill has ${rows.length}`);
  return {
    rows,
    summary: { count, settlementTotal: summary[summaryHeader.indexOf('应结订单总金额')] ?? '', orderTotal: summary[summaryHeader.indexOf('订单总金额')] ?? '' },
  };
}
