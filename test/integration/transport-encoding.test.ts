/**
 * The tick encoding end to end, with real threads and sockets:
 *
 *  1. the transport worker (dist/) fed through its output rings as compute workers feed it, given
 *     the symbol table main shares (so columnar prices travel as points), against the reference
 *     backend: each `transport.encoding` setting, a row-only backend, and a failover from a
 *     columnar backend to a row-only one while columnar batches are still unacked (they are
 *     re-encoded as row);
 *  2. the whole pipeline in one process — simulated EA → bridge (EA link, compute workers,
 *     transport) → reference backend — with the encoding forced each way: every accepted tick
 *     arrives once, in order, with indicators the backend recomputes to the same values.
 */
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, test } from 'vitest';
import { ALL_BACKEND_ENCODINGS } from '../../src/backend/negotiation.js';
import { startBackend, type BackendHandle, type BackendOptions } from '../../src/backend/reference-backend.js';
import { startEaSim } from '../../src/ea-sim/ea-sim.js';
import { Bridge } from '../../src/main/bridge.js';
import { parseConfig, type TransportEncoding } from '../../src/shared/config.js';
import { signJwt } from '../../src/shared/jwt.js';
import { createTransportStats, TS_BATCHES_SENT, TS_TICKS_ACKED } from '../../src/shared/lanes.js';
import { OUTPUT_RING_LAYOUT } from '../../src/shared/ring-layout.js';
import { Doorbell, SpscRing } from '../../src/shared/ring.js';
import type { TransportEvent, TransportWorkerData } from '../../src/workers/transport.worker.js';
import { publish, RealisticTicks, symbolTables } from '../unit/workers/ring-ticks.js';

const SECRET = 'integration-secret-0123456789';
const JWT = signJwt({ sub: 'transport-test', exp: Math.floor(Date.now() / 1000) + 3600 }, SECRET);
const TRANSPORT = new URL('../../dist/workers/transport.worker.js', import.meta.url);

const backends: BackendHandle[] = [];
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await Promise.all(backends.splice(0).map((b) => b.close()));
});

async function backend(options: Partial<BackendOptions> = {}): Promise<BackendHandle> {
  const b = await startBackend({ port: 0, jwtSecret: SECRET, encodings: ALL_BACKEND_ENCODINGS, ...options });
  backends.push(b);
  return b;
}

async function until(cond: () => boolean, what: string, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A transport worker on two output rings, with the test standing in for the compute workers. */
class TransportHarness {
  readonly source = new RealisticTicks(10, 21);
  readonly rings = [SpscRing.create(8192, OUTPUT_RING_LAYOUT), SpscRing.create(8192, OUTPUT_RING_LAYOUT)];
  readonly stats = createTransportStats();
  readonly events: TransportEvent[] = [];
  private readonly doorbell = new Doorbell();
  private readonly worker: Worker;

  constructor(endpoints: string[], encoding: TransportEncoding) {
    const tables = symbolTables(this.source.profiles.map((p) => p.name), this.source.profiles.map((p) => p.point));
    const config = parseConfig({
      eaLink: { token: 'unused-token' },
      backend: { endpoints, jwt: JWT },
      transport: { encoding, maxBatchTicks: 512, reconnectMinMs: 10, reconnectMaxMs: 50 },
    });
    const workerData: TransportWorkerData = {
      outputs: this.rings.map((r) => r.handle), doorbell: this.doorbell.buffer, symbolNames: tables.names,
      symbolTable: tables.table, stats: this.stats, config: { transport: config.transport, backend: config.backend },
    };
    this.worker = new Worker(TRANSPORT, { workerData });
    this.worker.on('message', (e: TransportEvent) => this.events.push(e));
    cleanups.push(() => this.stop());
  }

  /** `count` realistic ticks, symbols split over the two lanes as the bridge shards them. */
  feed(count: number): void {
    const rows = this.source.next(count);
    publish(this.rings[0], rows.filter((r) => r.symbol % 2 === 0));
    publish(this.rings[1], rows.filter((r) => r.symbol % 2 === 1));
    this.doorbell.ring();
  }

  opened(): Array<TransportEvent & { type: 'link' }> {
    return this.events.filter((e): e is TransportEvent & { type: 'link' } => e.type === 'link' && e.state === 'open');
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.worker.once('exit', resolve));
    this.worker.postMessage({ type: 'stop' });
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    await this.worker.terminate();
  }
}

describe('transport worker: tick encoding on the wire', () => {
  test.each([
    ['auto', 'columnar'], ['columnar', 'columnar'], ['row', 'row'],
  ] as const)('setting %s against the reference backend: the link speaks %s and every tick is verified', async (setting, expected) => {
    const b = await backend();
    const t = new TransportHarness([b.url], setting);
    await until(() => t.opened().length > 0, 'the link to open');
    expect(t.opened()[0].encoding).toBe(expected);
    for (let i = 0; i < 6; i++) t.feed(700);
    await until(() => t.stats[TS_TICKS_ACKED] === 4200, 'every tick acked');
    const s = b.stats();
    expect(s).toMatchObject({ ticks_received: 4200, gaps: 0, duplicates: 0, out_of_order: 0, bad_frames: 0, indicator_checked: 4200, indicator_mismatches: 0 });
    expect(s.batches_columnar).toBe(expected === 'columnar' ? s.batches : 0);
    expect(b.encodings()).toEqual({ 'transport-test': expected });
  });

  test.each([
    ['columnar-latest', ['columnar', 'columnar-latest', 'row']], ['auto', ['columnar-latest', 'row']],
  ] as const)("setting %s against a backend of %j: columnar-latest, each symbol's latest indicators verified", async (setting, encodings) => {
    const b = await backend({ encodings });
    const t = new TransportHarness([b.url], setting);
    await until(() => t.opened().length > 0, 'the link to open');
    expect(t.opened()[0].encoding).toBe('columnar-latest');
    for (let i = 0; i < 6; i++) t.feed(700);
    await until(() => t.stats[TS_TICKS_ACKED] === 4200, 'every tick acked');
    const s = b.stats();
    expect(s).toMatchObject({ ticks_received: 4200, gaps: 0, duplicates: 0, out_of_order: 0, bad_frames: 0, indicator_mismatches: 0 });
    expect(s.batches_columnar).toBe(s.batches);
    // One check per symbol per batch (at its last tick), not one per tick.
    expect(s.indicator_checked).toBeGreaterThan(0);
    expect(s.indicator_checked).toBeLessThan(4200 / 4);
    expect(b.encodings()).toEqual({ 'transport-test': 'columnar-latest' });
  });

  test('auto against a row-only backend speaks row; columnar is refused there, with a reason', async () => {
    const rowOnly = await backend({ encodings: ['row'] });
    const auto = new TransportHarness([rowOnly.url], 'auto');
    await until(() => auto.opened().length > 0, 'the auto link to open');
    expect(auto.opened()[0].encoding).toBe('row');
    const legacy = await backend({ encodings: [] });
    const strict = new TransportHarness([legacy.url], 'columnar');
    await until(() => strict.events.some((e) => e.type === 'backend-error'), 'the refusal');
    expect(strict.events.find((e) => e.type === 'backend-error')).toMatchObject({
      code: 'BACKEND_UNREACHABLE', message: expect.stringContaining('does not negotiate clientmt5.v1.columnar'),
    });
    expect(strict.opened()).toEqual([]);
  });

  test('failover to a row-only backend re-encodes the unacked columnar batches as row; nothing lost, nothing twice', async () => {
    // The backup's port is known before it listens: it comes up only once the primary is gone.
    const probe = await backend();
    const backupPort = probe.port;
    await probe.close();
    backends.splice(backends.indexOf(probe), 1);
    const primary = await backend();
    const t = new TransportHarness([primary.url, `ws://127.0.0.1:${backupPort}/api/v1/ws/mt5`], 'auto');
    await until(() => t.opened().length === 1, 'the primary link');
    t.feed(2000);
    await until(() => t.stats[TS_TICKS_ACKED] === 2000, 'the primary to ack');
    expect(primary.stats()).toMatchObject({ ticks_received: 2000, batches_columnar: primary.stats().batches });

    await primary.close();
    await until(() => t.events.some((e) => e.type === 'link' && e.state === 'closed'), 'the link to drop');
    const sealedBefore = t.stats[TS_BATCHES_SENT];
    t.feed(1500); // sealed as columnar while no backend is reachable
    await until(() => t.stats[TS_BATCHES_SENT] > sealedBefore, 'batches sealed while disconnected');
    const backup = await backend({ port: backupPort, encodings: ['row'] });
    await until(() => t.stats[TS_TICKS_ACKED] === 3500, 'the backup to ack the rest');
    expect(t.opened().map((e) => e.encoding)).toEqual(['columnar', 'row']);
    expect(backup.stats()).toMatchObject({
      ticks_received: 1500, batches_columnar: 0, gaps: 0, duplicates: 0, out_of_order: 0, bad_frames: 0, indicator_mismatches: 0,
    });
  });
});

describe('pipeline in one process: simulated EA -> bridge -> reference backend, each encoding', () => {
  test.each(['columnar', 'row'] as const)('transport.encoding %s: every accepted tick arrives once, in order, with correct indicators', async (encoding) => {
    const b = await backend();
    const token = 'pipeline-token-0123';
    const config = parseConfig({
      workers: 2,
      eaLink: { port: 0, token },
      backend: { endpoints: [b.url], jwt: JWT },
      transport: { encoding },
      spool: { enabled: false }, // a new backend per test: no batches of an earlier one
    });
    const bridge = await Bridge.start(config, () => {});
    cleanups.push(() => bridge.stop());
    expect(await bridge.waitForBackend(10000)).toBe(true);
    const sim = await startEaSim({ url: `ws://127.0.0.1:${bridge.eaPort}/ea`, token, ratePerS: 4000, ticks: 6000, invalidRate: 0.01, seed: 5 });
    cleanups.push(() => sim.stop());
    await sim.done;
    const sent = sim.stats().ticks_sent;
    await until(() => bridge.stats().ingest.ticks >= sent, 'the bridge to take every tick');
    expect(await bridge.drain(20000)).toBe(true);
    const bs = bridge.stats();
    const s = b.stats();
    expect(bs.ticks_accepted + bs.ticks_rejected).toBe(sent);
    expect(bs.ticks_rejected).toBe(sim.stats().invalid_injected);
    expect(s).toMatchObject({
      ticks_received: bs.ticks_accepted, duplicates: 0, gaps: 0, out_of_order: 0, bad_frames: 0,
      indicator_checked: bs.ticks_accepted, indicator_mismatches: 0,
    });
    expect(s.batches_columnar).toBe(encoding === 'columnar' ? s.batches : 0);
    expect(b.encodings()).toEqual({ 'transport-test': encoding });
    // Where the time went and what memory each thread took: one age sample per batch and hop, peaks set.
    const l = bs.latency_in_bridge;
    expect(l.compute_pickup.count).toBe(bs.compute_batches);
    expect(l.sent.count).toBe(s.batches);
    expect(l.transport_pickup.count).toBeGreaterThanOrEqual(l.sent.count);
    expect(l.compute_pickup.p50).toBeLessThanOrEqual(l.transport_pickup.p50);
    expect(l.transport_pickup.p50).toBeLessThanOrEqual(l.sent.p50);
    const m = bs.memory_peak_mb;
    for (const t of [m.main, m.transport, ...m.compute]) expect(t.heap).toBeGreaterThan(1);
    expect(m.compute.length).toBe(2);
  });
});
