/**
 * The reference backend's demo signal, as in the seeds' sample EA: RSI(14) (Wilder, TA-Lib's
 * seeding, reference-indicators.ts) on each symbol's mid price from the backend's own copy of the
 * feed, per tick:
 *
 *   RSI crosses below `oversold` (30)   → BUY  at market, SL `slPoints` below the ask, TP `tpPoints` above
 *   RSI crosses above `overbought` (70) → SELL at market, SL above the bid, TP below
 *
 * Tick RSI crosses those lines often, so three brakes keep the demo's flow modest and readable:
 * at most one command per `minIntervalMs` per client, none for a symbol within `cooldownMs` of its
 * last one, and none while `maxInFlight` commands of the client await their final report. Times
 * are the ticks' own (UTC ms), so a replayed feed gives the same signals. `original_entry` is the
 * backend's own price for the side (ask for a buy, bid for a sell): the client re-bases SL and TP
 * on its broker's price.
 */
import { randomUUID } from 'node:crypto';
import { COMMAND_OPEN } from '../shared/trading.js';
import { WilderRsi } from './reference-indicators.js';
import type { TradingCommand } from './wire.js';

export interface SignalRuleOptions {
  oversold?: number;
  overbought?: number;
  period?: number;
  /** Lots per command. */
  lot?: number;
  slPoints?: number;
  tpPoints?: number;
  /** The command's expires_at is this far after the tick that fired it. */
  expiryMs?: number;
  minIntervalMs?: number;
  cooldownMs?: number;
  maxInFlight?: number;
  userId?: string;
}

export const SIGNAL_DEFAULTS: Required<SignalRuleOptions> = {
  oversold: 30, overbought: 70, period: 14, lot: 0.1, slPoints: 80, tpPoints: 160, expiryMs: 30_000,
  minIntervalMs: 2_500, cooldownMs: 15_000, maxInFlight: 3, userId: '',
};

interface SymbolSignal {
  rsi: WilderRsi;
  prev: number;
  lastFiredMs: number;
}

/** One client's signal state. */
export class SignalRule {
  readonly o: Required<SignalRuleOptions>;
  private readonly symbols = new Map<string, SymbolSignal>();
  private lastFiredMs = -Infinity;
  /** Crossings seen (fired or held back by a brake). */
  crossings = 0;

  constructor(options: SignalRuleOptions = {}) {
    this.o = { ...SIGNAL_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
  }

  /**
   * One tick of the backend's feed. Returns the command to issue, or null. `inFlight` says how many
   * of the client's commands await their final report (asked only at a crossing).
   */
  onTick(symbol: string, timeMsc: number, bid: number, ask: number, inFlight: () => number): TradingCommand | null {
    let s = this.symbols.get(symbol);
    if (s === undefined) this.symbols.set(symbol, s = { rsi: new WilderRsi(this.o.period), prev: Number.NaN, lastFiredMs: -Infinity });
    s.rsi.push((bid + ask) / 2);
    const rsi = s.rsi.value;
    const prev = s.prev;
    s.prev = rsi;
    if (Number.isNaN(prev) || Number.isNaN(rsi)) return null;
    const buy = prev >= this.o.oversold && rsi < this.o.oversold;
    const sell = prev <= this.o.overbought && rsi > this.o.overbought;
    if (!buy && !sell) return null;
    this.crossings++;
    if (timeMsc - this.lastFiredMs < this.o.minIntervalMs || timeMsc - s.lastFiredMs < this.o.cooldownMs || inFlight() >= this.o.maxInFlight) {
      return null;
    }
    this.lastFiredMs = timeMsc;
    s.lastFiredMs = timeMsc;
    const point = pointOf(symbol);
    const entry = buy ? ask : bid;
    const dir = buy ? 1 : -1;
    const level = (points: number) => round(entry + dir * points * point, point);
    const line = buy ? this.o.oversold : this.o.overbought;
    return {
      command_id: `sig-${randomUUID()}`,
      user_id: this.o.userId,
      type: COMMAND_OPEN,
      symbol,
      order_type: buy ? 0 : 1,
      lot_size: this.o.lot,
      entry_price: 0,
      stop_loss: level(-this.o.slPoints),
      take_profit: level(this.o.tpPoints),
      reason: `RSI(${this.o.period}) crossed ${buy ? 'below' : 'above'} ${line} (${rsi.toFixed(1)})`,
      // Further past the line, more conviction: 0.5 at the line, 0.95 at 30 RSI points beyond it.
      confidence_score: Math.min(0.95, 0.5 + Math.abs(rsi - line) / 60),
      expires_at: timeMsc + this.o.expiryMs,
      original_entry: entry,
    };
  }
}

/** The point of an FX symbol: 0.001 for yen quotes, else 0.00001 (what the simulated broker uses). */
export function pointOf(symbol: string): number {
  return symbol.slice(3, 6) === 'JPY' ? 0.001 : 0.00001;
}

function round(price: number, point: number): number {
  const scale = Math.round(1 / point);
  return Math.round(price * scale) / scale;
}
