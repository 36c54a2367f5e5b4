import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { readRecordedFrames } from '../../../src/backend/frame-recorder.js';
import { startBackend, type BackendHandle } from '../../../src/backend/reference-backend.js';
import { Envelope } from '../../../src/backend/wire.js';
import { signJwt } from '../../../src/shared/jwt.js';
import { encodeBatch, encodeHeartbeat, TickSource, type TickProps } from './stream-builder.js';
import { TestClient, type Rejection } from './ws-client.js';

const SECRET = 'test-secret-0123456789';
const token = (sub: string, expInS = 3600, secret = SECRET) =>
  signJwt({ sub, exp: Math.floor(Date.now() / 1000) + expInS }, secret);

let dir: string;
let backend: BackendHandle | undefined;
const clients: TestClient[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'client-mt5-backend-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await backend?.close();
  backend = undefined;
});

async function start(recordPath?: string): Promise<BackendHandle> {
  backend = await startBackend({ port: 0, jwtSecret: SECRET, recordPath });
  return backend;
}

async function connect(b: BackendHandle, sub = 'client-a'): Promise<TestClient> {
  const c = await TestClient.connect(b.url, token(sub));
  clients.push(c);
  return c;
}

async function rejection(url: string, tok?: string, authorization?: string): Promise<Rejection> {
  return TestClient.connect(url, tok, authorization).then(
    () => { throw new Error('the upgrade was accepted'); },
    (r: Rejection) => r,
  );
}

/** Sends one batch and returns the backend's answer to it. */
async function sendBatch(c: TestClient, seq: number, ticks: TickProps[]): Promise<Envelope> {
  c.send(encodeBatch(seq, ticks));
  return c.next();
}

describe('reference backend: authentication', () => {
  test('refuses an upgrade without, with a malformed, a wrongly signed or an expired JWT (401 + reason)', async () => {
    const b = await start();
    expect(b.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/api\/v1\/ws\/mt5$/);
    const none = await rejection(b.url);
    expect(none.status).toBe(401);
    expect(none.body).toContain('missing "Authorization: Bearer <jwt>" header');
    expect((await rejection(b.url, undefined, 'Basic dXNlcjpwYXNz')).body).toContain('must be "Bearer <jwt>"');
    expect((await rejection(b.url, 'not-a-jwt')).body).toContain('malformed');
    const forged = await rejection(b.url, token('client-a', 3600, 'another-secret'));
    expect(forged.status).toBe(401);
    expect(forged.body).toContain('bad signature');
    expect((await rejection(b.url, token('client-a', -10))).body).toContain('expired');
    expect(b.stats().auth_rejected).toBe(5);
    expect(b.stats().connections_total).toBe(0);
  });

  test('accepts a valid JWT; its sub is the client identity', async () => {
    const b = await start();
    await connect(b, 'desk-7');
    expect(b.stats().connections).toBe(1);
    expect(Object.keys(b.stats().clients)).toEqual(['desk-7']);
  });
});

describe('reference backend: market data stream', () => {
  test('acks every batch cumulatively and verifies every tick and its indicators', async () => {
    const b = await start();
    const c = await connect(b);
    const source = new TickSource(['EURUSD', 'USDJPY'], 7);
    let total = 0;
    for (let seq = 1; seq <= 8; seq++) {
      const n = 10 + seq * 3;
      total += n;
      const reply = await sendBatch(c, seq, source.next(n));
      expect(reply.payload).toBe('ack');
      expect(reply.ack).toMatchObject({ batch_sequence: seq, ticks_received: total });
      expect(reply.ack?.duplicates_dropped ?? 0).toBe(0);
    }
    const s = b.stats();
    expect(s).toMatchObject({
      batches: 8, ticks_received: total, duplicates: 0, gaps: 0, out_of_order: 0, bad_frames: 0,
      indicator_checked: total, indicator_unverified: 0, indicator_mismatches: 0, last_acked_batch: 8,
    });
    expect(total).toBeGreaterThan(2 * 60); // past every indicator's warm-up on both symbols
    expect(s.per_symbol).toEqual({ EURUSD: { ticks: total / 2, last_seq: total / 2 }, USDJPY: { ticks: total / 2, last_seq: total / 2 } });
    expect(s.latency_ms.count).toBe(total);
    expect(s.latency_ms.p50).toBeGreaterThanOrEqual(0);
    expect(s.latency_ms.max).toBeGreaterThanOrEqual(s.latency_ms.p99);
  });

  test('counts an indicator value that disagrees with the reference, and one that should be absent', async () => {
    const b = await start();
    const c = await connect(b);
    const source = new TickSource(['EURUSD'], 3);
    await sendBatch(c, 1, source.next(70));
    const ticks = source.next(5);
    ticks[2].indicators!.ema_12 = ticks[2].indicators!.ema_12! * (1 + 1e-6);
    ticks[4].indicators!.macd_hist = null;
    const reply = await sendBatch(c, 2, ticks);
    expect(reply.ack?.batch_sequence).toBe(2);
    const s = b.stats();
    expect(s.indicator_mismatches).toBe(2);
    expect(s.mismatch_examples).toEqual([
      expect.objectContaining({ client: 'client-a', symbol: 'EURUSD', sequence_number: 73, indicator: 'ema12', received: ticks[2].indicators!.ema_12 }),
      expect.objectContaining({ symbol: 'EURUSD', sequence_number: 75, indicator: 'macd_hist', received: null }),
    ]);
    expect(s.mismatch_examples[0].expected).toBeCloseTo(ticks[2].indicators!.ema_12! / (1 + 1e-6), 12);
  });

  test('drops a resent batch as a duplicate and re-acks what it holds', async () => {
    const b = await start();
    const c = await connect(b);
    const source = new TickSource(['EURUSD', 'GBPUSD'], 5);
    const batches = [source.next(20), source.next(20), source.next(20)];
    for (let i = 0; i < 3; i++) await sendBatch(c, i + 1, batches[i]);
    const again = await sendBatch(c, 2, batches[1]);
    expect(again.ack).toMatchObject({ batch_sequence: 3, ticks_received: 60, duplicates_dropped: 20 });
    expect(b.stats()).toMatchObject({ batches: 3, batches_duplicate: 1, ticks_received: 60, duplicates: 20, gaps: 0 });
  });

  test('reports a batch gap without acking it, and resumes when the missing batch arrives', async () => {
    const b = await start();
    const c = await connect(b);
    const source = new TickSource(['EURUSD'], 9);
    const batches = [1, 2, 3, 4].map(() => source.next(10));
    await sendBatch(c, 1, batches[0]);
    const gap = await sendBatch(c, 3, batches[2]);
    expect(gap.payload).toBe('error');
    expect(gap.error).toMatchObject({ code: 'BACKEND_SEQUENCE_GAP', batch_sequence: 3 });
    expect(gap.error?.message).toContain('batches 2..2 are missing');
    c.send(encodeHeartbeat(3));
    const hb = await c.nextHeartbeat(); // no ack came between the error and this reply
    expect(c.pending).toBe(0);
    expect(hb.heartbeat?.last_batch_sequence).toBe(1);
    expect((await sendBatch(c, 2, batches[1])).ack?.batch_sequence).toBe(2);
    expect((await sendBatch(c, 3, batches[2])).ack?.batch_sequence).toBe(3);
    expect(b.stats()).toMatchObject({ batch_gaps: 1, batches: 3, ticks_received: 30, gaps: 0, indicator_mismatches: 0 });
  });

  test('per-symbol sequence: a repeated tick is a dropped duplicate, a jump is a gap, time going back is out of order', async () => {
    const b = await start();
    const c = await connect(b);
    const source = new TickSource(['EURUSD', 'USDJPY'], 11);
    const first = source.next(10); // EURUSD and USDJPY 1..5
    await sendBatch(c, 1, first);
    const replayed = { ...first[8] }; // EURUSD #5 again
    const next = source.next(6); // 6..8 each
    const skipped = next.filter((t) => !(t.symbol === 'USDJPY' && t.sequence_number === 7)); // USDJPY 6, 8
    const late = { ...source.next(2)[0], time_msc: 1 }; // EURUSD #9, stamped in the past
    const reply = await sendBatch(c, 2, [replayed, ...skipped, late]);
    expect(reply.ack).toMatchObject({ batch_sequence: 2, ticks_received: 10 + 5 + 1, duplicates_dropped: 1 });
    const s = b.stats();
    expect(s).toMatchObject({ duplicates: 1, gaps: 1, missing_ticks: 1, out_of_order: 1 });
    expect(s.per_symbol).toEqual({ EURUSD: { ticks: 9, last_seq: 9 }, USDJPY: { ticks: 7, last_seq: 8 } });
    // After its gap USDJPY's indicators cannot be verified any more (EMAs need all history).
    expect(s.indicator_unverified).toBe(1);
    expect(s.indicator_mismatches).toBe(0);
  });

  test('a malformed frame gets an error and the connection stays usable', async () => {
    const b = await start();
    const c = await connect(b);
    c.send(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]));
    const bad = await c.next();
    expect(bad.error).toMatchObject({ code: 'BACKEND_BAD_FRAME' });
    expect(bad.error?.message).toContain('is not a clientmt5.v1.Envelope');
    c.send('{"type":"hello"}');
    expect((await c.next()).error?.message).toContain('text frames');
    c.send(Envelope.encode({ protocol_version: 1 }).finish());
    expect((await c.next()).error?.message).toContain('no payload');
    c.send(Envelope.encode({ protocol_version: 1, ack: { batch_sequence: 1 } }).finish());
    expect((await c.next()).error?.message).toContain('"ack" travels from the backend');
    c.send(encodeBatch(0, []));
    expect((await c.next()).error?.message).toContain('batch_sequence must be an integer >= 1');
    const ack = await sendBatch(c, 1, new TickSource(['EURUSD']).next(3));
    expect(ack.ack?.batch_sequence).toBe(1);
    expect(b.stats()).toMatchObject({ bad_frames: 5, connections: 1, ticks_received: 3 });
  });

  test('answers a heartbeat with its clock and the last acked batch', async () => {
    const b = await start();
    const c = await connect(b);
    await sendBatch(c, 1, new TickSource(['EURUSD']).next(2));
    const before = Date.now();
    c.send(encodeHeartbeat(1));
    const hb = await c.nextHeartbeat();
    expect(hb.heartbeat?.last_batch_sequence).toBe(1);
    expect(hb.heartbeat?.time_msc).toBeGreaterThanOrEqual(before);
  });
});

describe('reference backend: reconnects and identity', () => {
  test('a reconnecting client resumes its stream; the resend of an unacked batch is a duplicate', async () => {
    const b = await start();
    const source = new TickSource(['EURUSD'], 13);
    const batches = [1, 2, 3].map(() => source.next(15));
    const first = await connect(b, 'client-r');
    await sendBatch(first, 1, batches[0]);
    await sendBatch(first, 2, batches[1]);
    await first.close();
    const second = await connect(b, 'client-r');
    expect((await sendBatch(second, 2, batches[1])).ack).toMatchObject({ batch_sequence: 2, duplicates_dropped: 15 });
    expect((await sendBatch(second, 3, batches[2])).ack).toMatchObject({ batch_sequence: 3, ticks_received: 45 });
    expect(b.stats()).toMatchObject({ ticks_received: 45, indicator_checked: 45, indicator_mismatches: 0, gaps: 0 });
  });

  test('a second connection of the same client replaces the first (close 4003); other clients are separate streams', async () => {
    const b = await start();
    const old = await connect(b, 'client-x');
    const other = await connect(b, 'client-y');
    await connect(b, 'client-x');
    expect((await old.closed).code).toBe(4003);
    expect((await sendBatch(other, 1, new TickSource(['EURUSD']).next(4))).ack?.batch_sequence).toBe(1);
    expect(b.stats().connections).toBe(2);
  });

  test('a backend that first hears of a client mid-stream takes that batch as the baseline', async () => {
    const b = await start();
    const c = await connect(b);
    const source = new TickSource(['EURUSD'], 17);
    source.next(40); // acked earlier by another backend
    expect((await sendBatch(c, 41, source.next(10))).ack).toMatchObject({ batch_sequence: 41, ticks_received: 10 });
    expect(b.stats()).toMatchObject({ gaps: 0, batch_gaps: 0, indicator_unverified: 10, indicator_checked: 0 });
  });
});

describe('reference backend: recording', () => {
  test('the --record file holds every binary frame received, in order, byte for byte', async () => {
    const path = join(dir, 'frames.bin');
    const b = await start(path);
    const c = await connect(b);
    const source = new TickSource(['EURUSD', 'USDJPY'], 19);
    const sent: Uint8Array[] = [];
    for (let seq = 1; seq <= 5; seq++) {
      const frame = encodeBatch(seq, source.next(25));
      sent.push(frame);
      c.send(frame);
      await c.next();
    }
    const junk = new Uint8Array([1, 2, 3]);
    sent.push(junk);
    c.send(junk);
    await c.next();
    await b.close();
    const frames = readRecordedFrames(path);
    expect(frames).toEqual(sent.map((f) => new Uint8Array(f))); // protobufjs hands out Buffers
    expect(Envelope.decode(frames[4]).market_data?.batch_sequence).toBe(5);
    expect(b.stats().record).toEqual({ path, frames: 6, bytes: sent.reduce((n, f) => n + 4 + f.byteLength, 0) });
  });
});
