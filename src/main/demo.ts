/**
 * `client-mt5 demo` (what `npm start` runs): the reference backend and the simulated EA as child
 * processes, the bridge in this process, a status line every second, and on Ctrl-C or after
 * `--duration` a drain and a summary that says whether every accepted tick arrived exactly once.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../shared/config.js';
import { signJwt } from '../shared/jwt.js';
import { Bridge } from './bridge.js';
import type { BridgeStats } from './bridge-stats.js';
import { Child } from './child.js';
import {
  DEMO_TRADE_FAULTS, commandChecks, commandsLine, demoCommands, windDownCommands, type BackendCommandStats, type DemoCommands,
} from './demo-commands.js';
import { createLogger } from './log.js';
import { runWithStatus } from './status-line.js';

export interface DemoOptions {
  durationS?: number;
  json: boolean;
  rate: number;
  symbols: number;
  workers: number;
  invalidRate: number;
  record?: string;
  port: number;
  seed?: number;
  /** transport.encoding; the schema names the allowed values when it is wrong. */
  encoding?: string;
}

export interface DemoSummary {
  duration_s: number;
  rate: number;
  workers: number;
  symbols: number;
  ticks_sent: number;
  invalid_injected: number;
  injected_by_kind: Record<string, number>;
  ticks_received: number;
  ticks_accepted: number;
  ticks_rejected: number;
  rejected_by_reason: Record<string, number>;
  ticks_delivered: number;
  ticks_lost: number;
  duplicates: number;
  out_of_order: number;
  gaps: number;
  batches: number;
  indicator_mismatches: number;
  latency_ms: { p50: number; p99: number; max: number };
  ea_pauses: number;
  bad_frames: number;
  /** Most unacked bytes the durable spool held, and stored batches it sent again (reconnects, restarts). */
  spool_max_bytes: number;
  replayed_batches: number;
  /** Links that moved to another backend endpoint, and the longest time from a link's loss to the first ack on the next one. */
  failovers: number;
  failover_ms: number;
  ready_ms: number;
  drained: boolean;
  /** Trading commands the backend issued and their final reports (demo-commands.ts). */
  commands: DemoCommands;
  limit_violations: number;
  checks_failed: string[];
}

interface SimStats { ticks_sent: number; invalid_injected: number; injected_by_kind: Record<string, number> }
interface BackendStats {
  ticks_received: number; duplicates: number; out_of_order: number; gaps: number; batches: number;
  indicator_mismatches: number; mismatch_examples?: unknown[]; latency_ms: { p50: number; p99: number; max: number };
  commands?: BackendCommandStats;
}

export async function runDemo(o: DemoOptions): Promise<number> {
  const log = createLogger('demo');
  const started = performance.now();
  const secret = randomBytes(32).toString('hex');
  const jwt = signJwt({ sub: 'demo-client', exp: Math.floor(Date.now() / 1000) + 86400 }, secret);
  const eaToken = randomBytes(16).toString('hex');

  const backend = new Child('backend', ['backend', '--port', '0', '--jwt-secret', secret, '--signals', ...(o.record ? ['--record', o.record] : [])], { quiet: true });
  const ready = await backend.next<{ type: 'ready'; url: string }>('ready');
  const spoolDir = mkdtempSync(join(tmpdir(), 'client-mt5-demo-spool-'));
  const tradingDir = mkdtempSync(join(tmpdir(), 'client-mt5-demo-trading-'));
  const config = parseConfig({
    workers: o.workers,
    eaLink: { port: o.port, token: eaToken },
    backend: { endpoints: [ready.url], jwt },
    // A spool of its own: a demo's backend is new, and must not be replayed an earlier run's batches.
    spool: { dir: spoolDir },
    transport: o.encoding === undefined ? undefined : { encoding: o.encoding },
    // Commands from the backend's signal rule go to the simulated EA's paper broker.
    trading: { stateDir: tradingDir, userId: 'demo-user' },
  });
  let fatal: Error | null = null;
  const bridge = await Bridge.start(config, createLogger('bridge'), { onFatal: (err) => { fatal = err; } });
  // Ticks that arrive before the backend link is up wait for it (nothing is lost); starting the EA
  // after it keeps that one-off wait out of the latency figures.
  if (!(await bridge.waitForBackend(10000))) log('warn', `the backend link did not open within 10 s; ticks wait for it`);
  const sim = new Child('ea-sim', [
    'ea-sim', '--url', `ws://127.0.0.1:${bridge.eaPort}${config.eaLink.path}`, '--token', eaToken,
    '--rate', String(o.rate), '--symbols', String(o.symbols), '--invalid-rate', String(o.invalidRate),
    ...(o.seed !== undefined ? ['--seed', String(o.seed)] : []), '--trade-faults', DEMO_TRADE_FAULTS,
  ], { quiet: true });
  await sim.next('connected');
  process.stdout.write(`client-mt5 demo: simulated EA (${o.symbols} symbols, ${o.rate} ticks/s, ${(o.invalidRate * 100).toFixed(2)}% bad) ` +
    `-> bridge ws://127.0.0.1:${bridge.eaPort}/ea (${o.workers} workers) -> backend ${ready.url}\n`);

  const runStarted = performance.now();
  await runWithStatus(() => bridge.stats(), config.statusIntervalMs, {
    stopAfterMs: o.durationS === undefined ? undefined : o.durationS * 1000,
    stopWhen: () => fatal !== null,
  });
  const fullRun = performance.now() - runStarted >= 29_900;
  // No new commands; the ones on their way reach their final report while the EA is still there.
  if (!(await windDownCommands(backend, 15000))) log('warn', 'some commands had no final report 15 s after the signals stopped');

  // Stop the source first, then let everything it sent flow through and be acked.
  const simFinal = (await sim.request<{ type: 'stopped'; stats: SimStats }>({ type: 'stop' }, 'stopped')).stats;
  const deadline = performance.now() + 10000;
  while (bridge.stats().ingest.ticks < simFinal.ticks_sent && performance.now() < deadline) await sleep(10);
  const drained = await bridge.drain(30000);
  const b = bridge.stats();
  const be = (await backend.request<{ type: 'stats'; stats: BackendStats }>({ type: 'stats' }, 'stats')).stats;
  await bridge.stop();
  await backend.stop();
  await sim.stop();
  rmSync(spoolDir, { recursive: true, force: true });
  rmSync(tradingDir, { recursive: true, force: true });

  const summary = summarise(o, performance.now() - started, simFinal, b, be, drained);
  summary.checks_failed.push(...commandChecks(summary, fullRun));
  if (fatal) summary.checks_failed.push(`fatal: ${(fatal as Error).message}`);
  log(summary.checks_failed.length === 0 ? 'info' : 'error',
    summary.checks_failed.length === 0 ? 'all checks passed' : `checks failed: ${summary.checks_failed.join('; ')}`);
  printSummary(summary, be);
  // Last, so that `--json` output ends with exactly one JSON object on its own line.
  if (o.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  return summary.checks_failed.length === 0 ? 0 : 1;
}

function summarise(o: DemoOptions, elapsedMs: number, sim: SimStats, b: BridgeStats, be: BackendStats, drained: boolean): DemoSummary {
  const s: DemoSummary = {
    duration_s: Math.round(elapsedMs) / 1000,
    rate: o.rate,
    workers: o.workers,
    symbols: o.symbols,
    ticks_sent: sim.ticks_sent,
    invalid_injected: sim.invalid_injected,
    injected_by_kind: sim.injected_by_kind,
    ticks_received: b.ingest.ticks,
    ticks_accepted: b.ticks_accepted,
    ticks_rejected: b.ticks_rejected,
    rejected_by_reason: Object.fromEntries(Object.entries(b.rejected_by_reason).filter(([, n]) => n > 0)),
    ticks_delivered: be.ticks_received,
    ticks_lost: b.ticks_accepted - be.ticks_received,
    duplicates: be.duplicates,
    out_of_order: be.out_of_order,
    gaps: be.gaps,
    batches: b.transport.batches_sent,
    indicator_mismatches: be.indicator_mismatches,
    latency_ms: { p50: round3(be.latency_ms.p50), p99: round3(be.latency_ms.p99), max: round3(be.latency_ms.max) },
    ea_pauses: b.ingest.pauses,
    spool_max_bytes: b.spool.max_bytes,
    replayed_batches: b.spool.replayed_batches,
    failovers: b.transport.failovers,
    failover_ms: b.transport.longest_failover_ms,
    bad_frames: b.ingest.badFrames,
    ready_ms: Math.round(b.ready_ms),
    drained,
    ...demoCommands(be.commands),
    checks_failed: [],
  };
  const fail = (cond: boolean, what: string) => { if (cond) s.checks_failed.push(what); };
  fail(s.ticks_received !== s.ticks_sent, `ticks_received ${s.ticks_received} != ticks_sent ${s.ticks_sent}`);
  fail(s.ticks_lost !== 0, `ticks_lost ${s.ticks_lost}`);
  fail(s.duplicates !== 0, `duplicates ${s.duplicates}`);
  fail(s.out_of_order !== 0, `out_of_order ${s.out_of_order}`);
  fail(s.gaps !== 0, `gaps ${s.gaps}`);
  fail(s.indicator_mismatches !== 0, `indicator_mismatches ${s.indicator_mismatches}`);
  fail(s.ticks_rejected !== s.invalid_injected, `ticks_rejected ${s.ticks_rejected} != invalid_injected ${s.invalid_injected}`);
  fail(s.ticks_accepted + s.ticks_rejected !== s.ticks_received, `accepted + rejected != received`);
  fail(!drained, 'the pipeline did not drain in time');
  return s;
}

function printSummary(s: DemoSummary, be: BackendStats): void {
  const lines = [
    '',
    `summary after ${s.duration_s} s (${s.workers} workers, ${s.symbols} symbols, offered ${s.rate} ticks/s):`,
    `  EA sent ${s.ticks_sent} ticks, ${s.invalid_injected} of them deliberately bad ${JSON.stringify(s.injected_by_kind)}`,
    `  bridge received ${s.ticks_received}, accepted ${s.ticks_accepted}, rejected ${s.ticks_rejected} ${JSON.stringify(s.rejected_by_reason)}`,
    `  backend holds ${s.ticks_delivered} distinct ticks in ${s.batches} batches; lost ${s.ticks_lost}, duplicates ${s.duplicates}, out of order ${s.out_of_order}, gaps ${s.gaps}`,
    `  indicator mismatches ${s.indicator_mismatches}; latency bridge->backend p50 ${s.latency_ms.p50} ms, p99 ${s.latency_ms.p99} ms, max ${s.latency_ms.max} ms`,
    commandsLine(s),
    s.checks_failed.length === 0 ? '  all checks passed' : `  CHECKS FAILED: ${s.checks_failed.join('; ')}`,
  ];
  if (be.indicator_mismatches > 0 && be.mismatch_examples) lines.push(`  first mismatches: ${JSON.stringify(be.mismatch_examples.slice(0, 3))}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
