/**
 * The user's current broker price per symbol, from the last tick of every EA frame (ingest calls
 * FrameReader.readLastQuote into `quotes` on the socket thread: one write of four doubles per
 * frame, nothing allocated). Read once a second for ClientPriceStream and per command by the gate.
 */
import { MAX_SYMBOLS } from '../../shared/lanes.js';

/** Per symbol id: bid, ask, time (UTC ms), frames seen. */
export const QUOTE_FIELDS = 4;
export const Q_BID = 0;
export const Q_ASK = 1;
export const Q_TIME_MS = 2;
export const Q_UPDATES = 3;

export class PriceTable {
  readonly quotes = new Float64Array(MAX_SYMBOLS * QUOTE_FIELDS);
  /** Q_UPDATES of each symbol when the price stream last took it. */
  private readonly streamed = new Float64Array(MAX_SYMBOLS);

  quote(id: number): { bid: number; ask: number; timeMs: number } | null {
    if (id < 0 || id >= MAX_SYMBOLS) return null;
    const b = id * QUOTE_FIELDS;
    if (this.quotes[b + Q_UPDATES] === 0) return null;
    return { bid: this.quotes[b + Q_BID], ask: this.quotes[b + Q_ASK], timeMs: this.quotes[b + Q_TIME_MS] };
  }

  /** True once per new price of the symbol since the last call (the price stream skips quiet ones). */
  takeChanged(id: number): boolean {
    const n = this.quotes[id * QUOTE_FIELDS + Q_UPDATES];
    if (n === this.streamed[id]) return false;
    this.streamed[id] = n;
    return true;
  }

  /** For tests and tools: sets a symbol's quote as a frame would. */
  set(id: number, bid: number, ask: number, timeMs: number): void {
    const b = id * QUOTE_FIELDS;
    this.quotes[b + Q_BID] = bid;
    this.quotes[b + Q_ASK] = ask;
    this.quotes[b + Q_TIME_MS] = timeMs;
    this.quotes[b + Q_UPDATES]++;
  }
}
