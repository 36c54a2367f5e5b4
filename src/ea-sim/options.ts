/**
 * Options of the simulated EA, their defaults, and the `hello` it sends (an account and symbol
 * specs that look like a retail FX account at a GMT+2 broker).
 */
import { ClientMt5Error } from '../shared/errors.js';
import {
  DEFAULT_EA_HOST, DEFAULT_EA_PATH, DEFAULT_EA_PORT, PROTOCOL_VERSION, type EaAccount, type HelloMessage,
} from '../shared/protocol.js';
import type { FaultName } from './sim-faults.js';
import { MAX_SIM_SYMBOLS, symbolSpec, type SymbolProfile } from './symbols.js';

export interface EaSimOptions {
  /** EA link URL, default ws://127.0.0.1:9000/ea. */
  url?: string;
  /** The shared token of the bridge's eaLink.token. */
  token: string;
  /** Average ticks per second over all symbols (bursts and lulls around it). */
  ratePerS?: number;
  /** How many symbols: the ten majors, then crosses, then synthetic names. */
  symbols?: number;
  /** Fraction of ticks replaced by bad ones the bridge must reject, 0..1. */
  invalidRate?: number;
  /** Stop generating after this many seconds from the first welcome. */
  durationS?: number;
  /** Stop generating after this many ticks. */
  ticks?: number;
  seed?: number;
  /** Broker server clock minus UTC, seconds (GMT+2 = 7200). */
  serverOffsetS?: number;
  /** Timer period of a generate-and-send pass (MQL5's EventSetMillisecondTimer is ~16 ms in practice). */
  timerMs?: number;
  heartbeatMs?: number;
  /** Ticks held per symbol for backfill (default: 65536, less when there are many symbols). */
  historyTicks?: number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** How long a bounded run waits, after its last tick, for a paused or lost link to take the rest. */
  drainTimeoutMs?: number;
  /** Socket backlog above which the EA holds ticks back (they go later, as backfill). */
  maxBufferedBytes?: number;
  account?: Partial<EaAccount>;
  // ── the paper broker (paper-broker.ts; knobs in sim-faults.ts) ──
  /** Starting balance in the account currency (USD). */
  balance?: number;
  /** Seeded rates of trade-server answers for market orders that carry no `sim:` directive. */
  tradeFaults?: Partial<Record<FaultName, number>>;
  /** Largest slippage of a market fill, points (either way). */
  maxSlippagePoints?: number;
  /** Share of market fills that slip at all, 0..1. */
  slippageRate?: number;
  /** Symbols whose market is closed (every request answered 10018). */
  closedSymbols?: readonly string[];
  /** The trade server's answer time, ms. */
  tradeLatencyMs?: number;
  /** Terminal, EA and account allow trading (false: every command rejected EA_TRADE_DISABLED). */
  tradeAllowed?: boolean;
  log?: (line: string) => void;
  /** Aborting before the first welcome makes startEaSim reject. */
  signal?: AbortSignal;
}

export const EA_SIM_DEFAULTS = {
  url: `ws://${DEFAULT_EA_HOST}:${DEFAULT_EA_PORT}${DEFAULT_EA_PATH}`,
  ratePerS: 2000,
  symbols: 10,
  invalidRate: 0.01,
  seed: 1,
  serverOffsetS: 7200,
  timerMs: 10,
  heartbeatMs: 3000,
  reconnectMinMs: 100,
  reconnectMaxMs: 5000,
  drainTimeoutMs: 10000,
  maxBufferedBytes: 8 << 20,
  balance: 10_000,
  tradeFaults: {} as Partial<Record<FaultName, number>>,
  maxSlippagePoints: 2,
  slippageRate: 0.3,
  closedSymbols: [] as readonly string[],
  tradeLatencyMs: 5,
  tradeAllowed: true,
} as const;

/** Options with every default applied. */
export type ResolvedEaSimOptions = Required<Omit<EaSimOptions, 'durationS' | 'ticks' | 'account' | 'signal'>>
  & Pick<EaSimOptions, 'durationS' | 'ticks' | 'account' | 'signal'>;

export function resolveEaSimOptions(options: EaSimOptions): ResolvedEaSimOptions {
  const symbols = options.symbols ?? EA_SIM_DEFAULTS.symbols;
  if (!Number.isInteger(symbols) || symbols < 1 || symbols > MAX_SIM_SYMBOLS) {
    throw new ClientMt5Error('CLI_USAGE', `symbols must be an integer from 1 to ${MAX_SIM_SYMBOLS}, got ${symbols}`);
  }
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<EaSimOptions>;
  return {
    ...EA_SIM_DEFAULTS,
    log: (line: string) => process.stderr.write(`[ea-sim] ${line}\n`),
    // ~50 MB of history in all: 65536 ticks each for up to 10 symbols, at least 1024 each beyond.
    historyTicks: Math.max(1024, Math.min(65536, Math.floor(655360 / symbols))),
    ...defined,
    token: options.token,
    symbols,
  };
}

/** The simulated EA's magic number (what a real EA takes from its InpMagic input). */
export const EA_SIM_MAGIC = 5350001;

let runs = 0;

/** A new run_id, as a real EA takes at every OnInit. */
export function newRunId(): string {
  return `${Date.now()}-${process.pid}-${++runs}`;
}

export function helloMessage(o: ResolvedEaSimOptions, profiles: readonly SymbolProfile[]): HelloMessage {
  return {
    type: 'hello',
    protocol: PROTOCOL_VERSION,
    token: o.token,
    ea: { name: 'client-mt5 ea-sim', version: '1.0.0', magic: EA_SIM_MAGIC, run_id: newRunId() },
    account: {
      login: '51234567', server: 'SimBroker-Demo', company: 'Simulated Broker Ltd', currency: 'USD',
      leverage: 100, trade_mode: 0, margin_mode: 2, ...o.account,
    },
    server_time_offset_s: o.serverOffsetS,
    symbols: profiles.map(symbolSpec),
  };
}
