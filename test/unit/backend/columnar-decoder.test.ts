/**
 * The backend's columnar decoder as a protobuf parser must be: fields in any order, repeated
 * scalars packed or not, unknown fields skipped; and every rule of columns.proto enforced with a
 * BACKEND_BAD_FRAME that says what is wrong, never a wrong value.
 */
import $protobuf from 'protobufjs/minimal.js';
import { describe, expect, test } from 'vitest';
import { ColumnarDecoder, MAX_COLUMNAR_TICKS } from '../../../src/backend/columnar-decoder.js';
import { Envelope } from '../../../src/backend/wire.js';
import type { clientmt5 } from '../../../src/gen/clientmt5.js';
import { ClientMt5Error } from '../../../src/shared/errors.js';

type Columns = clientmt5.v1.MarketDataColumns.$Properties;

function frame(columns: Columns): Uint8Array {
  return Envelope.encode({ protocol_version: 1, market_data_columns: columns }).finish();
}

const BASE: Columns = {
  batch_sequence: 3, batch_time_msc: 1767225601002, source: 'MT5', tick_count: 2, symbols: ['EURUSD'], price_scale: [100000],
  time_msc_delta: [1767225600000, 5], sequence_number_delta: [1, 1], bid_points_delta: [108000, -2], ask_minus_bid_points: [12, 13],
  flags: [6, 2], quality: [100, 99], received_at_q12_delta: [4096 * 1767225600001, 4096], indicators_absent: [8191, 8191],
};

function badFrame(columns: Columns | Uint8Array): string {
  const d = new ColumnarDecoder();
  try {
    d.decodeEnvelope(columns instanceof Uint8Array ? columns : frame(columns));
  } catch (err) {
    expect(err).toBeInstanceOf(ClientMt5Error);
    expect((err as ClientMt5Error).code).toBe('BACKEND_BAD_FRAME');
    return (err as Error).message;
  }
  throw new Error('the frame was accepted');
}

describe('ColumnarDecoder', () => {
  test('decodes the base frame; another payload is left to the generated decoder (-1)', () => {
    const d = new ColumnarDecoder();
    expect(d.decodeEnvelope(frame(BASE))).toBe(1);
    const b = d.batch;
    expect([b.count, b.symbolOf(1), b.timeMsc[1], b.bid[1], b.ask[1], b.sequenceNumber[1], b.receivedAtMs[1], b.flags[1]])
      .toEqual([2, 'EURUSD', 1767225600005, 1.07998, 1.08011, 2, 1767225600002, 2]);
    expect(Number.isNaN(b.indicators[0][1])).toBe(true);
    expect(d.decodeEnvelope(Envelope.encode({ protocol_version: 1, ack: { batch_sequence: 1 } }).finish())).toBe(-1);
    expect(d.decodeEnvelope(Envelope.encode({ protocol_version: 1, market_data: { batch_sequence: 1 } }).finish())).toBe(-1);
    expect(d.decodeEnvelope(new Uint8Array(0))).toBe(-1);
  });

  test('reads fields in any order, unpacked repeated scalars, and skips unknown fields of every wire type', () => {
    // MarketDataColumns by hand: columns before the header, one value per field occurrence.
    const w = $protobuf.Writer.create();
    w.uint32((99 << 3) | 0).uint64(12345); // unknown varint
    w.uint32((9 << 3) | 0).sint64(1767225600000); // time_msc_delta, unpacked
    w.uint32((13 << 3) | 1).double(1.5); // bid, unpacked
    w.uint32((100 << 3) | 2).bytes(new Uint8Array([1, 2, 3])); // unknown bytes
    w.uint32((14 << 3) | 1).double(1.6); // ask
    w.uint32((101 << 3) | 5).fixed32(7); // unknown fixed32
    w.uint32((102 << 3) | 1).double(9); // unknown fixed64
    w.uint32((6 << 3) | 2).string('XAUUSD');
    w.uint32((5 << 3) | 0).uint32(1); // tick_count
    w.uint32((1 << 3) | 0).uint64(4); // batch_sequence
    w.uint32((24 << 3) | 2).fork().uint32((7 << 3) | 1).double(55).uint32((50 << 3) | 0).uint32(1).ldelim(); // rsi + unknown
    w.uint32((23 << 3) | 0).uint32(8191 & ~(1 << 6)); // indicators_absent: only rsi present
    const columns = w.finish();
    const env = $protobuf.Writer.create().uint32((1 << 3) | 0).uint32(1).uint32((22 << 3) | 2).bytes(columns).finish();
    const d = new ColumnarDecoder();
    expect(d.decodeEnvelope(env)).toBe(1);
    const b = d.batch;
    expect([b.batchSequence, b.count, b.symbolOf(0), b.timeMsc[0], b.bid[0], b.ask[0], b.indicators[6][0]])
      .toEqual([4, 1, 'XAUUSD', 1767225600000, 1.5, 1.6, 55]);
  });

  test('a decoder reused for a smaller batch gives only the new values', () => {
    const d = new ColumnarDecoder();
    const many = 300;
    d.decodeEnvelope(frame({ ...BASE, tick_count: many, time_msc_delta: new Array<number>(many).fill(1), sequence_number_delta: new Array<number>(many).fill(1),
      bid_points_delta: new Array<number>(many).fill(1), ask_minus_bid_points: [], flags: [], quality: [], received_at_q12_delta: [], indicators_absent: new Array<number>(many).fill(8191) }));
    expect(d.batch.count).toBe(many);
    expect(d.batch.sequenceNumber[many - 1]).toBe(many);
    d.decodeEnvelope(frame(BASE));
    expect(d.batch.count).toBe(2);
    expect(Array.from(d.batch.sequenceNumber.subarray(0, 2))).toEqual([1, 2]);
    expect(d.batch.symbols).toEqual(['EURUSD']);
  });

  test('refuses what breaks the column rules, saying what', () => {
    expect(badFrame({ ...BASE, quality: [100] })).toMatch(/column 20 has 1 entries for 2 ticks/);
    expect(badFrame({ ...BASE, symbol_index: [0, 1] })).toMatch(/tick 1 has symbol_index 1, beyond the 1 symbols/);
    expect(badFrame({ ...BASE, price_scale: [0] })).toMatch(/bid in points for EURUSD, whose price_scale is 0/);
    expect(badFrame({ ...BASE, price_scale: [100000, 1000] })).toMatch(/price_scale has 2 entries for 1 symbols/);
    expect(badFrame({ ...BASE, symbols: [], price_scale: [] })).toMatch(/2 ticks and an empty symbol table/);
    expect(badFrame({ ...BASE, bid_points_delta: [], ask_minus_bid_points: [], bid: [1, 2] })).toMatch(/both columns need every tick/);
    expect(badFrame({ ...BASE, indicators_absent: [8191, 0] })).toMatch(/indicators field 1 has 0 values, fewer than the ticks/);
    expect(badFrame({ ...BASE, indicators: { rsi: [50] } })).toMatch(/indicators field 7 has 1 values for 0 ticks/);
    expect(badFrame({ ...BASE, indicators_absent: [8192 | 8191, 8191] })).toMatch(/bits beyond the 13 indicators/);
    expect(badFrame({ ...BASE, tick_count: MAX_COLUMNAR_TICKS + 1 })).toMatch(/above this backend's limit/);
    const cut = Envelope.encode({ protocol_version: 1, market_data_columns: BASE }).finish();
    expect(new ColumnarDecoder().decodeEnvelope(cut.subarray(0, cut.length - 3))).toBe(-1); // not an Envelope: left to protobufjs
    const inner = $protobuf.Writer.create().uint32((1 << 3) | 0).uint32(1).uint32((22 << 3) | 2)
      .bytes(Envelope.encode({ market_data_columns: BASE }).finish().subarray(3, 40)).finish();
    expect(badFrame(inner)).toMatch(/cut off/);
    const wrongType = $protobuf.Writer.create().uint32((1 << 3) | 0).uint32(1).uint32((22 << 3) | 2)
      .bytes($protobuf.Writer.create().uint32((13 << 3) | 0).uint32(5).finish()).finish();
    expect(badFrame(wrongType)).toMatch(/field 13 came with wire type 0/);
    const badUtf8 = $protobuf.Writer.create().uint32((1 << 3) | 0).uint32(1).uint32((22 << 3) | 2)
      .bytes($protobuf.Writer.create().uint32((6 << 3) | 2).bytes(new Uint8Array([0xff, 0xfe])).finish()).finish();
    expect(badFrame(badUtf8)).toMatch(/not valid UTF-8/);
  });
});
