/**
 * `client-mt5 demo --chaos`: the demo with faults, to show that delivery loses nothing. Every part
 * is a separate process so that it can be killed like a real one:
 *
 *   ea-sim ──► bridge (client-mt5 start) ──► backend primary ─┐
 *                 │ spool dir                └► backend backup ┴─ one ledger file (a shared store)
 *
 *   (D = --duration, counted from the moment the EA streams)
 *   0.15 D  SIGKILL the primary backend       → the bridge fails over to the backup
 *   0.30 D  start the primary again            → after transport.failbackAfterMs it fails back
 *   0.65 D  SIGKILL the bridge, start a new one → it replays its spool, the EA backfills from the
 *                                                 durable cursors of the new welcome
 *   0.85 D  the EA drops its link              → it reconnects and backfills
 *       D  stop the EA, drain the bridge, audit the ledger
 *
 * A killed process reports nothing, so the summary is built from what survives: the EA's distinct
 * ticks (`ticks_accepted` = the distinct good ticks it sent: the plain demo shows validation
 * accepts exactly those), the ledger's distinct ticks (`ticks_delivered`), each backend's counters
 * (the primary's read just before it is killed), and the bridges' stats polled while they live.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../shared/free-port.js';
import { signJwt } from '../shared/jwt.js';
import type { BridgeStats } from './bridge-stats.js';
import { Child } from './child.js';
import type { DemoOptions } from './demo.js';
import { createLogger } from './log.js';
import { ChaosTally, type BackendCounters, type ChaosSummary, type SimStats } from './chaos-summary.js';

const JWT_SUBJECT = 'demo-client';
const DEFAULT_CHAOS_DURATION_S = 40;

export async function runChaosDemo(o: DemoOptions): Promise<number> {
  const log = createLogger('chaos');
  const started = performance.now();
  const durationMs = (o.durationS ?? DEFAULT_CHAOS_DURATION_S) * 1000;
  const dir = mkdtempSync(join(tmpdir(), 'client-mt5-chaos-'));
  const secret = randomBytes(32).toString('hex');
  const jwt = signJwt({ sub: JWT_SUBJECT, exp: Math.floor(Date.now() / 1000) + 86400 }, secret);
  const eaToken = randomBytes(16).toString('hex');
  const ledger = join(dir, 'ledger.bin');
  const [primaryPort, backupPort] = [await freePort(), await freePort()];
  const eaPort = o.port === 0 ? await freePort() : o.port;
  const tally = new ChaosTally();
  const children: Child[] = [];
  const spawn = (name: string, args: string[], quiet = true): Child => {
    const c = new Child(name, args, { quiet });
    children.push(c);
    return c;
  };
  const startBackend = async (role: 'primary' | 'backup'): Promise<{ child: Child; url: string }> => {
    const port = role === 'primary' ? primaryPort : backupPort;
    const child = spawn(`backend-${role}`, ['backend', '--port', String(port), '--jwt-secret', secret, '--ledger', ledger, '--heartbeat-ms', '100']);
    const ready = await child.next<{ type: 'ready'; url: string }>('ready');
    return { child, url: ready.url };
  };

  let exitCode = 1;
  try {
    let primary = await startBackend('primary');
    const backup = await startBackend('backup');
    const configFile = join(dir, 'bridge.json');
    writeFileSync(configFile, JSON.stringify({
      workers: o.workers,
      eaLink: { port: eaPort, token: eaToken },
      backend: { endpoints: [primary.url, backup.url], jwt },
      // Dead links found fast: a killed backend closes its sockets at once; a hung one is caught
      // by the heartbeat timeout.
      transport: { heartbeatIntervalMs: 100, linkTimeoutMs: 400, reconnectMinMs: 20, reconnectMaxMs: 500, failbackAfterMs: failbackAfterMs(durationMs), ...(o.encoding ? { encoding: o.encoding } : {}) },
      spool: { dir: join(dir, 'spool') },
      trading: { stateDir: join(dir, 'trading') },
      statusIntervalMs: 1000,
    }));
    const startBridge = async (): Promise<Child> => {
      const child = spawn('bridge', ['start', '--config', configFile], o.json);
      await child.next('ready', 20000);
      return child;
    };
    let bridge = await startBridge();
    const sim = spawn('ea-sim', [
      'ea-sim', '--url', `ws://127.0.0.1:${eaPort}/ea`, '--token', eaToken,
      '--rate', String(o.rate), '--symbols', String(o.symbols), '--invalid-rate', String(o.invalidRate),
      ...(o.seed !== undefined ? ['--seed', String(o.seed)] : []),
    ]);
    await sim.next('connected');
    process.stdout.write(`client-mt5 demo --chaos: simulated EA (${o.symbols} symbols, ${o.rate} ticks/s) -> bridge (process ${bridge.pid}, ` +
      `${o.workers} workers) -> backends ${primary.url} (primary), ${backup.url} (backup); ${durationMs / 1000} s of faults\n`);

    let incarnation = 0;
    const poll = async (): Promise<void> => {
      try {
        const { stats } = await bridge.request<{ type: 'stats'; stats: BridgeStats }>({ type: 'stats' }, 'stats', 2000);
        tally.bridgeStats(incarnation, stats);
      } catch {
        // A bridge being killed or restarted does not answer; the next poll will.
      }
    };
    const poller = setInterval(() => void poll(), 250);
    // The schedule runs from the moment ticks flow, so that the faults hit a stream in progress.
    const streaming = performance.now();
    const at = (fraction: number) => sleepUntil(streaming + fraction * durationMs);
    try {
      await at(0.15);
      tally.backendStats('primary#1', await backendCounters(primary.child));
      primary.child.kill();
      await primary.child.exited;
      log('warn', 'killed the primary backend (SIGKILL)');

      await at(0.3);
      primary = await startBackend('primary');
      log('info', 'the primary backend is back');

      await at(0.65);
      await poll();
      bridge.kill();
      await bridge.exited;
      log('warn', 'killed the bridge (SIGKILL); starting a new one on the same spool');
      incarnation++;
      tally.bridgeRestarts++;
      bridge = await startBridge();

      await at(0.85);
      const dropped = await sim.request<{ type: 'link-dropped'; dropped: boolean }>({ type: 'drop-link' }, 'link-dropped');
      log('warn', dropped.dropped ? 'the EA dropped its link' : 'the EA had no link to drop');

      await at(1);
    } finally {
      clearInterval(poller);
    }

    // The source stops first; the bridge then takes in what is left, drains and waits for acks.
    const simFinal = (await sim.request<{ type: 'stopped'; stats: SimStats }>({ type: 'stop' }, 'stopped')).stats;
    const stopped = await bridge.request<{ type: 'stopped'; drained: boolean; stats: BridgeStats }>({ type: 'stop' }, 'stopped', 60000);
    tally.bridgeStats(incarnation, stopped.stats);
    tally.backendStats('primary#2', await backendCounters(primary.child));
    tally.backendStats('backup', await backendCounters(backup.child));
    const summary = tally.summarise({
      o, durationS: (performance.now() - started) / 1000, sim: simFinal, drained: stopped.drained,
      ledgerTicks: (await ledgerView(primary.child, JWT_SUBJECT)).ticks,
    });
    printSummary(summary);
    if (o.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    exitCode = summary.checks_failed.length === 0 ? 0 : 1;
  } finally {
    await Promise.all(children.map((c) => c.stop(5000)));
    rmSync(dir, { recursive: true, force: true });
  }
  return exitCode;
}

async function backendCounters(child: Child): Promise<BackendCounters> {
  return (await child.request<{ type: 'stats'; stats: BackendCounters }>({ type: 'stats' }, 'stats')).stats;
}

async function ledgerView(child: Child, client: string): Promise<{ ticks: number; last_batch: number }> {
  return (await child.request<{ type: 'ledger'; ticks: number; last_batch: number }>({ type: 'ledger', client }, 'ledger'));
}

function printSummary(s: ChaosSummary): void {
  const lines = [
    '',
    `chaos summary after ${s.duration_s} s (${s.workers} workers, ${s.symbols} symbols, offered ${s.rate} ticks/s):`,
    `  EA sent ${s.ticks_sent} distinct ticks (${s.invalid_injected} deliberately bad), re-sent ${s.ticks_resent} after cursors, reconnected ${s.ea_reconnects}x`,
    `  faults: failovers ${s.failovers} (longest ${s.failover_ms} ms to the first ack on the next backend), fail-backs ${s.failbacks}, bridge restarts ${s.bridge_restarts}`,
    `  spool: at most ${s.spool_max_bytes} bytes unacked, ${s.replayed_batches} batches replayed`,
    `  backends hold ${s.ticks_delivered} distinct ticks of ${s.ticks_accepted} good ones sent; lost ${s.ticks_lost}, ` +
      `duplicates dropped ${s.duplicates}, out of order ${s.out_of_order}, gaps ${s.gaps}, indicator mismatches ${s.indicator_mismatches}`,
    s.checks_failed.length === 0 ? '  all checks passed' : `  CHECKS FAILED: ${s.checks_failed.join('; ')}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Fail back well before the bridge is killed (0.35 D after the primary returns), at most 2 s. */
function failbackAfterMs(durationMs: number): number {
  return Math.round(Math.min(2000, Math.max(500, durationMs * 0.1)));
}

function sleepUntil(t: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, t - performance.now())));
}
