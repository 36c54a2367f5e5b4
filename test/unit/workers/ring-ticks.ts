/**
 * Test helper: ticks as plain rows, published into an output ring the way a compute worker does,
 * and a source of realistic ones (the simulated EA's quotes for ten symbols, indicators computed
 * by the reference implementation).
 */
import { ReferenceIndicators } from '../../../src/backend/reference-indicators.js';
import { QuoteGenerator } from '../../../src/ea-sim/quotes.js';
import { buildSymbolProfiles, type SymbolProfile } from '../../../src/ea-sim/symbols.js';
import { createSymbolNames, createSymbolTable, SYM_FIELDS, SYM_POINT, writeSymbolName } from '../../../src/shared/lanes.js';
import {
  INDICATOR_COUNT, OUT_F64_ASK, OUT_F64_BID, OUT_F64_IND0, OUT_F64_LAST, OUT_F64_RECV_MS, OUT_F64_SEQ,
  OUT_F64_TIME_MSC, OUT_F64_VOLUME, OUT_F64_VOLUME_REAL, OUT_I32_FLAGS, OUT_I32_QUALITY, OUT_I32_SYMBOL,
} from '../../../src/shared/ring-layout.js';
import type { SpscRing } from '../../../src/shared/ring.js';

export interface TickRow {
  symbol: number;
  timeMsc: number;
  bid: number;
  ask: number;
  last: number;
  volume: number;
  volumeReal: number;
  recv: number;
  seq: number;
  flags: number;
  quality: number;
  /** INDICATOR_NAMES order, NaN = absent. */
  ind: number[];
}

export function tickRow(over: Partial<TickRow>): TickRow {
  return {
    symbol: 0, timeMsc: 1_767_225_600_000, bid: 1.08, ask: 1.08012, last: 0, volume: 0, volumeReal: 0,
    recv: 1_767_225_600_001.25, seq: 1, flags: 6, quality: 100, ind: new Array<number>(INDICATOR_COUNT).fill(Number.NaN),
    ...over,
  };
}

export function publish(ring: SpscRing, rows: readonly TickRow[]): void {
  for (const r of rows) {
    const slot = ring.cursor & ring.mask;
    ring.i32[OUT_I32_SYMBOL][slot] = r.symbol;
    ring.i32[OUT_I32_FLAGS][slot] = r.flags;
    ring.i32[OUT_I32_QUALITY][slot] = r.quality;
    ring.f64[OUT_F64_TIME_MSC][slot] = r.timeMsc;
    ring.f64[OUT_F64_BID][slot] = r.bid;
    ring.f64[OUT_F64_ASK][slot] = r.ask;
    ring.f64[OUT_F64_LAST][slot] = r.last;
    ring.f64[OUT_F64_VOLUME][slot] = r.volume;
    ring.f64[OUT_F64_VOLUME_REAL][slot] = r.volumeReal;
    ring.f64[OUT_F64_RECV_MS][slot] = r.recv;
    ring.f64[OUT_F64_SEQ][slot] = r.seq;
    for (let k = 0; k < INDICATOR_COUNT; k++) ring.f64[OUT_F64_IND0 + k][slot] = r.ind[k];
    ring.publish(1);
  }
}

/** Symbol tables with `names[i]` at id i and its point (0 = leave the point unset). */
export function symbolTables(names: readonly string[], points: readonly number[]): { names: Uint8Array; table: Float64Array } {
  const n = createSymbolNames();
  const table = createSymbolTable();
  names.forEach((name, id) => {
    writeSymbolName(n, id, name);
    table[id * SYM_FIELDS + SYM_POINT] = points[id] ?? 0;
  });
  return { names: n, table };
}

/** Realistic accepted ticks: the simulated EA's walk, per-symbol sequences, reference indicators. */
export class RealisticTicks {
  readonly profiles: readonly SymbolProfile[];
  private readonly quotes: QuoteGenerator;
  private readonly indicators: ReferenceIndicators[];
  private readonly seq: number[];
  private timeMsc = 1_767_225_600_000;
  private recv = 1_767_225_600_000.123;

  constructor(symbols = 10, seed = 1) {
    this.profiles = buildSymbolProfiles(symbols);
    this.quotes = new QuoteGenerator({ symbols: this.profiles, seed, invalidRate: 0 });
    this.indicators = this.profiles.map(() => new ReferenceIndicators());
    this.seq = this.profiles.map(() => 0);
  }

  next(count: number): TickRow[] {
    const rows: TickRow[] = [];
    const q = this.quotes;
    for (let i = 0; i < count; i++) {
      this.timeMsc += i % 3 === 0 ? 1 : 0;
      if (i % 4 === 0) this.recv += 0.3 + (i % 7) * 0.1093;
      q.next(this.timeMsc);
      const s = q.symbol;
      this.indicators[s].push((q.bid + q.ask) / 2);
      rows.push(tickRow({
        symbol: s, timeMsc: q.timeMsc, bid: q.bid, ask: q.ask, flags: q.flags & 0x7e, recv: this.recv,
        seq: ++this.seq[s], quality: 90 + (i % 11), ind: Array.from(this.indicators[s].values),
      }));
    }
    return rows;
  }
}
