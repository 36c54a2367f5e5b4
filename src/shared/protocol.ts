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

export interface EaSymbolSpec {
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
}

/** EA -> bridge, first frame. */
export interface HelloMessage {
  type: 'hello';
  protocol: number;
  token: string;
  ea: { name: string; version: string };
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

export type EaToBridgeMessage = HelloMessage | EaHeartbeatMessage | ErrorMessage;
export type BridgeToEaMessage = WelcomeMessage | PauseMessage | ResumeMessage | ErrorMessage
  | { type: 'heartbeat'; time_msc: number };

/** WebSocket close codes the bridge uses. */
export const CLOSE_BAD_HELLO = 4000;
export const CLOSE_BAD_TOKEN = 4001;
export const CLOSE_PROTOCOL_VERSION = 4002;
export const CLOSE_REPLACED = 4003;
