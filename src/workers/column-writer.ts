/**
 * Writes MarketDataColumns' fields into one preallocated buffer, and seals the frame: the byte
 * level of ColumnarEncoder (the column rules are in proto/clientmt5/v1/columns.proto). The batch's
 * ticks are still in their output rings (TickSegments); nothing is copied out per tick but the
 * indicator values.
 *
 *   TickSegments: the batch = runs of ring entries, in batch order  [ring A 0..399][ring B 0..599]
 *   header, symbol table ──► buf     per-tick varint columns ──► TickColumnPass regions ──► buf
 *   indicators_absent, indicators ──► the frame, allocated once at its exact size
 *
 * A column whose every value is 0 is left out (empty means all 0).
 */
import { varintSize, writeVarint } from './proto-varint.js';
import type { TickColumnPass } from './tick-columns.js';
import type { TickSegments } from './tick-segments.js';

if (new Uint8Array(new Float64Array([1]).buffer)[7] !== 0x3f) {
  throw new Error('columnar encoder: this platform is big-endian; protobuf doubles are little-endian');
}

export class ColumnWriter {
  readonly buf: Buffer;
  pos = 0;
  /** Per IndicatorColumns field f: its values present in the batch, at [f * capacity, ...). */
  private readonly staged: Float64Array;
  private readonly stagedBytes: Buffer;
  private readonly capacity: number;
  /** indicators_absent of every tick. */
  private readonly absent: Int32Array;
  /** Per IndicatorColumns field: how many ticks (symbols, for latestIndicators) have a value. */
  private readonly presentCount = new Int32Array(32);
  /** latestIndicators: per batch symbol, the run and ring slot of its last tick. */
  private readonly latestSeg: Int32Array;
  private readonly latestSlot: Int32Array;

  /**
   * @param symbols  most symbols a batch can hold
   * @param alloc    where frames are allocated (the transport's FramePool; default a new buffer each)
   */
  constructor(
    bytes: number, capacity: number, indicators: number, symbols: number, private readonly t: TickSegments,
    private readonly alloc: (bytes: number) => Buffer = allocFrame,
  ) {
    this.buf = Buffer.alloc(bytes);
    this.capacity = capacity;
    this.staged = new Float64Array(indicators * capacity);
    this.stagedBytes = Buffer.from(this.staged.buffer);
    this.absent = new Int32Array(Math.max(capacity, symbols));
    this.latestSeg = new Int32Array(symbols);
    this.latestSlot = new Int32Array(symbols);
  }

  varintField(field: number, v: number): void {
    if (v === 0) return;
    this.pos = writeVarint(this.buf, writeVarint(this.buf, this.pos, field << 3), v);
  }

  bytesField(field: number, bytes: Uint8Array): void {
    let p = writeVarint(this.buf, this.pos, (field << 3) | 2);
    p = writeVarint(this.buf, p, bytes.length);
    this.buf.set(bytes, p);
    this.pos = p + bytes.length;
  }

  /** Packed uint32 of n values (the Int32 bits as unsigned); left out when all are 0 unless `always`. */
  uint32Values(field: number, values: Int32Array, n: number, always = false): void {
    let len = 0;
    let any = 0;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      any |= v;
      len += v >= 0 && v < 0x80 ? 1 : varintSize(v >>> 0);
    }
    if (any === 0 && !always) return;
    const b = this.buf;
    let p = writeVarint(b, writeVarint(b, this.pos, (field << 3) | 2), len);
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v >= 0 && v < 0x80) b[p++] = v;
      else p = writeVarint(b, p, v >>> 0);
    }
    this.pos = p;
  }

  /** Packed uint64 of n values (integers below 2^53); left out when all are 0. */
  uint64Values(field: number, values: Float64Array, n: number): void {
    let len = 0;
    for (let i = 0; i < n; i++) len += varintSize(values[i]);
    let any = false;
    for (let i = 0; i < n && !any; i++) any = values[i] !== 0;
    if (!any) return;
    let p = writeVarint(this.buf, writeVarint(this.buf, this.pos, (field << 3) | 2), len);
    for (let i = 0; i < n; i++) p = writeVarint(this.buf, p, values[i]);
    this.pos = p;
  }

  /** Region `c` of the tick-column pass as packed field `field`; left out when all its values are 0. */
  packed(field: number, pass: TickColumnPass, c: number): void {
    if (pass.nonZero[c] === 0) return;
    const len = pass.length[c];
    const from = pass.start(c);
    const p = writeVarint(this.buf, writeVarint(this.buf, this.pos, (field << 3) | 2), len);
    this.pos = p + pass.out.copy(this.buf, p, from, from + len);
  }

  /** Packed doubles of ring column `col`, every tick of the batch, copied as bytes. */
  doubleColumn(field: number, col: number): void {
    const t = this.t;
    let n = 0;
    for (let g = 0; g < t.length; g++) n += t.counts[g];
    let p = writeVarint(this.buf, this.pos, (field << 3) | 2);
    p = writeVarint(this.buf, p, n * 8);
    for (let g = 0; g < t.length; g++) p = copyDoubles(this.buf, p, t.rings[g].f64[col], t.starts[g] & t.rings[g].mask, t.counts[g]);
    this.pos = p;
  }

  /**
   * columnar-latest: per symbol of the batch, the indicators of its last tick (`lastRow[x]`, a batch
   * row): `absentField` (indicators_latest_absent) with one entry per symbol, written even when
   * all are 0 (it marks the batch), then `field` (indicators_latest: IndicatorColumns, column f + 1
   * holding the values of ring column `cols[f]` of the symbols that have one, in symbol order).
   * Reads 13 values a symbol, not a tick.
   */
  latestIndicators(absentField: number, field: number, cols: readonly number[], lastRow: Int32Array, symbols: number): void {
    const t = this.t;
    const absent = this.absent;
    const staged = this.staged;
    const present = this.presentCount;
    // Ring and slot of each symbol's last row.
    const segOf = this.latestSeg;
    const slotOf = this.latestSlot;
    for (let x = 0; x < symbols; x++) {
      let k = lastRow[x];
      let g = 0;
      while (k >= t.counts[g]) k -= t.counts[g++];
      segOf[x] = g;
      slotOf[x] = (t.starts[g] + k) & t.rings[g].mask;
    }
    absent.fill(0, 0, symbols);
    let len = 0;
    for (let f = 0; f < cols.length; f++) {
      const bit = 1 << f;
      const first = f * this.capacity;
      let c = first;
      for (let x = 0; x < symbols; x++) {
        const v = t.rings[segOf[x]].f64[cols[f]][slotOf[x]];
        if (v === v) staged[c++] = v;
        else absent[x] |= bit;
      }
      present[f] = c - first;
      if (c > first) len += 1 + varintSize((c - first) * 8) + (c - first) * 8;
    }
    if (symbols === 0) return;
    this.uint32Values(absentField, absent, symbols, true);
    if (len === 0) return;
    const b = this.buf;
    let p = writeVarint(b, writeVarint(b, this.pos, (field << 3) | 2), len);
    for (let f = 0; f < cols.length; f++) {
      const count = present[f];
      if (count === 0) continue;
      p = writeVarint(b, p, ((f + 1) << 3) | 2);
      p = writeVarint(b, p, count * 8);
      const from = f * this.capacity * 8;
      p += this.stagedBytes.copy(b, p, from, from + count * 8);
    }
    this.pos = p;
  }

  /** Seals the frame: the Envelope around everything written from `headRoom` on, as `payloadField`. */
  seal(headRoom: number, payloadField: number): Uint8Array {
    return this.frame(headRoom, payloadField, 0);
  }

  /**
   * Writes `absentField` (indicators_absent, per tick) and seals the frame: the Envelope around
   * everything written from `headRoom` on (protocol_version 1, the payload as `payloadField`), with
   * `field` — the nested IndicatorColumns, whose column f + 1 holds the values of ring column
   * `cols[f]` that are not NaN, in tick order — appended last. The frame is allocated at its exact
   * size, once. Each indicator value is read from the ring once, into a plain (not shared) batch
   * column that is then one memcpy into the frame: TypedArray.set straight from the shared ring
   * memory was ~10x slower than a memcpy (V8 copies shared memory with relaxed atomics), 73 vs 7 us
   * for the 104 KB of indicators in 1000 ticks.
   */
  sealWithIndicators(absentField: number, field: number, cols: readonly number[], headRoom: number, payloadField: number): Uint8Array {
    const t = this.t;
    const n = this.count();
    const absent = this.absent;
    const staged = this.staged;
    const present = this.presentCount;
    absent.fill(0, 0, n);
    let len = 0;
    for (let f = 0; f < cols.length; f++) {
      const bit = 1 << f;
      let c = f * this.capacity;
      const first = c;
      let k = 0;
      for (let g = 0; g < t.length; g++) {
        const src = t.rings[g].f64[cols[f]];
        const mask = t.rings[g].mask;
        const seq = t.starts[g];
        const count = t.counts[g];
        for (let i = 0; i < count; i++, k++) {
          const v = src[(seq + i) & mask];
          if (v === v) staged[c++] = v;
          else absent[k] |= bit; // NaN: no value yet
        }
      }
      present[f] = c - first;
      if (c > first) len += 1 + varintSize((c - first) * 8) + (c - first) * 8;
    }
    if (n > 0) this.uint32Values(absentField, absent, n);
    const fieldTag = (field << 3) | 2;
    const tail = len === 0 ? 0 : varintSize(fieldTag) + varintSize(len) + len;
    const frame = this.frame(headRoom, payloadField, tail);
    if (len === 0) return frame;
    let p = frame.length - tail;
    p = writeVarint(frame, writeVarint(frame, p, fieldTag), len);
    for (let f = 0; f < cols.length; f++) {
      const count = present[f];
      if (count === 0) continue;
      p = writeVarint(frame, p, ((f + 1) << 3) | 2);
      p = writeVarint(frame, p, count * 8);
      const from = f * this.capacity * 8;
      p += this.stagedBytes.copy(frame, p, from, from + count * 8);
    }
    return frame;
  }

  /** The frame, allocated at its exact size, with everything but the last `tail` bytes written. */
  private frame(headRoom: number, payloadField: number, tail: number): Buffer {
    const payloadLen = this.pos - headRoom + tail;
    const tag = (payloadField << 3) | 2;
    const frame = this.alloc(2 + varintSize(tag) + varintSize(payloadLen) + payloadLen); // every byte is written
    frame[0] = 0x08;
    frame[1] = 1;
    const p = writeVarint(frame, writeVarint(frame, 2, tag), payloadLen);
    this.buf.copy(frame, p, headRoom, this.pos);
    return frame;
  }

  private count(): number {
    let n = 0;
    for (let g = 0; g < this.t.length; g++) n += this.t.counts[g];
    return n;
  }
}

/**
 * n doubles of `src` from index `from` (wrapping at its end) as bytes at `p`. A column of the
 * doubles fallback only: TypedArray.set from shared memory is ~10x slower than a memcpy.
 */
function copyDoubles(dst: Uint8Array, p: number, src: Float64Array, from: number, n: number): number {
  const first = Math.min(n, src.length - from);
  dst.set(new Uint8Array(src.buffer, src.byteOffset + from * 8, first * 8), p);
  if (first < n) dst.set(new Uint8Array(src.buffer, src.byteOffset, (n - first) * 8), p + first * 8);
  return p + n * 8;
}

function allocFrame(bytes: number): Buffer {
  return Buffer.allocUnsafe(bytes);
}
