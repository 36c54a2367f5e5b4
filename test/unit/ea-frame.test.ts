// The bridge's FrameReader against the golden EA link frames (test/fixtures/ea-link/README.md):
// exact values into an input ring, the server offset removed, flags masked, and every malformed
// frame refused with its documented error.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FrameReader } from '../../src/main/ea-frame.js';
import { FRAME_TICKS, FRAME_TICKS_BACKFILL } from '../../src/shared/protocol.js';
import { SpscRing } from '../../src/shared/ring.js';
import {
  IN_F64_ASK, IN_F64_BID, IN_F64_CAPTURED_MS, IN_F64_LAST, IN_F64_RECV_MS, IN_F64_TIME_MSC, IN_F64_VOLUME,
  IN_F64_VOLUME_REAL, IN_I32_FLAGS, IN_I32_SYMBOL, INPUT_RING_LAYOUT,
} from '../../src/shared/ring-layout.js';

const FIXTURES = new URL('../fixtures/ea-link/', import.meta.url);
const OFFSET_MS = 7200 * 1000;
const RECV_MS = 1718006403000.625;

function fixture(name: string): ArrayBuffer {
  const b = readFileSync(new URL(name, FIXTURES));
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

interface Row {
  time: number; bid: number; ask: number; last: number; volume: number; volumeReal: number;
  flags: number; symbol: number; recv: number; captured: number;
}

/** Parses `name`, writes it into `ring` and publishes; returns the rows as the worker will read them. */
function ingest(ring: SpscRing, reader: FrameReader, name: string): Row[] {
  expect(reader.parse(fixture(name)), reader.error).toBe(true);
  const first = ring.cursor;
  reader.writeTo(ring, OFFSET_MS, RECV_MS);
  ring.publish(reader.count);
  const rows: Row[] = [];
  for (let i = 0; i < reader.count; i++) {
    const k = (first + i) & ring.mask;
    rows.push({
      time: ring.f64[IN_F64_TIME_MSC][k], bid: ring.f64[IN_F64_BID][k], ask: ring.f64[IN_F64_ASK][k],
      last: ring.f64[IN_F64_LAST][k], volume: ring.f64[IN_F64_VOLUME][k], volumeReal: ring.f64[IN_F64_VOLUME_REAL][k],
      flags: ring.i32[IN_I32_FLAGS][k], symbol: ring.i32[IN_I32_SYMBOL][k], recv: ring.f64[IN_F64_RECV_MS][k],
      captured: ring.f64[IN_F64_CAPTURED_MS][k],
    });
  }
  ring.release(reader.count); // stands in for the consumer
  return rows;
}

const row = (time: number, bid: number, ask: number, last: number, volume: number, flags: number, volumeReal: number,
  symbol: number, captured = RECV_MS): Row => ({ time, bid, ask, last, volume, volumeReal, flags, symbol, recv: RECV_MS, captured });

describe('FrameReader on the golden frames', () => {
  it('decodes a FRAME_TICKS frame to UTC times, masked flags and exact prices and volumes', () => {
    const reader = new FrameReader();
    const rows = ingest(SpscRing.create(8, INPUT_RING_LAYOUT), reader, 'ticks-eurusd-3.bin');
    expect(reader.type).toBe(FRAME_TICKS);
    expect(reader.symbolId).toBe(1);
    expect(reader.count).toBe(3);
    expect(reader.capturedAtMs).toBeNaN();
    expect(rows).toEqual([
      row(1718006400123, 1.07512, 1.07519, 0, 0, 0x06, 0, 1),
      row(1718006400123, 1.07512, 1.0752, 0, 0, 0x04, 0, 1), // 0x80000004: bit 31 masked away
      row(1718006401007, 1.07515, 1.07521, 1.07518, 6000000000, 0x1e, 6000000000.25, 1), // 0x11e masked
    ]);
  });

  it('judges a backfill frame by its captured_at_ms, not by the receipt time', () => {
    const reader = new FrameReader();
    const rows = ingest(SpscRing.create(8, INPUT_RING_LAYOUT), reader, 'backfill-eurusd-2.bin');
    expect(reader.type).toBe(FRAME_TICKS_BACKFILL);
    expect(reader.capturedAtMs).toBe(1718006402000.5);
    expect(rows).toEqual([
      row(1718006401500, 1.07516, 1.07522, 0, 0, 0x06, 0, 1, 1718006402000.5),
      row(1718006401999, 1.07517, 1.07522, 0, 0, 0x02, 0, 1, 1718006402000.5),
    ]);
  });

  it('reads the symbol id as a little-endian u16', () => {
    const reader = new FrameReader();
    const rows = ingest(SpscRing.create(8, INPUT_RING_LAYOUT), reader, 'ticks-usdjpy-1.bin');
    expect(reader.symbolId).toBe(258);
    expect(rows).toEqual([row(1718006402250, 157.123, 157.131, 0, 0, 0x06, 0, 258)]);
  });

  it('writes across the end of the ring and a live frame after a backfill one gets no stale captured time', () => {
    const ring = SpscRing.create(4, INPUT_RING_LAYOUT);
    const reader = new FrameReader();
    ingest(ring, reader, 'backfill-eurusd-2.bin');
    const rows = ingest(ring, reader, 'ticks-eurusd-3.bin'); // slots 2, 3, 0
    expect(rows.map((r) => r.time)).toEqual([1718006400123, 1718006400123, 1718006401007]);
    expect(rows.map((r) => r.captured)).toEqual([RECV_MS, RECV_MS, RECV_MS]);
  });

  const malformed: Array<[string, string]> = [
    ['bad-truncated-record.bin', 'frame of 178 bytes for 3 ticks, expected 188 (60-byte MqlTick records)'],
    ['bad-count-mismatch.bin', 'frame of 188 bytes for 4 ticks, expected 248 (60-byte MqlTick records)'],
    ['bad-version.bin', 'frame protocol version 2, expected 1'],
    ['bad-unknown-type.bin', 'unknown frame type 3'],
    ['bad-zero-count.bin', 'tick count 0 outside 1..4096'],
    ['bad-too-many-ticks.bin', 'tick count 4097 outside 1..4096'],
    ['bad-short-header.bin', 'frame of 6 bytes is shorter than the 8-byte header'],
    ['bad-backfill-no-captured.bin', 'backfill frame of 12 bytes has no captured_at_ms'],
  ];

  it.each(malformed)('refuses %s: %s', (name, error) => {
    const reader = new FrameReader();
    expect(reader.parse(fixture(name))).toBe(false);
    expect(reader.error).toBe(error);
  });

  it('reads a good frame after a bad one with the same reader (no state left behind)', () => {
    const reader = new FrameReader();
    const ring = SpscRing.create(8, INPUT_RING_LAYOUT);
    expect(reader.parse(fixture('bad-version.bin'))).toBe(false);
    expect(ingest(ring, reader, 'ticks-usdjpy-1.bin')).toHaveLength(1);
    expect(reader.error).toBe('');
  });
});
