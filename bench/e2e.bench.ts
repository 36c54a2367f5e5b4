/**
 * bench:e2e — ingest-to-backend throughput, latency, memory and start-up of the whole pipeline,
 * every part its own process on 127.0.0.1, against a naive single-threaded JSON bridge measured
 * the same way in the same run.
 *
 *   client-mt5 ea-sim ──ws──► client-mt5 start (workers = 1, 2, 4) ──ws──► backend
 *   client-mt5 ea-sim ──ws──► bench/baselines/naive-bridge.ts ──ws, JSON per tick──► json-sink
 *
 *   npm run bench:e2e [-- --json] [--save] [--quick] [--workers 1,2,4] [--step-s 4]
 *                     [--phases throughput,reference,durability,baseline,latency,gc] [--profile [--profile-rate N]]
 *
 * Phases: throughput (bench/e2e/stepping.ts, with the counting sink as backend, because the
 * reference backend's per-tick indicator check tops out near 260k ticks/s), baseline (same
 * stepping, naive bridge), latency (fixed rates after a warm-up whose samples are discarded, with
 * the sink; and at the default worker count once more with the reference backend, whole run),
 * profile (the bridge under `node --cpu-prof` at the rate where the default worker count failed).
 * Every run starts fresh processes and kills them at the end, also when the run fails.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { machine, parseBenchArgs, report, summarize } from './lib/harness.js';
import { summarizeProfiles, type ThreadProfile } from './e2e/cpu-profile.js';
import { REPO, runOnce, type RunResult, type RunSpec } from './e2e/pipeline.js';
import { killChildrenOnExit } from './e2e/procs.js';
import { findMaxRate, type SteppingResult } from './e2e/stepping.js';
import { printTables, runLine } from './e2e/tables.js';

const args = parseBenchArgs();
const { values } = parseArgs({
  args: args.rest, strict: true,
  options: {
    workers: { type: 'string' }, 'step-s': { type: 'string' }, phases: { type: 'string' },
    profile: { type: 'boolean', default: false }, 'profile-rate': { type: 'string' }, 'budget-s': { type: 'string' },
    'wait-quiet-s': { type: 'string' }, 'bridge-config': { type: 'string' },
  },
});
const DEFAULT_WORKERS = 2; // the config schema's default
const workersList = (values.workers ?? '1,2,4').split(',').map(Number);
const stepS = Number(values['step-s'] ?? (args.quick ? 2 : 4));
const phases = new Set((values.phases ?? 'throughput,reference,durability,baseline,latency,gc').split(','));
if (values.profile) phases.add('profile');
const budgetMs = Number(values['budget-s'] ?? (args.quick ? 240 : 660)) * 1000;
const started = performance.now();
const deadline = started + budgetMs;
const LATENCY_RATES = [1000, 10000, 100000];
// Seed 24 keeps the simulated feed in its normal regime (0.96x the nominal rate) for ~20 s, so a
// step offers a steady load; other seeds swing between 0.4x and 1.7x within seconds.
const SEED = 24;
// Each run first waits (bounded) for the machine to be idle: this benchmark shares 2 cores with
// whatever else runs, and every figure it reports is about CPU.
const waitQuietMs = Number(values['wait-quiet-s'] ?? (args.quick ? 0 : 60)) * 1000;
// `--bridge-config '{"ringCapacityTicks":262144}'`: settings merged into every generated bridge config.
const bridgeConfig = values['bridge-config'] ? JSON.parse(values['bridge-config']) as Record<string, unknown> : undefined;
const base = { symbols: 10, seed: SEED, maxDrainMs: 1000, sampleEveryMs: 500, backend: 'sink' as const, waitQuietMs, bridgeConfig };
const ladder = args.quick ? [200000, 800000, 1600000] : [200000, 400000, 800000, 1200000, 1600000, 2000000];
const baselineLadder = args.quick ? [20000, 80000] : [20000, 40000, 80000, 160000];
const log = (line: string) => process.stderr.write(`${line}\n`);

killChildrenOnExit();
const m = machine();
const load = loadavg();
log(`bench:e2e — ${m.cpus} cores, Node ${m.node}; load average ${load.map((x) => x.toFixed(2)).join(' ')}` +
  (load[0] > 0.5 ? ' (a lagging 1-minute mean; each run measures the other work during it, and waits for quiet first)' : ''));

const allRuns: RunResult[] = [];
const onRun = (r: RunResult) => { allRuns.push(r); log(runLine(r)); };

// ── throughput ─────────────────────────────────────────────────────────────────────────────────
const stepping: Record<string, SteppingResult> = {};
if (phases.has('throughput')) {
  for (const workers of workersList) {
    stepping[workers] = await findMaxRate({ ...base, subject: 'bridge', workers, durationS: stepS },
      { ladder, bisections: args.quick ? 0 : workers === DEFAULT_WORKERS ? 2 : 1, confirm: !args.quick, deadline, onRun });
  }
}
// The same with the reference backend, which decodes every batch and recomputes every indicator:
// what the bridge sustains against it (the backend's own limit, about 260k ticks/s, shows here).
let reference: SteppingResult | null = null;
if (phases.has('reference')) {
  reference = await findMaxRate({ ...base, backend: 'reference', subject: 'bridge', workers: DEFAULT_WORKERS, durationS: stepS },
    { ladder: args.quick ? [200000] : [100000, 200000, 400000], bisections: args.quick ? 0 : 1, confirm: false, deadline, onRun });
}
// The cost of durability: the default worker count with the spool off, and with an fsync per
// batch (the default is an fsync every 200 ms, as measured above).
const durability: Record<string, SteppingResult> = {};
if (phases.has('durability')) {
  const variants: Array<[string, Record<string, unknown>]> = [['spool_off', { enabled: false }], ['fsync_always', { fsync: 'always' }]];
  for (const [name, spool] of variants) {
    durability[name] = await findMaxRate({ ...base, bridgeConfig: { ...bridgeConfig, spool }, subject: 'bridge', workers: DEFAULT_WORKERS, durationS: stepS },
      { ladder: args.quick ? [200000] : [400000, 800000, 1200000], bisections: args.quick ? 0 : 1, confirm: false, deadline, onRun });
  }
}
let baseline: SteppingResult | null = null;
if (phases.has('baseline')) {
  baseline = await findMaxRate({ ...base, subject: 'naive', workers: 1, durationS: stepS },
    { ladder: baselineLadder, bisections: args.quick ? 0 : 2, confirm: !args.quick, deadline, onRun });
}

// ── latency at fixed rates ─────────────────────────────────────────────────────────────────────
const warmS = args.quick ? 1 : 2;
const measureS = args.quick ? 2 : 3;
const latencyRuns: RunResult[] = [];
if (phases.has('latency')) {
  const specs: RunSpec[] = [];
  for (const workers of workersList) {
    for (const rate of LATENCY_RATES) {
      specs.push({ ...base, subject: 'bridge', workers, rate, durationS: warmS + measureS, latencyWarmupS: warmS, timerMs: 1 });
    }
  }
  for (const rate of LATENCY_RATES) {
    specs.push({ ...base, subject: 'bridge', backend: 'reference', workers: DEFAULT_WORKERS, rate, durationS: warmS + measureS, timerMs: 1 });
  }
  for (const spec of specs) {
    if (performance.now() > deadline) break;
    const r = await runOnce(spec);
    latencyRuns.push(r);
    onRun(r);
  }
}

// ── garbage collections of the bridge in a steady state (--trace-gc, per isolate) ─────────────
const GC_RATE = 100000;
let gcRun: RunResult | null = null;
if (phases.has('gc') && performance.now() < deadline) {
  gcRun = await runOnce({ ...base, subject: 'bridge', workers: DEFAULT_WORKERS, rate: GC_RATE, durationS: warmS + measureS, traceGc: true });
  onRun(gcRun);
}

// ── profile of the bridge where it stops keeping up ────────────────────────────────────────────
let profile: { rate: number; workers: number; run: RunResult; threads: ThreadProfile[] } | null = null;
if (phases.has('profile')) {
  const s = stepping[DEFAULT_WORKERS];
  const failed = s?.runs.filter((r) => !r.passed).map((r) => r.rate).sort((a, b) => a - b)[0];
  const rate = Number(values['profile-rate'] ?? failed ?? 800000);
  const dir = mkdtempSync(join(tmpdir(), 'client-mt5-prof-'));
  try {
    const run = await runOnce({ ...base, subject: 'bridge', workers: DEFAULT_WORKERS, rate, durationS: stepS, cpuProfDir: dir });
    onRun(run);
    profile = { rate, workers: DEFAULT_WORKERS, run, threads: summarizeProfiles(dir, DEFAULT_WORKERS, 12) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ── figures ────────────────────────────────────────────────────────────────────────────────────
const pick = (l: RunResult['latency_ms']) => (l ? { p50: l.p50, p99: l.p99, p999: l.p999 } : null);
const latencyOf = (workers: number, backend: string) => Object.fromEntries(LATENCY_RATES.map((rate) => {
  const r = latencyRuns.find((x) => x.workers === workers && x.rate === rate && x.backend === backend);
  return [String(rate), r ? pick(r.latency_ms) : null];
}));
const tickAgeOf = (workers: number) => Object.fromEntries(LATENCY_RATES.map((rate) => {
  const r = latencyRuns.find((x) => x.workers === workers && x.rate === rate && x.backend === 'sink');
  return [String(rate), r ? pick(r.tick_age_ms) : null];
}));
const maxByWorkers = Object.fromEntries(Object.entries(stepping).map(([w, s]) => [w, s.max_ticks_per_s]));
const bestOf = (w: string) => stepping[w]?.runs.filter((r) => r.passed && r.rate === stepping[w].best_rate).at(-1);
const startupOf = (w: number) => {
  const xs = allRuns.filter((r) => r.subject === 'bridge' && r.workers === w && Number.isFinite(r.startup_ms));
  if (xs.length === 0) return null;
  const s = summarize(xs.map((r) => r.startup_ms));
  const ready = summarize(xs.map((r) => r.ready_ms_logged));
  return { median: Math.round(s.median), min: Math.round(s.min), max: Math.round(s.max), spread: round2(s.spread), n: xs.length, bridge_logged_ready_median: Math.round(ready.median) };
};
const best = Math.max(0, ...Object.values(maxByWorkers));
const baselineMax = baseline?.max_ticks_per_s ?? 0;
const loadAfter = loadavg();

const result = {
  build: buildInfo(),
  command: `npm run bench:e2e -- ${process.argv.slice(2).join(' ')}`.trim(),
  quick: args.quick,
  load_average_before: load.map(round2),
  load_average_after: loadAfter.map(round2),
  other_work_cpu_pct_median: allRuns.length ? round2(summarize(allRuns.map((r) => r.others_cpu_pct).filter(Number.isFinite)).median) : null,
  default_workers: DEFAULT_WORKERS,
  setup: {
    bridge_config: bridgeConfig ?? 'defaults', step_s: stepS, symbols: base.symbols, seed: SEED, ladder, baseline_ladder: baselineLadder, max_drain_ms: base.maxDrainMs,
    load_generator: 'one `client-mt5 ea-sim` process (the bridge takes one EA session at a time), default 10 ms timer',
    throughput_backend: 'bench/e2e/sink-backend.ts: src/backend/sink-mode.ts reads Envelopes in place; counts, batch and per-symbol sequence checks, latency; no indicator recomputation',
    latency: `sink backend, histograms restarted after a ${warmS} s warm-up, then ${measureS} s measured; EA timer 1 ms`,
    latency_reference_backend: `client-mt5 backend (decodes and verifies every indicator), whole ${warmS + measureS} s run including warm-up (it cannot restart its histogram)`,
  },
  max_ticks_per_s: maxByWorkers,
  max_ticks_per_s_best: best,
  max_ticks_per_s_reference_backend: reference ? { workers: DEFAULT_WORKERS, max: reference.max_ticks_per_s, limit: reference.limit } : null,
  durability_max_ticks_per_s: Object.keys(durability).length === 0 ? null : {
    workers: DEFAULT_WORKERS,
    spool_fsync_interval: maxByWorkers[String(DEFAULT_WORKERS)] ?? null,
    ...Object.fromEntries(Object.entries(durability).map(([k, v]) => [k, v.max_ticks_per_s])),
  },
  limit_by_workers: Object.fromEntries(Object.entries(stepping).map(([w, s]) => [w, s.limit])),
  latency_ms: latencyOf(DEFAULT_WORKERS, 'sink'),
  latency_ms_by_workers: Object.fromEntries(workersList.map((w) => [String(w), latencyOf(w, 'sink')])),
  latency_ms_reference_backend: latencyOf(DEFAULT_WORKERS, 'reference'),
  tick_time_to_backend_ms: tickAgeOf(DEFAULT_WORKERS),
  // The bridge's own account (its stop line): age of each batch's oldest tick at each hop, whole run.
  latency_inside_bridge_ms: Object.fromEntries(LATENCY_RATES.map((rate) => {
    const r = latencyRuns.find((x) => x.workers === DEFAULT_WORKERS && x.rate === rate && x.backend === 'sink');
    return [String(rate), r?.inside_bridge_ms ?? null];
  })),
  // What the bridge's RSS is made of at its highest sampled RSS in its best zero-loss run (default workers).
  rss_breakdown_at_max: bestOf(String(DEFAULT_WORKERS))?.rss_breakdown ?? null,
  memory_peak_mb_at_max: bestOf(String(DEFAULT_WORKERS))?.memory_peak_mb ?? null,
  rss_mb: bestOf(String(DEFAULT_WORKERS))?.bridge.rss_mb_peak ?? null,
  rss_mb_by_workers: Object.fromEntries(Object.keys(stepping).map((w) => [w, bestOf(w)?.bridge.rss_mb_peak ?? null])),
  cpu_pct_at_max_by_workers: Object.fromEntries(Object.keys(stepping).map((w) => {
    const r = bestOf(w);
    return [w, r ? { bridge: r.bridge.cpu_pct, bridge_sys: r.bridge.sys_pct, threads: r.bridge.threads_cpu_pct.map((t) => t.cpu_pct), sim: r.sim.cpu_pct, backend: r.backend_proc.cpu_pct, machine: r.machine_cpu_pct } : null];
  })),
  startup_ms: startupOf(DEFAULT_WORKERS)?.median ?? null,
  startup_ms_by_workers: Object.fromEntries(workersList.map((w) => [String(w), startupOf(w)])),
  baseline_max_ticks_per_s: baselineMax,
  baseline_limit: baseline?.limit ?? '',
  baseline_at_max: (() => { const r = baseline?.runs.filter((x) => x.passed && x.rate === baseline?.best_rate).at(-1); return r ? { cpu_pct: r.bridge.cpu_pct, rss_mb_peak: r.bridge.rss_mb_peak, latency_ms: pick(r.latency_ms) } : null; })(),
  ratio_vs_baseline: baselineMax > 0 ? round2(best / baselineMax) : null,
  ratio_vs_baseline_by_workers: Object.fromEntries(Object.entries(maxByWorkers).map(([w, x]) => [w, baselineMax > 0 ? round2(x / baselineMax) : null])),
  gc_steady_state: gcRun?.gc ? {
    workers: DEFAULT_WORKERS, rate: GC_RATE, ...gcRun.gc,
    collections_per_million_ticks: gcRun.gc.ticks > 0
      ? Math.round((1e6 * gcRun.gc.isolates.reduce((n, i) => n + i.scavenges + i.mark_compacts, 0)) / gcRun.gc.ticks * 10) / 10 : null,
  } : null,
  profile: profile && { rate: profile.rate, workers: profile.workers, run: condensed(profile.run), threads: profile.threads },
  elapsed_s: Math.round((performance.now() - started) / 1000),
  budget_exceeded: performance.now() > deadline,
  runs: allRuns.map(condensed),
};

// A profile-only run is saved apart, so that it does not replace the figures of a full run.
const name = phases.size === 1 && phases.has('profile') ? 'e2e-profile' : 'e2e';
report(name, args, printTables(result, allRuns, profile?.threads ?? []), result as unknown as Record<string, unknown>);

function condensed(r: RunResult) {
  return {
    subject: r.subject, workers: r.workers, backend: r.backend, encoding: r.encoding, rate: r.rate, offered_per_s: Math.round(r.offered_per_s),
    delivered_per_s: Math.round(r.delivered_per_s), passed: r.passed, disturbed: r.disturbed ?? false, failure: r.failure, lost: r.ticks_lost,
    drain_ms: Number.isFinite(r.drain_ms) ? Math.round(r.drain_ms) : null, lag_at_end: r.lag_at_end_ticks,
    ea_pauses: r.ea_pauses, ea_paused_ms: r.ea_paused_ms, latency_ms: r.latency_ms, tick_age_ms: r.tick_age_ms,
    startup_ms: Math.round(r.startup_ms), ready_ms: r.ready_ms_logged, bridge: r.bridge, sim_cpu_pct: r.sim.cpu_pct,
    backend_cpu_pct: r.backend_proc.cpu_pct, machine_cpu_pct: r.machine_cpu_pct, others_cpu_pct: r.others_cpu_pct,
    busy_before_pct: r.busy_before_pct, waited_quiet_ms: r.waited_quiet_ms,
  };
}

/** Which code ran: the commit, whether the tree had changes, when dist/ was built. */
function buildInfo(): { commit: string; dirty_files: number; dist_built: string } {
  const git = (...a: string[]) => { try { return execFileSync('git', a, { cwd: REPO, encoding: 'utf8' }).trim(); } catch { return ''; } };
  let built = '';
  try { built = statSync(join(REPO, 'dist/main/index.js')).mtime.toISOString(); } catch { /* not built */ }
  return { commit: git('rev-parse', '--short', 'HEAD'), dirty_files: git('status', '--porcelain').split('\n').filter(Boolean).length, dist_built: built };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
