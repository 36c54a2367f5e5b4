/**
 * The simulated terminal: ticks arrive (quote generator paced by the rate schedule) and land in
 * each symbol's history, stamped with the broker's server clock, whether or not the EA is
 * connected or paused. The EA side (stream.ts) reads from these histories, as a real EA reads the
 * terminal's with CopyTicks.
 */
import { KIND_GOOD, QuoteGenerator } from './quotes.js';
import { RateSchedule } from './rate.js';
import type { SymbolProfile } from './symbols.js';
import { TickHistory } from './tick-history.js';

export interface SimTerminalOptions {
  profiles: readonly SymbolProfile[];
  seed: number;
  invalidRate: number;
  /** Average ticks per second over all symbols. */
  ratePerS: number;
  /** Ticks kept per symbol for backfill. */
  historyTicks: number;
  /** Broker server clock minus UTC, ms. */
  serverOffsetMs: number;
}

export class SimTerminal {
  readonly profiles: readonly SymbolProfile[];
  readonly generator: QuoteGenerator;
  readonly histories: TickHistory[];
  readonly serverOffsetMs: number;
  /** Ticks generated so far, good and bad. */
  generated = 0;
  /**
   * Called for every good tick (symbol index, server time, bid, ask) as it lands in the history:
   * the paper broker's trade server watches its pending orders and SL/TP levels with it. One
   * property test per tick when unset.
   */
  onQuote: ((symbol: number, timeMsc: number, bid: number, ask: number) => void) | null = null;
  private readonly schedule: RateSchedule;
  private clockUtcMs = Number.NaN;

  constructor(options: SimTerminalOptions) {
    this.profiles = options.profiles;
    this.serverOffsetMs = options.serverOffsetMs;
    this.generator = new QuoteGenerator({ symbols: options.profiles, seed: options.seed, invalidRate: options.invalidRate });
    this.schedule = new RateSchedule(options.ratePerS, options.seed);
    this.histories = options.profiles.map(() => new TickHistory(options.historyTicks));
  }

  get started(): boolean {
    return !Number.isNaN(this.clockUtcMs);
  }

  /** UTC time up to which ticks have been generated. */
  get clockMs(): number {
    return this.clockUtcMs;
  }

  /** Ticks start arriving from `nowUtcMs` on. */
  start(nowUtcMs: number): void {
    this.clockUtcMs = nowUtcMs;
  }

  /**
   * Generates the ticks that fell due between the last call and `untilUtcMs` (at most `maxTicks`),
   * their times spread evenly over that span on the server clock (several may share a
   * millisecond), and returns how many there were.
   */
  advance(untilUtcMs: number, maxTicks: number): number {
    const fromUtc = this.clockUtcMs;
    const spanMs = untilUtcMs > fromUtc ? untilUtcMs - fromUtc : 0;
    let n = this.schedule.advance(spanMs);
    if (n > maxTicks) n = maxTicks;
    const gen = this.generator;
    const histories = this.histories;
    const offsetMs = this.serverOffsetMs;
    for (let j = 1; j <= n; j++) {
      // The terminal got the tick at its nominal time (UTC); its time_msc is that on the server clock.
      const arrivedUtc = Math.floor(fromUtc + (j * spanMs) / n);
      gen.next(arrivedUtc + offsetMs);
      histories[gen.symbol].append(
        gen.timeMsc, gen.bid, gen.ask, gen.last, gen.volume, gen.flags, gen.volumeReal, gen.kind, arrivedUtc,
      );
      if (this.onQuote !== null && gen.kind === KIND_GOOD) this.onQuote(gen.symbol, gen.timeMsc, gen.bid, gen.ask);
    }
    this.generated += n;
    if (untilUtcMs > fromUtc) this.clockUtcMs = untilUtcMs;
    return n;
  }
}
