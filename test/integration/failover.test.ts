/**
 * Endpoints, liveness, failover and fail-back with real processes and sockets: two reference
 * backends as separate processes sharing a ledger (a platform's primary and backup), the bridge
 * with its workers, and the simulated EA streaming through it. Backends are killed (SIGKILL: TCP
 * closes at once), frozen (SIGSTOP: TCP stays open, nothing answers — only the heartbeat timeout
 * can tell) and brought back; every accepted tick must end up stored exactly once, in order.
 *
 * "Stored" is read from the ledger the backends share (what a platform's store holds: each batch
 * once, whichever endpoint took it) and from the surviving backends' own checks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, afterAll, describe, expect, test } from 'vitest';
import type { BackendStats } from '../../src/backend/backend-stats.js';
import { Ledger } from '../../src/backend/ledger.js';
import { startEaSim, type EaSimHandle } from '../../src/ea-sim/ea-sim.js';
import { Bridge } from '../../src/main/bridge.js';
import { Child } from '../../src/main/child.js';
import { parseConfig } from '../../src/shared/config.js';
import { signJwt } from '../../src/shared/jwt.js';

const SECRET = 'failover-secret-0123456789';
const CLIENT = 'failover-test';
const JWT = signJwt({ sub: CLIENT, exp: Math.floor(Date.now() / 1000) + 3600 }, SECRET);
const TOKEN = 'failover-token-0123';

let dir: string;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'client-mt5-failover-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

/** A reference backend process; `port` 0 picks one. */
class BackendProcess {
  private constructor(readonly child: Child, readonly port: number, readonly url: string) {}

  static async start(ledger: string, port = 0): Promise<BackendProcess> {
    const child = new Child('backend', ['backend', '--port', String(port), '--jwt-secret', SECRET, '--ledger', ledger, '--heartbeat-ms', '100'], { quiet: true });
    const ready = await child.next<{ type: 'ready'; port: number; url: string }>('ready');
    const b = new BackendProcess(child, ready.port, ready.url);
    cleanups.push(() => { b.signal('SIGCONT'); return child.stop(3000); });
    return b;
  }

  signal(sig: NodeJS.Signals): void {
    try { process.kill(this.child.pid!, sig); } catch { /* already gone */ }
  }

  async kill(): Promise<void> {
    this.child.kill();
    await this.child.exited;
  }

  async stats(): Promise<BackendStats> {
    return (await this.child.request<{ type: 'stats'; stats: BackendStats }>({ type: 'stats' }, 'stats')).stats;
  }
}

async function until(cond: () => boolean, what: string, timeoutMs = 30000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let runs = 0;

async function bridgeTo(endpoints: string[]): Promise<Bridge> {
  const config = parseConfig({
    workers: 2,
    eaLink: { port: 0, token: TOKEN },
    backend: { endpoints, jwt: JWT },
    transport: { heartbeatIntervalMs: 100, linkTimeoutMs: 400, failbackAfterMs: 600, reconnectMinMs: 20, reconnectMaxMs: 200, connectTimeoutMs: 1000 },
    spool: { dir: join(dir, `spool-${++runs}`) },
  });
  const bridge = await Bridge.start(config, (level, message) => { if (process.env.DEBUG_FAILOVER) console.log(level, message); });
  cleanups.push(() => bridge.stop());
  expect(await bridge.waitForBackend(10000)).toBe(true);
  return bridge;
}

async function simulate(bridge: Bridge, ticks: number, seed: number): Promise<EaSimHandle> {
  const sim = await startEaSim({ url: `ws://127.0.0.1:${bridge.eaPort}/ea`, token: TOKEN, ratePerS: 2000, ticks, invalidRate: 0, seed });
  cleanups.push(() => sim.stop());
  return sim;
}

/** Lets everything the EA sent flow through and be acked. */
async function finish(bridge: Bridge, sim: EaSimHandle): Promise<void> {
  await sim.done;
  const sent = sim.stats().ticks_sent;
  await until(() => bridge.stats().ingest.ticks >= sent, 'the bridge to take every tick');
  expect(await bridge.drain(30000)).toBe(true);
}

/** What the platform's store (the shared ledger) holds matches what the bridge accepted, symbol by symbol. */
function expectStoredOnce(ledgerPath: string, bridge: Bridge): void {
  const s = bridge.stats();
  const held = new Ledger(ledgerPath).client(CLIENT)!;
  expect(held.ticks).toBe(s.ticks_accepted);
  expect(held.lastBatch).toBe(s.transport.last_acked_sequence);
  for (const [symbol, ps] of Object.entries(s.per_symbol)) {
    if (ps.accepted > 0) expect(held.symbols.get(symbol)?.lastSeq, symbol).toBe(ps.accepted);
  }
  expect(s.transport.unacked_batches).toBe(0);
}

function expectClean(s: BackendStats): void {
  expect(s).toMatchObject({ gaps: 0, batch_gaps: 0, out_of_order: 0, indicator_mismatches: 0, bad_frames: 0 });
  expect(s.ledger?.corrupt_records).toBe(0);
}

describe('failover between reference backends sharing a ledger', () => {
  test('the primary is killed mid-stream: the backup takes over and nothing is lost or stored twice', async () => {
    const ledger = join(dir, 'ledger-kill.bin');
    const primary = await BackendProcess.start(ledger);
    const backup = await BackendProcess.start(ledger);
    const bridge = await bridgeTo([primary.url, backup.url]);
    const sim = await simulate(bridge, 9000, 1);
    await until(() => bridge.stats().transport.ticks_acked > 2000, 'the primary to ack some ticks');
    await primary.kill();
    await until(() => bridge.stats().transport.failovers >= 1 && bridge.stats().transport.endpoint_index === 1, 'the failover');
    await finish(bridge, sim);

    const t = bridge.stats().transport;
    expect(t).toMatchObject({ connected: true, endpoint_index: 1, endpoint: backup.url });
    expect(t.longest_failover_ms).toBeGreaterThan(0);
    expectStoredOnce(ledger, bridge);
    const bs = await backup.stats();
    expectClean(bs);
    // The backup held the stream from where the ledger said the primary stopped.
    expect(bs.ticks_received).toBeGreaterThan(0);
    expect(bs.ticks_received).toBeLessThan(bridge.stats().ticks_accepted);
  });

  test('a silent primary (stopped, TCP open) is left by heartbeat timeout; once it answers again the link fails back to it', async () => {
    const ledger = join(dir, 'ledger-freeze.bin');
    const primary = await BackendProcess.start(ledger);
    const backup = await BackendProcess.start(ledger);
    const bridge = await bridgeTo([primary.url, backup.url]);
    // Streams until stopped below, so that ticks still flow after the fail-back however long it takes.
    const sim = await simulate(bridge, 1_000_000, 2);
    await until(() => bridge.stats().transport.ticks_acked > 1500, 'the primary to ack some ticks');
    primary.signal('SIGSTOP');
    await until(() => bridge.stats().transport.endpoint_index === 1 && bridge.stats().transport.connected, 'the move to the backup');
    expect(bridge.stats().transport.link_timeouts).toBeGreaterThanOrEqual(1);
    const ackedOnBackup = bridge.stats().transport.ticks_acked;
    await until(() => bridge.stats().transport.ticks_acked > ackedOnBackup + 500, 'the backup to ack new ticks');
    primary.signal('SIGCONT');
    await until(() => bridge.stats().transport.failbacks >= 1, 'the fail-back to the primary');
    const ackedAtFailback = bridge.stats().transport.ticks_acked;
    await until(() => bridge.stats().transport.ticks_acked > ackedAtFailback + 500, 'the primary to ack new ticks');
    await sim.stop();
    await finish(bridge, sim);

    const t = bridge.stats().transport;
    expect(t).toMatchObject({ connected: true, endpoint_index: 0, endpoint: primary.url });
    expect(t.failovers).toBeGreaterThanOrEqual(1);
    expectStoredOnce(ledger, bridge);
    const [ps, bs] = [await primary.stats(), await backup.stats()];
    expectClean(ps);
    expectClean(bs);
    // Each tick held by exactly one of the two.
    expect(ps.ticks_received + bs.ticks_received).toBe(bridge.stats().ticks_accepted);
    expect(bs.ticks_received).toBeGreaterThan(0);
    // After the fail-back the primary took new batches again.
    expect(ps.last_acked_batch).toBe(t.last_acked_sequence);
  });

  test('both backends die: batches wait unacked; both return: they drain in order, nothing lost or stored twice', async () => {
    const ledger = join(dir, 'ledger-both.bin');
    let primary = await BackendProcess.start(ledger);
    let backup = await BackendProcess.start(ledger);
    const bridge = await bridgeTo([primary.url, backup.url]);
    const sim = await simulate(bridge, 8000, 3);
    await until(() => bridge.stats().transport.ticks_acked > 1500, 'some ticks acked');
    await Promise.all([primary.kill(), backup.kill()]);
    // The link's close comes after every ack that reached it: from here on nothing is acked.
    await until(() => !bridge.stats().transport.connected, 'the link to drop');
    const ackedWhenDown = bridge.stats().transport.ticks_acked;
    const unackedWhenDown = bridge.stats().transport.unacked_batches;
    // Stored, but some acks may have died with the backends: those batches will come again.
    const storedWhenDown = new Ledger(ledger).client(CLIENT)!.ticks;
    expect(storedWhenDown).toBeGreaterThanOrEqual(ackedWhenDown);
    await until(() => bridge.stats().transport.unacked_batches >= unackedWhenDown + 5, 'batches to pile up unacked');
    expect(bridge.stats().transport).toMatchObject({ connected: false, ticks_acked: ackedWhenDown });

    primary = await BackendProcess.start(ledger, primary.port);
    backup = await BackendProcess.start(ledger, backup.port);
    await finish(bridge, sim);

    expectStoredOnce(ledger, bridge);
    const [ps, bs] = [await primary.stats(), await backup.stats()];
    expectClean(ps);
    expectClean(bs);
    // The restarted backends learned the stream's position from the ledger: the replay continued
    // it, and what was stored but not acked came again and was dropped as a duplicate.
    expect(ps.ticks_received + bs.ticks_received).toBe(bridge.stats().ticks_accepted - storedWhenDown);
    expect(ps.duplicates + bs.duplicates).toBeGreaterThanOrEqual(storedWhenDown - ackedWhenDown);
  });
});
