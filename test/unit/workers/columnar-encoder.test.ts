/**
 * The columnar encoder (client) against the backend's independent columnar decoder and the
 * generated protobufjs decoder: every value of every tick comes back as the same double, through
 * every fallback the format has.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { ColumnarDecoder, type ColumnarBatch } from '../../../src/backend/columnar-decoder.js';
import { clientmt5 } from '../../../src/gen/clientmt5.js';
import { INDICATOR_COUNT, OUTPUT_RING_LAYOUT } from '../../../src/shared/ring-layout.js';
import { SpscRing } from '../../../src/shared/ring.js';
import { BatchEncoder } from '../../../src/workers/batch-encoder.js';
import { ColumnarEncoder, priceScaleOf } from '../../../src/workers/columnar-encoder.js';
import { ColumnarToRow, isColumnarFrame } from '../../../src/workers/columnar-transcoder.js';
import { publish, RealisticTicks, symbolTables, tickRow, type TickRow } from './ring-ticks.js';

const NAMES = ['EURUSD', 'USDJPY', 'XAUUSD'];
const POINTS = [0.00001, 0.001, 0.01];

function encode(rows: TickRow[], opts: { points?: readonly number[]; tenant?: string; table?: boolean; seq?: number } = {}): Uint8Array {
  const { names, table } = symbolTables(NAMES, opts.points ?? POINTS);
  const ring = SpscRing.create(1024, OUTPUT_RING_LAYOUT);
  publish(ring, rows);
  const enc = new ColumnarEncoder(1000, names, opts.tenant ?? '', opts.table === false ? undefined : table);
  expect(enc.takeFrom(ring, 1000)).toBe(rows.length);
  return enc.seal(opts.seq ?? 9, 1_767_225_601_002);
}

function decode(bytes: Uint8Array): ColumnarBatch {
  const d = new ColumnarDecoder();
  expect(d.decodeEnvelope(bytes)).toBe(1);
  return d.batch;
}

function generated(bytes: Uint8Array): clientmt5.v1.MarketDataColumns {
  const env = clientmt5.v1.Envelope.decode(bytes);
  expect(env.payload).toBe('market_data_columns');
  return env.market_data_columns as clientmt5.v1.MarketDataColumns;
}

/** Every field of every tick, bit for bit (Object.is: -0 and NaN included). */
function expectSameTicks(b: ColumnarBatch, rows: readonly TickRow[], names: readonly string[] = NAMES): void {
  expect(b.count).toBe(rows.length);
  rows.forEach((r, i) => {
    const got = [b.symbolOf(i), b.timeMsc[i], b.bid[i], b.ask[i], b.last[i], b.volume[i], b.volumeReal[i], b.receivedAtMs[i],
      b.sequenceNumber[i], b.flags[i], b.quality[i], ...b.indicators.map((c) => c[i])];
    const want = [names[r.symbol], r.timeMsc, r.bid, r.ask, r.last, r.volume, r.volumeReal, r.recv, r.seq, r.flags, r.quality, ...r.ind];
    got.forEach((v, k) => { if (!Object.is(v, want[k])) expect({ tick: i, field: k, got: v }).toEqual({ tick: i, field: k, got: want[k] }); });
  });
}

describe('ColumnarEncoder round trip', () => {
  test('realistic ticks of ten symbols come back exactly, prices as points, much smaller than the row form', () => {
    const source = new RealisticTicks(10, 5);
    source.next(2000); // past every indicator's warm-up
    const rows = source.next(1000);
    const names = source.profiles.map((p) => p.name);
    const { names: nameTable, table } = symbolTables(names, source.profiles.map((p) => p.point));
    const ring = SpscRing.create(2048, OUTPUT_RING_LAYOUT);
    publish(ring, rows);
    const enc = new ColumnarEncoder(1000, nameTable, 'tenant-a', table);
    expect(enc.takeFrom(ring, 1000)).toBe(1000);
    const frame = enc.seal(3);
    const b = decode(frame);
    expectSameTicks(b, rows, names);
    expect(b).toMatchObject({ batchSequence: 3, source: 'MT5', tenantId: 'tenant-a' });
    const md = generated(frame);
    expect(md.bid_points_delta).toHaveLength(1000);
    expect(md.ask_minus_bid_points).toHaveLength(1000);
    expect(md.bid ?? []).toHaveLength(0);
    expect(md.received_at_q12_delta).toHaveLength(1000);
    expect(md.price_scale).toEqual(md.symbols!.map((s) => (s.endsWith('JPY') ? 1000 : 100000)));
    const row = new BatchEncoder(1000, nameTable, 'tenant-a');
    publish(ring, rows);
    row.takeFrom(ring, 1000);
    expect(frame.length).toBeLessThan(row.seal(3).length * 0.65);
  });

  test('re-encoded as row, a columnar batch is byte for byte what the row encoder writes from the same ticks', () => {
    const source = new RealisticTicks(4, 9);
    const rows = source.next(300); // through the warm-up: indicators absent, then partly, then all present
    rows[10] = { ...rows[10], last: rows[10].bid, volume: 2 ** 40, volumeReal: 0.25 };
    const { names, table } = symbolTables(source.profiles.map((p) => p.name), source.profiles.map((p) => p.point));
    // Two lanes: the batch takes ring A's ticks, then ring B's (times and prices jump back).
    const a = SpscRing.create(512, OUTPUT_RING_LAYOUT);
    const b = SpscRing.create(512, OUTPUT_RING_LAYOUT);
    publish(a, rows.filter((r) => r.symbol % 2 === 0));
    publish(b, rows.filter((r) => r.symbol % 2 === 1));
    const columnar = new ColumnarEncoder(300, names, 'tenant-a', table);
    columnar.takeFrom(a, 300);
    columnar.takeFrom(b, 300);
    const frame = columnar.seal(12, 1_767_225_601_777);
    expect(isColumnarFrame(frame)).toBe(true);
    publish(a, rows.filter((r) => r.symbol % 2 === 0));
    publish(b, rows.filter((r) => r.symbol % 2 === 1));
    const rowEncoder = new BatchEncoder(300, names, 'tenant-a');
    rowEncoder.takeFrom(a, 300);
    rowEncoder.takeFrom(b, 300);
    const direct = rowEncoder.seal(12, 1_767_225_601_777);
    expect(isColumnarFrame(direct)).toBe(false);
    const transcoded = new ColumnarToRow(300, 'tenant-a').transcode(frame);
    expect(Buffer.from(transcoded).equals(Buffer.from(direct))).toBe(true);
  });

  test('re-encoding as row keeps the doubles fallbacks and absent indicators exactly (golden frame)', () => {
    const frame = new Uint8Array(readFileSync(new URL('../../fixtures/backend-link/market-data-columns-doubles.bin', import.meta.url)));
    const row = clientmt5.v1.Envelope.decode(new ColumnarToRow(8, '').transcode(frame)).market_data!;
    expect(row).toMatchObject({ batch_sequence: 8, batch_time_msc: 1767225601002, batch_time: 1767225601, source: 'MT5' });
    expect(row.ticks!.map((t) => [t.symbol, t.bid, t.ask, t.time_msc, t.sequence_number, t.received_at_ms, t.spread]))
      .toEqual([
        ['EURUSD', 1.08, 1.08012, 1767225600000, 5, 1767225600001.25, 1.08012 - 1.08],
        ['EURUSD', 1.080015, 1.08013, 1767225600001, 6, 1000000000.0000001, 1.08013 - 1.080015],
      ]);
    expect(row.ticks![0].indicators).toMatchObject({ sma_20: 1.0801, rsi: 61.25 });
    expect(row.ticks![0].indicators!.ema_12 ?? null).toBeNull();
    expect(row.ticks![1].indicators!.sma_20 ?? null).toBeNull();
  });

  test('a value that is not exact in points sends its column as doubles, for that batch only', () => {
    const rows = [
      tickRow({ symbol: 0, bid: 1.08001, ask: 1.08013, seq: 1 }),
      tickRow({ symbol: 1, bid: 155.123, ask: 155.135, seq: 1, last: 155.1235 }), // last has a 4th decimal: not in points
      tickRow({ symbol: 0, bid: 1.080015, ask: 1.08014, seq: 2 }), // a 6th decimal on a 5-digit symbol
    ];
    const frame = encode(rows);
    expectSameTicks(decode(frame), rows);
    const md = generated(frame);
    expect(md.bid).toEqual([1.08001, 155.123, 1.080015]);
    expect(md.ask).toEqual([1.08013, 155.135, 1.08014]);
    expect(md.bid_points_delta ?? []).toEqual([]);
    expect(md.last).toEqual([0, 155.1235, 0]);

    // The next batch is back to points.
    const next = [tickRow({ symbol: 0, bid: 1.08002, ask: 1.08014, seq: 3, last: 1.08003 })];
    const md2 = generated(encode(next));
    expect(md2.bid ?? []).toEqual([]);
    expect(md2.bid_points_delta).toEqual([108002]);
    expect(md2.ask_minus_bid_points).toEqual([12]);
    expect(md2.last_points_delta).toEqual([108003]);
  });

  test('received_at_ms outside the exact 1/4096 ms grid, -0, huge and unknown-point prices fall back to doubles', () => {
    const fine = 1_000_000_000.000_000_1; // < 2^40 ms: its fraction is finer than 1/4096
    const rows = [tickRow({ recv: fine, bid: -0, ask: 1e300 })];
    const frame = encode(rows);
    expectSameTicks(decode(frame), rows);
    const md = generated(frame);
    expect(md.received_at_ms).toEqual([fine]);
    expect(Object.is(md.bid![0], -0)).toBe(true);
    expect(md.ask).toEqual([1e300]);

    const unknownPoint = [tickRow({ symbol: 2, bid: 2650.55, ask: 2650.8 })];
    const md2 = generated(encode(unknownPoint, { points: [0.00001, 0.001, 0] }));
    expect(md2.price_scale ?? []).toEqual([]); // all 0: left out
    expect(md2.bid).toEqual([2650.55]);
    const md3 = generated(encode(unknownPoint, { table: false }));
    expect(md3.bid).toEqual([2650.55]);
    expectSameTicks(decode(encode(unknownPoint, { table: false })), unknownPoint);
  });

  test('negative deltas, symbols appearing mid-batch, and 64-bit varints', () => {
    const big = 2 ** 53 - 1;
    const rows = [
      tickRow({ symbol: 2, timeMsc: 1_767_225_600_500, bid: 2650.55, ask: 2650.8, seq: 41, volume: big }),
      tickRow({ symbol: 2, timeMsc: 1_767_225_600_400, bid: 2650.2, ask: 2650.31, seq: 42, volume: 2 ** 32 }), // time and price back
      tickRow({ symbol: 0, timeMsc: 0, bid: 1.08, ask: 1.08012, seq: big, volume: 127 }), // time to 0: -1.7e12
      tickRow({ symbol: 1, timeMsc: big, bid: 155.1, ask: 155.11, seq: 1, volume: 128 }), // then up to 2^53 - 1
      tickRow({ symbol: 0, timeMsc: 2 ** 31, bid: 1.07999, ask: 1.08, seq: 2 ** 31, recv: 2 ** 40, volume: 2 ** 31 }),
    ];
    const frame = encode(rows);
    const b = decode(frame);
    expectSameTicks(b, rows);
    expect(b.symbols).toEqual(['XAUUSD', 'EURUSD', 'USDJPY']); // in order of first appearance
    const md = generated(frame);
    expect(md.symbol_index).toEqual([0, 0, 1, 2, 1]);
    expect(md.time_msc_delta).toEqual([1_767_225_600_500, -100, -1_767_225_600_400, big, 2 ** 31 - big]);
    expect(md.bid_points_delta).toEqual([265055, -35, 108000, 155100, -1]);
    expect(md.sequence_number_delta).toEqual([41, 1, big, 1, 2 ** 31 - big]);
  });

  test('indicators: absent while warming up, present values only, none at all, and all-zero columns left out', () => {
    const some = new Array<number>(INDICATOR_COUNT).fill(Number.NaN);
    some[0] = 1.0801; // sma20
    some[6] = 61.25; // rsi14
    const all = Array.from({ length: INDICATOR_COUNT }, (_, k) => 1 + k / 8);
    const rows = [tickRow({ seq: 1 }), tickRow({ seq: 2, ind: some }), tickRow({ seq: 3, ind: all })];
    const frame = encode(rows);
    expectSameTicks(decode(frame), rows);
    const md = generated(frame);
    expect(md.indicators_absent).toEqual([0x1fff, 0x1fff & ~(1 << 0) & ~(1 << 6), 0]);
    expect(md.indicators!.sma_20).toEqual([1.0801, 1]);
    expect(md.indicators!.rsi).toEqual([61.25, 1 + 6 / 8]);
    expect(md.indicators!.macd_hist).toEqual([1 + 9 / 8]);
    // One symbol, no last, no volumes: those columns are left out (empty means all 0).
    for (const f of ['symbol_index', 'last', 'last_points_delta', 'volume', 'volume_real', 'received_at_ms'] as const) {
      expect(md[f] ?? [], f).toEqual([]);
    }

    const cold = [tickRow({ seq: 1 }), tickRow({ seq: 2 })];
    const coldFrame = encode(cold);
    expectSameTicks(decode(coldFrame), cold);
    expect(generated(coldFrame).indicators ?? null).toBeNull();
    expect(generated(coldFrame).indicators_absent).toEqual([0x1fff, 0x1fff]);
  });

  test('a batch is capped at its capacity; the symbol table starts afresh with every batch; an empty batch is valid', () => {
    const { names, table } = symbolTables(NAMES, POINTS);
    const ring = SpscRing.create(64, OUTPUT_RING_LAYOUT);
    const rows = Array.from({ length: 25 }, (_, i) => tickRow({ symbol: i < 10 ? 1 : 0, seq: i + 1, bid: 1.08 + i / 1e5, ask: 1.081 + i / 1e5 }));
    publish(ring, rows);
    const enc = new ColumnarEncoder(10, names, '', table);
    expect(enc.takeFrom(ring, 100)).toBe(10);
    expect(enc.full).toBe(true);
    expect(enc.takeFrom(ring, 100)).toBe(0);
    const batches: ColumnarBatch[] = [];
    const d = new ColumnarDecoder();
    for (let i = 0; i < 3; i++) {
      if (i > 0) enc.takeFrom(ring, 100);
      d.decodeEnvelope(enc.seal(i + 1));
      expect(d.batch.symbols).toEqual(i === 0 ? ['USDJPY'] : ['EURUSD']);
      batches.push(d.batch);
      expect(Array.from(d.batch.sequenceNumber.subarray(0, d.batch.count))).toEqual(rows.slice(i * 10, i * 10 + 10).map((r) => r.seq));
    }
    const empty = generated(enc.seal(4, 1_767_225_601_002));
    expect(empty).toMatchObject({ batch_sequence: 4, tick_count: 0, symbols: [] });
    expect(decode(enc.seal(5)).count).toBe(0);
  });

  test('warm-up leaves the encoder empty and able to encode real ticks', () => {
    const { names, table } = symbolTables(NAMES, POINTS);
    const enc = new ColumnarEncoder(100, names, '', table);
    enc.warmUp(3);
    expect(enc.count).toBe(0);
    const ring = SpscRing.create(16, OUTPUT_RING_LAYOUT);
    const rows = [tickRow({ symbol: 1, bid: 155.1, ask: 155.11 })];
    publish(ring, rows);
    enc.takeFrom(ring, 10);
    const b = decode(enc.seal(1));
    expectSameTicks(b, rows);
    expect(b.symbols).toEqual(['USDJPY']);
  });
});

describe('priceScaleOf', () => {
  test('1 / point when the point is the reciprocal of an integer, else 0 (prices then travel as doubles)', () => {
    expect([0.00001, 0.001, 0.01, 1, 0.25, 1e-8].map(priceScaleOf)).toEqual([100000, 1000, 100, 1, 4, 100000000]);
    expect([0, -0.01, Number.NaN, Infinity, 0.3, 10, 0.7].map(priceScaleOf)).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });
});
