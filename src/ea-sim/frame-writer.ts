/**
 * Encoder of the EA link's binary tick frames (the layout of src/shared/protocol.ts and
 * docs/protocol.md): what the EA's StructToCharArray + header code produces, byte for byte. One
 * writer per connection, reused for every frame; nothing is allocated per tick.
 *
 *   begin(type, symbolId) ─► add(tick) x N ─► finish(capturedAtMs) ─► bytes valid until next begin
 */
import {
  BACKFILL_EXTRA_BYTES, FH_COUNT, FH_SYMBOL_ID, FH_TYPE, FH_VERSION, FRAME_HEADER_BYTES, FRAME_TICKS,
  FRAME_TICKS_BACKFILL, MAX_TICKS_PER_FRAME, MQLTICK_BYTES, MT_ASK, MT_BID, MT_FLAGS, MT_LAST, MT_TIME,
  MT_TIME_MSC, MT_VOLUME, MT_VOLUME_REAL, PROTOCOL_VERSION,
} from '../shared/protocol.js';

const TWO_POW_32 = 4294967296;

export class FrameWriter {
  /** Most ticks one frame may carry (the welcome's max_ticks_per_frame). */
  readonly maxTicks: number;
  private readonly buffer: ArrayBuffer;
  private readonly view: DataView;
  private type = FRAME_TICKS;
  private recordsOffset = FRAME_HEADER_BYTES;
  private count = 0;

  constructor(maxTicks: number = MAX_TICKS_PER_FRAME) {
    if (!Number.isInteger(maxTicks) || maxTicks < 1 || maxTicks > MAX_TICKS_PER_FRAME) {
      throw new RangeError(`maxTicks must be an integer from 1 to ${MAX_TICKS_PER_FRAME}, got ${maxTicks}`);
    }
    this.maxTicks = maxTicks;
    this.buffer = new ArrayBuffer(FRAME_HEADER_BYTES + BACKFILL_EXTRA_BYTES + maxTicks * MQLTICK_BYTES);
    this.view = new DataView(this.buffer);
  }

  /** Ticks added to the current frame. */
  get ticks(): number {
    return this.count;
  }

  get full(): boolean {
    return this.count === this.maxTicks;
  }

  /** Starts a frame of `type` (FRAME_TICKS or FRAME_TICKS_BACKFILL) for `symbolId` (u16). */
  begin(type: number, symbolId: number): void {
    const view = this.view;
    this.type = type;
    view.setUint8(FH_TYPE, type);
    view.setUint8(FH_VERSION, PROTOCOL_VERSION);
    view.setUint16(FH_SYMBOL_ID, symbolId, true);
    this.recordsOffset = type === FRAME_TICKS_BACKFILL ? FRAME_HEADER_BYTES + BACKFILL_EXTRA_BYTES : FRAME_HEADER_BYTES;
    this.count = 0;
  }

  /**
   * Appends one MqlTick record. `timeMsc` is on the broker's server clock; the record's `time`
   * (seconds) is derived from it as MQL5 does. `flags` is written as the raw u32 it was given.
   * The caller keeps count within maxTicks (see `full`).
   */
  add(timeMsc: number, bid: number, ask: number, last: number, volume: number, flags: number, volumeReal: number): void {
    const view = this.view;
    const p = this.recordsOffset + this.count * MQLTICK_BYTES;
    setInt64(view, p + MT_TIME, Math.floor(timeMsc / 1000));
    view.setFloat64(p + MT_BID, bid, true);
    view.setFloat64(p + MT_ASK, ask, true);
    view.setFloat64(p + MT_LAST, last, true);
    setInt64(view, p + MT_VOLUME, volume); // u64 on the wire; the same two halves for values >= 0
    setInt64(view, p + MT_TIME_MSC, timeMsc);
    view.setUint32(p + MT_FLAGS, flags >>> 0, true);
    view.setFloat64(p + MT_VOLUME_REAL, volumeReal, true);
    this.count++;
  }

  /**
   * Completes the frame and returns its bytes: a view of the writer's own buffer, valid until the
   * next begin(). `capturedAtMs` (UTC) is required for FRAME_TICKS_BACKFILL and ignored otherwise.
   */
  finish(capturedAtMs = Number.NaN): Uint8Array {
    const view = this.view;
    view.setUint32(FH_COUNT, this.count, true);
    if (this.type === FRAME_TICKS_BACKFILL) view.setFloat64(FRAME_HEADER_BYTES, capturedAtMs, true);
    return new Uint8Array(this.buffer, 0, this.recordsOffset + this.count * MQLTICK_BYTES);
  }
}

/** Writes an integral number (|v| < 2^53) as a little-endian two's-complement 64-bit integer. */
function setInt64(view: DataView, offset: number, v: number): void {
  const hi = Math.floor(v / TWO_POW_32);
  view.setUint32(offset, v - hi * TWO_POW_32, true);
  view.setInt32(offset + 4, hi, true);
}
