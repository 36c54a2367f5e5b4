/**
 * Encodes one spool record (layout in src/shared/spool-format.ts) into a reusable buffer: one
 * record per batch, so the buffer grows to the largest batch once and is then reused.
 */
import {
  CURSOR_ENTRY_BYTES, RECORD_FIXED_BYTES, RECORD_PREFIX_BYTES, recordChecksum, SEGMENT_VERSION,
} from '../../shared/spool-format.js';
import type { BatchCursor } from '../unacked-batches.js';

export class RecordWriter {
  private buf = new Uint8Array(64 * 1024);
  private view = new DataView(this.buf.buffer);
  /** Bytes of the last encoded record. */
  length = 0;
  /** Offset of the payload within the last encoded record. */
  payloadAt = 0;

  get bytes(): Uint8Array {
    return this.buf;
  }

  /** Encodes a record of `payload`; the result is `bytes[0, length)`. */
  encode(sequence: number, writtenAtMs: number, ticks: number, payload: Uint8Array, cursors: readonly BatchCursor[]): void {
    let cursorBytes = 0;
    for (const c of cursors) cursorBytes += CURSOR_ENTRY_BYTES + c.nameBytes.length;
    const bodyLength = RECORD_FIXED_BYTES + cursorBytes + payload.length;
    const total = RECORD_PREFIX_BYTES + bodyLength;
    if (total > this.buf.length) {
      this.buf = new Uint8Array(Math.max(total, this.buf.length * 2));
      this.view = new DataView(this.buf.buffer);
    }
    const b = this.buf;
    const v = this.view;
    const body = RECORD_PREFIX_BYTES;
    v.setUint32(0, bodyLength, true);
    v.setFloat64(body, sequence, true);
    v.setFloat64(body + 8, writtenAtMs, true);
    v.setUint32(body + 16, ticks, true);
    v.setUint16(body + 20, cursors.length, true);
    v.setUint16(body + 22, 0, true);
    let p = body + RECORD_FIXED_BYTES;
    for (const c of cursors) {
      const n = c.nameBytes.length;
      if (n > 255) throw new RangeError(`symbol name "${c.name}" is longer than 255 bytes`);
      b[p] = n;
      b.set(c.nameBytes, p + 1);
      p += 1 + n;
      v.setFloat64(p, c.timeMsc, true);
      v.setFloat64(p + 8, c.countAtMsc, true);
      v.setFloat64(p + 16, c.tickSequence, true);
      p += 24;
    }
    this.payloadAt = p;
    b.set(payload, p);
    v.setUint32(4, recordChecksum(SEGMENT_VERSION, b, body, total), true);
    this.length = total;
  }
}
