/**
 * The backend link's trading vocabulary (docs/protocol.md, section 2, "Commands, execution reports,
 * account and prices"): the reason codes of the bridge's own decisions, the report stages as plain
 * values both threads use, and the plain-object shapes main posts to the transport worker (which
 * alone encodes them as protobuf). Imports nothing else from the project.
 */

/** ExecutionStatus numbers of commands.proto (main does not import generated code). */
export const STATUS_ACCEPTED = 1;
export const STATUS_SENT = 2;
export const STATUS_FILLED = 3;
export const STATUS_PARTIALLY_FILLED = 4;
export const STATUS_REJECTED = 5;
export const STATUS_EXPIRED = 6;
export const STATUS_UNKNOWN = 7;
export const STATUS_NAMES: Readonly<Record<number, string>> = {
  1: 'accepted', 2: 'sent', 3: 'filled', 4: 'partially_filled', 5: 'rejected', 6: 'expired', 7: 'unknown',
};
export function isFinalStatus(status: number): boolean {
  return status >= STATUS_FILLED;
}

/** CommandType and OrderType numbers of commands.proto. */
export const COMMAND_OPEN = 0;
export const COMMAND_CLOSE = 1;
export const COMMAND_MODIFY = 2;
export const COMMAND_CLOSE_ALL = 3;
export const ORDER_TYPE_NAMES = ['buy', 'sell', 'buy_limit', 'sell_limit', 'buy_stop', 'sell_stop'] as const;

/** `ExecutionReport.source`. */
export const REPORT_SOURCE_BRIDGE = 'bridge';
export const REPORT_SOURCE_EA = 'ea';
export const REPORT_SOURCE_SERVER = 'server';

// ── Reason codes of the bridge's own decisions (ExecutionReport.reason, source "bridge") ────────
/** The command is malformed: no command_id, an unknown type, a volume ≤ 0, a pending order without a price, close/modify without a ticket. */
export const BRIDGE_BAD_COMMAND = 'BRIDGE_BAD_COMMAND';
/** `expires_at` had passed when the command arrived (status EXPIRED). */
export const BRIDGE_EXPIRED = 'BRIDGE_EXPIRED';
/** The command waited for an offline EA and expired in the queue (status EXPIRED). */
export const EA_OFFLINE_EXPIRED = 'EA_OFFLINE_EXPIRED';
/** The queue for an offline EA is full (trading.offlineQueueMax). */
export const BRIDGE_QUEUE_FULL = 'BRIDGE_QUEUE_FULL';
/** close/modify names a ticket that is in neither the EA's positions nor its pending orders. */
export const BRIDGE_UNKNOWN_TICKET = 'BRIDGE_UNKNOWN_TICKET';
/** trading.enabled is false: the bridge executes nothing. */
export const BRIDGE_TRADING_DISABLED = 'BRIDGE_TRADING_DISABLED';
export const RISK_SYMBOL_NOT_ALLOWED = 'RISK_SYMBOL_NOT_ALLOWED';
/** The EA's hello has no specs for the symbol. */
export const RISK_UNKNOWN_SYMBOL = 'RISK_UNKNOWN_SYMBOL';
/** The symbol's trade mode forbids the order (disabled, long only, short only, close only). */
export const RISK_TRADE_MODE = 'RISK_TRADE_MODE';
export const RISK_MAX_LOT = 'RISK_MAX_LOT';
/** Below volume_min or above volume_max. */
export const RISK_VOLUME_RANGE = 'RISK_VOLUME_RANGE';
/** Not a multiple of volume_step. */
export const RISK_VOLUME_STEP = 'RISK_VOLUME_STEP';
export const RISK_MAX_POSITIONS = 'RISK_MAX_POSITIONS';
export const RISK_DAILY_LOSS = 'RISK_DAILY_LOSS';
export const RISK_DRAWDOWN = 'RISK_DRAWDOWN';
/** SL/TP (or a pending price) on the wrong side, or nearer than the symbol's stops level. */
export const RISK_STOPS = 'RISK_STOPS';
/** The command needs the user's current price (re-basing, a market order's stops) and none is known. */
export const RISK_NO_PRICE = 'RISK_NO_PRICE';

export const BRIDGE_REASONS = [
  BRIDGE_BAD_COMMAND, BRIDGE_EXPIRED, EA_OFFLINE_EXPIRED, BRIDGE_QUEUE_FULL, BRIDGE_UNKNOWN_TICKET, BRIDGE_TRADING_DISABLED,
  RISK_SYMBOL_NOT_ALLOWED, RISK_UNKNOWN_SYMBOL, RISK_TRADE_MODE, RISK_MAX_LOT, RISK_VOLUME_RANGE, RISK_VOLUME_STEP,
  RISK_MAX_POSITIONS, RISK_DAILY_LOSS, RISK_DRAWDOWN, RISK_STOPS, RISK_NO_PRICE,
] as const;
export type BridgeReason = (typeof BRIDGE_REASONS)[number];

/** How long a command in doubt is kept for reconciliation (docs/protocol.md section 1, rule 1). */
export const IN_DOUBT_KEEP_MS = 24 * 3600_000;

// ── Plain shapes crossing main <-> transport worker ─────────────────────────────────────────────

/** A TradingCommand as the transport decoded it (field names of commands.proto). */
export interface TradingCommandData {
  command_id: string;
  user_id: string;
  type: number;
  symbol: string;
  order_type: number;
  lot_size: number;
  entry_price: number;
  stop_loss: number;
  take_profit: number;
  reason: string;
  confidence_score: number;
  expires_at: number;
  original_entry: number;
  price_adjustment: number;
  adjustment_reason: string;
  ticket: string;
  deviation_points: number;
  order_expiration: number;
  magic: number;
}

/** An ExecutionReport (field names of commands.proto), with its report_sequence. */
export interface ExecutionReportData {
  report_sequence: number;
  command_id: string;
  status: number;
  final: boolean;
  ticket: string;
  symbol: string;
  volume: number;
  price: number;
  requested_price: number;
  requested_volume: number;
  slippage_points: number;
  retcode: number;
  reason: string;
  message: string;
  source: string;
  order: string;
  deal: string;
  stop_loss: number;
  take_profit: number;
  price_adjustment: number;
  adjustment_reason: string;
  correction: boolean;
  repeat: boolean;
  time_msc: number;
}

export interface AccountProfileData {
  user_id: string;
  account_number: string;
  broker_name: string;
  server_name: string;
  /** AccountType: 0 demo, 1 live, 2 contest. */
  account_type: number;
  base_currency: string;
  balance: number;
  equity: number;
  margin_used: number;
  margin_free: number;
  leverage: number;
  margin_level: number;
  trade_allowed: boolean;
  margin_mode: number;
  time_msc: number;
  day_start_balance: number;
  peak_equity: number;
  open_positions: number;
  risk_profile: {
    max_risk_per_trade: number; max_daily_loss: number; max_drawdown: number; allow_news_trading: boolean;
    allowed_symbols: string[]; max_lot: number; deviation_points: number;
  };
  preferences: { preferred_lot_size: number; max_open_positions: number; auto_close_friday: boolean; conservative_mode: boolean };
}

export interface ClientPriceData {
  symbol: string;
  bid: number;
  ask: number;
  spread: number;
  timestamp: number;
  broker_server: string;
}

export interface ClientPriceStreamData {
  user_id: string;
  broker_name: string;
  account_number: string;
  prices: ClientPriceData[];
  batch_timestamp: number;
}

/** Main -> transport worker. */
export type TradingToTransport =
  | { type: 'reports'; reports: ExecutionReportData[] }
  | { type: 'account-profile'; profile: AccountProfileData }
  | { type: 'client-prices'; prices: ClientPriceStreamData };

/** Transport worker -> main. */
export type TradingFromTransport =
  | { type: 'trading-command'; command: TradingCommandData }
  | { type: 'reports-acked'; through: number };

/** UNKNOWN's reason: the EA link closed while the command was in the EA's hands. */
export const EA_LINK_LOST = 'EA_LINK_LOST';
