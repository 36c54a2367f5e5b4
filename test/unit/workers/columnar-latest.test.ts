/**
 * The columnar-latest encoding ("clientmt5.v1.columnar-latest"): the columnar tick columns, and
 * each symbol's indicators once per batch, as at its last tick of the batch. Round trips through
 * the backend's decoder and the generated one, and the re-encoding as row for a row-only backend.
 */
import { describe, expect, test } from 'vitest';
import { ColumnarDecoder, type ColumnarBatch } from '../../../src/backend/columnar-decoder.js';
import { clientmt5 } from '../../../src/gen/clientmt5.js';
import { INDICATOR_COUNT, OUTPUT_RING_LAYOUT } from '../../../src/shared/ring-layout.js';
import { SpscRing } from '../../../src/shared/ring.js';
import { BatchEncoder, INDICATOR_FIELD_NUMBERS } from '../../../src/workers/batch-encoder.js';
import { ColumnarEncoder } from '../../../src/workers/columnar-encoder.js';
import { ColumnarToRow, isColumnarFrame } from '../../../src/workers/columnar-transcoder.js';
import { publish, RealisticTicks, symbolTables, type TickRow } from './ring-ticks.js';

const NONE = new Array<number>(INDICATOR_COUNT).fill(Number.NaN);

/** Batch row of each symbol's last tick, by symbol id. */
function lastRows(rows: readonly TickRow[]): Map<number, number> {
  const last = new Map<number, number>();
  rows.forEach((r, i) => last.set(r.symbol, i));
  return last;
}

/** The batch's ticks as a backend gets them: indicators only on each symbol's last tick. */
function asLatest(rows: readonly TickRow[]): TickRow[] {
  const last = lastRows(rows);
  return rows.map((r, i) => (last.get(r.symbol) === i ? r : { ...r, ind: NONE }));
}

function expectTicks(b: ColumnarBatch, rows: readonly TickRow[], names: readonly string[]): void {
  expect(b.count).toBe(rows.length);
  rows.forEach((r, i) => {
    const got = [b.symbolOf(i), b.timeMsc[i], b.bid[i], b.ask[i], b.last[i], b.volume[i], b.volumeReal[i], b.receivedAtMs[i],
      b.sequenceNumber[i], b.flags[i], b.quality[i], ...b.indicators.map((c) => c[i])];
    const want = [names[r.symbol], r.timeMsc, r.bid, r.ask, r.last, r.volume, r.volumeReal, r.recv, r.seq, r.flags, r.quality, ...r.ind];
    got.forEach((v, k) => { if (!Object.is(v, want[k])) expect({ tick: i, field: k, got: v }).toEqual({ tick: i, field: k, got: want[k] }); });
  });
}

/** Two lanes (even symbol ids, then odd), as the transport fills a batch. */
class TwoLanes {
  readonly source: RealisticTicks;
  readonly names: string[];
  readonly tables: { names: Uint8Array; table: Float64Array };
  // Small rings, so that batches wrap around their ends.
  readonly a = SpscRing.create(1024, OUTPUT_RING_LAYOUT);
  readonly b = SpscRing.create(1024, OUTPUT_RING_LAYOUT);

  constructor(symbols: number, seed: number) {
    this.source = new RealisticTicks(symbols, seed);
    this.names = this.source.profiles.map((p) => p.name);
    this.tables = symbolTables(this.names, this.source.profiles.map((p) => p.point));
  }

  /** Publishes `rows` in the two lanes; returns them in batch order (lane A's, then lane B's). */
  publish(rows: TickRow[]): TickRow[] {
    const even = rows.filter((r) => r.symbol % 2 === 0);
    const odd = rows.filter((r) => r.symbol % 2 === 1);
    publish(this.a, even);
    publish(this.b, odd);
    return [...even, ...odd];
  }

  take(encoder: { takeFrom(r: SpscRing, max: number): number }, n: number): void {
    encoder.takeFrom(this.a, n);
    encoder.takeFrom(this.b, n);
  }
}

describe('columnar-latest: encoder and decoder', () => {
  test("every symbol's latest values equal its per-tick values at its last row; absent bits right; ticks exact", () => {
    const lanes = new TwoLanes(10, 3);
    const encoder = new ColumnarEncoder(1000, lanes.tables.names, 'tenant-a', lanes.tables.table, 'latest');
    const decoder = new ColumnarDecoder();
    // Batches through the warm-up (absent, partly present, all present) and past ring ends.
    for (const [seq, n] of [[1, 200], [2, 1000], [3, 37], [4, 1000], [5, 700]] as const) {
      const batchRows = lanes.publish(lanes.source.next(n));
      lanes.take(encoder, n);
      const frame = encoder.seal(seq, 1_767_225_601_002 + seq);
      expect(isColumnarFrame(frame)).toBe(true);
      expect(decoder.decodeEnvelope(frame)).toBe(1);
      const b = decoder.batch;
      expect(b).toMatchObject({ batchSequence: seq, latest: true, tenantId: 'tenant-a' });
      expectTicks(b, asLatest(batchRows), lanes.names);
      // Per symbol: the latest values, and the absent bits the generated decoder sees.
      const md = clientmt5.v1.Envelope.decode(frame).market_data_columns!;
      expect(md.indicators_absent).toEqual([]);
      expect(md.indicators ?? null).toBeNull();
      expect(md.indicators_latest_absent).toHaveLength(b.symbols.length);
      const last = lastRows(batchRows);
      b.symbols.forEach((name, s) => {
        const row = batchRows[last.get(lanes.names.indexOf(name))!];
        expect(b.lastRow[s]).toBe(last.get(row.symbol));
        const got = b.latestIndicators.map((c) => c[s]);
        got.forEach((v, k) => expect(Object.is(v, row.ind[k]), `batch ${seq} ${name} indicator ${k}: ${v} vs ${row.ind[k]}`).toBe(true));
        let bits = 0;
        row.ind.forEach((v, k) => { if (Number.isNaN(v)) bits |= 1 << (INDICATOR_FIELD_NUMBERS[k] - 1); });
        expect(md.indicators_latest_absent![s], `batch ${seq} ${name}`).toBe(bits);
      });
      if (seq === 1) expect(md.indicators_latest_absent!.some((x) => x !== 0)).toBe(true); // still warming up
      if (seq >= 4) expect(md.indicators_latest_absent!.every((x) => x === 0)).toBe(true);
    }
  });

  test('1000 ticks of ten symbols with every indicator fit in 25 KB; the per-tick form needs ~112 KB', () => {
    const lanes = new TwoLanes(10, 5);
    lanes.source.next(2000); // past every indicator's warm-up
    const rows = lanes.source.next(1000);
    const latest = new ColumnarEncoder(1000, lanes.tables.names, '', lanes.tables.table, 'latest');
    const perTick = new ColumnarEncoder(1000, lanes.tables.names, '', lanes.tables.table);
    lanes.publish(rows);
    lanes.take(latest, 1000);
    const small = latest.seal(1);
    lanes.publish(rows);
    lanes.take(perTick, 1000);
    const big = perTick.seal(1);
    expect(small.length).toBeLessThan(25_000);
    expect(big.length).toBeGreaterThan(100_000);
    // The same ticks, and 10 symbols x 13 doubles of indicators: the difference is the per-tick ones.
    expect(big.length - small.length).toBeGreaterThan((1000 - 10) * INDICATOR_COUNT * 8);
  });

  test('a decoder refuses a columnar-latest batch that breaks its rules', () => {
    const lanes = new TwoLanes(2, 7);
    lanes.source.next(100);
    const encoder = new ColumnarEncoder(100, lanes.tables.names, '', lanes.tables.table, 'latest');
    lanes.publish(lanes.source.next(20));
    lanes.take(encoder, 20);
    const md = clientmt5.v1.Envelope.decode(encoder.seal(1)).market_data_columns!;
    const broken = (change: (m: clientmt5.v1.MarketDataColumns) => void) => {
      const m = clientmt5.v1.MarketDataColumns.decode(clientmt5.v1.MarketDataColumns.encode(md).finish());
      change(m);
      return clientmt5.v1.Envelope.encode({ protocol_version: 1, market_data_columns: m }).finish();
    };
    const decoder = new ColumnarDecoder();
    expect(() => decoder.decodeEnvelope(broken((m) => { m.indicators_latest_absent = [0]; })))
      .toThrow(/indicators_latest_absent has 1 entries for 2 symbols/);
    expect(() => decoder.decodeEnvelope(broken((m) => { m.indicators_absent = new Array<number>(20).fill(0); })))
      .toThrow(/indicators_absent in a columnar-latest batch/);
    expect(() => decoder.decodeEnvelope(broken((m) => { m.indicators_latest!.rsi = [50]; })))
      .toThrow(/indicators_latest field 7 has 1 values/);
    expect(decoder.decodeEnvelope(broken(() => {}))).toBe(1);
  });
});

describe('columnar-latest: re-encoded as row (failover to a row-only backend)', () => {
  test("byte for byte the row form of the same ticks with indicators only on each symbol's last tick of the batch", () => {
    const lanes = new TwoLanes(4, 9);
    const latest = new ColumnarEncoder(300, lanes.tables.names, 'tenant-a', lanes.tables.table, 'latest');
    const row = new BatchEncoder(300, lanes.tables.names, 'tenant-a');
    const transcoder = new ColumnarToRow(300, 'tenant-a');
    for (const [seq, n] of [[1, 40], [2, 300], [3, 300]] as const) {
      const rows = lanes.source.next(n);
      const batchRows = lanes.publish(rows);
      lanes.take(latest, n);
      const frame = latest.seal(seq, 1_767_225_601_777);
      // What the row encoder writes from the same ticks, indicators kept on each symbol's last tick only.
      const sparse = asLatest(batchRows);
      publish(lanes.a, sparse.filter((r) => r.symbol % 2 === 0));
      publish(lanes.b, sparse.filter((r) => r.symbol % 2 === 1));
      lanes.take(row, n);
      const direct = row.seal(seq, 1_767_225_601_777);
      expect(Buffer.from(transcoder.transcode(frame)).equals(Buffer.from(direct)), `batch ${seq}`).toBe(true);
      const ticks = clientmt5.v1.Envelope.decode(direct).market_data!.ticks!;
      const last = lastRows(batchRows);
      ticks.forEach((t, i) => {
        const carried = last.get(batchRows[i].symbol) === i;
        if (!carried) expect(t.indicators?.ema_12 ?? null).toBeNull();
      });
    }
  });
});
