/**
 * Protobuf wire reading for the hand-written decoders: varints (as numbers, or 64-bit as hi/lo
 * words), zigzag, doubles, strings, skipping unknown fields, and repeated scalar fields read
 * packed or unpacked (protobuf parsers must accept both) into growable Float64 columns.
 * Every read is bounded by `end`; running past it is a BACKEND_BAD_FRAME, never a wrong value.
 */
import { ClientMt5Error } from '../shared/errors.js';

const TWO_32 = 4294967296;
const TWO_31 = 2147483648;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export type RawKind = 'varint' | 'zigzag' | 'double';

if (new Uint8Array(new Float64Array([1]).buffer)[7] !== 0x3f) {
  throw new Error('wire reader: this platform is big-endian; protobuf doubles are little-endian');
}

/** The values of one repeated field as read, before any rebuilding. */
export class RawColumn {
  values = new Float64Array(64);
  /** The same memory as bytes: packed doubles are copied in with one memcpy. */
  bytes = new Uint8Array(this.values.buffer);
  length = 0;

  constructor(readonly kind: RawKind) {}

  reserve(total: number): void {
    if (total <= this.values.length) return;
    const grown = new Float64Array(Math.max(total, this.values.length * 2));
    grown.set(this.values.subarray(0, this.length));
    this.values = grown;
    this.bytes = new Uint8Array(grown.buffer);
  }
}

function truncated(at: number): ClientMt5Error {
  return new ClientMt5Error('BACKEND_BAD_FRAME', `a protobuf field is cut off at byte ${at}`);
}

export class WireReader {
  buf: Uint8Array = new Uint8Array(0);
  pos = 0;
  end = 0;
  /** The last varint64(): low and high 32 bits, unsigned. */
  lo = 0;
  hi = 0;
  private view: DataView = new DataView(this.buf.buffer);

  reset(buf: Uint8Array, start: number, end: number): void {
    if (buf !== this.buf) {
      this.buf = buf;
      this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    this.pos = start;
    this.end = end;
  }

  varint64(): void {
    const buf = this.buf;
    const end = this.end;
    let p = this.pos;
    if (p >= end) throw truncated(p);
    let b = buf[p++];
    if (b < 0x80) {
      this.lo = b;
      this.hi = 0;
      this.pos = p;
      return;
    }
    let lo = b & 0x7f;
    for (let shift = 7; shift < 28; shift += 7) {
      if (p >= end) throw truncated(p);
      b = buf[p++];
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.lo = lo >>> 0;
        this.hi = 0;
        this.pos = p;
        return;
      }
    }
    if (p >= end) throw truncated(p);
    b = buf[p++];
    lo |= (b & 0x0f) << 28;
    let hi = (b & 0x7f) >> 4;
    if (b >= 0x80) {
      for (let shift = 3; ; shift += 7) {
        if (shift > 31) throw new ClientMt5Error('BACKEND_BAD_FRAME', `a varint at byte ${this.pos} is longer than 10 bytes`);
        if (p >= end) throw truncated(p);
        b = buf[p++];
        hi |= (b & 0x7f) << shift;
        if (b < 0x80) break;
      }
    }
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
    this.pos = p;
  }

  /** uint32/int32 as protobuf reads them: the low 32 bits. */
  uint32(): number {
    this.varint64();
    return this.lo;
  }

  /** uint64/int64 as a number (exact below 2^53). */
  uint64(): number {
    this.varint64();
    return this.hi * TWO_32 + this.lo;
  }

  /** sint64 as a number (exact for |v| <= 2^53). */
  zigzag(): number {
    this.varint64();
    const m = this.hi * TWO_31 + (this.lo >>> 1);
    return (this.lo & 1) === 0 ? m : -m - 1;
  }

  double(): number {
    if (this.pos + 8 > this.end) throw truncated(this.pos);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  string(): string {
    const len = this.uint32();
    const start = this.pos;
    if (start + len > this.end) throw truncated(start);
    this.pos = start + len;
    try {
      return utf8.decode(this.buf.subarray(start, start + len));
    } catch {
      throw new ClientMt5Error('BACKEND_BAD_FRAME', `a string at byte ${start} is not valid UTF-8`);
    }
  }

  /** Skips a field's value by its wire type. */
  skip(wireType: number): void {
    if (wireType === 0) this.varint64();
    else if (wireType === 1) this.advance(8);
    else if (wireType === 2) this.advance(this.uint32());
    else if (wireType === 5) this.advance(4);
    else throw new ClientMt5Error('BACKEND_BAD_FRAME', `wire type ${wireType} at byte ${this.pos} is not supported (groups are not part of this protocol)`);
  }

  /** Appends a repeated scalar field's value(s): a packed run (wire type 2) or one unpacked value. */
  column(col: RawColumn, wireType: number, field: number, kind: RawKind = col.kind): void {
    if (wireType === 2) {
      const len = this.uint32();
      const end = this.pos + len;
      if (end > this.end) throw truncated(this.pos);
      if (kind === 'double') {
        if (len % 8 !== 0) throw new ClientMt5Error('BACKEND_BAD_FRAME', `packed doubles of field ${field}: ${len} bytes is not a multiple of 8`);
        col.reserve(col.length + len / 8);
        col.bytes.set(this.buf.subarray(this.pos, end), col.length * 8);
        col.length += len / 8;
        this.pos = end;
        return;
      }
      col.reserve(col.length + len); // every varint is at least one byte
      const outerEnd = this.end;
      this.end = end;
      const v = col.values;
      const buf = this.buf;
      let n = col.length;
      // One-byte varints (most entries: small deltas, flags, indexes) without a call.
      if (kind === 'zigzag') {
        while (this.pos < end) {
          const b = buf[this.pos];
          if (b < 0x80) { v[n++] = (b >>> 1) ^ -(b & 1); this.pos++; } else v[n++] = this.zigzag();
        }
      } else {
        while (this.pos < end) {
          const b = buf[this.pos];
          if (b < 0x80) { v[n++] = b; this.pos++; } else v[n++] = this.uint64();
        }
      }
      col.length = n;
      this.end = outerEnd;
    } else if (wireType === 1 && kind === 'double') {
      col.reserve(col.length + 1);
      col.values[col.length++] = this.double();
    } else if (wireType === 0 && kind !== 'double') {
      col.reserve(col.length + 1);
      col.values[col.length++] = kind === 'zigzag' ? this.zigzag() : this.uint64();
    } else {
      throw new ClientMt5Error('BACKEND_BAD_FRAME', `field ${field} came with wire type ${wireType}, which does not fit its type`);
    }
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) throw truncated(this.pos);
    this.pos += n;
  }
}
