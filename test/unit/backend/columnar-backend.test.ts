/**
 * The reference backend's side of the tick-encoding negotiation, and column-packed batches going
 * through the same checks as row ones (continuity, sequences, order, indicators recomputed).
 */
import { afterEach, describe, expect, test } from 'vitest';
import { startBackend, type BackendHandle, type BackendOptions } from '../../../src/backend/reference-backend.js';
import { ALL_BACKEND_ENCODINGS, DEFAULT_BACKEND_ENCODINGS, pickEncoding } from '../../../src/backend/negotiation.js';
import type { Envelope } from '../../../src/backend/wire.js';
import { ENCODING_SUBPROTOCOLS } from '../../../src/shared/config.js';
import { signJwt } from '../../../src/shared/jwt.js';
import { OUTPUT_RING_LAYOUT } from '../../../src/shared/ring-layout.js';
import { SpscRing } from '../../../src/shared/ring.js';
import { ColumnarEncoder, type IndicatorMode } from '../../../src/workers/columnar-encoder.js';
import { publish, RealisticTicks, symbolTables, type TickRow } from '../workers/ring-ticks.js';
import { TestClient } from './ws-client.js';

const SECRET = 'test-secret-0123456789';
const COLUMNAR = ENCODING_SUBPROTOCOLS.columnar;
const ROW = ENCODING_SUBPROTOCOLS.row;
const LATEST = ENCODING_SUBPROTOCOLS['columnar-latest'];
const token = (sub: string) => signJwt({ sub, exp: Math.floor(Date.now() / 1000) + 3600 }, SECRET);

let backend: BackendHandle | undefined;
const clients: TestClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await backend?.close();
  backend = undefined;
});

async function start(options: Partial<BackendOptions> = {}): Promise<BackendHandle> {
  backend = await startBackend({ port: 0, jwtSecret: SECRET, encodings: ALL_BACKEND_ENCODINGS, ...options });
  return backend;
}

async function connect(b: BackendHandle, protocols: string[], sub = 'client-a'): Promise<TestClient> {
  const c = await TestClient.connect(b.url, token(sub), undefined, protocols);
  clients.push(c);
  return c;
}

/** Encodes batches of realistic ticks (ten symbols, reference indicators) as the client does. */
class ColumnarSource {
  private readonly ticks = new RealisticTicks(10, 11);
  private readonly tables = symbolTables(this.ticks.profiles.map((p) => p.name), this.ticks.profiles.map((p) => p.point));
  private readonly ring = SpscRing.create(4096, OUTPUT_RING_LAYOUT);
  private readonly encoder: ColumnarEncoder;

  constructor(indicators: IndicatorMode = 'per-tick') {
    this.encoder = new ColumnarEncoder(2048, this.tables.names, '', this.tables.table, indicators);
  }

  batch(sequence: number, count: number, tamper?: (rows: TickRow[]) => void): Uint8Array {
    const rows = this.ticks.next(count);
    tamper?.(rows);
    publish(this.ring, rows);
    this.encoder.takeFrom(this.ring, count);
    return this.encoder.seal(sequence);
  }
}

async function send(c: TestClient, frame: Uint8Array): Promise<Envelope> {
  c.send(frame);
  return c.next();
}

describe('tick encoding negotiation (Sec-WebSocket-Protocol)', () => {
  test('the backend picks the first encoding of the offer it supports; no offer or no match is row', () => {
    expect(pickEncoding(`${COLUMNAR}, ${ROW}`, ['columnar', 'row'])).toEqual({ subprotocol: COLUMNAR, encoding: 'columnar' });
    expect(pickEncoding(`${ROW},${COLUMNAR}`, ['columnar', 'row'])).toEqual({ subprotocol: ROW, encoding: 'row' });
    expect(pickEncoding(`${COLUMNAR}, ${ROW}`, ['row'])).toEqual({ subprotocol: ROW, encoding: 'row' });
    expect(pickEncoding('', ['columnar', 'row'])).toEqual({ subprotocol: '', encoding: 'row' });
    expect(pickEncoding('mqtt, clientmt5.v2.columnar', ['columnar', 'row'])).toEqual({ subprotocol: '', encoding: 'row' });
    expect(pickEncoding(`${COLUMNAR}, ${ROW}`, [])).toEqual({ subprotocol: '', encoding: 'row' });
  });

  test('over a real upgrade: columnar when offered first, row when asked, none without an offer', async () => {
    const b = await start();
    const both = await connect(b, [COLUMNAR, ROW], 'a');
    const rowOnly = await connect(b, [ROW], 'b');
    const none = await connect(b, [], 'c');
    expect([both.protocol, rowOnly.protocol, none.protocol]).toEqual([COLUMNAR, ROW, '']);
    expect(b.encodings()).toEqual({ a: 'columnar', b: 'row', c: 'row' });
  });

  test('by default the reference backend negotiates all three encodings, in the order the client offers them', async () => {
    expect(DEFAULT_BACKEND_ENCODINGS).toEqual(['columnar', 'columnar-latest', 'row']);
    const b = await start({ encodings: undefined });
    expect((await connect(b, [COLUMNAR, LATEST, ROW], 'a')).protocol).toBe(COLUMNAR);
    expect((await connect(b, [LATEST], 'b')).protocol).toBe(LATEST);
    expect(b.encodings()).toEqual({ a: 'columnar', b: 'columnar-latest' });
  });

  test("columnar-latest: a backend that supports only it and row gets it from a client's auto offer", async () => {
    const auto = `${COLUMNAR}, ${LATEST}, ${ROW}`;
    expect(pickEncoding(auto, ['columnar-latest', 'row'])).toEqual({ subprotocol: LATEST, encoding: 'columnar-latest' });
    expect(pickEncoding(auto, ['row', 'columnar-latest'])).toEqual({ subprotocol: LATEST, encoding: 'columnar-latest' });
    expect(pickEncoding(auto, ALL_BACKEND_ENCODINGS)).toEqual({ subprotocol: COLUMNAR, encoding: 'columnar' });
    expect(pickEncoding(`${ROW}`, ['columnar-latest'])).toEqual({ subprotocol: '', encoding: 'row' });
    const b = await start({ encodings: ['columnar-latest', 'row'] });
    expect((await connect(b, [COLUMNAR, LATEST, ROW])).protocol).toBe(LATEST);
  });

  test('a backend limited to row answers row; one without subprotocols answers none (ws refuses that for an offer)', async () => {
    const rowBackend = await start({ encodings: ['row'] });
    expect((await connect(rowBackend, [COLUMNAR, ROW])).protocol).toBe(ROW);
    await rowBackend.close();
    const legacy = await start({ encodings: [] });
    await expect(TestClient.connect(legacy.url, token('x'), undefined, [COLUMNAR, ROW])).rejects.toThrow('Server sent no subprotocol');
    expect((await connect(legacy, [])).protocol).toBe('');
  });
});

describe('reference backend: column-packed batches', () => {
  test('acks them and verifies every tick and its indicators, as for row batches', async () => {
    const b = await start();
    const c = await connect(b, [COLUMNAR, ROW]);
    const source = new ColumnarSource();
    let total = 0;
    for (let seq = 1; seq <= 6; seq++) {
      const n = 100 * seq;
      total += n;
      const reply = await send(c, source.batch(seq, n));
      expect(reply.payload).toBe('ack');
      expect(reply.ack).toMatchObject({ batch_sequence: seq, ticks_received: total });
    }
    expect(b.stats()).toMatchObject({
      batches: 6, batches_columnar: 6, ticks_received: total, duplicates: 0, gaps: 0, out_of_order: 0, bad_frames: 0,
      indicator_checked: total, indicator_mismatches: 0,
    });
    expect(b.stats().latency_ms.count).toBe(total);
    // A resent batch is a duplicate, as in the row form.
    const again = source.batch(6, 10);
    expect((await send(c, again)).ack).toMatchObject({ batch_sequence: 6, duplicates_dropped: 10 });
    expect((await send(c, source.batch(9, 10))).error).toMatchObject({ code: 'BACKEND_SEQUENCE_GAP', batch_sequence: 9 });
  });

  test('counts an indicator value that disagrees with the reference', async () => {
    const b = await start();
    const c = await connect(b, [COLUMNAR]);
    const source = new ColumnarSource();
    await send(c, source.batch(1, 1000));
    await send(c, source.batch(2, 5, (rows) => { rows[3].ind[2] *= 1 + 1e-6; }));
    expect(b.stats().indicator_mismatches).toBe(1);
    expect(b.stats().mismatch_examples[0]).toMatchObject({ indicator: 'ema12' });
  });

  test('refuses a columnar batch on a link that negotiated row, and a malformed one, keeping the connection', async () => {
    const b = await start();
    const source = new ColumnarSource();
    const rowClient = await connect(b, [ROW], 'row-client');
    const refused = await send(rowClient, source.batch(1, 10));
    expect(refused.error).toMatchObject({ code: 'BACKEND_BAD_FRAME' });
    expect(refused.error?.message).toContain('did not negotiate clientmt5.v1.columnar');
    const colClient = await connect(b, [COLUMNAR], 'col-client');
    const good = source.batch(1, 10);
    const broken = good.slice(0, good.length - 5);
    const reply = await send(colClient, broken);
    expect(reply.error).toMatchObject({ code: 'BACKEND_BAD_FRAME' });
    expect(reply.error?.message).toMatch(/is not a clientmt5.v1.Envelope/);
    expect((await send(colClient, good)).ack).toMatchObject({ batch_sequence: 1, ticks_received: 10 });
    expect(b.stats()).toMatchObject({ bad_frames: 2, ticks_received: 10 });
  });
});

describe('reference backend: columnar-latest batches', () => {
  test("acks them and checks each symbol's latest indicators against its own at that symbol's last tick", async () => {
    const b = await start({ encodings: ['columnar-latest', 'row'] });
    const c = await connect(b, [COLUMNAR, LATEST, ROW]);
    expect(c.protocol).toBe(LATEST);
    const source = new ColumnarSource('latest');
    let total = 0;
    let checked = 0;
    for (let seq = 1; seq <= 6; seq++) {
      const n = 150 * seq;
      total += n;
      const reply = await send(c, source.batch(seq, n));
      expect(reply.ack).toMatchObject({ batch_sequence: seq, ticks_received: total });
      checked += 10; // ten symbols, each in every batch of 150 ticks or more
    }
    expect(b.stats()).toMatchObject({
      batches: 6, batches_columnar: 6, ticks_received: total, gaps: 0, bad_frames: 0,
      indicator_checked: checked, indicator_mismatches: 0, indicator_resets: 0,
    });
  });

  test('counts a latest value that disagrees, and ignores what an earlier tick of the batch had in the ring', async () => {
    const b = await start();
    const c = await connect(b, [LATEST]);
    const source = new ColumnarSource('latest');
    await send(c, source.batch(1, 1000));
    // Rows 0 and 1 are not their symbols' last in a 300-tick batch: their values never travel.
    await send(c, source.batch(2, 300, (rows) => { rows[0].ind[2] *= 1.01; rows[1].ind[6] = 0; }));
    expect(b.stats().indicator_mismatches).toBe(0);
    await send(c, source.batch(3, 300, (rows) => {
      const s = rows[299].symbol;
      rows[299].ind[2] *= 1 + 1e-6;
      expect(rows.findLastIndex((r) => r.symbol === s)).toBe(299);
    }));
    expect(b.stats().indicator_mismatches).toBe(1);
    expect(b.stats().mismatch_examples[0]).toMatchObject({ indicator: 'ema12' });
  });
});
