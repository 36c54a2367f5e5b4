/**
 * The EA link protocol (EA <-> bridge), version 1. docs/protocol.md is the contract; this module is
 * its TypeScript mirror and mql5/Include/ClientMT5/Protocol.mqh its MQL5 mirror.
 *
 * Binary frame (EA -> bridge), little-endian:
 *   0  u8   frame type (FRAME_TICKS | FRAME_TICKS_BACKFILL)
 *   1  u8   protocol version (1)
 *   2  u16  symbol id (from `welcome`)
 *   4  u32  tick count N
 *   8  N x 60-byte MqlTick records, exactly as StructToCharArray lays out MqlTick (pack 1)
 *  FRAME_TICKS_BACKFILL adds, between header and records, f64 captured_at_ms (the terminal's UTC
 *  clock when the EA read these ticks from history; validation judges their age against it).
 */
export const PROTOCOL_VERSION = 1;
export const DEFAULT_EA_HOST = '127.0.0.1';
export const DEFAULT_EA_PORT = 9000;
export const DEFAULT_EA_PATH = '/ea';

export const FRAME_TICKS = 1;
export const FRAME_TICKS_BACKFILL = 2;
export const FRAME_HEADER_BYTES = 8;
export const BACKFILL_EXTRA_BYTES = 8;
export const FH_TYPE = 0;
export const FH_VERSION = 1;
export const FH_SYMBOL_ID = 2;
export const FH_COUNT = 4;
/** Largest tick count the bridge accepts in one frame (the welcome tells the EA). */
export const MAX_TICKS_PER_FRAME = 4096;

/** MqlTick as StructToCharArray writes it: pack 1, little-endian, 60 bytes. */
export const MQLTICK_BYTES = 60;
export const MT_TIME = 0; // datetime (i64 seconds, server clock)
export const MT_BID = 8; // f64
export const MT_ASK = 16; // f64
export const MT_LAST = 24; // f64
export const MT_VOLUME = 32; // u64
export const MT_TIME_MSC = 40; // i64 ms, server clock
export const MT_FLAGS = 48; // u32
export const MT_VOLUME_REAL = 52; // f64

/** The documented MqlTick flag bits; real feeds set others, which the bridge masks away. */
export const TICK_FLAG_BID = 2;
export const TICK_FLAG_ASK = 4;
export const TICK_FLAG_LAST = 8;
export const TICK_FLAG_VOLUME = 16;
export const TICK_FLAG_BUY = 32;
export const TICK_FLAG_SELL = 64;
export const TICK_FLAGS_MASK = 0x7e;

/** ENUM_SYMBOL_FILLING bits as SYMBOL_FILLING_MODE reports them. */
export const FILLING_FOK = 1;
export const FILLING_IOC = 2;
export const FILLING_BOC = 4;

// ── JSON control messages (text frames) ────────────────────────────────────────────────────────

/** What every EA sends per symbol; an EA that executes commands adds EaSymbolTradeSpec's fields. */
export interface EaSymbolSpec extends Partial<EaSymbolTradeSpec> {
  name: string;
  digits: number;
  point: number;
  contract_size: number;
  volume_min: number;
  volume_step: number;
  volume_max: number;
  stops_level: number;
  freeze_level: number;
  /** Bitmask of FILLING_* the symbol allows. */
  filling_modes: number;
}

export interface EaAccount {
  /** 64-bit login as a string. */
  login: string;
  server: string;
  company: string;
  currency: string;
  leverage: number;
  /** ACCOUNT_TRADE_MODE: 0 demo, 1 contest, 2 real. */
  trade_mode: number;
  /** ACCOUNT_MARGIN_MODE: 0 retail netting, 1 exchange, 2 retail hedging (an EA that trades sends it). */
  margin_mode?: number;
}

/** EA -> bridge, first frame. */
export interface HelloMessage {
  type: 'hello';
  protocol: number;
  token: string;
  /** magic and run_id: sent by an EA that executes commands (run_id is new at every OnInit). */
  ea: { name: string; version: string; magic?: number; run_id?: string };
  account: EaAccount;
  /** TimeTradeServer() - TimeGMT(), seconds: the broker's clock minus UTC. */
  server_time_offset_s: number;
  symbols: EaSymbolSpec[];
}

export interface ResumeCursor {
  /** Last time_msc the bridge holds for the symbol, on the EA's server clock; 0 = none (start live). */
  time_msc: number;
  /** How many ticks the bridge holds at exactly that millisecond (CopyTicks' start is inclusive). */
  count_at_msc: number;
}

/** Bridge -> EA, the answer to hello. */
export interface WelcomeMessage {
  type: 'welcome';
  protocol: number;
  session_id: string;
  max_ticks_per_frame: number;
  symbols: Array<{ name: string; id: number; cursor: ResumeCursor }>;
}

/** EA -> bridge, every few seconds; carries the clock offset again (it changes at DST). */
export interface EaHeartbeatMessage {
  type: 'heartbeat';
  time_msc: number;
  server_time_offset_s: number;
}

/** Bridge -> EA: stop sending ticks (a lane is full); keep reading history from the cursor. */
export interface PauseMessage {
  type: 'pause';
  reason: string;
}

/** Bridge -> EA: send again, from these cursors (the EA backfills what it held back). */
export interface ResumeMessage {
  type: 'resume';
  symbols: Array<{ id: number; cursor: ResumeCursor }>;
}

/** Either direction: something was wrong with what the peer sent. */
export interface ErrorMessage {
  type: 'error';
  code: string;
  message: string;
}

export type EaToBridgeMessage = HelloMessage | EaHeartbeatMessage | ErrorMessage | EaTradingMessage;
export type BridgeToEaMessage = WelcomeMessage | PauseMessage | ResumeMessage | ErrorMessage
  | { type: 'heartbeat'; time_msc: number } | BridgeTradingMessage;

/** WebSocket close codes the bridge uses. */
export const CLOSE_BAD_HELLO = 4000;
export const CLOSE_BAD_TOKEN = 4001;
export const CLOSE_PROTOCOL_VERSION = 4002;
export const CLOSE_REPLACED = 4003;

// ── Message names (the `type` of text frames) ──────────────────────────────────────────────────
export const MSG_HELLO = 'hello';
export const MSG_WELCOME = 'welcome';
export const MSG_HEARTBEAT = 'heartbeat';
export const MSG_PAUSE = 'pause';
export const MSG_RESUME = 'resume';
export const MSG_ERROR = 'error';
export const MSG_COMMAND = 'command';
export const MSG_EXECUTION = 'execution';
export const MSG_ACCOUNT = 'account';
export const MSG_POSITIONS = 'positions';
export const MSG_DEALS = 'deals';
export const MSG_SYNC = 'sync';

// ── Trading half (docs/protocol.md, section 1, "Trading") ──────────────────────────────────────

/** `command.kind`. */
export const CMD_OPEN = 'open';
export const CMD_CLOSE = 'close';
export const CMD_MODIFY = 'modify';
export const CMD_CLOSE_ALL = 'close_all';
export type CommandKind = typeof CMD_OPEN | typeof CMD_CLOSE | typeof CMD_MODIFY | typeof CMD_CLOSE_ALL;

/** `command.order_type` (and `positions[].type` / `orders[].type` / `deals[].type`). */
export const ORDER_BUY = 'buy';
export const ORDER_SELL = 'sell';
export const ORDER_BUY_LIMIT = 'buy_limit';
export const ORDER_SELL_LIMIT = 'sell_limit';
export const ORDER_BUY_STOP = 'buy_stop';
export const ORDER_SELL_STOP = 'sell_stop';
export type OrderTypeName = typeof ORDER_BUY | typeof ORDER_SELL | typeof ORDER_BUY_LIMIT | typeof ORDER_SELL_LIMIT
  | typeof ORDER_BUY_STOP | typeof ORDER_SELL_STOP;

/** `execution.stage`; the last three are final (exactly one per command). */
export const STAGE_RECEIVED = 'received';
export const STAGE_SENT = 'sent';
export const STAGE_FILLED = 'filled';
export const STAGE_PARTIALLY_FILLED = 'partially_filled';
export const STAGE_REJECTED = 'rejected';
export type ExecutionStage = typeof STAGE_RECEIVED | typeof STAGE_SENT | typeof STAGE_FILLED
  | typeof STAGE_PARTIALLY_FILLED | typeof STAGE_REJECTED;

/** `execution.source`: who decided the stage. */
export const SOURCE_EA = 'ea';
export const SOURCE_SERVER = 'server';

/** `execution.filling`: the ORDER_FILLING_* the request used. */
export const FILL_FOK = 'fok';
export const FILL_IOC = 'ioc';
export const FILL_RETURN = 'return';

/** `execution.reason` when `source` is `ea` (the EA refused before or without the trade server). */
export const REASON_BAD_COMMAND = 'EA_BAD_COMMAND';
export const REASON_EXPIRED = 'EA_EXPIRED';
export const REASON_UNKNOWN_SYMBOL = 'EA_UNKNOWN_SYMBOL';
export const REASON_TRADE_DISABLED = 'EA_TRADE_DISABLED';
export const REASON_INVALID_VOLUME = 'EA_INVALID_VOLUME';
export const REASON_INVALID_STOPS = 'EA_INVALID_STOPS';
export const REASON_FROZEN = 'EA_FROZEN';
export const REASON_NO_FILLING_MODE = 'EA_NO_FILLING_MODE';
export const REASON_NOT_FOUND = 'EA_NOT_FOUND';
export const REASON_BUSY = 'EA_BUSY';
/** Outcomes the bridge gives commands in doubt after a `sync` (never sent by the EA). */
export const REASON_NOT_DELIVERED = 'EA_NOT_DELIVERED';
export const REASON_NOT_EXECUTED = 'EA_NOT_EXECUTED';

/** The bridge's order comment `cm5:<ref>` (MT5 keeps at most 31 characters of a comment). */
export const COMMENT_PREFIX = 'cm5:';
export const COMMENT_MAX_CHARS = 31;
export const COMMAND_ID_MAX_CHARS = 64;
/** Commands the EA queues while executing one; beyond it, `EA_BUSY`. */
export const EA_COMMAND_QUEUE = 256;
/** Commands (with their latest stage) an EA run remembers for `sync`, at least. */
export const EA_COMMAND_MEMORY = 1024;
/** How long the EA waits for OnTradeTransaction's deal before it looks in the history. */
export const EA_FILL_WAIT_MS = 10_000;
/** `account` on change at most this often, and at least this often regardless. */
export const ACCOUNT_MIN_INTERVAL_MS = 1000;
export const ACCOUNT_REPORT_INTERVAL_MS = 60_000;
/** `sync.deals_from_ms` = earliest in-doubt command's send time minus this. */
export const SYNC_LOOKBACK_MS = 60_000;

/** MT5 trade server return codes (MqlTradeResult.retcode) the EA link carries. */
export const TRADE_RETCODE = {
  REQUOTE: 10004, REJECT: 10006, CANCEL: 10007, PLACED: 10008, DONE: 10009, DONE_PARTIAL: 10010, ERROR: 10011,
  TIMEOUT: 10012, INVALID: 10013, INVALID_VOLUME: 10014, INVALID_PRICE: 10015, INVALID_STOPS: 10016,
  TRADE_DISABLED: 10017, MARKET_CLOSED: 10018, NO_MONEY: 10019, PRICE_CHANGED: 10020, PRICE_OFF: 10021,
  INVALID_EXPIRATION: 10022, ORDER_CHANGED: 10023, TOO_MANY_REQUESTS: 10024, NO_CHANGES: 10025,
  SERVER_DISABLES_AT: 10026, CLIENT_DISABLES_AT: 10027, LOCKED: 10028, FROZEN: 10029, INVALID_FILL: 10030,
  CONNECTION: 10031, ONLY_REAL: 10032, LIMIT_ORDERS: 10033, LIMIT_VOLUME: 10034, INVALID_ORDER: 10035,
  POSITION_CLOSED: 10036, INVALID_CLOSE_VOLUME: 10038, CLOSE_ORDER_EXIST: 10039, LIMIT_POSITIONS: 10040,
  REJECT_CANCEL: 10041, LONG_ONLY: 10042, SHORT_ONLY: 10043, CLOSE_ONLY: 10044, FIFO_CLOSE: 10045,
  HEDGE_PROHIBITED: 10046,
} as const;

/** What an EA that executes commands adds to its hello's symbol specs. */
export interface EaSymbolTradeSpec {
  /** SYMBOL_TRADE_TICK_SIZE: prices are multiples of it. */
  tick_size: number;
  /** SYMBOL_TRADE_MODE: 0 disabled, 1 long only, 2 short only, 3 close only, 4 full. */
  trade_mode: number;
  /** SYMBOL_TRADE_EXEMODE: 0 request, 1 instant, 2 market, 3 exchange. */
  execution_mode: number;
  /** SYMBOL_ORDER_MODE bits: 1 market, 2 limit, 4 stop, 8 stop limit, 16 SL, 32 TP, 64 close by. */
  order_modes: number;
  /** SYMBOL_EXPIRATION_MODE bits: 1 GTC, 2 day, 4 specified, 8 specified day. */
  expiration_modes: number;
}

/** Bridge -> EA: execute this. */
export interface CommandMessage {
  type: 'command';
  command_id: string;
  kind: CommandKind;
  symbol: string;
  /** The welcome's id, -1 when the EA does not stream the symbol. */
  symbol_id: number;
  /** `open` only; '' for the other kinds. */
  order_type: OrderTypeName | '';
  /** Lots; close: 0 = the whole position. */
  volume: number;
  /** 0 = market (open) or unchanged (modify of a pending order). */
  price: number;
  sl: number;
  tp: number;
  deviation_points: number;
  /** UTC ms; the EA does not start the command at or after it; 0 = never. */
  expires_at_ms: number;
  /** Pending orders: UTC ms the order expires; 0 = good till cancelled. */
  order_expiration_ms: number;
  /** close/modify: position or pending-order ticket (64-bit, decimal). */
  ticket: string;
  /** 0 = the EA's own magic. */
  magic: number;
  /** `cm5:<ref>`, at most 31 characters. */
  comment: string;
}

/** EA -> bridge: one stage of a command. */
export interface ExecutionMessage {
  type: 'execution';
  command_id: string;
  stage: ExecutionStage;
  source: typeof SOURCE_EA | typeof SOURCE_SERVER;
  retcode: number;
  retcode_text: string;
  reason: string;
  symbol: string;
  ticket: string;
  order: string;
  deal: string;
  volume: number;
  price: number;
  requested_volume: number;
  requested_price: number;
  sl: number;
  tp: number;
  filling: typeof FILL_FOK | typeof FILL_IOC | typeof FILL_RETURN | '';
  /** Server clock. */
  time_msc: number;
  /** Re-sent in answer to a `sync`. */
  replay: boolean;
}

/** EA -> bridge: the account now. */
export interface AccountMessage {
  type: 'account';
  time_msc: number;
  login: string;
  server: string;
  company: string;
  currency: string;
  leverage: number;
  trade_mode: number;
  margin_mode: number;
  balance: number;
  equity: number;
  profit: number;
  margin: number;
  margin_free: number;
  margin_level: number;
  trade_allowed: boolean;
}

export interface EaPosition {
  ticket: string;
  identifier: string;
  symbol: string;
  type: typeof ORDER_BUY | typeof ORDER_SELL;
  volume: number;
  price_open: number;
  price_current: number;
  sl: number;
  tp: number;
  profit: number;
  swap: number;
  time_msc: number;
  magic: number;
  comment: string;
}

export interface EaPendingOrder {
  ticket: string;
  symbol: string;
  type: OrderTypeName | 'other';
  volume: number;
  price: number;
  sl: number;
  tp: number;
  time_setup_msc: number;
  /** 0 = no expiration. */
  expiration_msc: number;
  magic: number;
  comment: string;
}

/** EA -> bridge: every open position and pending order (the full list each time). */
export interface PositionsMessage {
  type: 'positions';
  time_msc: number;
  positions: EaPosition[];
  orders: EaPendingOrder[];
}

export interface EaDeal {
  ticket: string;
  order: string;
  position: string;
  symbol: string;
  type: typeof ORDER_BUY | typeof ORDER_SELL;
  entry: 'in' | 'out' | 'inout' | 'out_by';
  volume: number;
  price: number;
  profit: number;
  swap: number;
  commission: number;
  time_msc: number;
  magic: number;
  comment: string;
  /** DEAL_REASON: client, mobile, web, expert, sl, tp, so, rollover, vmargin, split, other. */
  reason: string;
}

/** EA -> bridge: the EA's deals, answering a sync (sync_id set) or as they happen (sync_id ''). */
export interface DealsMessage {
  type: 'deals';
  sync_id: string;
  from_msc: number;
  to_msc: number;
  unknown_command_ids: string[];
  deals: EaDeal[];
}

/** Bridge -> EA: replay what you know of these commands and list your deals since deals_from_ms (UTC). */
export interface SyncMessage {
  type: 'sync';
  sync_id: string;
  command_ids: string[];
  deals_from_ms: number;
}

export type EaTradingMessage = ExecutionMessage | AccountMessage | PositionsMessage | DealsMessage;
export type BridgeTradingMessage = CommandMessage | SyncMessage;
