/**
 * Binary tick frames from the EA (layout in src/shared/protocol.ts and docs/protocol.md).
 * One FrameReader is reused for every frame: nothing is allocated per tick (one DataView per frame,
 * since uWS hands each message over in a fresh ArrayBuffer).
 */
import {
  BACKFILL_EXTRA_BYTES, FH_COUNT, FH_SYMBOL_ID, FH_TYPE, FH_VERSION, FRAME_HEADER_BYTES, FRAME_TICKS,
  FRAME_TICKS_BACKFILL, MAX_TICKS_PER_FRAME, MQLTICK_BYTES, MT_ASK, MT_BID, MT_FLAGS, MT_LAST, MT_TIME_MSC,
  MT_VOLUME, MT_VOLUME_REAL, PROTOCOL_VERSION, TICK_FLAGS_MASK,
} from '../shared/protocol.js';
import {
  IN_F64_ASK, IN_F64_BID, IN_F64_CAPTURED_MS, IN_F64_CURSOR_COUNT, IN_F64_CURSOR_MSC, IN_F64_LAST, IN_F64_RECV_MS,
  IN_F64_TIME_MSC, IN_F64_VOLUME, IN_F64_VOLUME_REAL, IN_I32_FLAGS, IN_I32_SYMBOL,
} from '../shared/ring-layout.js';
import { MAX_SYMBOLS } from '../shared/lanes.js';
import type { SpscRing } from '../shared/ring.js';

/** Cursors of callers that do not keep them (tests, tools). */
const SCRATCH_CURSORS = new Float64Array(MAX_SYMBOLS * 2);

export class FrameReader {
  type = 0;
  symbolId = 0;
  count = 0;
  /** FRAME_TICKS_BACKFILL only: the terminal's UTC clock when the EA read the ticks; else NaN. */
  capturedAtMs = Number.NaN;
  /** Byte offset of the first MqlTick record. */
  recordsOffset = 0;
  /** Why the last parse failed (empty when it succeeded). */
  error = '';
  private view: DataView = new DataView(new ArrayBuffer(0));

  /**
   * Reads and checks the header of `frame`. Returns false with `error` set when the frame is
   * malformed; nothing of it may then be used.
   */
  parse(frame: ArrayBuffer): boolean {
    const len = frame.byteLength;
    if (len < FRAME_HEADER_BYTES) return this.fail(`frame of ${len} bytes is shorter than the ${FRAME_HEADER_BYTES}-byte header`);
    const view = new DataView(frame);
    this.view = view;
    this.type = view.getUint8(FH_TYPE);
    const version = view.getUint8(FH_VERSION);
    this.symbolId = view.getUint16(FH_SYMBOL_ID, true);
    this.count = view.getUint32(FH_COUNT, true);
    if (version !== PROTOCOL_VERSION) return this.fail(`frame protocol version ${version}, expected ${PROTOCOL_VERSION}`);
    let offset = FRAME_HEADER_BYTES;
    if (this.type === FRAME_TICKS) {
      this.capturedAtMs = Number.NaN;
    } else if (this.type === FRAME_TICKS_BACKFILL) {
      if (len < FRAME_HEADER_BYTES + BACKFILL_EXTRA_BYTES) return this.fail(`backfill frame of ${len} bytes has no captured_at_ms`);
      this.capturedAtMs = view.getFloat64(FRAME_HEADER_BYTES, true);
      if (!Number.isFinite(this.capturedAtMs) || this.capturedAtMs <= 0) {
        return this.fail(`backfill frame with captured_at_ms ${this.capturedAtMs}, expected a UTC time in ms`);
      }
      offset += BACKFILL_EXTRA_BYTES;
    } else {
      return this.fail(`unknown frame type ${this.type}`);
    }
    if (this.count === 0 || this.count > MAX_TICKS_PER_FRAME) {
      return this.fail(`tick count ${this.count} outside 1..${MAX_TICKS_PER_FRAME}`);
    }
    const expected = offset + this.count * MQLTICK_BYTES;
    if (len !== expected) {
      return this.fail(`frame of ${len} bytes for ${this.count} ticks, expected ${expected} (${MQLTICK_BYTES}-byte MqlTick records)`);
    }
    this.recordsOffset = offset;
    this.error = '';
    return true;
  }

  /**
   * Writes the frame's ticks into `ring` starting at its cursor (the caller checked claimable()
   * and publishes). Times move from the broker's server clock to UTC by `offsetMs`; flags are
   * masked to the documented bits. Each tick also carries the symbol's resume cursor just after it,
   * advanced in `cursors` (laid out as in advanceCursor) over the ticks in the order they enter
   * the ring — which, per symbol, is the order they were taken in.
   */
  writeTo(ring: SpscRing, offsetMs: number, recvMs: number, cursors: Float64Array = SCRATCH_CURSORS): void {
    const view = this.view;
    const mask = ring.mask;
    let seq = ring.cursor;
    const time = ring.f64[IN_F64_TIME_MSC];
    const bid = ring.f64[IN_F64_BID];
    const ask = ring.f64[IN_F64_ASK];
    const last = ring.f64[IN_F64_LAST];
    const volume = ring.f64[IN_F64_VOLUME];
    const volumeReal = ring.f64[IN_F64_VOLUME_REAL];
    const recv = ring.f64[IN_F64_RECV_MS];
    const captured = ring.f64[IN_F64_CAPTURED_MS];
    const symbol = ring.i32[IN_I32_SYMBOL];
    const flags = ring.i32[IN_I32_FLAGS];
    const cursorMsc = ring.f64[IN_F64_CURSOR_MSC];
    const cursorCount = ring.f64[IN_F64_CURSOR_COUNT];
    const c = this.symbolId * 2;
    let cursorTime = cursors[c];
    let cursorN = cursors[c + 1];
    const capturedMs = Number.isNaN(this.capturedAtMs) ? recvMs : this.capturedAtMs;
    const symbolId = this.symbolId;
    let p = this.recordsOffset;
    for (let i = 0; i < this.count; i++, p += MQLTICK_BYTES, seq++) {
      const slot = seq & mask;
      // u64/i64 fields read as two u32 halves: BigInt reads would allocate per tick.
      const serverMsc = view.getUint32(p + MT_TIME_MSC, true) + view.getInt32(p + MT_TIME_MSC + 4, true) * 4294967296;
      time[slot] = serverMsc - offsetMs;
      if (serverMsc > cursorTime) { cursorTime = serverMsc; cursorN = 1; } else cursorN++;
      cursorMsc[slot] = cursorTime;
      cursorCount[slot] = cursorN;
      bid[slot] = view.getFloat64(p + MT_BID, true);
      ask[slot] = view.getFloat64(p + MT_ASK, true);
      last[slot] = view.getFloat64(p + MT_LAST, true);
      volume[slot] = view.getUint32(p + MT_VOLUME, true) + view.getUint32(p + MT_VOLUME + 4, true) * 4294967296;
      volumeReal[slot] = view.getFloat64(p + MT_VOLUME_REAL, true);
      flags[slot] = view.getUint32(p + MT_FLAGS, true) & TICK_FLAGS_MASK;
      symbol[slot] = symbolId;
      recv[slot] = recvMs;
      captured[slot] = capturedMs;
    }
    cursors[c] = cursorTime;
    cursors[c + 1] = cursorN;
  }

  /**
   * Advances the symbol's resume cursor over this frame's ticks (server clock), as docs/protocol.md
   * defines it: a position in the EA's stream, `cursors[2 * id]` the running maximum of time_msc and
   * `cursors[2 * id + 1]` how many ticks the bridge took in at or before it since it last moved.
   */
  advanceCursor(cursors: Float64Array): void {
    const view = this.view;
    const c = this.symbolId * 2;
    let time = cursors[c];
    let count = cursors[c + 1];
    let p = this.recordsOffset + MT_TIME_MSC;
    for (let i = 0; i < this.count; i++, p += MQLTICK_BYTES) {
      const t = view.getUint32(p, true) + view.getInt32(p + 4, true) * 4294967296;
      if (t > time) { time = t; count = 1; } else count++;
    }
    cursors[c] = time;
    cursors[c + 1] = count;
  }

  /**
   * The frame's last tick as the symbol's current quote in `quotes` (4 doubles per symbol id: bid,
   * ask, UTC time, update count), unless it is older than the quote held or not a sane price.
   * One read per frame, nothing allocated.
   */
  readLastQuote(quotes: Float64Array, offsetMs: number): void {
    const p = this.recordsOffset + (this.count - 1) * MQLTICK_BYTES;
    const view = this.view;
    const bid = view.getFloat64(p + MT_BID, true);
    const ask = view.getFloat64(p + MT_ASK, true);
    if (!(bid > 0) || !(ask >= bid) || !Number.isFinite(ask)) return;
    const time = view.getUint32(p + MT_TIME_MSC, true) + view.getInt32(p + MT_TIME_MSC + 4, true) * 4294967296 - offsetMs;
    const b = this.symbolId * 4;
    if (time < quotes[b + 2]) return;
    quotes[b] = bid;
    quotes[b + 1] = ask;
    quotes[b + 2] = time;
    quotes[b + 3]++;
  }

  private fail(message: string): false {
    this.error = message;
    return false;
  }
}
