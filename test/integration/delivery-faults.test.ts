/**
 * Three delivery faults at process level, each with the real reference backend, the real bridge
 * (`client-mt5 start --config FILE`, forked with an IPC channel) and the real simulated EA, over
 * loopback with free ports:
 *
 *   1. a torn last spool record — what a crash mid-write leaves: the bridge is SIGKILLed while
 *      batches wait unacked (the backend is dead), the newest segment loses its last bytes, and a
 *      new bridge starts on that spool;
 *   2. a backend that stops reading (SIGSTOP: TCP stays open, nothing answers) while the spool is
 *      small: backpressure must reach the EA as a `pause`, and everything drain after SIGCONT;
 *   3. a full disk: the spool on a 2 MiB tmpfs (the bridge runs in its own user + mount
 *      namespace to mount it) with a filler file, the backend gone so the spool grows to ENOSPC —
 *      space returning as the filler is deleted, or only as the backend acks: small segments
 *      deleted once acked, or one segment larger than the whole disk (spool.segmentBytes 8 MiB,
 *      the default), cut back once acked.
 *
 * What a user relies on is asserted each time: every good tick the EA sent is stored by the
 * backend(s) exactly once, in order per symbol, without a gap — from the backends' own checks and,
 * where several backend processes take part, from the ledger they share — plus the fault's own
 * visible signs (stats counters and log lines). Waits are on conditions, bounded; no timings are
 * asserted.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import type { BackendStats } from '../../src/backend/backend-stats.js';
import type { BridgeStats } from '../../src/main/bridge-stats.js';
import { signJwt } from '../../src/shared/jwt.js';
import { listSegments, readSpoolState } from '../../src/shared/spool-format.js';
import { BIN, freePort, Proc, until } from '../helpers/processes.js';

const SECRET = 'delivery-faults-secret-0123456789';
const CLIENT = 'delivery-faults';
const JWT = signJwt({ sub: CLIENT, exp: Math.floor(Date.now() / 1000) + 3600 }, SECRET);
const TOKEN = 'delivery-faults-token';

interface SimStats {
  ticks_sent: number;
  good_sent: number;
  invalid_injected: number;
  paused_ms: number;
  reconnects: number;
  per_symbol: Record<string, number>;
  ticks_resent: number;
  history_overruns: number;
}

type LedgerView = {
  ticks: number;
  last_batch: number;
  per_symbol: Record<string, { last_seq: number; last_time_msc: number }>;
};

const dir = mkdtempSync(join(tmpdir(), 'client-mt5-delivery-faults-'));
const procs: Proc[] = [];
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.kill()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function track(p: Proc): Proc {
  procs.push(p);
  return p;
}

/** A reference backend process; with `ledger`, one of a platform's endpoints sharing that store. */
class Backend {
  private constructor(readonly proc: Proc, readonly port: number, readonly url: string) {}

  static async start(o: { ledger?: string; port?: number } = {}): Promise<Backend> {
    const args = ['backend', '--port', String(o.port ?? 0), '--jwt-secret', SECRET, '--heartbeat-ms', '100'];
    if (o.ledger) args.push('--ledger', o.ledger);
    const proc = track(Proc.cli('backend', args));
    const ready = await proc.next<{ type: 'ready'; port: number; url: string }>('ready', 20000);
    return new Backend(proc, ready.port, ready.url);
  }

  async stats(): Promise<BackendStats> {
    return (await this.proc.request<{ type: 'stats'; stats: BackendStats }>({ type: 'stats' }, 'stats', 5000)).stats;
  }

  async ledger(): Promise<LedgerView> {
    return this.proc.request<LedgerView & { type: 'ledger' }>({ type: 'ledger', client: CLIENT }, 'ledger', 5000);
  }
}

/** The bridge's configuration file: fast liveness settings, the given spool, trading state beside it. */
function bridgeConfig(name: string, o: { eaPort: number; endpoints: string[]; spool: Record<string, unknown>; ringCapacityTicks?: number }): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({
    workers: 1,
    ...(o.ringCapacityTicks ? { ringCapacityTicks: o.ringCapacityTicks } : {}),
    eaLink: { port: o.eaPort, token: TOKEN },
    backend: { endpoints: o.endpoints, jwt: JWT },
    transport: { heartbeatIntervalMs: 100, linkTimeoutMs: 400, connectTimeoutMs: 600, reconnectMinMs: 20, reconnectMaxMs: 300 },
    spool: o.spool,
    trading: { stateDir: join(dir, `${name}-trading`) },
    statusIntervalMs: 1000,
  }));
  return file;
}

class Bridge {
  constructor(readonly proc: Proc) {}

  static async start(configFile: string): Promise<{ bridge: Bridge; eaPort: number }> {
    return Bridge.ready(track(Proc.cli('bridge', ['start', '--config', configFile])));
  }

  static async ready(proc: Proc): Promise<{ bridge: Bridge; eaPort: number }> {
    const ready = await proc.next<{ type: 'ready'; eaPort: number }>('ready', 30000);
    return { bridge: new Bridge(proc), eaPort: ready.eaPort };
  }

  async stats(): Promise<BridgeStats> {
    return (await this.proc.request<{ type: 'stats'; stats: BridgeStats }>({ type: 'stats' }, 'stats', 5000)).stats;
  }

  /** A clean stop: drains and waits for the backend's acks. */
  async stop(): Promise<{ drained: boolean; stats: BridgeStats }> {
    const stopped = await this.proc.request<{ type: 'stopped'; drained: boolean; stats: BridgeStats }>({ type: 'stop' }, 'stopped', 30000);
    await this.proc.exited;
    return stopped;
  }
}

class Sim {
  constructor(readonly proc: Proc) {}

  static async start(eaPort: number, o: { rate: number; invalidRate: number; seed: number; symbols?: number }): Promise<Sim> {
    const proc = track(Proc.cli('ea-sim', [
      'ea-sim', '--url', `ws://127.0.0.1:${eaPort}/ea`, '--token', TOKEN, '--rate', String(o.rate),
      '--symbols', String(o.symbols ?? 4), '--invalid-rate', String(o.invalidRate), '--seed', String(o.seed),
    ]));
    await proc.next('connected', 30000);
    return new Sim(proc);
  }

  async stats(): Promise<SimStats> {
    return (await this.proc.request<{ type: 'stats'; stats: SimStats }>({ type: 'stats' }, 'stats', 5000)).stats;
  }

  /** Stops the EA (it sends what it still holds first) and returns its final counts. */
  async stop(): Promise<SimStats> {
    return (await this.proc.request<{ type: 'stopped'; stats: SimStats }>({ type: 'stop' }, 'stopped', 30000)).stats;
  }
}

/** The backend's own checks of what it took: no gap, nothing out of order, no undecodable frame. */
function expectCleanStream(s: BackendStats): void {
  expect(s).toMatchObject({ gaps: 0, missing_ticks: 0, batch_gaps: 0, out_of_order: 0, bad_frames: 0, bad_ticks: 0, indicator_mismatches: 0 });
  if (s.ledger) expect(s.ledger.corrupt_records).toBe(0);
}

/**
 * Every symbol's ticks stored form one unbroken run 1..n of sequence_numbers (the backends saw no
 * gap and nothing out of order), and the runs add up to the good ticks the EA sent: each stored
 * exactly once.
 */
function expectEveryGoodTickOnce(perSymbolLastSeq: Record<string, number>, stored: number, sim: SimStats): void {
  const total = Object.values(perSymbolLastSeq).reduce((a, b) => a + b, 0);
  expect(stored, 'distinct ticks stored').toBe(sim.good_sent);
  expect(total, 'sum of the symbols\' last sequence_numbers').toBe(sim.good_sent);
  expect(sim.history_overruns, 'ticks the EA could no longer backfill').toBe(0);
}

describe('delivery under faults (real processes)', () => {
  test('a torn last spool record: reported and cut off, never sent; the EA backfills its ticks — every good tick once, in order', async () => {
    const ledger = join(dir, 'torn-ledger.bin');
    const spoolDir = join(dir, 'torn-spool');
    const spool = { dir: spoolDir, fsync: 'never' };
    const first = await Backend.start({ ledger });
    const b1 = await Bridge.start(bridgeConfig('torn-1', { eaPort: 0, endpoints: [first.url], spool }));
    const sim = await Sim.start(b1.eaPort, { rate: 3000, invalidRate: 0, seed: 41 });
    await until('the backend to store some ticks', async () => (await first.stats()).ticks_received >= 3000, 30000);

    // The backend dies: batches are sealed, written and sent nowhere — they pile up unacked.
    await first.proc.kill();
    const deadAt = (await b1.bridge.stats()).spool.batches;
    await until('batches to pile up unacked in the spool', async () => {
      const s = await b1.bridge.stats();
      return !s.transport.connected && s.spool.batches >= deadAt + 30;
    }, 30000);
    await b1.bridge.proc.kill(); // SIGKILL: nothing flushed, closed or checkpointed

    // A crash mid-write: the newest segment's last record loses its last bytes.
    // (Cut from the end of its last whole record: the kill itself may have torn a write already.)
    const before = readSpoolState(spoolDir);
    const newest = before.segments.at(-1)!;
    const lastRecord = newest.records.at(-1)!;
    expect(newest.file).toBe(join(spoolDir, listSegments(spoolDir).at(-1)!));
    expect(lastRecord.sequence).toBeGreaterThan(before.checkpoint.ackedThrough);
    truncateSync(newest.file, newest.validBytes - 5);
    const after = readSpoolState(spoolDir);
    expect(after.segments.at(-1)!.corruption).toMatch(/torn record/);
    const lastWhole = Math.max(...after.segments.flatMap((g) => g.records.map((r) => r.sequence)));
    expect(lastWhole).toBe(lastRecord.sequence - 1);
    // The torn batch's ticks are not durable: the cursors a new bridge welcomes the EA with are
    // before them (for every symbol it touched).
    for (const [name, c] of lastRecord.cursors) {
      expect(after.cursors.get(name)?.tickSequence ?? 0, name).toBeLessThan(c.tickSequence);
    }

    // The backend returns (on the same store); a new bridge starts on the same spool and EA port.
    const second = await Backend.start({ ledger });
    const b2 = await Bridge.start(bridgeConfig('torn-2', { eaPort: b1.eaPort, endpoints: [second.url], spool }));
    // Reported as soon as the new bridge is ready: counted, and logged naming the segment.
    const s2 = await b2.bridge.stats();
    expect(s2.spool.corrupt_records).toBe(1);
    expect(s2.spool.recovered_batches).toBeGreaterThanOrEqual(30);
    expect(b2.bridge.proc.grep(`${listSegments(spoolDir).at(-1)}: torn record`).join('\n')).toMatch(/cut off, never replayed/);
    await until('the EA to reconnect to the new bridge', async () => (await sim.stats()).reconnects >= 1, 30000);
    const resumedAt = (await second.ledger()).ticks;
    await until('new ticks to be stored after the restart', async () => (await second.ledger()).ticks >= resumedAt + 3000, 30000);

    const sent = await sim.stop();
    await until('every tick the EA sent to be stored', async () => (await second.ledger()).ticks >= sent.good_sent, 30000);
    const stopped = await b2.bridge.stop();
    expect(stopped.drained).toBe(true);
    expect(stopped.stats.spool.replayed_batches).toBeGreaterThan(0);

    const held = await second.ledger();
    const bs = await second.stats();
    expectCleanStream(bs);
    // The torn record's ticks came again from the EA's history, as backfill.
    expect(sent.ticks_resent).toBeGreaterThan(0);
    expectEveryGoodTickOnce(Object.fromEntries(Object.entries(held.per_symbol).map(([n, s]) => [n, s.last_seq])), held.ticks, sent);
    expect(Object.fromEntries(Object.entries(held.per_symbol).map(([n, s]) => [n, s.last_seq]))).toEqual(sent.per_symbol);
    // The ledger holds the stream up to the bridge's last batch: nothing after the torn record skipped.
    expect(held.last_batch).toBe(stopped.stats.transport.last_acked_sequence);
  }, 90_000);

  test('a backend that stops reading: the small spool fills, the EA is paused; after SIGCONT everything drains — every good tick once, in order', async () => {
    const backend = await Backend.start();
    const b = await Bridge.start(bridgeConfig('frozen', {
      eaPort: 0, endpoints: [backend.url], ringCapacityTicks: 8192,
      spool: { dir: join(dir, 'frozen-spool'), maxBytes: 1 << 20, maxBatches: 16, overflow: 'pause' },
    }));
    const sim = await Sim.start(b.eaPort, { rate: 5000, invalidRate: 0.01, seed: 42 });
    await until('the backend to take some ticks', async () => (await backend.stats()).ticks_received >= 3000, 30000);

    backend.proc.signal('SIGSTOP'); // its socket stays open; nothing is read, nothing acked
    let paused: BridgeStats | null = null;
    await until('backpressure to pause the EA', async () => {
      const s = await b.bridge.stats();
      if (s.ea_paused && s.ingest.pauses >= 1) paused = s;
      return paused !== null;
    }, 40000);
    const simPaused = await sim.stats();
    backend.proc.signal('SIGCONT');

    // While frozen: the spool was at its bound and the socket thread held frames, dropped none.
    const p = paused! as BridgeStats;
    expect(p.spool.batches >= 16 || p.spool.bytes >= 1 << 20, `spool at its bound: ${p.spool.batches} batches, ${p.spool.bytes} bytes`).toBe(true);
    expect(p.spool.dropped_batches).toBe(0);
    expect(p.ingest.badFrames).toBe(0);
    expect(simPaused.paused_ms).toBeGreaterThan(0);

    await until('the EA to be resumed', async () => !(await b.bridge.stats()).ea_paused, 30000);
    const sent = await sim.stop();
    await until('every tick the EA sent to reach the backend', async () => (await backend.stats()).ticks_received >= sent.good_sent, 30000);
    const stopped = await b.bridge.stop();
    expect(stopped.drained).toBe(true);
    const bs = await backend.stats();

    expectCleanStream(bs);
    expect(bs.ticks_received).toBe(sent.good_sent);
    expectEveryGoodTickOnce(Object.fromEntries(Object.entries(bs.per_symbol).map(([n, s]) => [n, s.last_seq])), bs.ticks_received, sent);
    for (const [name, s] of Object.entries(bs.per_symbol)) expect(s.ticks, name).toBe(s.last_seq);
    const f = stopped.stats;
    expect(f.ingest.pauses).toBeGreaterThanOrEqual(1);
    expect(f.ingest.badFrames).toBe(0);
    expect(f.ticks_accepted).toBe(sent.good_sent);
    expect(f.ticks_rejected).toBe(sent.invalid_injected);
    expect(f.spool.dropped_ticks).toBe(0);
    expect(sent.paused_ms).toBeGreaterThan(0);
  }, 90_000);

  // Can a tmpfs be mounted without privileges here (a user + mount namespace)? Tried for real:
  // some sandboxes allow the namespaces but not the mount.
  const probeDir = join(dir, 'mount-probe');
  mkdirSync(probeDir);
  const unshare = spawnSync('unshare', ['--user', '--map-root-user', '--mount', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs "$1"', 'sh', probeDir],
    { stdio: 'ignore', timeout: 10000 });
  const canMount = unshare.status === 0;
  if (!canMount) {
    console.warn(`delivery-faults: skipping the full-disk tests: \`unshare --user --map-root-user --mount\` cannot mount a tmpfs here (${unshare.error?.message ?? `exit ${unshare.status}`}), so no small disk can be made without privileges`);
  }

  /**
   * `filler`: space returns because the filler is deleted; otherwise only because the backend
   * acks and the spool frees what is acked — the disk is then full of the spool itself: of small
   * segments (`segments`, deleted once acked) or of one segment larger than the whole disk
   * (`one-segment`: cut back to its header once wholly acked, the checkpoint written in place).
   */
  async function fullDisk(name: string, space: 'filler' | 'segments' | 'one-segment'): Promise<void> {
    const freeFiller = space === 'filler';
    const ledger = join(dir, `${name}-ledger.bin`);
    const disk = join(dir, `${name}-disk`);
    mkdirSync(disk);
    const spoolDir = join(disk, 'spool');
    const port = await freePort();
    let backend = await Backend.start({ ledger, port });
    // The spool may grow far past the disk: only the disk bounds it. Small segments, so that acked
    // ones are deleted while the disk has room — or the default 8 MiB, four times the whole disk.
    const config = bridgeConfig(name, {
      eaPort: 0, endpoints: [backend.url], ringCapacityTicks: 8192,
      spool: { dir: spoolDir, segmentBytes: space === 'one-segment' ? 8 << 20 : 65536, retryMs: 100 },
    });
    // Its own user and mount namespace: a 2 MiB tmpfs over `disk`, three quarters taken by a
    // filler file, then the bridge (the exec keeps the process and its IPC descriptor).
    const script = 'mount -t tmpfs -o size=2m tmpfs "$1" && head -c 1572864 /dev/zero > "$1/filler" && exec "$2" "$3" start --config "$4"';
    const proc = track(new Proc('bridge', 'unshare', ['--user', '--map-root-user', '--mount', 'sh', '-c', script, 'sh', disk, process.execPath, BIN, config]));
    const { bridge, eaPort } = await Bridge.ready(proc);
    // The test reaches the namespace's tmpfs through the bridge's root.
    const filler = `/proc/${proc.pid}/root${disk}/filler`;
    expect(statSync(filler).size).toBe(1572864);

    const sim = await Sim.start(eaPort, { rate: 4000, invalidRate: 0.01, seed: 43 });
    await until('the backend to take some ticks', async () => (await backend.stats()).ticks_received >= 3000, 30000);

    // The backend goes away: nothing is acked, the spool grows until the disk is full.
    await backend.proc.kill();
    let full: BridgeStats | null = null;
    await until('the spool to hit the full disk and the EA to be paused', async () => {
      const s = await bridge.stats();
      if (s.spool.failing && s.spool.write_errors >= 1 && s.ea_paused) full = s;
      return full !== null;
    }, 40000);
    const f = full! as BridgeStats;
    expect(proc.grep('SPOOL_DISK_FULL').join('\n')).toMatch(/cannot write to .*ENOSPC/);
    const spoolFiles = (): string[] => readdirSync(`/proc/${proc.pid}/root${spoolDir}`);
    if (space === 'one-segment') expect(spoolFiles().filter((n) => n.endsWith('.spool'))).toHaveLength(1);
    expect(f.ingest.pauses).toBeGreaterThanOrEqual(1);
    expect(f.spool.batches).toBeGreaterThan(0);
    expect(f.spool.dropped_batches).toBe(0);
    // It keeps running on a full disk, holding what it has.
    await until('the bridge to answer on a full disk', async () => (await bridge.stats()).spool.write_errors > f.spool.write_errors, 10000);
    const still = await bridge.stats();
    expect(proc.alive).toBe(true);
    expect(still.spool.failing).toBe(true);
    expect(still.spool.batches).toBeGreaterThanOrEqual(f.spool.batches);
    expect(still.spool.dropped_ticks).toBe(0);

    // Space returns and the backend is back on the same store: it all drains.
    if (freeFiller) unlinkSync(filler);
    backend = await Backend.start({ ledger, port });
    await until('the spool to write again and the EA to be resumed', async () => {
      const s = await bridge.stats();
      return !s.spool.failing && !s.ea_paused && s.transport.connected;
    }, 30000);
    expect(proc.grep('writing again after SPOOL_DISK_FULL').length).toBeGreaterThanOrEqual(1);
    // Without the filler deleted, the space came from the spool's own acked segments.
    if (!freeFiller) expect(statSync(filler).size).toBe(1572864);
    if (space === 'one-segment') {
      // The one segment was cut back and written on: no second segment file, no new space needed.
      expect(proc.grep('cut back to its header').length).toBeGreaterThanOrEqual(1);
      expect(spoolFiles().filter((n) => n.endsWith('.spool'))).toHaveLength(1);
      expect(spoolFiles()).toContain('checkpoint.bin');
    }
    // However often the disk filled and freed again during the replay, SPOOL_DISK_FULL is logged
    // in full once per FAILURE_LOG_EVERY_MS (10 s), not every retryMs.
    expect(proc.grep('SPOOL_DISK_FULL: cannot write').length).toBeLessThanOrEqual(3);
    const sent = await sim.stop();
    await until('every tick the EA sent to be stored', async () => (await backend.ledger()).ticks >= sent.good_sent, 30000);
    const stopped = await bridge.stop();
    expect(stopped.drained).toBe(true);

    const held = await backend.ledger();
    expectCleanStream(await backend.stats());
    expectEveryGoodTickOnce(Object.fromEntries(Object.entries(held.per_symbol).map(([n, s]) => [n, s.last_seq])), held.ticks, sent);
    expect(held.last_batch).toBe(stopped.stats.transport.last_acked_sequence);
    expect(stopped.stats.ticks_accepted).toBe(sent.good_sent);
    expect(stopped.stats.ingest.badFrames).toBe(0);
    expect(stopped.stats.spool.dropped_ticks).toBe(0);
    expect(sent.paused_ms).toBeGreaterThan(0);
  }

  test.skipIf(!canMount)('a full disk: the spool reports SPOOL_DISK_FULL, the EA is paused, the process keeps what it has; space back (filler deleted) and the backend back: every good tick once', async () => {
    await fullDisk('full', 'filler');
  }, 90_000);

  test.skipIf(!canMount)('a disk the spool filled itself: once the backend is back and acks, the spool frees the disk by deleting acked segments — every good tick once', async () => {
    await fullDisk('self-full', 'segments');
  }, 90_000);

  test.skipIf(!canMount)('one segment larger than the whole disk, filled by the spool itself: once the backend is back and acks, the segment is cut back and written on — every good tick once', async () => {
    await fullDisk('self-full-one', 'one-segment');
  }, 90_000);
});
