/**
 * Throughput-only sink mode for the backend side of the link: what a backend that must take in a
 * million ticks a second does per `market_data` frame, instead of the reference backend's full
 * check (protobufjs decode into objects + every indicator recomputed in plain TypeScript, about
 * 260k ticks/s on this machine, so it cannot sink the bridge's full rate).
 *
 * The Envelope is read in place, without decoding it into objects and without allocating per
 * tick; only the fields the checks need are looked at, everything else is skipped by wire type:
 *
 *   Envelope          1 protocol_version | 10 market_data          (any other payload: 'other')
 *   MarketDataStream  1 ticks* | 5 batch_sequence                  (two passes: the sequence
 *                                                                    comes after the ticks)
 *   TickData          1 symbol | 7 time_msc | 11 sequence_number | 15 received_at_ms
 *
 * The checks are ClientStream's, minus indicators: batch continuity (accept last+1, drop a
 * duplicate batch, refuse a gap), per-symbol sequence (duplicate ticks dropped, gaps counted),
 * time order, and two latency histograms — bridge receipt → here (what the reference backend
 * reports) and the tick's own time → here (the terminal's tick time, so it includes the EA's
 * timer wait and the EA → bridge hop, at millisecond resolution). The histograms can be reset,
 * so that a benchmark can leave warm-up out of its figures.
 */
import { LatencyHistogram, type LatencySummaryMs } from './latency-histogram.js';

/** More symbols than this in one stream count as bad ticks (the bridge's own limit is lower). */
export const SINK_MAX_SYMBOLS = 4096;
const NAME_TABLE_SLOTS = 8192; // power of two, twice SINK_MAX_SYMBOLS: short probe chains

const TEXT = new TextEncoder();

/** What onColumns needs of a decoded column-packed batch (ColumnarBatch has these). */
export interface SinkColumns {
  batchSequence: number;
  count: number;
  symbols: readonly string[];
  symbolIndex: ArrayLike<number>;
  sequenceNumber: ArrayLike<number>;
  timeMsc: ArrayLike<number>;
  receivedAtMs: ArrayLike<number>;
}

export type SinkOutcome = 'accepted' | 'duplicate' | 'gap' | 'invalid' | 'other';

export interface SinkCounters {
  batches: number;
  batches_duplicate: number;
  batch_gaps: number;
  ticks_received: number;
  duplicates: number;
  gaps: number;
  missing_ticks: number;
  out_of_order: number;
  bad_ticks: number;
  bad_frames: number;
}

export interface SinkStats extends SinkCounters {
  last_batch: number;
  symbols: number;
  /** Bridge receipt (`received_at_ms`) → sink receipt, per distinct tick. */
  latency_ms: LatencySummaryMs;
  /** Tick time (`time_msc`, UTC) → sink receipt, per distinct tick; millisecond resolution. */
  tick_age_ms: LatencySummaryMs;
  /** performance.timeOrigin-based UTC ms of the last latency reset (0 = never). */
  latency_since_ms: number;
}

/** One client's market-data stream, checked from the raw Envelope bytes. */
export class SinkStream {
  lastBatch = 0;
  readonly counters: SinkCounters = {
    batches: 0, batches_duplicate: 0, batch_gaps: 0, ticks_received: 0, duplicates: 0, gaps: 0,
    missing_ticks: 0, out_of_order: 0, bad_ticks: 0, bad_frames: 0,
  };
  private latency = new LatencyHistogram();
  private tickAge = new LatencyHistogram();
  private latencySinceMs = 0;
  private started = false;
  private fromStart = false;
  // Per symbol id: last sequence, last time_msc, distinct ticks.
  private readonly lastSeq = new Float64Array(SINK_MAX_SYMBOLS);
  private readonly lastTime = new Float64Array(SINK_MAX_SYMBOLS).fill(-Infinity);
  private readonly symbolTicks = new Float64Array(SINK_MAX_SYMBOLS);
  private readonly names: Uint8Array[] = [];
  private readonly columnIds: number[] = [];
  private readonly nameSlots = new Int32Array(NAME_TABLE_SLOTS).fill(-1);
  // Scanner state (one frame at a time): the bytes, a view for doubles, the read position.
  private buf: Uint8Array = new Uint8Array(0);
  private view: DataView = new DataView(new ArrayBuffer(0));
  private pos = 0;

  /** Applies one binary frame (one Envelope); `receivedAtMs` is the UTC clock when it arrived. */
  onFrame(frame: Uint8Array, receivedAtMs: number): SinkOutcome {
    this.buf = frame;
    this.view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    this.pos = 0;
    let mdStart = -1;
    let mdEnd = -1;
    try {
      while (this.pos < frame.length) {
        const tag = this.varint();
        if (tag === 0x52) { // 10 market_data, length-delimited
          const len = this.varint();
          mdStart = this.pos;
          mdEnd = this.pos + len;
          this.pos = mdEnd;
        } else {
          this.skip(tag);
        }
      }
      if (this.pos !== frame.length) throw new RangeError('truncated Envelope');
      if (mdStart < 0) return 'other';
      return this.onMarketData(mdStart, mdEnd, receivedAtMs);
    } catch {
      this.counters.bad_frames++;
      return 'invalid';
    }
  }

  /** The batch number that must come next. */
  get expectedBatch(): number {
    return this.lastBatch + 1;
  }

  /** Starts both latency histograms afresh (after a warm-up, say). */
  resetLatency(nowMs: number = performance.timeOrigin + performance.now()): void {
    this.latency = new LatencyHistogram();
    this.tickAge = new LatencyHistogram();
    this.latencySinceMs = nowMs;
  }

  stats(): SinkStats {
    return {
      ...this.counters,
      last_batch: this.lastBatch,
      symbols: this.names.length,
      latency_ms: this.latency.summaryMs(),
      tick_age_ms: this.tickAge.summaryMs(),
      latency_since_ms: this.latencySinceMs,
    };
  }

  private onMarketData(start: number, end: number, receivedAtMs: number): SinkOutcome {
    // Pass 1: find batch_sequence (after the ticks in canonical order, but any order is legal).
    let seq = 0;
    let ticksFrom = -1;
    let ticksTo = -1;
    this.pos = start;
    while (this.pos < end) {
      const at = this.pos;
      const tag = this.varint();
      if (tag === 0x0a) { // 1 ticks
        const len = this.varint();
        if (ticksFrom < 0) ticksFrom = at;
        this.pos += len;
        ticksTo = this.pos;
      } else if (tag === 0x28) { // 5 batch_sequence, varint
        seq = this.varint();
      } else {
        this.skip(tag);
      }
    }
    if (this.pos !== end) throw new RangeError('truncated MarketDataStream');
    const outcome = this.beginBatch(seq);
    if (outcome === 'duplicate' && ticksFrom >= 0) this.counters.duplicates += this.countTicks(ticksFrom, ticksTo);
    if (outcome !== 'accepted') return outcome;
    // Pass 2: the ticks.
    if (ticksFrom >= 0) {
      this.pos = ticksFrom;
      while (this.pos < ticksTo) {
        const tag = this.varint();
        if (tag !== 0x0a) { this.skip(tag); continue; }
        const len = this.varint();
        const tickEnd = this.pos + len;
        this.onTick(tickEnd, receivedAtMs);
        this.pos = tickEnd;
      }
    }
    return this.endBatch(seq);
  }

  /**
   * The same checks for a batch that arrived column-packed (`market_data_columns`), once a
   * columnar reader has rebuilt it (src/backend/columnar-decoder.ts): absolute per-tick values.
   */
  onColumns(batch: SinkColumns, receivedAtMs: number): SinkOutcome {
    const outcome = this.beginBatch(batch.batchSequence);
    if (outcome === 'duplicate') this.counters.duplicates += batch.count;
    if (outcome !== 'accepted') return outcome;
    const ids = this.columnIds;
    ids.length = 0;
    for (const name of batch.symbols) ids.push(this.symbolIdOfName(name));
    for (let i = 0; i < batch.count; i++) {
      this.onTickValues(ids[batch.symbolIndex[i]] ?? -1, batch.sequenceNumber[i], batch.timeMsc[i], batch.receivedAtMs[i], receivedAtMs);
    }
    return this.endBatch(batch.batchSequence);
  }

  /** Batch continuity: 'accepted' when `seq` is the next one (then the ticks are applied). */
  private beginBatch(seq: number): SinkOutcome {
    if (!Number.isSafeInteger(seq) || seq < 1) {
      this.counters.bad_frames++;
      return 'invalid';
    }
    if (!this.started) {
      this.started = true;
      this.fromStart = seq === 1;
      this.lastBatch = seq - 1;
    }
    if (seq <= this.lastBatch) {
      this.counters.batches_duplicate++;
      return 'duplicate';
    }
    if (seq > this.lastBatch + 1) {
      this.counters.batch_gaps++;
      return 'gap';
    }
    return 'accepted';
  }

  private endBatch(seq: number): SinkOutcome {
    this.lastBatch = seq;
    this.counters.batches++;
    return 'accepted';
  }

  private countTicks(from: number, to: number): number {
    let n = 0;
    this.pos = from;
    while (this.pos < to) {
      const tag = this.varint();
      if (tag === 0x0a) { n++; const len = this.varint(); this.pos += len; } else this.skip(tag);
    }
    return n;
  }

  private onTick(end: number, receivedAtMs: number): void {
    let nameAt = -1;
    let nameLen = 0;
    let timeMsc = 0;
    let seq = 0;
    let recvMs = 0;
    // The common shapes inline (one-byte tags, fixed64 doubles, one-byte lengths, skipped
    // varints); the rest through varint(). About 3x faster than a varint() call per tag.
    const b = this.buf;
    let p = this.pos;
    while (p < end) {
      let tag = b[p++];
      if (tag >= 0x80) { this.pos = p - 1; tag = this.varint(); p = this.pos; }
      const wireType = tag & 7;
      if (wireType === 1) {
        if (tag === 0x79) recvMs = this.view.getFloat64(p, true); // 15 received_at_ms
        p += 8;
      } else if (wireType === 0) {
        if (tag === 0x38 || tag === 0x58) { // 7 time_msc, 11 sequence_number
          this.pos = p;
          const v = this.varint();
          p = this.pos;
          if (tag === 0x38) timeMsc = v; else seq = v;
        } else {
          while (b[p++] >= 0x80) { /* skip a varint */ }
        }
      } else if (wireType === 2) {
        let len = b[p++];
        if (len >= 0x80) { this.pos = p - 1; len = this.varint(); p = this.pos; }
        if (tag === 0x0a) { nameAt = p; nameLen = len; } // 1 symbol
        p += len;
      } else if (wireType === 5) {
        p += 4;
      } else {
        throw new RangeError(`wire type ${wireType} not supported`);
      }
    }
    this.pos = p;
    if (this.pos !== end) throw new RangeError('truncated TickData');
    this.onTickValues(nameLen > 0 ? this.symbolId(nameAt, nameLen) : -1, seq, timeMsc, recvMs, receivedAtMs);
  }

  private onTickValues(id: number, seq: number, timeMsc: number, recvMs: number, receivedAtMs: number): void {
    const c = this.counters;
    if (id < 0 || !Number.isSafeInteger(seq) || seq < 1) {
      c.bad_ticks++;
      return;
    }
    let last = this.lastSeq[id];
    if (this.symbolTicks[id] === 0 && last === 0 && !this.fromStart) last = this.lastSeq[id] = seq - 1; // joined mid-way
    if (seq <= last) {
      c.duplicates++;
      return;
    }
    if (seq > last + 1) {
      c.gaps++;
      c.missing_ticks += seq - last - 1;
    }
    this.lastSeq[id] = seq;
    this.symbolTicks[id]++;
    c.ticks_received++;
    if (timeMsc < this.lastTime[id]) c.out_of_order++;
    else this.lastTime[id] = timeMsc;
    if (recvMs > 0) this.latency.recordMs(receivedAtMs - recvMs);
    if (timeMsc > 0) this.tickAge.recordMs(receivedAtMs - timeMsc);
  }

  /** Interned id of a symbol name given as a string (the columnar path). */
  private symbolIdOfName(name: string): number {
    const bytes = TEXT.encode(name);
    const saved = this.buf;
    this.buf = bytes;
    const id = this.symbolId(0, bytes.length);
    this.buf = saved;
    return id;
  }

  /** Interned id of the symbol name at buf[at, at+len); -1 when the table is full. */
  private symbolId(at: number, len: number): number {
    const b = this.buf;
    let h = 0x811c9dc5;
    for (let i = 0; i < len; i++) h = Math.imul(h ^ b[at + i], 0x01000193);
    let slot = h & (NAME_TABLE_SLOTS - 1);
    for (;;) {
      const id = this.nameSlots[slot];
      if (id < 0) break;
      const name = this.names[id];
      if (name.length === len) {
        let same = true;
        for (let i = 0; i < len; i++) if (name[i] !== b[at + i]) { same = false; break; }
        if (same) return id;
      }
      slot = (slot + 1) & (NAME_TABLE_SLOTS - 1);
    }
    if (this.names.length >= SINK_MAX_SYMBOLS) return -1;
    const id = this.names.length;
    this.names.push(b.slice(at, at + len));
    this.nameSlots[slot] = id;
    return id;
  }

  /** A varint as a number; exact below 2^53, which every counter and time here is. */
  private varint(): number {
    const b = this.buf;
    let p = this.pos;
    let x = b[p++];
    if (x < 0x80) { this.pos = p; return x; }
    let result = x & 0x7f;
    let shift = 7;
    // The low 28 bits with integer operations, the rest as doubles (no 32-bit overflow).
    for (; shift < 28; shift += 7) {
      x = b[p++];
      result |= (x & 0x7f) << shift;
      if (x < 0x80) { this.pos = p; return result >>> 0; }
    }
    let value = result >>> 0;
    let scale = 2 ** 28;
    for (let i = 0; i < 6; i++, scale *= 128) {
      x = b[p++];
      if (x === undefined) throw new RangeError('truncated varint');
      value += (x & 0x7f) * scale;
      if (x < 0x80) { this.pos = p; return value; }
    }
    throw new RangeError('varint longer than 10 bytes');
  }

  private skip(tag: number): void {
    switch (tag & 7) {
      case 0: this.varint(); return;
      case 1: this.pos += 8; return;
      case 2: { const len = this.varint(); this.pos += len; return; } // read first: `pos += varint()` loses the varint's bytes
      case 5: this.pos += 4; return;
      default: throw new RangeError(`wire type ${tag & 7} not supported`);
    }
  }
}
