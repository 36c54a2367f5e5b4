/**
 * The backend link's golden fixtures (test/fixtures/backend-link/*.bin, encoded by protoc from the
 * .txtpb beside them): the client's batch encoder must produce exactly these bytes, and the
 * generated decoder must read every one of them back.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { clientmt5 } from '../../../src/gen/clientmt5.js';
import { createSymbolNames, writeSymbolName } from '../../../src/shared/lanes.js';
import {
  INDICATOR_COUNT, OUT_F64_ASK, OUT_F64_BID, OUT_F64_IND0, OUT_F64_LAST, OUT_F64_RECV_MS, OUT_F64_SEQ,
  OUT_F64_TIME_MSC, OUT_F64_VOLUME, OUT_F64_VOLUME_REAL, OUT_I32_FLAGS, OUT_I32_QUALITY, OUT_I32_SYMBOL,
  OUTPUT_RING_LAYOUT,
} from '../../../src/shared/ring-layout.js';
import { SpscRing } from '../../../src/shared/ring.js';
import { encodeAck, encodeError } from '../../../src/backend/wire.js';
import { BatchEncoder } from '../../../src/workers/batch-encoder.js';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../../fixtures/backend-link/${name}`, import.meta.url)));

interface Row { bid: number; ask: number; last: number; volume: number; timeMsc: number; flags: number; volumeReal: number; seq: number; recv: number; quality: number; ind: number[] }

function publish(ring: SpscRing, r: Row): void {
  const slot = ring.cursor & ring.mask;
  ring.i32[OUT_I32_SYMBOL][slot] = 0;
  ring.i32[OUT_I32_FLAGS][slot] = r.flags;
  ring.i32[OUT_I32_QUALITY][slot] = r.quality;
  ring.f64[OUT_F64_TIME_MSC][slot] = r.timeMsc;
  ring.f64[OUT_F64_BID][slot] = r.bid;
  ring.f64[OUT_F64_ASK][slot] = r.ask;
  ring.f64[OUT_F64_LAST][slot] = r.last;
  ring.f64[OUT_F64_VOLUME][slot] = r.volume;
  ring.f64[OUT_F64_VOLUME_REAL][slot] = r.volumeReal;
  ring.f64[OUT_F64_RECV_MS][slot] = r.recv;
  ring.f64[OUT_F64_SEQ][slot] = r.seq;
  for (let k = 0; k < INDICATOR_COUNT; k++) ring.f64[OUT_F64_IND0 + k][slot] = r.ind[k];
  ring.publish(1);
}

describe('backend link golden fixtures', () => {
  test('the batch encoder writes market-data.bin byte for byte', () => {
    const names = createSymbolNames();
    writeSymbolName(names, 0, 'EURUSD');
    const ring = SpscRing.create(16, OUTPUT_RING_LAYOUT);
    publish(ring, {
      bid: 1.08, ask: 1.08012, last: 0, volume: 2 ** 40, timeMsc: 1767225600123, flags: 6, volumeReal: 1.5,
      seq: 1, recv: 1767225600200.125, quality: 97, ind: new Array<number>(INDICATOR_COUNT).fill(Number.NaN),
    });
    // INDICATOR_NAMES order: sma20 sma50 ema12 ema26 ema20 ema50 rsi14 macd signal hist bb_upper bb_middle bb_lower
    publish(ring, {
      bid: 1.08004, ask: 1.08016, last: 1.08005, volume: 3, timeMsc: 1767225601000, flags: 102, volumeReal: 0,
      seq: 34, recv: 1767225601000.5, quality: 100,
      ind: [1.0801, 1.08005, 1.080125, 1.08008, 1.0801, 1.08, 61.25, 4.5e-5, 3e-5, 1.5e-5, 1.0805, 1.0801, 1.0797],
    });
    const encoder = new BatchEncoder(2, names, 'tenant-a');
    expect(encoder.takeFrom(ring, 2)).toBe(2);
    const bytes = encoder.seal(7, 1767225601002);
    expect(Buffer.from(bytes).toString('hex')).toBe(Buffer.from(fixture('market-data.bin')).toString('hex'));
  });

  test('the reference backend writes ack.bin and gap-error.bin byte for byte', () => {
    expect(Buffer.from(encodeAck(7, 12345, 2)).equals(Buffer.from(fixture('ack.bin')))).toBe(true);
    expect(Buffer.from(encodeError('BACKEND_SEQUENCE_GAP', 'batch 9 after 7: batch 8 is missing', 9))
      .equals(Buffer.from(fixture('gap-error.bin')))).toBe(true);
  });

  test('the generated decoder reads every fixture', () => {
    const md = clientmt5.v1.Envelope.decode(fixture('market-data.bin')).market_data!;
    expect(md.batch_sequence).toBe(7);
    expect(md.ticks!.map((t) => t.sequence_number)).toEqual([1, 34]);
    expect(md.ticks![0].volume).toBe(2 ** 40);
    expect(md.ticks![1].indicators!.macd_hist).toBe(1.5e-5);
    expect(md.ticks![0].indicators!.rsi ?? null).toBeNull();
    const ack = clientmt5.v1.Envelope.decode(fixture('ack.bin'));
    expect(ack.payload).toBe('ack');
    expect(ack.ack).toMatchObject({ batch_sequence: 7, ticks_received: 12345, duplicates_dropped: 2 });
    const gap = clientmt5.v1.Envelope.decode(fixture('gap-error.bin'));
    expect(gap.error).toMatchObject({ code: 'BACKEND_SEQUENCE_GAP', batch_sequence: 9 });
  });
});
