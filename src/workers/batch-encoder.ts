/**
 * Turns accepted ticks from the output rings into `Envelope{MarketDataStream}` bytes.
 *
 * The hot message is written by hand, straight from the ring columns into one preallocated
 * buffer, in exactly the bytes protobuf's canonical encoding gives (field-number order, proto3
 * defaults omitted, `optional` indicator fields present only once warmed up). protobufjs static
 * code, filling pooled message objects, measured 1.2-1.7 us per tick steady state here and ~15 us
 * cold (`node /tmp/enc.mjs`-style loop over 4096-tick batches), and boxed a number per indicator;
 * this writer allocates nothing per tick (bench:codec measures the JS heap it allocates per batch:
 * ~200 B, whatever the batch size). Its output is checked byte for byte against envelopes encoded
 * by protoc (test/fixtures/backend-link/) and decoded by the generated code in tests.
 *
 *   Envelope:        1 protocol_version (varint) | 10 market_data (bytes)
 *   MarketDataStream: 1 ticks* | 4 source | 5 batch_sequence | 6 batch_time | 7 batch_time_msc | 8 tenant_id
 *   TickData:         1 symbol | 2 bid | 3 ask | 4 last | 5 volume | 6 time | 7 time_msc | 8 flags |
 *                     9 volume_real | 10 tenant_id | 11 sequence_number | 12 source | 13 spread |
 *                     14 indicators | 15 received_at_ms | 16 quality
 */
import { varintSize } from './proto-varint.js';
import { readSymbolName } from '../shared/lanes.js';
import {
  INDICATOR_COUNT, OUT_F64_ASK, OUT_F64_BID, OUT_F64_IND0, OUT_F64_LAST, OUT_F64_RECV_MS, OUT_F64_SEQ,
  OUT_F64_TIME_MSC, OUT_F64_VOLUME, OUT_F64_VOLUME_REAL, OUT_I32_FLAGS, OUT_I32_QUALITY, OUT_I32_SYMBOL,
} from '../shared/ring-layout.js';
import type { SpscRing } from '../shared/ring.js';
import { WARM_UP_ID, WARM_UP_NAME, warmUpEncoder } from './encoder-warm-up.js';

/** Proto field names of the indicators, in INDICATOR_NAMES order. */
export const INDICATOR_PROTO_FIELDS = [
  'sma_20', 'sma_50', 'ema_12', 'ema_26', 'ema_20', 'ema_50', 'rsi',
  'macd_line', 'macd_signal', 'macd_hist', 'bollinger_upper', 'bollinger_middle', 'bollinger_lower',
] as const;

/** TechnicalIndicators field number of each INDICATOR_NAMES entry (see indicators.proto). */
export const INDICATOR_FIELD_NUMBERS: readonly number[] = [1, 2, 3, 4, 11, 12, 7, 5, 6, 13, 8, 9, 10];
/** INDICATOR_NAMES index of field numbers 1..13, so that fields are written in number order. */
const INDICATOR_BY_FIELD = INDICATOR_FIELD_NUMBERS.map((_, f) => INDICATOR_FIELD_NUMBERS.indexOf(f + 1));

const SOURCE = new TextEncoder().encode('MT5');
/** Room kept before the ticks for the envelope and market_data headers (written last). */
const HEAD_ROOM = 16;
/** Largest encoding of one tick without its strings: 13 tags+doubles, 4 varints, nested header. */
const TICK_FIXED_MAX = 320;

const TWO_28 = 2 ** 28;
const INV_TWO_28 = 2 ** -28;

/**
 * Varint of hi · 2^28 + lo, a non-negative integer below 2^53 (hi < 2^25, lo < 2^28: both small
 * integers, so passing them never boxes a number).
 */
function varint53(b: Uint8Array, p: number, hi: number, lo: number): number {
  if (hi === 0) {
    while (lo >= 0x80) { b[p++] = (lo & 0x7f) | 0x80; lo >>>= 7; }
    b[p++] = lo;
    return p;
  }
  for (let i = 0; i < 4; i++) { b[p++] = (lo & 0x7f) | 0x80; lo >>>= 7; } // lo's 28 bits
  while (hi >= 0x80) { b[p++] = (hi & 0x7f) | 0x80; hi >>>= 7; }
  b[p++] = hi;
  return p;
}

/** Bytes of varint53(hi, lo). */
function size53(hi: number, lo: number): number {
  return hi === 0 ? varintSize(lo) : 4 + varintSize(hi);
}

/** A length-delimited field: its tag byte, the length, the bytes. */
function bytes(b: Uint8Array, p: number, tag: number, value: Uint8Array): number {
  b[p++] = tag;
  p = varint53(b, p, 0, value.length);
  b.set(value, p);
  return p + value.length;
}

export class BatchEncoder {
  /** Ticks in the batch being filled. */
  count = 0;
  /** performance.now() when the first tick of the open batch arrived. */
  openedAt = 0;
  private readonly buf: Uint8Array;
  private readonly view: DataView;
  private pos = HEAD_ROOM;
  private readonly names: Uint8Array[] = [];
  private readonly tenant: Uint8Array;

  constructor(readonly capacity: number, private readonly symbolNames: Uint8Array, tenantId: string) {
    this.tenant = new TextEncoder().encode(tenantId);
    const perTick = TICK_FIXED_MAX + 2 * (this.tenant.length + 2) + 40;
    this.buf = new Uint8Array(HEAD_ROOM + capacity * perTick + 64 + this.tenant.length);
    this.view = new DataView(this.buf.buffer);
  }

  get full(): boolean {
    return this.count >= this.capacity;
  }

  /** Moves up to `max` entries from `ring` into the open batch; returns how many it took. */
  takeFrom(ring: SpscRing, max: number): number {
    let n = ring.available();
    if (n > max) n = max;
    if (n > this.capacity - this.count) n = this.capacity - this.count;
    if (n <= 0) return 0;
    if (this.count === 0) this.openedAt = performance.now();
    const mask = ring.mask;
    const symbol = ring.i32[OUT_I32_SYMBOL];
    let seq = ring.readSequence;
    for (let i = 0; i < n; i++, seq++) {
      const s = seq & mask;
      const id = symbol[s];
      const name = this.names[id] ?? (this.names[id] = new TextEncoder().encode(readSymbolName(this.symbolNames, id)));
      // The slot, not its values: doubles passed to a call that is not inlined are boxed, which
      // allocated ~40 B a tick (bench:codec, JS heap per batch).
      this.writeTick(name, ring.f64, ring.i32, s);
    }
    this.count += n;
    ring.release(n);
    return n;
  }

  /** Encodes the open batch as batch `sequence`, sealed at `nowMs` (UTC), and empties it. */
  seal(sequence: number, nowMs: number = Date.now()): Uint8Array {
    // MarketDataStream's fields after the ticks.
    this.bytesField(4, SOURCE);
    this.varintField(5, sequence);
    this.varintField(6, Math.floor(nowMs / 1000));
    this.varintField(7, nowMs);
    if (this.tenant.length > 0) this.bytesField(8, this.tenant);
    const end = this.pos;
    const mdLen = end - HEAD_ROOM;
    // Envelope header, right-aligned against the ticks: 0x08 0x01 (protocol_version 1), 0x52 len.
    let start = HEAD_ROOM - varintSize(mdLen) - 3;
    const b = this.buf;
    b[start] = 0x08;
    b[start + 1] = 1;
    b[start + 2] = 0x52;
    this.pos = start + 3;
    this.varint(mdLen);
    const bytes = b.slice(start, end);
    this.pos = HEAD_ROOM;
    this.count = 0;
    start = 0;
    return bytes;
  }

  /**
   * Encodes full batches of made-up ticks, through a ring of its own, so that the encoder is
   * compiled before real ticks wait on it (cold code made the first batches of a run take tens of
   * milliseconds). Leaves the batch empty.
   */
  warmUp(rounds: number): void {
    this.names[WARM_UP_ID] = WARM_UP_NAME;
    warmUpEncoder(this, rounds);
  }

  /**
   * One TickData, straight from the ring slot. Written without calls that take a double: V8
   * inlines only some of a large function's helper calls, and a double passed to one it does not
   * inline is boxed (an allocation). Doubles are written here with DataView; integers that may
   * exceed 2^30 reach the varint helpers as hi · 2^28 + lo, two small integers.
   */
  private writeTick(name: Uint8Array, f64: Float64Array[], i32: Int32Array[], slot: number): void {
    const bid = f64[OUT_F64_BID][slot];
    const ask = f64[OUT_F64_ASK][slot];
    const last = f64[OUT_F64_LAST][slot];
    const volume = f64[OUT_F64_VOLUME][slot];
    const timeMsc = f64[OUT_F64_TIME_MSC][slot];
    const flags = i32[OUT_I32_FLAGS][slot];
    const volumeReal = f64[OUT_F64_VOLUME_REAL][slot];
    const sequence = f64[OUT_F64_SEQ][slot];
    const recvMs = f64[OUT_F64_RECV_MS][slot];
    const quality = i32[OUT_I32_QUALITY][slot];
    // Size of the nested TechnicalIndicators: 9 bytes per indicator with a value.
    let indLen = 0;
    for (let k = 0; k < INDICATOR_COUNT; k++) { const v = f64[OUT_F64_IND0 + k][slot]; if (v === v) indLen += 9; }
    const time = Math.floor(timeMsc / 1000);
    const spread = ask - bid;
    const volHi = Math.floor(volume * INV_TWO_28);
    const volLo = volume - volHi * TWO_28;
    const timeHi = Math.floor(time * INV_TWO_28);
    const timeLo = time - timeHi * TWO_28;
    const mscHi = Math.floor(timeMsc * INV_TWO_28);
    const mscLo = timeMsc - mscHi * TWO_28;
    const seqHi = Math.floor(sequence * INV_TWO_28);
    const seqLo = sequence - seqHi * TWO_28;
    const tenantLen = this.tenant.length;
    const len = (name.length > 0 ? 1 + varintSize(name.length) + name.length : 0)
      + (bid !== 0 || Object.is(bid, -0) ? 9 : 0) + (ask !== 0 || Object.is(ask, -0) ? 9 : 0) + (last !== 0 || Object.is(last, -0) ? 9 : 0)
      + (volume !== 0 ? 1 + size53(volHi, volLo) : 0) + (time !== 0 ? 1 + size53(timeHi, timeLo) : 0)
      + (timeMsc !== 0 ? 1 + size53(mscHi, mscLo) : 0) + (flags !== 0 ? 1 + varintSize(flags) : 0)
      + (volumeReal !== 0 || Object.is(volumeReal, -0) ? 9 : 0)
      + (tenantLen > 0 ? 1 + varintSize(tenantLen) + tenantLen : 0)
      + (sequence !== 0 ? 1 + size53(seqHi, seqLo) : 0) + 2 + SOURCE.length
      + (spread !== 0 || Object.is(spread, -0) ? 9 : 0) + 1 + varintSize(indLen) + indLen
      + (recvMs !== 0 || Object.is(recvMs, -0) ? 9 : 0) + (quality !== 0 ? 2 + varintSize(quality) : 0);
    const b = this.buf;
    const view = this.view;
    let p = this.pos;
    b[p++] = 0x0a; // MarketDataStream.ticks (1, bytes)
    p = varint53(b, p, 0, len);
    if (name.length > 0) p = bytes(b, p, 0x0a, name); // 1 symbol
    // proto3: a double field is written unless it is +0 (the default)
    if (bid !== 0 || Object.is(bid, -0)) { b[p] = 0x11; view.setFloat64(p + 1, bid, true); p += 9; } // 2 bid
    if (ask !== 0 || Object.is(ask, -0)) { b[p] = 0x19; view.setFloat64(p + 1, ask, true); p += 9; } // 3 ask
    if (last !== 0 || Object.is(last, -0)) { b[p] = 0x21; view.setFloat64(p + 1, last, true); p += 9; } // 4 last
    if (volume !== 0) { b[p++] = 0x28; p = varint53(b, p, volHi, volLo); } // 5 volume
    if (time !== 0) { b[p++] = 0x30; p = varint53(b, p, timeHi, timeLo); } // 6 time
    if (timeMsc !== 0) { b[p++] = 0x38; p = varint53(b, p, mscHi, mscLo); } // 7 time_msc
    if (flags !== 0) { b[p++] = 0x40; p = varint53(b, p, 0, flags); } // 8 flags
    if (volumeReal !== 0 || Object.is(volumeReal, -0)) { b[p] = 0x49; view.setFloat64(p + 1, volumeReal, true); p += 9; } // 9
    if (tenantLen > 0) p = bytes(b, p, 0x52, this.tenant); // 10 tenant_id
    if (sequence !== 0) { b[p++] = 0x58; p = varint53(b, p, seqHi, seqLo); } // 11 sequence_number
    p = bytes(b, p, 0x62, SOURCE); // 12 source
    if (spread !== 0 || Object.is(spread, -0)) { b[p] = 0x69; view.setFloat64(p + 1, spread, true); p += 9; } // 13 spread
    b[p++] = 0x72; // 14 indicators (bytes), always present like protobufjs writes it
    p = varint53(b, p, 0, indLen);
    if (indLen > 0) {
      for (let f = 0; f < INDICATOR_COUNT; f++) {
        const v = f64[OUT_F64_IND0 + INDICATOR_BY_FIELD[f]][slot];
        if (v !== v) continue; // NaN: not warmed up, field absent
        b[p] = ((f + 1) << 3) | 1;
        view.setFloat64(p + 1, v, true);
        p += 9;
      }
    }
    if (recvMs !== 0 || Object.is(recvMs, -0)) { b[p] = 0x79; view.setFloat64(p + 1, recvMs, true); p += 9; } // 15 received_at_ms
    if (quality !== 0) { b[p++] = 0x80; b[p++] = 0x01; p = varint53(b, p, 0, quality); } // 16 quality
    this.pos = p;
  }

  private varintField(field: number, v: number): void {
    if (v === 0) return;
    this.buf[this.pos++] = field << 3;
    this.varint(v);
  }

  private bytesField(field: number, bytes: Uint8Array): void {
    this.buf[this.pos++] = (field << 3) | 2;
    this.varint(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /**
   * Non-negative integers below 2^53 (times, counts, sequences). Integer operations only: double
   * `%` and `/` per 7-bit group made this writer ~4x slower (fmod calls in the profile).
   */
  private varint(v: number): void {
    const b = this.buf;
    let p = this.pos;
    if (v < 0x80000000) {
      let x = v | 0;
      while (x >= 0x80) { b[p++] = (x & 0x7f) | 0x80; x >>>= 7; }
      b[p++] = x;
    } else {
      let hi = Math.floor(v / 0x100000000);
      let lo = (v - hi * 0x100000000) >>> 0;
      // 4 full groups from the low word (28 bits), then the low word's last 4 bits with the high word.
      for (let i = 0; i < 4; i++) { b[p++] = (lo & 0x7f) | 0x80; lo >>>= 7; }
      let x = (lo | (hi << 4)) >>> 0;
      hi >>>= 28;
      while (x >= 0x80 || hi > 0) {
        b[p++] = (x & 0x7f) | 0x80;
        x = ((x >>> 7) | (hi << 25)) >>> 0;
        hi >>>= 7;
      }
      b[p++] = x;
    }
    this.pos = p;
  }
}
