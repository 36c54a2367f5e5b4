/**
 * One run of the end-to-end topology at one offered rate, every part its own process on loopback:
 *
 *   ea-sim ──ws /ea──► bridge (`client-mt5 start --config <generated>`) ──ws──► backend
 *   (client-mt5 ea-sim)     workers = N, RSS/CPU read from /proc             (sink or reference)
 *
 *   naive: ea-sim ──ws /ea──► bench/baselines/naive-bridge.ts ──ws, JSON per tick──► json-sink
 *
 * Timeline: backend up → bridge spawned (start-up = spawn → its EA port accepts TCP) → backend
 * link open → ea-sim started with --duration D → sampled every `sampleEveryMs` (sim, backend,
 * /proc) → generation ends at welcome + D → the sim sends what it holds and stops → wait until
 * the backend holds everything the sim sent (drain, bounded) → everything stopped, killed if it
 * does not stop by itself.
 */
import { rssBreakdown } from './rss-breakdown.js';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signJwt } from '../../src/shared/jwt.js';
import {
  cpuPercent, freePort, machineBusyMs, Proc, sampleProc, sleep, softirqThreadsCpuMs, waitAccepting, waitQuiet, type ProcSample,
} from './procs.js';
import { emptyResult, type LatencySummary, type RunResult, type RunSpec } from './run-result.js';

export type { BackendKind, LatencySummary, RunResult, RunSpec, Subject } from './run-result.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** `BENCH_BRIDGE_LOG=<file>`: every line the bridges log is appended there (to see why a run failed). */
const BRIDGE_LOG = process.env.BENCH_BRIDGE_LOG ?? '';
/** The bridge's stop lines (src/main/start-command.ts). */
const AGE = 'p50 ([\\d.]+) / p99 ([\\d.]+) / p99.9 ([\\d.]+) ms \\((\\d+) batches\\)';
const INSIDE_LINE = new RegExp(`latency inside the bridge.*compute pickup ${AGE}; transport pickup ${AGE}; to the socket ${AGE}`);
const MEMORY_LINE = /memory peaks by thread: (.*)$/;
const BIN = join(REPO, 'bin/client-mt5.js');
const TSX = ['--import', 'tsx'];

interface SimStats { ticks_sent: number; ticks_generated: number; history_overruns: number; paused_ms: number }
interface SinkLikeStats {
  ticks_received: number; duplicates: number; gaps: number; out_of_order?: number; bad_frames?: number; bad_messages?: number;
  latency_ms?: LatencySummary; tick_age_ms?: LatencySummary; row_frames?: number; columnar_frames?: number;
}

interface Sample { at: number; sim: SimStats | null; backend: SinkLikeStats | null; bridge: ProcSample | null; simProc: ProcSample | null; backendProc: ProcSample | null; machineBusyMs: number; softirqMs: number }

/** Runs one spec; never throws (a failure is a result with `passed: false`). Kills what it started. */
export async function runOnce(spec: RunSpec): Promise<RunResult> {
  const procs: Proc[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'client-mt5-e2e-'));
  const result = emptyResult(spec);
  try {
    await runInto(spec, result, procs, dir);
  } catch (err) {
    result.passed = false;
    result.failure ||= (err as Error).message.split('\n')[0];
  } finally {
    await Promise.all(procs.map((p) => p.stop({ signal: 'SIGTERM', graceMs: 3000 }).catch(() => p.kill())));
    for (const p of procs) p.kill();
    rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

async function runInto(spec: RunSpec, r: RunResult, procs: Proc[], dir: string): Promise<void> {
  const quiet = await waitQuiet(spec.waitQuietMs ?? 0);
  r.busy_before_pct = round1(quiet.busyPct);
  r.waited_quiet_ms = Math.round(quiet.waitedMs);
  const token = randomBytes(16).toString('hex');
  const secret = randomBytes(32).toString('hex');
  let pauses = 0;
  const gcEvents: Array<{ at: number; isolate: string; full: boolean }> = [];

  // ── backend ──────────────────────────────────────────────────────────────────────────────────
  let backend: Proc;
  if (spec.subject === 'naive') {
    backend = new Proc('json-sink', join(REPO, 'bench/baselines/json-sink.ts'), [], { nodeArgs: TSX, ipc: true, cwd: REPO });
  } else if (spec.backend === 'sink') {
    backend = new Proc('sink-backend', join(REPO, 'bench/e2e/sink-backend.ts'), ['--jwt-secret', secret], { nodeArgs: TSX, ipc: true, cwd: REPO });
  } else {
    backend = new Proc('backend', BIN, ['backend', '--port', '0', '--jwt-secret', secret], { ipc: true, cwd: REPO });
  }
  procs.push(backend);
  const { url } = await backend.next<{ type: 'ready'; url: string }>('ready', 30000);

  // ── bridge (or the naive one) ────────────────────────────────────────────────────────────────
  const eaPort = await freePort();
  let bridge: Proc;
  let accepted = Number.NaN;
  const spawnedAt = performance.now();
  if (spec.subject === 'naive') {
    bridge = new Proc('naive-bridge', join(REPO, 'bench/baselines/naive-bridge.ts'),
      ['--port', String(eaPort), '--token', token, '--sink', url], { nodeArgs: TSX, ipc: true, cwd: REPO });
    procs.push(bridge);
    const ready = bridge.next('ready', 30000);
    r.startup_ms = (await waitAccepting(eaPort, 30000)) - spawnedAt;
    await ready;
  } else {
    const configFile = join(dir, 'client-mt5.json');
    const jwt = signJwt({ sub: `bench-${randomBytes(4).toString('hex')}`, exp: Math.floor(Date.now() / 1000) + 3600 }, secret);
    writeFileSync(configFile, JSON.stringify({
      ...spec.bridgeConfig,
      // A spool of its own per run: a run must not replay or continue an earlier run's batches.
      spool: { ...(spec.bridgeConfig?.spool as Record<string, unknown> | undefined), dir: join(dir, 'spool') },
      workers: spec.workers,
      eaLink: { host: '127.0.0.1', port: eaPort, token },
      backend: { endpoints: [url], jwt },
      statusIntervalMs: 1000,
    }));
    const nodeArgs = [...(spec.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', spec.cpuProfDir] : []), ...(spec.traceGc ? ['--trace-gc'] : [])];
    bridge = new Proc('bridge', BIN, ['start', '--config', configFile], {
      nodeArgs, cwd: REPO,
      onLine: (line) => {
        if (BRIDGE_LOG) appendFileSync(BRIDGE_LOG, `${line}\n`);
        const g = GC_LINE.exec(line);
        if (g) { gcEvents.push({ at: performance.now(), isolate: g[1], full: g[2] !== 'Scavenge' }); return; }
        if (/EA paused:/.test(line)) pauses++;
        const hops = INSIDE_LINE.exec(line);
        if (hops) {
          const age = (k: number) => ({ p50: Number(hops[k]), p99: Number(hops[k + 1]), p999: Number(hops[k + 2]), count: Number(hops[k + 3]) });
          r.inside_bridge_ms = { compute_pickup: age(1), transport_pickup: age(5), sent: age(9) };
        }
        const mem = MEMORY_LINE.exec(line);
        if (mem) {
          const isolates = [...mem[1].matchAll(/(main|transport|compute \d+) heap ([\d.]+) MB \+ ([\d.]+) MB outside/g)]
            .map((x) => ({ who: x[1], heap: Number(x[2]), external: Number(x[3]) }));
          const of = (who: string) => { const x = isolates.find((i) => i.who === who); return { heap: x?.heap ?? Number.NaN, external: x?.external ?? Number.NaN }; };
          r.memory_peak_mb = { main: of('main'), transport: of('transport'), compute: isolates.filter((i) => i.who.startsWith('compute')).map((i) => of(i.who)) };
        }
        const m = /stopped: (\d+) ticks accepted/.exec(line);
        if (m) accepted = Number(m[1]);
      },
    });
    procs.push(bridge);
    const readyLine = bridge.waitLine(/bridge ready in (\d+) ms/, 30000);
    const linkOpen = bridge.waitLine(/backend link open/, 30000);
    r.startup_ms = (await waitAccepting(eaPort, 30000)) - spawnedAt;
    r.ready_ms_logged = Number((await readyLine)[1]);
    await linkOpen;
  }

  // ── the simulated EA ─────────────────────────────────────────────────────────────────────────
  const sim = new Proc('ea-sim', BIN, [
    'ea-sim', '--url', `ws://127.0.0.1:${eaPort}/ea`, '--token', token, '--rate', String(spec.rate),
    '--symbols', String(spec.symbols), '--invalid-rate', '0', '--duration', String(spec.durationS), '--seed', String(spec.seed),
    ...(spec.timerMs ? ['--timer-ms', String(spec.timerMs)] : []),
  ], { ipc: true, cwd: REPO });
  procs.push(sim);
  const stopped = sim.next<{ type: 'stopped'; stats: SimStats }>('stopped', (spec.durationS + 30) * 1000);
  stopped.catch(() => {});
  await sim.next('connected', 30000);
  const t0 = performance.now();
  const genEnd = t0 + spec.durationS * 1000;
  const measureFrom = t0 + Math.min(1000, (spec.durationS * 1000) / 4);
  let simDone = false;
  void stopped.then(() => { simDone = true; }, () => { simDone = true; });

  const sample = async (): Promise<Sample> => {
    const [simStats, backendStats] = await Promise.all([
      simDone ? Promise.resolve(null) : sim.request<{ type: 'stats'; stats: SimStats }>({ type: 'stats' }, 'stats', 2000).then((m) => m.stats, () => null),
      backend.request<{ type: 'stats'; stats: SinkLikeStats }>({ type: 'stats' }, 'stats', 5000).then((m) => m.stats, () => null),
    ]);
    return {
      at: performance.now(), sim: simStats, backend: backendStats, bridge: sampleProc(bridge.pid, true),
      simProc: sampleProc(sim.pid), backendProc: sampleProc(backend.pid), machineBusyMs: machineBusyMs(), softirqMs: softirqThreadsCpuMs() + machineBusyMs('interrupts'),
    };
  };

  // ── sampling until generation ends ───────────────────────────────────────────────────────────
  // The reference backend cannot restart its histogram; the sinks can.
  let warmReset = spec.latencyWarmupS !== undefined && (spec.subject === 'naive' || spec.backend === 'sink');
  const resetAt = t0 + (spec.latencyWarmupS ?? 0) * 1000;
  let first: Sample | null = null;
  let atEnd: Sample | null = null;
  let peakRssMb = 0;
  for (let k = 1; ; k++) {
    const due = Math.min(t0 + k * spec.sampleEveryMs, genEnd - 30);
    if (warmReset && resetAt <= due) {
      await sleep(resetAt - performance.now());
      await backend.request({ type: 'reset' }, 'reset', 5000);
      warmReset = false;
    }
    await sleep(due - performance.now());
    const s = await sample();
    if (!first && s.at >= measureFrom) first = s;
    if (s.bridge && s.bridge.rssMb > peakRssMb) {
      peakRssMb = s.bridge.rssMb;
      r.rss_breakdown = rssBreakdown(bridge.pid);
    }
    atEnd = s;
    if (due >= genEnd - 30 || simDone) break;
  }
  if (!first || !atEnd) throw new Error('no samples taken');

  // ── drain: the sim sends what it holds and stops; the backend must catch up ──────────────────
  const simFinal = (await stopped).stats;
  let caughtUpAt = Number.NaN;
  let last: SinkLikeStats = await backend.request<{ type: 'stats'; stats: SinkLikeStats }>({ type: 'stats' }, 'stats', 5000).then((m) => m.stats);
  const drainDeadline = Math.max(performance.now(), genEnd) + Math.max(spec.maxDrainMs * 4, 5000);
  while (performance.now() < drainDeadline) {
    last = await backend.request<{ type: 'stats'; stats: SinkLikeStats }>({ type: 'stats' }, 'stats', 5000).then((m) => m.stats);
    if (last.ticks_received >= simFinal.ticks_sent) { caughtUpAt = performance.now(); break; }
    await sleep(20);
  }
  const simEnd = atEnd.sim ?? simFinal;

  r.ticks_generated = simFinal.ticks_generated;
  r.ticks_sent = simFinal.ticks_sent;
  r.ticks_delivered = last.ticks_received;
  r.ticks_lost = simFinal.ticks_generated - last.ticks_received;
  r.duplicates = last.duplicates;
  r.gaps = last.gaps;
  r.out_of_order = last.out_of_order ?? 0;
  r.history_overruns = simFinal.history_overruns;
  r.ea_paused_ms = simFinal.paused_ms;
  r.ea_pauses = pauses;
  r.lag_at_end_ticks = simEnd.ticks_generated - (atEnd.backend?.ticks_received ?? 0);
  r.drain_ms = Number.isNaN(caughtUpAt) ? Number.POSITIVE_INFINITY : Math.max(0, caughtUpAt - genEnd);
  r.offered_per_s = simFinal.ticks_generated / spec.durationS;
  r.delivered_per_s = last.ticks_received / spec.durationS;
  r.encoding = spec.subject === 'naive' ? 'json' : (last.columnar_frames ?? 0) > 0 ? 'columnar' : last.row_frames !== undefined ? 'row' : '';
  r.latency_ms = pickLatency(last.latency_ms);
  r.tick_age_ms = pickLatency(last.tick_age_ms);
  r.latency_window = spec.subject === 'bridge' && spec.backend === 'reference'
    ? 'whole run (the reference backend cannot restart its histogram; includes warm-up)'
    : warmLabel(spec);

  const threads: RunResult['bridge']['threads_cpu_pct'] = [];
  if (first.bridge && atEnd.bridge) {
    for (const [tid, ms] of atEnd.bridge.threads) {
      const before = first.bridge.threads.get(tid) ?? 0;
      threads.push({ tid, main: tid === bridge.pid, cpu_pct: round1((100 * (ms - before)) / (atEnd.at - first.at)) });
    }
    threads.sort((a, b) => Number(b.main) - Number(a.main) || b.cpu_pct - a.cpu_pct);
  }
  r.bridge = {
    rss_mb_end: round1(atEnd.bridge?.rssMb ?? Number.NaN),
    rss_mb_peak: round1(atEnd.bridge?.hwmMb ?? Number.NaN),
    rss_anon_mb: round1(atEnd.bridge?.rssAnonMb ?? Number.NaN),
    rss_file_mb: round1(atEnd.bridge?.rssFileMb ?? Number.NaN),
    cpu_pct: round1(cpuPercent(first.bridge, atEnd.bridge)),
    sys_pct: round1(first.bridge && atEnd.bridge ? (100 * (atEnd.bridge.sysMs - first.bridge.sysMs)) / (atEnd.at - first.at) : Number.NaN),
    threads_cpu_pct: threads.filter((t) => t.main || t.cpu_pct >= 1).slice(0, 8),
  };
  r.sim = { cpu_pct: round1(cpuPercent(first.simProc, atEnd.simProc)) };
  r.backend_proc = { cpu_pct: round1(cpuPercent(first.backendProc, atEnd.backendProc)), rss_mb_peak: round1(atEnd.backendProc?.hwmMb ?? Number.NaN) };
  r.machine_cpu_pct = round1((100 * (atEnd.machineBusyMs - first.machineBusyMs)) / (atEnd.at - first.at));
  const softirqPct = (100 * (atEnd.softirqMs - first.softirqMs)) / (atEnd.at - first.at);
  r.others_cpu_pct = round1(Math.max(0, r.machine_cpu_pct - r.bridge.cpu_pct - r.sim.cpu_pct - r.backend_proc.cpu_pct - softirqPct));

  if (spec.traceGc) {
    // The main isolate is the first to collect (during start-up, before any worker exists).
    const order = [...new Set(gcEvents.map((e) => e.isolate))];
    const inWindow = gcEvents.filter((e) => e.at >= first!.at && e.at <= atEnd!.at);
    const ticks = (atEnd.backend?.ticks_received ?? 0) - (first.backend?.ticks_received ?? 0);
    r.gc = {
      window_s: round1((atEnd.at - first.at) / 1000), ticks,
      isolates: order.map((isolate, i) => ({
        isolate: i === 0 ? 'main' : `worker isolate ${i}`,
        scavenges: inWindow.filter((e) => e.isolate === isolate && !e.full).length,
        mark_compacts: inWindow.filter((e) => e.isolate === isolate && e.full).length,
      })),
    };
  }

  // ── stop the bridge gracefully (SIGTERM: drain, then exit) to read its final count ───────────
  await bridge.stop({ signal: 'SIGTERM', graceMs: 15000 });
  r.bridge_accepted = spec.subject === 'bridge' ? accepted : Number.NaN;

  const fail: string[] = [];
  if (r.ticks_lost !== 0) fail.push(`lost ${r.ticks_lost} ticks`);
  if (r.history_overruns !== 0) fail.push(`EA history overrun ${r.history_overruns}x (paused too long)`);
  if (r.duplicates !== 0) fail.push(`${r.duplicates} duplicates`);
  if (r.gaps !== 0) fail.push(`${r.gaps} sequence gaps`);
  if (r.out_of_order !== 0) fail.push(`${r.out_of_order} out of order`);
  if ((last.bad_frames ?? 0) + (last.bad_messages ?? 0) > 0) fail.push('bad frames at the backend');
  if (!(r.drain_ms <= spec.maxDrainMs)) fail.push(`fell behind: backend complete ${Number.isFinite(r.drain_ms) ? `${Math.round(r.drain_ms)} ms` : 'never'} after generation ended (limit ${spec.maxDrainMs} ms)`);
  if (spec.subject === 'bridge' && !Number.isNaN(accepted) && accepted !== r.ticks_sent) fail.push(`bridge accepted ${accepted} of ${r.ticks_sent}`);
  r.passed = fail.length === 0;
  r.failure = fail.join('; ');
}

/** A `--trace-gc` line: `[pid:0xisolate]   1234 ms: Scavenge ...` (or Mark-Compact, Minor Mark-Compact). */
const GC_LINE = /^\[\d+:(0x[0-9a-f]+)\]\s+\d+ ms: (Scavenge|Mark-Compact|Minor Mark-Compact|Mark-Compact \(reduce\))/;

function warmLabel(spec: RunSpec): string {
  return spec.latencyWarmupS === undefined ? 'whole run' : `after a ${spec.latencyWarmupS} s warm-up`;
}

function pickLatency(l: LatencySummary | undefined): LatencySummary | null {
  if (!l || l.count === 0) return null;
  return { p50: l.p50, p99: l.p99, p999: l.p999, max: l.max, mean: l.mean, count: l.count };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
