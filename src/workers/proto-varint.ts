/**
 * Protobuf varints written into a byte array at a position, returning the next position: the
 * building blocks of the hand-written columnar encoder. Values are JavaScript numbers holding
 * integers: unsigned ones below 2^64 (exactly as the double gives them), zigzag (sint64) ones with
 * |v| <= 2^53.
 *
 * Integer operations only on the common path: double `%` and `/` per 7-bit group made the row
 * writer ~4x slower (fmod calls in the profile, see batch-encoder.ts). Values of 2^31 and more go
 * through a (hi, lo) pair of 32-bit words.
 */
const TWO_32 = 4294967296;

/** Bytes of a varint for a non-negative integer below 2^53, by comparison (no division). */
export function varintSize(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  if (v < 0x800000000) return 5;
  if (v < 0x40000000000) return 6;
  if (v < 0x2000000000000) return 7;
  return 8;
}

/** A non-negative integer below 2^64. */
export function writeVarint(b: Uint8Array, p: number, v: number): number {
  if (v < 0x80) {
    b[p] = v;
    return p + 1;
  }
  if (v < 0x80000000) {
    let x = v | 0;
    while (x >= 0x80) { b[p++] = (x & 0x7f) | 0x80; x >>>= 7; }
    b[p++] = x;
    return p;
  }
  return writeVarintHiLo(b, p, Math.floor(v / TWO_32) >>> 0, v >>> 0);
}

/** The 64-bit value hi·2^32 + lo (both unsigned 32-bit). */
export function writeVarintHiLo(b: Uint8Array, p: number, hi: number, lo: number): number {
  while (hi !== 0 || lo >= 0x80) {
    b[p++] = (lo & 0x7f) | 0x80;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  b[p++] = lo;
  return p;
}

/** sint64: zigzag (0, -1, 1, -2, ... → 0, 1, 2, 3, ...) then varint; any integer with |d| <= 2^53. */
export function writeZigzag(b: Uint8Array, p: number, d: number): number {
  if (d >= 0) {
    if (d < 0x40) {
      b[p] = d << 1;
      return p + 1;
    }
    if (d < 0x40000000) return writeVarint(b, p, d * 2);
    const lo = d >>> 0;
    return writeVarintHiLo(b, p, ((Math.floor(d / TWO_32) << 1) | (lo >>> 31)) >>> 0, (lo << 1) >>> 0);
  }
  // -d - 1 is exact for |d| <= 2^53, and 2(-d - 1) + 1 is the zigzag value.
  const m = -d - 1;
  if (m < 0x40) {
    b[p] = (m << 1) | 1;
    return p + 1;
  }
  if (m < 0x40000000) return writeVarint(b, p, m * 2 + 1);
  const lo = m >>> 0;
  return writeVarintHiLo(b, p, ((Math.floor(m / TWO_32) << 1) | (lo >>> 31)) >>> 0, ((lo << 1) | 1) >>> 0);
}
