/**
 * How many ticks are due: the configured average rate, modulated by regimes of 0.3-3 s that are
 * quiet, normal or bursty, as a live FX feed is (news, session opens, lulls). The regime
 * multipliers average 1 over time, so a long run delivers the configured rate.
 */
import { Rng } from './rng.js';

// Regime multipliers and their odds; normalised below so that their mean is exactly 1.
const REGIMES = [0.4, 1, 1.8];
const REGIME_ODDS = [0.2, 0.6, 0.2];
const REGIME_MEAN = REGIMES.reduce((sum, m, i) => sum + m * REGIME_ODDS[i], 0);
const REGIME_MIN_MS = 300;
const REGIME_MAX_MS = 3000;

export class RateSchedule {
  private readonly rng: Rng;
  private readonly ticksPerMs: number;
  private multiplier = 1;
  private regimeLeftMs = 0;
  private carry = 0;

  /** `ratePerS` average ticks per second; `seed` makes the regimes repeatable. */
  constructor(ratePerS: number, seed: number) {
    this.ticksPerMs = ratePerS / 1000;
    this.rng = new Rng(seed ^ 0x5bd1e995);
  }

  /** The current regime's multiplier of the average rate. */
  get currentMultiplier(): number {
    return this.multiplier;
  }

  /** Advances the clock by `elapsedMs` and returns how many ticks fell due in that time. */
  advance(elapsedMs: number): number {
    let due = this.carry;
    let left = elapsedMs > 0 ? elapsedMs : 0;
    while (left > 0) {
      if (this.regimeLeftMs <= 0) this.nextRegime();
      const span = left < this.regimeLeftMs ? left : this.regimeLeftMs;
      due += span * this.ticksPerMs * this.multiplier;
      this.regimeLeftMs -= span;
      left -= span;
    }
    const n = Math.floor(due);
    this.carry = due - n;
    return n;
  }

  private nextRegime(): void {
    const r = this.rng.next();
    let i = 0;
    let acc = REGIME_ODDS[0];
    while (r >= acc && i < REGIMES.length - 1) acc += REGIME_ODDS[++i];
    this.multiplier = REGIMES[i] / REGIME_MEAN;
    this.regimeLeftMs = REGIME_MIN_MS + this.rng.next() * (REGIME_MAX_MS - REGIME_MIN_MS);
  }
}
