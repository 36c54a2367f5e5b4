/**
 * What bench:codec measures besides the project's own encoders: realistic batches published into
 * output rings as compute workers publish them, the protobufjs and JSON baselines (pooled objects
 * filled from the ring columns, as a transport built on them would), and the field-by-field check
 * of a decoded batch against what was published.
 */
import { INDICATOR_WIRE_FIELDS } from '../../src/backend/indicator-check.js';
import type { ColumnarBatch } from '../../src/backend/columnar-decoder.js';
import { ReferenceIndicators } from '../../src/backend/reference-indicators.js';
import { Envelope } from '../../src/backend/wire.js';
import { QuoteGenerator } from '../../src/ea-sim/quotes.js';
import { buildSymbolProfiles } from '../../src/ea-sim/symbols.js';
import { clientmt5 } from '../../src/gen/clientmt5.js';
import { createSymbolNames, createSymbolTable, SYM_FIELDS, SYM_POINT, writeSymbolName } from '../../src/shared/lanes.js';
import {
  INDICATOR_COUNT, OUT_F64_ASK, OUT_F64_BID, OUT_F64_IND0, OUT_F64_LAST, OUT_F64_RECV_MS, OUT_F64_SEQ,
  OUT_F64_TIME_MSC, OUT_F64_VOLUME, OUT_F64_VOLUME_REAL, OUT_I32_FLAGS, OUT_I32_QUALITY, OUT_I32_SYMBOL,
} from '../../src/shared/ring-layout.js';
import type { SpscRing } from '../../src/shared/ring.js';

const F64_COLUMNS = OUT_F64_IND0 + INDICATOR_COUNT;
const I32_COLUMNS = 3;

/**
 * `count` batches of `ticks` accepted ticks: ten symbols' quotes from the simulated EA at ~100k
 * ticks/s (a 1000-tick batch is what 5 ms of such a flow fills), past every indicator's warm-up.
 * Stored in the order the transport takes them: lane 0's ticks (even symbol ids), then lane 1's.
 */
export class BatchSource {
  readonly names = createSymbolNames();
  readonly table = createSymbolTable();
  readonly symbolNames: string[];
  private readonly f64: Float64Array[][] = [];
  private readonly i32: Int32Array[][] = [];

  constructor(readonly ticks: number, count: number, seed: number) {
    const profiles = buildSymbolProfiles(10);
    this.symbolNames = profiles.map((p) => p.name);
    profiles.forEach((p, id) => {
      writeSymbolName(this.names, id, p.name);
      this.table[id * SYM_FIELDS + SYM_POINT] = p.point;
    });
    const quotes = new QuoteGenerator({ symbols: profiles, seed, invalidRate: 0 });
    const indicators = profiles.map(() => new ReferenceIndicators());
    const seq = profiles.map(() => 0);
    let timeMsc = 1_767_225_600_000;
    let recv = timeMsc + 1.372;
    for (let t = 0; t < 3000; t++) { quotes.next(timeMsc); indicators[quotes.symbol].push((quotes.bid + quotes.ask) / 2); seq[quotes.symbol]++; }
    for (let b = 0; b < count; b++) {
      const f64 = Array.from({ length: F64_COLUMNS }, () => new Float64Array(ticks));
      const i32 = Array.from({ length: I32_COLUMNS }, () => new Int32Array(ticks));
      const rows: number[][] = [];
      for (let i = 0; i < ticks; i++) {
        if (i % 100 === 0) timeMsc++;
        if (i % 16 === 0) recv += 0.16 + ((i * 7919) % 97) / 1000; // a new EA frame
        quotes.next(timeMsc);
        const s = quotes.symbol;
        indicators[s].push((quotes.bid + quotes.ask) / 2);
        rows.push([s, quotes.flags & 0x7e, i % 50 === 0 ? 97 : 100, quotes.timeMsc, quotes.bid, quotes.ask, 0, 0, 0,
          recv, ++seq[s], ...indicators[s].values]);
      }
      const ordered = [...rows.filter((r) => r[0] % 2 === 0), ...rows.filter((r) => r[0] % 2 === 1)];
      ordered.forEach((r, i) => {
        for (let c = 0; c < I32_COLUMNS; c++) i32[c][i] = r[c];
        for (let c = 0; c < F64_COLUMNS; c++) f64[c][i] = r[I32_COLUMNS + c];
      });
      this.f64.push(f64);
      this.i32.push(i32);
    }
  }

  /** Publishes batch `b` into the two lanes' rings (without indicator values if `indicators` is false). */
  publish(rings: SpscRing[], b: number, indicators: boolean): void {
    const f64 = this.f64[b % this.f64.length];
    const i32 = this.i32[b % this.i32.length];
    const counts = [0, 0];
    for (let i = 0; i < this.ticks; i++) {
      const lane = i32[OUT_I32_SYMBOL][i] % 2;
      const ring = rings[lane];
      const slot = (ring.cursor + counts[lane]++) & ring.mask;
      for (let c = 0; c < I32_COLUMNS; c++) ring.i32[c][slot] = i32[c][i];
      for (let c = 0; c < F64_COLUMNS; c++) ring.f64[c][slot] = c >= OUT_F64_IND0 && !indicators ? Number.NaN : f64[c][i];
    }
    rings[0].publish(counts[0]);
    rings[1].publish(counts[1]);
  }

  /** Whether tick i of batch b is its symbol's last in the batch (what columnar-latest sends indicators for). */
  isLastOfSymbol(b: number, i: number): boolean {
    const sym = this.i32[b % this.i32.length][OUT_I32_SYMBOL];
    for (let k = i + 1; k < this.ticks; k++) if (sym[k] === sym[i]) return false;
    return true;
  }

  /**
   * Tick i of batch b: [symbol name, time, bid, ask, last, volume, volume_real, recv, seq, flags, quality, ...indicators];
   * indicators NaN when `indicators` is false, or for 'latest' unless the tick is its symbol's last of the batch.
   */
  expected(b: number, i: number, indicators: boolean | 'latest'): unknown[] {
    const f = this.f64[b % this.f64.length];
    const n = this.i32[b % this.i32.length];
    if (indicators === 'latest') indicators = this.isLastOfSymbol(b, i);
    return [this.symbolNames[n[OUT_I32_SYMBOL][i]], f[OUT_F64_TIME_MSC][i], f[OUT_F64_BID][i], f[OUT_F64_ASK][i], f[OUT_F64_LAST][i],
      f[OUT_F64_VOLUME][i], f[OUT_F64_VOLUME_REAL][i], f[OUT_F64_RECV_MS][i], f[OUT_F64_SEQ][i], n[OUT_I32_FLAGS][i], n[OUT_I32_QUALITY][i],
      ...Array.from({ length: INDICATOR_COUNT }, (_, k) => (indicators ? f[OUT_F64_IND0 + k][i] : Number.NaN))];
  }
}

interface JsonTick {
  symbol: string; bid: number; ask: number; last: number; volume: number; time_msc: number; flags: number; volume_real: number;
  sequence_number: number; spread: number; received_at_ms: number; quality: number; indicators: Record<string, number | undefined>;
}
interface JsonBatch { batch_sequence: number; batch_time_msc: number; source: string; ticks: JsonTick[] }

export type Decoded =
  | { kind: 'row'; envelope: Envelope }
  | { kind: 'columnar'; batch: ColumnarBatch }
  | { kind: 'json'; value: JsonBatch };

/** Visits every tick of the batch in `rings` (lane 0, then lane 1) and releases them. */
function forEachTick(rings: SpscRing[], visit: (ring: SpscRing, slot: number, i: number) => void): number {
  let i = 0;
  for (const ring of rings) {
    const n = ring.available();
    for (let k = 0; k < n; k++) visit(ring, (ring.readSequence + k) & ring.mask, i++);
    ring.release(n);
  }
  return i;
}

/** The seeds' row form with protobufjs static code: pooled TickData objects, then Envelope.encode. */
export class ProtobufjsRowEncoder {
  private readonly ticks: clientmt5.v1.TickData[];
  private readonly batch = new clientmt5.v1.MarketDataStream();
  private readonly envelope = new clientmt5.v1.Envelope();

  constructor(capacity: number, private readonly source: BatchSource) {
    this.ticks = Array.from({ length: capacity }, () => {
      const t = new clientmt5.v1.TickData();
      t.indicators = new clientmt5.v1.TechnicalIndicators();
      t.source = 'MT5';
      return t;
    });
    this.envelope.protocol_version = 1;
    this.envelope.market_data = this.batch;
    this.batch.source = 'MT5';
  }

  encode(rings: SpscRing[], sequence: number): Uint8Array {
    const names = this.source.symbolNames;
    const n = forEachTick(rings, (r, s, i) => {
      const t = this.ticks[i];
      t.symbol = names[r.i32[OUT_I32_SYMBOL][s]];
      t.bid = r.f64[OUT_F64_BID][s];
      t.ask = r.f64[OUT_F64_ASK][s];
      t.last = r.f64[OUT_F64_LAST][s];
      t.volume = r.f64[OUT_F64_VOLUME][s];
      t.time_msc = r.f64[OUT_F64_TIME_MSC][s];
      t.time = Math.floor(t.time_msc / 1000);
      t.flags = r.i32[OUT_I32_FLAGS][s];
      t.volume_real = r.f64[OUT_F64_VOLUME_REAL][s];
      t.sequence_number = r.f64[OUT_F64_SEQ][s];
      t.spread = t.ask - t.bid;
      t.received_at_ms = r.f64[OUT_F64_RECV_MS][s];
      t.quality = r.i32[OUT_I32_QUALITY][s];
      const ind = t.indicators as unknown as Record<string, number | null>;
      for (let k = 0; k < INDICATOR_COUNT; k++) {
        const v = r.f64[OUT_F64_IND0 + k][s];
        ind[INDICATOR_WIRE_FIELDS[k]] = v === v ? v : null;
      }
    });
    this.ticks.length = Math.max(this.ticks.length, n);
    this.batch.ticks = n === this.ticks.length ? this.ticks : this.ticks.slice(0, n);
    this.batch.batch_sequence = sequence;
    this.batch.batch_time_msc = Date.now();
    this.batch.batch_time = Math.floor(this.batch.batch_time_msc / 1000);
    return clientmt5.v1.Envelope.encode(this.envelope).finish();
  }
}

/** JSON per batch: pooled plain objects, JSON.stringify, UTF-8 bytes; JSON.parse back. */
export class JsonCodec {
  private readonly ticks: JsonTick[];
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder();

  constructor(capacity: number, private readonly source: BatchSource) {
    this.ticks = Array.from({ length: capacity }, () => ({
      symbol: '', bid: 0, ask: 0, last: 0, volume: 0, time_msc: 0, flags: 0, volume_real: 0, sequence_number: 0, spread: 0,
      received_at_ms: 0, quality: 0, indicators: {},
    }));
  }

  encode(rings: SpscRing[], sequence: number): Uint8Array {
    const names = this.source.symbolNames;
    const n = forEachTick(rings, (r, s, i) => {
      const t = this.ticks[i];
      t.symbol = names[r.i32[OUT_I32_SYMBOL][s]];
      t.bid = r.f64[OUT_F64_BID][s];
      t.ask = r.f64[OUT_F64_ASK][s];
      t.last = r.f64[OUT_F64_LAST][s];
      t.volume = r.f64[OUT_F64_VOLUME][s];
      t.time_msc = r.f64[OUT_F64_TIME_MSC][s];
      t.flags = r.i32[OUT_I32_FLAGS][s];
      t.volume_real = r.f64[OUT_F64_VOLUME_REAL][s];
      t.sequence_number = r.f64[OUT_F64_SEQ][s];
      t.spread = t.ask - t.bid;
      t.received_at_ms = r.f64[OUT_F64_RECV_MS][s];
      t.quality = r.i32[OUT_I32_QUALITY][s];
      for (let k = 0; k < INDICATOR_COUNT; k++) {
        const v = r.f64[OUT_F64_IND0 + k][s];
        t.indicators[INDICATOR_WIRE_FIELDS[k]] = v === v ? v : undefined; // absent: left out
      }
    });
    const batch: JsonBatch = { batch_sequence: sequence, batch_time_msc: Date.now(), source: 'MT5', ticks: n === this.ticks.length ? this.ticks : this.ticks.slice(0, n) };
    return this.encoder.encode(JSON.stringify(batch));
  }

  decode(frame: Uint8Array): Decoded {
    return { kind: 'json', value: JSON.parse(this.decoder.decode(frame)) as JsonBatch };
  }
}

/** Throws unless every field of every tick of `decoded` equals batch `b` as published. */
export function checkDecoded(variant: string, decoded: Decoded, source: BatchSource, b: number, indicators: boolean | 'latest'): void {
  const count = decoded.kind === 'row' ? decoded.envelope.market_data?.ticks?.length ?? 0
    : decoded.kind === 'columnar' ? decoded.batch.count : decoded.value.ticks.length;
  if (count !== source.ticks) throw new Error(`${variant}: decoded ${count} ticks, published ${source.ticks}`);
  for (let i = 0; i < count; i++) {
    const got = decodedTick(decoded, i);
    const want = source.expected(b, i, indicators);
    for (let k = 0; k < want.length; k++) {
      if (!Object.is(got[k], want[k])) throw new Error(`${variant}: tick ${i} field ${k} decoded as ${String(got[k])}, published ${String(want[k])}`);
    }
  }
}

function decodedTick(d: Decoded, i: number): unknown[] {
  const absentAsNaN = (v: number | null | undefined): number => (v == null ? Number.NaN : v);
  if (d.kind === 'columnar') {
    const c = d.batch;
    return [c.symbolOf(i), c.timeMsc[i], c.bid[i], c.ask[i], c.last[i], c.volume[i], c.volumeReal[i], c.receivedAtMs[i],
      c.sequenceNumber[i], c.flags[i], c.quality[i], ...c.indicators.map((col) => col[i])];
  }
  const t = d.kind === 'row' ? d.envelope.market_data!.ticks![i] : d.value.ticks[i];
  const ind = (t.indicators ?? {}) as Record<string, number | null | undefined>;
  return [t.symbol, t.time_msc, t.bid, t.ask, t.last ?? 0, t.volume ?? 0, t.volume_real ?? 0, t.received_at_ms, t.sequence_number,
    t.flags, t.quality, ...INDICATOR_WIRE_FIELDS.map((f) => absentAsNaN(ind[f]))];
}

/**
 * Bytes a tick's indicators would take as zigzag varints of per-symbol differences of their IEEE
 * bit patterns — what a lossless delta coding of the doubles could save (a size estimate only, not
 * an encoding of this project): computed over batch `b` with BigInt, outside any timing.
 */
export function indicatorBitDeltaBytesPerTick(source: BatchSource, b: number): number {
  const bits = new BigUint64Array(1);
  const asDouble = new Float64Array(bits.buffer);
  let bytes = 0;
  for (let k = 0; k < INDICATOR_COUNT; k++) {
    const prev = new Map<unknown, bigint>();
    for (let i = 0; i < source.ticks; i++) {
      const t = source.expected(b, i, true);
      asDouble[0] = t[11 + k] as number;
      const cur = BigInt.asIntN(64, bits[0]);
      const d = cur - (prev.get(t[0]) ?? 0n);
      prev.set(t[0], cur);
      let z = d >= 0n ? d << 1n : ((-d) << 1n) - 1n;
      bytes++;
      while (z >= 128n) { z >>= 7n; bytes++; }
    }
  }
  return bytes / source.ticks;
}
