import type { ColumnType } from 'kysely';
import type { CreatedAt, Numeric } from '../../db/columns.js';

/** The tables of the payments module: payment orders and the simulated provider's keys. */
export interface PaymentsTables {
  payment_orders: PaymentOrdersTable;
  payment_simulator_keys: PaymentSimulatorKeysTable;
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
