import { describe, expect, test } from 'vitest';
import { clientmt5 } from '../../../src/gen/clientmt5.js';
import { createSymbolNames, writeSymbolName } from '../../../src/shared/lanes.js';
import {
  INDICATOR_COUNT, OUT_F64_ASK, OUT_F64_BID, OUT_F64_IND0, OUT_F64_LAST, OUT_F64_RECV_MS, OUT_F64_SEQ,
  OUT_F64_TIME_MSC, OUT_F64_VOLUME, OUT_F64_VOLUME_REAL, OUT_I32_FLAGS, OUT_I32_QUALITY, OUT_I32_SYMBOL,
  OUTPUT_RING_LAYOUT,
} from '../../../src/shared/ring-layout.js';
import { SpscRing } from '../../../src/shared/ring.js';
import { BatchEncoder, INDICATOR_PROTO_FIELDS } from '../../../src/workers/batch-encoder.js';

function publishTick(ring: SpscRing, i: number, symbol: number, warm: boolean): void {
  const slot = ring.cursor & ring.mask;
  ring.i32[OUT_I32_SYMBOL][slot] = symbol;
  ring.i32[OUT_I32_FLAGS][slot] = 6;
  ring.i32[OUT_I32_QUALITY][slot] = 97;
  ring.f64[OUT_F64_TIME_MSC][slot] = 1_767_225_600_123 + i;
  ring.f64[OUT_F64_BID][slot] = 1.08 + i * 1e-5;
  ring.f64[OUT_F64_ASK][slot] = 1.08012 + i * 1e-5;
  ring.f64[OUT_F64_LAST][slot] = 0;
  ring.f64[OUT_F64_VOLUME][slot] = 2 ** 40 + i; // beyond 32 bits: int64 must survive as a number
  ring.f64[OUT_F64_VOLUME_REAL][slot] = 1.5;
  ring.f64[OUT_F64_RECV_MS][slot] = 1_767_225_600_200.125;
  ring.f64[OUT_F64_SEQ][slot] = i + 1;
  for (let k = 0; k < INDICATOR_COUNT; k++) ring.f64[OUT_F64_IND0 + k][slot] = warm || k === 0 ? 1 + k / 7 + i : Number.NaN;
  ring.publish(1);
}

describe('BatchEncoder (Envelope{MarketDataStream} codec round trip)', () => {
  test('every field of every tick survives encode and decode; missing indicators stay absent', () => {
    const names = createSymbolNames();
    writeSymbolName(names, 0, 'EURUSD');
    writeSymbolName(names, 3, 'USDJPY');
    const ring = SpscRing.create(64, OUTPUT_RING_LAYOUT);
    for (let i = 0; i < 10; i++) publishTick(ring, i, i % 2 === 0 ? 0 : 3, i >= 5);
    const encoder = new BatchEncoder(100, names, 'tenant-a');
    expect(encoder.takeFrom(ring, 100)).toBe(10);
    expect(ring.available()).toBe(0);
    const bytes = encoder.seal(42);
    expect(encoder.count).toBe(0);

    const env = clientmt5.v1.Envelope.decode(bytes);
    expect(env.payload).toBe('market_data');
    const md = env.market_data!;
    expect(md.batch_sequence).toBe(42);
    expect(md.source).toBe('MT5');
    expect(md.tenant_id).toBe('tenant-a');
    expect(md.ticks).toHaveLength(10);
    md.ticks!.forEach((t, i) => {
      expect(t.symbol).toBe(i % 2 === 0 ? 'EURUSD' : 'USDJPY');
      expect(t.bid).toBe(1.08 + i * 1e-5);
      expect(t.ask).toBe(1.08012 + i * 1e-5);
      expect(t.spread).toBe(t.ask! - t.bid!);
      expect(t.time_msc).toBe(1_767_225_600_123 + i);
      expect(t.time).toBe(1_767_225_600);
      expect(t.volume).toBe(2 ** 40 + i);
      expect(typeof t.volume).toBe('number');
      expect(t.volume_real).toBe(1.5);
      expect(t.flags).toBe(6);
      expect(t.quality).toBe(97);
      expect(t.sequence_number).toBe(i + 1);
      expect(t.received_at_ms).toBe(1_767_225_600_200.125);
      const ind = t.indicators as Record<string, number | null | undefined>;
      INDICATOR_PROTO_FIELDS.forEach((f, k) => {
        if (i >= 5 || k === 0) expect(ind[f]).toBe(1 + k / 7 + i);
        else expect(Object.prototype.hasOwnProperty.call(ind, f) && ind[f] != null).toBe(false);
      });
    });
  });

  test('a batch is capped at its capacity and the rest stays in the ring for the next batch', () => {
    const names = createSymbolNames();
    writeSymbolName(names, 0, 'EURUSD');
    const ring = SpscRing.create(64, OUTPUT_RING_LAYOUT);
    for (let i = 0; i < 25; i++) publishTick(ring, i, 0, true);
    const encoder = new BatchEncoder(10, names, '');
    expect(encoder.takeFrom(ring, 100)).toBe(10);
    expect(encoder.full).toBe(true);
    expect(encoder.takeFrom(ring, 100)).toBe(0);
    const first = clientmt5.v1.Envelope.decode(encoder.seal(1)).market_data!.ticks!;
    expect(encoder.takeFrom(ring, 100)).toBe(10);
    const second = clientmt5.v1.Envelope.decode(encoder.seal(2)).market_data!.ticks!;
    expect(encoder.takeFrom(ring, 100)).toBe(5);
    const third = clientmt5.v1.Envelope.decode(encoder.seal(3)).market_data!.ticks!;
    const seqs = [...first, ...second, ...third].map((t) => t.sequence_number);
    expect(seqs).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
  });

  test('integers at every varint length boundary decode to the same number', () => {
    const names = createSymbolNames();
    writeSymbolName(names, 0, 'EURUSD');
    const values = [1, 127, 128, 16383, 16384, 2 ** 21, 2 ** 28 - 1, 2 ** 28, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32,
      2 ** 35, 2 ** 42 + 12345, 2 ** 49 - 1, 2 ** 49, 2 ** 53 - 1];
    const ring = SpscRing.create(64, OUTPUT_RING_LAYOUT);
    for (const v of values) {
      const slot = ring.cursor & ring.mask;
      ring.i32[OUT_I32_SYMBOL][slot] = 0;
      ring.f64[OUT_F64_VOLUME][slot] = v;
      ring.f64[OUT_F64_SEQ][slot] = v;
      ring.f64[OUT_F64_TIME_MSC][slot] = v;
      ring.f64[OUT_F64_BID][slot] = 1;
      ring.f64[OUT_F64_ASK][slot] = 1;
      for (let k = 0; k < INDICATOR_COUNT; k++) ring.f64[OUT_F64_IND0 + k][slot] = Number.NaN;
      ring.publish(1);
    }
    const encoder = new BatchEncoder(64, names, '');
    encoder.takeFrom(ring, 64);
    const ticks = clientmt5.v1.Envelope.decode(encoder.seal(2 ** 40)).market_data!.ticks!;
    expect(ticks.map((t) => t.volume)).toEqual(values);
    expect(ticks.map((t) => t.sequence_number)).toEqual(values);
    expect(ticks.map((t) => t.time_msc)).toEqual(values);
    expect(ticks.map((t) => t.time)).toEqual(values.map((v) => Math.floor(v / 1000)));
  });
});
