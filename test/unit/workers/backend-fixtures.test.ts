/**
 * The backend link's golden fixtures (test/fixtures/backend-link/*.bin, encoded by protoc from the
 * .txtpb beside them): the client's batch encoders (row and columnar) must produce exactly these
 * bytes, and the generated decoder and the backend's columnar decoder must read them back.
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
import { ColumnarDecoder } from '../../../src/backend/columnar-decoder.js';
import { encodeAck, encodeError } from '../../../src/backend/wire.js';
import { BatchEncoder } from '../../../src/workers/batch-encoder.js';
import { ColumnarEncoder } from '../../../src/workers/columnar-encoder.js';
import { publish as publishRows, symbolTables, tickRow, type TickRow } from './ring-ticks.js';

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

/** The ticks of market-data-columns.txtpb (see the table in it); symbol ids: EURUSD 0, USDJPY 3. */
const ALL_INDICATORS = [1.0801, 1.08005, 1.080125, 1.08008, 1.0801, 1.08, 61.25, 4.5e-5, 3e-5, 1.5e-5, 1.0805, 1.0801, 1.0797];
const COLUMNS_TICKS: TickRow[] = [
  tickRow({ symbol: 0, timeMsc: 1767225600123, bid: 1.08, ask: 1.08012, volume: 2 ** 40, volumeReal: 1.5, recv: 1767225600200.125, seq: 1, flags: 6, quality: 97 }),
  tickRow({ symbol: 3, timeMsc: 1767225600150, bid: 155.123, ask: 155.135, recv: 1767225600200.125, seq: 7, flags: 2, quality: 100 }),
  tickRow({ symbol: 0, timeMsc: 1767225601000, bid: 1.08004, ask: 1.08016, last: 1.08005, volume: 3, recv: 1767225601000.5, seq: 34, flags: 102, quality: 100, ind: ALL_INDICATORS }),
  tickRow({ symbol: 3, timeMsc: 1767225600990, bid: 155.12, ask: 155.134, recv: 1767225600995.75, seq: 8, flags: 6, quality: 99 }),
];

function sma20AndRsi(): number[] {
  const ind = new Array<number>(INDICATOR_COUNT).fill(Number.NaN);
  ind[0] = 1.0801;
  ind[6] = 61.25;
  return ind;
}

/** The ticks of market-data-columns-doubles.txtpb. */
const DOUBLES_TICKS: TickRow[] = [
  tickRow({ symbol: 0, timeMsc: 1767225600000, bid: 1.08, ask: 1.08012, recv: 1767225600001.25, seq: 5, ind: sma20AndRsi() }),
  tickRow({ symbol: 0, timeMsc: 1767225600001, bid: 1.080015, ask: 1.08013, recv: 1000000000.0000001, seq: 6 }),
];

function encodeColumns(rows: TickRow[], sequence: number, tenant: string): Uint8Array {
  const { names, table } = symbolTables(['EURUSD', 'GBPUSD', 'AUDUSD', 'USDJPY'], [0.00001, 0.00001, 0.00001, 0.001]);
  const ring = SpscRing.create(16, OUTPUT_RING_LAYOUT);
  publishRows(ring, rows);
  const encoder = new ColumnarEncoder(8, names, tenant, table);
  expect(encoder.takeFrom(ring, 8)).toBe(rows.length);
  return encoder.seal(sequence, 1767225601002);
}

describe('backend link golden fixtures: column-packed', () => {
  test('the columnar encoder writes market-data-columns.bin byte for byte (points, deltas, zigzag, presence)', () => {
    const bytes = encodeColumns(COLUMNS_TICKS, 7, 'tenant-a');
    expect(Buffer.from(bytes).toString('hex')).toBe(Buffer.from(fixture('market-data-columns.bin')).toString('hex'));
  });

  test('the columnar encoder writes market-data-columns-doubles.bin byte for byte (the doubles fallbacks)', () => {
    const bytes = encodeColumns(DOUBLES_TICKS, 8, '');
    expect(Buffer.from(bytes).toString('hex')).toBe(Buffer.from(fixture('market-data-columns-doubles.bin')).toString('hex'));
  });

  test("the backend's columnar decoder rebuilds every tick of both fixtures exactly", () => {
    const names = ['EURUSD', '', '', 'USDJPY'];
    for (const [file, rows, sequence, tenant] of [
      ['market-data-columns.bin', COLUMNS_TICKS, 7, 'tenant-a'], ['market-data-columns-doubles.bin', DOUBLES_TICKS, 8, ''],
    ] as const) {
      const d = new ColumnarDecoder();
      expect(d.decodeEnvelope(fixture(file))).toBe(1);
      const b = d.batch;
      expect(b).toMatchObject({ batchSequence: sequence, batchTimeMsc: 1767225601002, source: 'MT5', tenantId: tenant, count: rows.length });
      rows.forEach((r, i) => {
        expect([b.symbolOf(i), b.timeMsc[i], b.bid[i], b.ask[i], b.last[i], b.volume[i], b.volumeReal[i], b.receivedAtMs[i],
          b.sequenceNumber[i], b.flags[i], b.quality[i], ...b.indicators.map((c) => c[i])], `${file} tick ${i}`)
          .toEqual([names[r.symbol], r.timeMsc, r.bid, r.ask, r.last, r.volume, r.volumeReal, r.recv, r.seq, r.flags, r.quality, ...r.ind]);
      });
    }
  });

  test('the generated decoder reads the columnar fixtures', () => {
    const md = clientmt5.v1.Envelope.decode(fixture('market-data-columns.bin')).market_data_columns!;
    expect(md.tick_count).toBe(4);
    expect(md.symbols).toEqual(['EURUSD', 'USDJPY']);
    expect(md.received_at_q12_delta).toEqual([7238556058419712, 0, 3278336, -19456]);
    expect(md.indicators!.macd_hist).toEqual([1.5e-5]);
    const doubles = clientmt5.v1.Envelope.decode(fixture('market-data-columns-doubles.bin')).market_data_columns!;
    expect(doubles.bid).toEqual([1.08, 1.080015]);
    expect(doubles.received_at_ms).toEqual([1767225600001.25, 1000000000.0000001]);
  });
});

/** The ticks of market-data-columns-latest.txtpb; symbol ids: EURUSD 0, GBPUSD 1, USDJPY 3. */
const NOT_SENT = ALL_INDICATORS.map((v) => v + 1);
const LATEST_TICKS: TickRow[] = [
  tickRow({ symbol: 0, timeMsc: 1767225600123, bid: 1.08, ask: 1.08012, recv: 1767225600200.125, seq: 33, ind: NOT_SENT }),
  tickRow({ symbol: 3, timeMsc: 1767225600150, bid: 155.123, ask: 155.135, recv: 1767225600200.125, seq: 7 }),
  tickRow({ symbol: 0, timeMsc: 1767225601000, bid: 1.08004, ask: 1.08016, recv: 1767225601000.5, seq: 34, ind: ALL_INDICATORS }),
  tickRow({ symbol: 1, timeMsc: 1767225601000, bid: 1.2701, ask: 1.27025, recv: 1767225601000.5, seq: 1 }),
  tickRow({ symbol: 3, timeMsc: 1767225600990, bid: 155.12, ask: 155.134, recv: 1767225600995.75, seq: 8, ind: usdJpyLatest() }),
];

function usdJpyLatest(): number[] {
  const ind = new Array<number>(INDICATOR_COUNT).fill(Number.NaN);
  ind[0] = 155.1; // sma20
  ind[6] = 48.5; // rsi14
  return ind;
}

describe('backend link golden fixtures: columnar-latest', () => {
  test('the columnar encoder in latest mode writes market-data-columns-latest.bin byte for byte', () => {
    const { names, table } = symbolTables(['EURUSD', 'GBPUSD', 'AUDUSD', 'USDJPY'], [0.00001, 0.00001, 0.00001, 0.001]);
    const ring = SpscRing.create(16, OUTPUT_RING_LAYOUT);
    publishRows(ring, LATEST_TICKS);
    const encoder = new ColumnarEncoder(8, names, 'tenant-a', table, 'latest');
    expect(encoder.takeFrom(ring, 8)).toBe(LATEST_TICKS.length);
    const bytes = encoder.seal(9, 1767225601002);
    expect(Buffer.from(bytes).toString('hex')).toBe(Buffer.from(fixture('market-data-columns-latest.bin')).toString('hex'));
  });

  test("the backend's columnar decoder reads each symbol's latest indicators and puts them on its last tick only", () => {
    const d = new ColumnarDecoder();
    expect(d.decodeEnvelope(fixture('market-data-columns-latest.bin'))).toBe(1);
    const b = d.batch;
    expect(b).toMatchObject({ batchSequence: 9, count: 5, latest: true, symbols: ['EURUSD', 'USDJPY', 'GBPUSD'] });
    expect(Array.from(b.lastRow.subarray(0, 3))).toEqual([2, 4, 3]);
    const latestOf = (s: number) => b.latestIndicators.map((c) => c[s]);
    expect(latestOf(0)).toEqual(ALL_INDICATORS);
    expect(latestOf(1)).toEqual(usdJpyLatest());
    expect(latestOf(2)).toEqual(new Array<number>(INDICATOR_COUNT).fill(Number.NaN));
    LATEST_TICKS.forEach((r, i) => {
      const carried = b.carriesIndicators(i);
      expect(carried, `tick ${i}`).toBe(i >= 2);
      expect([b.timeMsc[i], b.bid[i], b.ask[i], b.sequenceNumber[i], b.receivedAtMs[i], ...b.indicators.map((c) => c[i])], `tick ${i}`)
        .toEqual([r.timeMsc, r.bid, r.ask, r.seq, r.recv, ...(carried ? r.ind : new Array<number>(INDICATOR_COUNT).fill(Number.NaN))]);
    });
  });

  test('the generated decoder reads the columnar-latest fixture', () => {
    const md = clientmt5.v1.Envelope.decode(fixture('market-data-columns-latest.bin')).market_data_columns!;
    expect(md.indicators_latest_absent).toEqual([0, 8126, 8191]);
    expect(md.indicators_latest!.rsi).toEqual([61.25, 48.5]);
    expect(md.indicators_absent).toEqual([]);
    expect(md.indicators ?? null).toBeNull();
  });
});
