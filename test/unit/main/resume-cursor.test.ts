/**
 * The resume cursor on its way from the socket thread into the pipeline: each tick in the input
 * ring carries the symbol's cursor just after it (what the spool stores per batch), and a symbol
 * an earlier run holds durably starts from that run's cursor and tick sequence.
 */
import { describe, expect, test } from 'vitest';
import { Ingest } from '../../../src/main/ingest.js';
import { SymbolRegistry } from '../../../src/main/symbol-registry.js';
import { parseConfig } from '../../../src/shared/config.js';
import { createSymbolNames, createSymbolTable, SYM_FIELDS, SYM_TICK_SEQUENCE_BASE } from '../../../src/shared/lanes.js';
import {
  FH_COUNT, FH_SYMBOL_ID, FH_TYPE, FH_VERSION, FRAME_HEADER_BYTES, FRAME_TICKS, MQLTICK_BYTES, MT_ASK, MT_BID, MT_TIME_MSC,
  PROTOCOL_VERSION, type EaSymbolSpec,
} from '../../../src/shared/protocol.js';
import { IN_F64_CURSOR_COUNT, IN_F64_CURSOR_MSC, IN_F64_TIME_MSC, INPUT_RING_LAYOUT } from '../../../src/shared/ring-layout.js';
import { SpscRing } from '../../../src/shared/ring.js';
import type { SpoolCursor } from '../../../src/shared/spool-format.js';

const config = parseConfig({ workers: 1, eaLink: { token: 'token-123456' }, backend: { endpoints: ['ws://127.0.0.1:1'], jwt: 'x' } });
const spec = (name: string): EaSymbolSpec => ({
  name, digits: 5, point: 0.00001, contract_size: 100000, volume_min: 0.01, volume_step: 0.01, volume_max: 100,
  stops_level: 0, freeze_level: 0, filling_modes: 1,
});

/** A FRAME_TICKS frame of `symbolId` with ticks at these server-clock times. */
function frame(symbolId: number, times: number[]): ArrayBuffer {
  const buf = new ArrayBuffer(FRAME_HEADER_BYTES + times.length * MQLTICK_BYTES);
  const v = new DataView(buf);
  v.setUint8(FH_TYPE, FRAME_TICKS);
  v.setUint8(FH_VERSION, PROTOCOL_VERSION);
  v.setUint16(FH_SYMBOL_ID, symbolId, true);
  v.setUint32(FH_COUNT, times.length, true);
  times.forEach((t, i) => {
    const p = FRAME_HEADER_BYTES + i * MQLTICK_BYTES;
    v.setBigInt64(p + MT_TIME_MSC, BigInt(t), true);
    v.setFloat64(p + MT_BID, 1.1, true);
    v.setFloat64(p + MT_ASK, 1.1001, true);
  });
  return buf;
}

function setup(durable: Map<string, SpoolCursor> = new Map()) {
  const table = createSymbolTable();
  const registry = new SymbolRegistry(config, table, createSymbolNames(), durable);
  const ring = SpscRing.create(64, INPUT_RING_LAYOUT);
  const ingest = new Ingest([ring], registry, { pause() {}, resume() {} });
  registry.onDefine = (e, d) => { if (d) ingest.seedCursor(e.id, { time_msc: d.timeMsc, count_at_msc: d.countAtMsc }); };
  return { table, registry, ring, ingest };
}

/** [time_msc, count_at_msc] carried by each published tick, in ring order. */
function carried(ring: SpscRing): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let s = ring.readSequence; s !== ring.cursor; s++) {
    const k = s & ring.mask;
    out.push([ring.f64[IN_F64_CURSOR_MSC][k], ring.f64[IN_F64_CURSOR_COUNT][k]]);
  }
  return out;
}

describe('resume cursors through the input ring', () => {
  test('each tick carries the cursor just after it, over every tick taken in, backwards ones included', () => {
    const { registry, ring, ingest } = setup();
    const eur = registry.define(spec('EURUSD'));
    const jpy = registry.define(spec('USDJPY'));
    expect(ingest.onFrame(frame(eur.id, [1000, 1000, 1001]), 7200_000, 1)).toBe('ok');
    expect(ingest.onFrame(frame(jpy.id, [5000]), 7200_000, 1)).toBe('ok');
    expect(ingest.onFrame(frame(eur.id, [999, 1001, 1002]), 7200_000, 1)).toBe('ok');
    expect(carried(ring)).toEqual([[1000, 1], [1000, 2], [1001, 1], [5000, 1], [1001, 2], [1001, 3], [1002, 1]]);
    // Times in the ring are UTC; cursors stay on the server clock (the EA feeds them to CopyTicks).
    expect(ring.f64[IN_F64_TIME_MSC][0]).toBe(1000 - 7200_000);
    expect(ingest.cursorOf(eur.id)).toEqual({ time_msc: 1002, count_at_msc: 1 });
    expect(ingest.cursorOf(jpy.id)).toEqual({ time_msc: 5000, count_at_msc: 1 });
  });

  test('a symbol an earlier run holds durably starts from its cursor and tick sequence; others from nothing', () => {
    const durable = new Map([['EURUSD', { timeMsc: 1000, countAtMsc: 2, tickSequence: 57 }]]);
    const { table, registry, ring, ingest } = setup(durable);
    const jpy = registry.define(spec('USDJPY'));
    const eur = registry.define(spec('EURUSD'));
    // What the first welcome carries.
    expect(ingest.cursorOf(eur.id)).toEqual({ time_msc: 1000, count_at_msc: 2 });
    expect(ingest.cursorOf(jpy.id)).toEqual({ time_msc: 0, count_at_msc: 0 });
    expect(table[eur.id * SYM_FIELDS + SYM_TICK_SEQUENCE_BASE]).toBe(57);
    expect(table[jpy.id * SYM_FIELDS + SYM_TICK_SEQUENCE_BASE]).toBe(0);
    // The EA's backfill from there continues the count.
    ingest.onFrame(frame(eur.id, [1000, 1001]), 0, 1);
    expect(carried(ring)).toEqual([[1000, 3], [1001, 1]]);
  });
});
