import type { ColumnType } from 'kysely';
import type { CreatedAt, Numeric } from '../../db/columns.js';

/**
 * The tables of the payments module: payment orders, and the simulated provider's side (its
 * keys, and its own record of the transactions it completed, from which it serves its bill).
 */
export interface PaymentsTables {
  payment_orders: PaymentOrdersTable;
  payment_simulator_keys: PaymentSimulatorKeysTable;
  payment_simulator_trades: PaymentSimulatorTradesTable;
}

export interface PaymentOrdersTable {
  community_id: string;
  id: string;
  out_trade_no: string;
  provider: 'wechat';
  simulated: boolean;
  unit_id: string;
  amount: Numeric;
  status: ColumnType<'created' | 'paid', 'created' | undefined, 'paid'>;
  created_by: string;
  created_at: CreatedAt;
  paid_at: Date | null;
  transaction_id: string | null;
  fee_payment_id: string | null;
  /** The JSAPI prepay session, when the order was opened with a merchant key. */
  prepay_id: ColumnType<string | null, string | null | undefined, never>;
}

export interface PaymentSimulatorKeysTable {
  id: number;
  private_key_pem: string;
  public_key_pem: string;
  serial: string;
  apiv3_key: string;
  mchid: string;
  appid: string;
  created_at: CreatedAt;
}

/** A transaction the simulated provider completed: its side of the books, never the orders'. */
export interface PaymentSimulatorTradesTable {
  transaction_id: string;
  mchid: string;
  appid: string;
  out_trade_no: string;
  openid: string | null;
  trade_state: 'SUCCESS';
  amount: Numeric;
  success_time: Date;
  description: ColumnType<string, string | undefined, never>;
}
