// The simulated EA's frame encoder writes the golden bytes of test/fixtures/ea-link/, and whatever
// it writes the bridge's FrameReader reads back exactly.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FrameWriter } from '../../../src/ea-sim/frame-writer.js';
import { FrameReader } from '../../../src/main/ea-frame.js';
import { FRAME_TICKS, FRAME_TICKS_BACKFILL } from '../../../src/shared/protocol.js';
import { SpscRing } from '../../../src/shared/ring.js';
import {
  IN_F64_ASK, IN_F64_BID, IN_F64_TIME_MSC, IN_F64_VOLUME, IN_I32_FLAGS, INPUT_RING_LAYOUT,
} from '../../../src/shared/ring-layout.js';

const FIXTURES = new URL('../../fixtures/ea-link/', import.meta.url);
const golden = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(name, FIXTURES)));

type Tick = [timeMsc: number, bid: number, ask: number, last: number, volume: number, flags: number, volumeReal: number];

// The values of test/fixtures/ea-link/README.md.
const EURUSD_3: Tick[] = [
  [1718013600123, 1.07512, 1.07519, 0, 0, 0x00000006, 0],
  [1718013600123, 1.07512, 1.0752, 0, 0, 0x80000004, 0],
  [1718013601007, 1.07515, 1.07521, 1.07518, 6000000000, 0x0000011e, 6000000000.25],
];
const EURUSD_BACKFILL_2: Tick[] = [
  [1718013601500, 1.07516, 1.07522, 0, 0, 0x00000006, 0],
  [1718013601999, 1.07517, 1.07522, 0, 0, 0x00000002, 0],
];
const USDJPY_1: Tick[] = [[1718013602250, 157.123, 157.131, 0, 0, 0x00000006, 0]];

function write(w: FrameWriter, type: number, symbolId: number, ticks: Tick[], capturedAtMs?: number): Uint8Array {
  w.begin(type, symbolId);
  for (const t of ticks) w.add(...t);
  return w.finish(capturedAtMs);
}

describe('FrameWriter', () => {
  it('writes the golden FRAME_TICKS and FRAME_TICKS_BACKFILL frames byte for byte', () => {
    const w = new FrameWriter();
    expect(write(w, FRAME_TICKS, 1, EURUSD_3)).toEqual(golden('ticks-eurusd-3.bin'));
    expect(write(w, FRAME_TICKS_BACKFILL, 1, EURUSD_BACKFILL_2, 1718006402000.5)).toEqual(golden('backfill-eurusd-2.bin'));
    expect(write(w, FRAME_TICKS, 258, USDJPY_1)).toEqual(golden('ticks-usdjpy-1.bin'));
  });

  it('leaves nothing of a longer earlier frame in a shorter later one (buffer reuse)', () => {
    const w = new FrameWriter(8);
    write(w, FRAME_TICKS_BACKFILL, 7, [...EURUSD_3, ...EURUSD_3], 1);
    expect(write(w, FRAME_TICKS, 1, EURUSD_3)).toEqual(golden('ticks-eurusd-3.bin'));
  });

  it('reports when a frame is full at the negotiated size', () => {
    const w = new FrameWriter(2);
    w.begin(FRAME_TICKS, 1);
    w.add(...EURUSD_3[0]);
    expect(w.full).toBe(false);
    w.add(...EURUSD_3[1]);
    expect(w.full).toBe(true);
    expect(() => new FrameWriter(4097)).toThrow(/maxTicks must be an integer from 1 to 4096/);
  });

  it('round-trips through the bridge reader for times before 1970 and after 2106, and u64 volumes up to 2^53', () => {
    const ticks: Tick[] = [
      [-1500, 1.1, 1.2, 0, 0, 6, 0], // MqlTick.time is floor(time_msc / 1000) = -2
      [4398046511104123, 0.5, 0.6, 0.55, 2 ** 53 - 1, 0xffffffff, 1e-9],
    ];
    const w = new FrameWriter();
    const bytes = write(w, FRAME_TICKS, 65535, ticks);
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    expect(view.getBigInt64(8, true)).toBe(-2n);
    expect(view.getBigInt64(8 + 60, true)).toBe(4398046511104n);
    const reader = new FrameReader();
    expect(reader.parse(bytes.slice().buffer), reader.error).toBe(true);
    expect(reader.symbolId).toBe(65535);
    const ring = SpscRing.create(4, INPUT_RING_LAYOUT);
    reader.writeTo(ring, 0, 0);
    expect(Array.from(ring.f64[IN_F64_TIME_MSC].subarray(0, 2))).toEqual([-1500, 4398046511104123]);
    expect(Array.from(ring.f64[IN_F64_BID].subarray(0, 2))).toEqual([1.1, 0.5]);
    expect(Array.from(ring.f64[IN_F64_ASK].subarray(0, 2))).toEqual([1.2, 0.6]);
    expect(Array.from(ring.f64[IN_F64_VOLUME].subarray(0, 2))).toEqual([0, 2 ** 53 - 1]);
    expect(Array.from(ring.i32[IN_I32_FLAGS].subarray(0, 2))).toEqual([6, 0x7e]);
  });
});
