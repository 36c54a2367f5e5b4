/**
 * The reference backend as one of several endpoints of a platform: backends sharing a ledger file
 * judge a client's batches and ticks across each other (failover, fail-back, a restarted backend),
 * send heartbeats unasked, and treat indicators that go cold again as a client restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { INDICATOR_WIRE_FIELDS } from '../../../src/backend/indicator-check.js';
import { ReferenceIndicators } from '../../../src/backend/reference-indicators.js';
import { startBackend, type BackendHandle, type BackendOptions } from '../../../src/backend/reference-backend.js';
import { encodeError, type Envelope } from '../../../src/backend/wire.js';
import { signJwt } from '../../../src/shared/jwt.js';
import { ENCODING_SUBPROTOCOLS } from '../../../src/shared/config.js';
import { OUTPUT_RING_LAYOUT } from '../../../src/shared/ring-layout.js';
import { SpscRing } from '../../../src/shared/ring.js';
import { ColumnarEncoder } from '../../../src/workers/columnar-encoder.js';
import { publish, RealisticTicks, symbolTables } from '../workers/ring-ticks.js';
import { encodeBatch, TickSource, type TickProps } from './stream-builder.js';
import { TestClient } from './ws-client.js';

const SECRET = 'test-secret-0123456789';
const TOKEN = signJwt({ sub: 'client-e', exp: Math.floor(Date.now() / 1000) + 3600 }, SECRET);

let dir: string;
const backends: BackendHandle[] = [];
const clients: TestClient[] = [];

beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'client-mt5-endpoints-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await Promise.all(backends.splice(0).map((b) => b.close()));
});

async function backend(options: Partial<BackendOptions> = {}): Promise<BackendHandle> {
  const b = await startBackend({ port: 0, jwtSecret: SECRET, heartbeatIntervalMs: 0, ...options });
  backends.push(b);
  return b;
}

async function connect(b: BackendHandle): Promise<TestClient> {
  const c = await TestClient.connect(b.url, TOKEN);
  clients.push(c);
  return c;
}

async function send(c: TestClient, seq: number, ticks: TickProps[]): Promise<Envelope> {
  c.send(encodeBatch(seq, ticks));
  return c.next();
}

let ledgers = 0;
const ledgerFile = () => join(dir, `ledger-${++ledgers}.bin`);

describe('reference backends sharing a ledger', () => {
  test('failover and fail-back: each backend knows what the other stored; resends are dropped and acked, nothing is a gap', async () => {
    const ledgerPath = ledgerFile();
    const primary = await backend({ ledgerPath });
    const backup = await backend({ ledgerPath, ledgerFsync: 'never' });
    const source = new TickSource(['EURUSD', 'USDJPY'], 3);
    const batches = Array.from({ length: 6 }, () => source.next(20));

    const p = await connect(primary);
    for (const seq of [1, 2, 3]) expect((await send(p, seq, batches[seq - 1])).ack?.batch_sequence).toBe(seq);
    p.ws.terminate(); // the primary's link is lost with batch 3's ack possibly in flight

    // The client re-sends from its oldest unacked batch (here 2) to the backup.
    const b = await connect(backup);
    expect((await send(b, 2, batches[1])).ack).toMatchObject({ batch_sequence: 3, duplicates_dropped: 20 });
    expect((await send(b, 3, batches[2])).ack).toMatchObject({ batch_sequence: 3, duplicates_dropped: 40 });
    expect((await send(b, 4, batches[3])).ack).toMatchObject({ batch_sequence: 4, ticks_received: 20 });
    expect((await send(b, 5, batches[4])).ack?.batch_sequence).toBe(5);

    // Fail-back: the primary learns batches 4 and 5 from the ledger.
    const back = await connect(primary);
    expect((await send(back, 5, batches[4])).ack).toMatchObject({ batch_sequence: 5 });
    expect((await send(back, 6, batches[5])).ack).toMatchObject({ batch_sequence: 6 });

    const ps = primary.stats();
    const bs = backup.stats();
    // Every tick held exactly once over the two, in order, with no gap anywhere.
    expect(ps.ticks_received + bs.ticks_received).toBe(120);
    expect(ps.ticks_received).toBe(80);
    for (const s of [ps, bs]) expect(s).toMatchObject({ gaps: 0, batch_gaps: 0, out_of_order: 0, indicator_mismatches: 0 });
    expect(bs).toMatchObject({ batches_duplicate: 2, duplicates: 40 });
    expect(ps).toMatchObject({ batches_duplicate: 1, duplicates: 20 });
    // Indicators: the backup joined mid-way (cannot verify), the primary checked what it held from the start.
    expect(bs.indicator_unverified).toBe(40);
    expect(ps.ledger).toMatchObject({ path: ledgerPath, fsync: 'always', records_written: 4, corrupt_records: 0 });
    expect(bs.ledger).toMatchObject({ records_written: 2, fsync: 'never' });
    expect(ps.per_symbol.EURUSD.last_seq).toBe(60);
    // Either backend shows the platform's whole store.
    for (const b of [primary, backup]) {
      expect(b.ledgerView('client-e')).toMatchObject({ ticks: 120, last_batch: 6, first_batch: 1, per_symbol: { EURUSD: { last_seq: 60 }, USDJPY: { last_seq: 60 } } });
    }
    expect(primary.ledgerView('nobody')).toBeUndefined();
  });

  test('a restarted backend reads the ledger: the client continues where it was, an old resend is a duplicate', async () => {
    const ledgerPath = ledgerFile();
    const first = await backend({ ledgerPath });
    const source = new TickSource(['EURUSD'], 5);
    const batches = Array.from({ length: 4 }, () => source.next(10));
    const c1 = await connect(first);
    for (const seq of [1, 2]) await send(c1, seq, batches[seq - 1]);
    await first.close();

    const second = await backend({ ledgerPath });
    const c2 = await connect(second);
    expect((await send(c2, 1, batches[0])).ack).toMatchObject({ batch_sequence: 2, duplicates_dropped: 10 });
    expect((await send(c2, 3, batches[2])).ack).toMatchObject({ batch_sequence: 3, ticks_received: 10 });
    // Without the ledger a gap after the baseline is still a gap.
    c2.send(encodeBatch(5, source.next(10)));
    expect((await c2.next()).error?.code).toBe('BACKEND_SEQUENCE_GAP');
    expect(second.stats()).toMatchObject({ ticks_received: 10, gaps: 0, out_of_order: 0, batch_gaps: 1 });
  });

  test('batches the client says it dropped (Error SPOOL_DROPPED_BATCHES) are skipped, not a gap, on every endpoint', async () => {
    const ledgerPath = ledgerFile();
    const a = await backend({ ledgerPath });
    const b = await backend({ ledgerPath });
    const source = new TickSource(['EURUSD'], 21);
    const c = await connect(a);
    await send(c, 1, source.next(5));
    source.next(15); // batches 2..4, dropped by the client's spool overflow policy
    c.send(encodeError('SPOOL_DROPPED_BATCHES', 'batches 2..4 were dropped (spool.overflow drop-oldest)', 4));
    expect((await c.next()).ack?.batch_sequence).toBe(4);
    expect((await send(c, 5, source.next(5))).ack).toMatchObject({ batch_sequence: 5, ticks_received: 10 });
    expect(a.stats()).toMatchObject({ batches_skipped: 3, batch_gaps: 0, gaps: 1, missing_ticks: 15 });
    // The other endpoint agrees: 4 is not a gap there either, and 5 is a duplicate.
    const d = await connect(b);
    expect((await send(d, 5, [])).ack?.batch_sequence).toBe(5);
    expect(b.stats()).toMatchObject({ batch_gaps: 0, batches_duplicate: 1 });
  });

  test('sends every client a Heartbeat envelope unasked, carrying the last acked batch', async () => {
    const b = await backend({ heartbeatIntervalMs: 20 });
    const c = await connect(b);
    await send(c, 1, new TickSource(['EURUSD']).next(3));
    for (let i = 0; i < 3; i++) {
      const hb = await c.nextHeartbeat();
      expect(hb.heartbeat?.last_batch_sequence).toBeLessThanOrEqual(1);
    }
    const hb = await c.nextHeartbeat();
    expect(hb.heartbeat?.last_batch_sequence).toBe(1);
    expect(b.stats().heartbeats_sent).toBeGreaterThanOrEqual(4);
    expect(b.stats().heartbeats).toBe(0); // none were asked for
  });
});

/** Ticks as a restarted client sends them: sequences go on, indicators start cold. */
function restarted(ticks: TickProps[]): TickProps[] {
  const ref = new ReferenceIndicators();
  return ticks.map((t) => {
    ref.push((t.bid! + t.ask!) / 2);
    const indicators: Record<string, number> = {};
    INDICATOR_WIRE_FIELDS.forEach((f, k) => { if (!Number.isNaN(ref.values[k])) indicators[f] = ref.values[k]; });
    return { ...t, indicators };
  });
}

describe('reference backend: indicators across a client restart', () => {
  test('indicators that go absent again restart the reference for that symbol: counted as a reset, not as mismatches', async () => {
    const b = await backend();
    const c = await connect(b);
    const source = new TickSource(['EURUSD', 'GBPUSD'], 9);
    await send(c, 1, source.next(100)); // 50 a symbol: every indicator warm
    await send(c, 2, restarted(source.next(100).filter((t) => t.symbol === 'EURUSD')));
    expect(b.stats()).toMatchObject({ indicator_resets: 1, indicator_mismatches: 0, indicator_checked: 150, ticks_received: 150 });
    // A wrong value after the reset is still caught.
    const more = restarted(source.next(80).filter((t) => t.symbol === 'GBPUSD'));
    more[30].indicators = { ...more[30].indicators, sma_20: 1 };
    await send(c, 3, more);
    expect(b.stats()).toMatchObject({ indicator_resets: 2, indicator_mismatches: 1 });
  });

  test('a backend that took over through the ledger verifies from the client restart it sees first', async () => {
    const ledgerPath = ledgerFile();
    const first = await backend({ ledgerPath });
    const second = await backend({ ledgerPath });
    const source = new TickSource(['EURUSD'], 12);
    await send(await connect(first), 1, source.next(40)); // warm by the end
    // The client restarts (cold indicators, sequences go on) and lands on the other endpoint.
    await send(await connect(second), 2, restarted(source.next(30)));
    expect(second.stats()).toMatchObject({ indicator_resets: 1, indicator_checked: 30, indicator_unverified: 0, indicator_mismatches: 0, gaps: 0 });
  });

  test('columnar-latest: a restart seen at a symbol\'s last tick of a batch starts the reference from its first tick there', async () => {
    const b = await backend({ encodings: ['columnar-latest', 'row'] });
    const c = await TestClient.connect(b.url, TOKEN, undefined, [ENCODING_SUBPROTOCOLS['columnar-latest']]);
    clients.push(c);
    const ticks = new RealisticTicks(2, 31);
    const tables = symbolTables(ticks.profiles.map((p) => p.name), ticks.profiles.map((p) => p.point));
    const ring = SpscRing.create(4096, OUTPUT_RING_LAYOUT);
    const encoder = new ColumnarEncoder(1024, tables.names, '', tables.table, 'latest');
    const batch = (seq: number, count: number) => {
      publish(ring, ticks.next(count));
      encoder.takeFrom(ring, count);
      return encoder.seal(seq);
    };
    c.send(batch(1, 200)); // 100 ticks a symbol: warm
    await c.next();
    // The client restarts: indicators cold, sequences go on; 5 ticks a symbol, so each symbol's
    // last tick of the batch carries no indicator.
    (ticks as unknown as { indicators: ReferenceIndicators[] }).indicators = ticks.profiles.map(() => new ReferenceIndicators());
    c.send(batch(2, 10));
    await c.next();
    c.send(batch(3, 200));
    await c.next();
    expect(b.stats()).toMatchObject({ indicator_resets: 2, indicator_mismatches: 0, gaps: 0, ticks_received: 410 });
  });

  test('a backend that joined mid-way can verify a symbol again from its restart', async () => {
    const b = await backend();
    const c = await connect(b);
    const source = new TickSource(['EURUSD'], 11);
    source.next(60); // held by another backend
    await send(c, 7, source.next(20));
    await send(c, 8, restarted(source.next(30)));
    expect(b.stats()).toMatchObject({ indicator_unverified: 20, indicator_checked: 30, indicator_resets: 1, indicator_mismatches: 0 });
  });
});
