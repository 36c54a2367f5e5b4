/** The people's side of bench:e2e: one line per run while it goes, tables at the end. */
import { table } from '../lib/harness.js';
import type { ThreadProfile } from './cpu-profile.js';
import type { RunResult } from './pipeline.js';

type Lat = { p50: number; p99: number; p999: number } | null;

interface Figures {
  max_ticks_per_s: Record<string, number>;
  limit_by_workers: Record<string, string>;
  latency_ms_by_workers: Record<string, Record<string, Lat>>;
  latency_ms_reference_backend: Record<string, Lat>;
  tick_time_to_backend_ms: Record<string, Lat>;
  rss_mb_by_workers: Record<string, number | null>;
  startup_ms_by_workers: Record<string, { median: number; min: number; max: number; n: number; bridge_logged_ready_median: number } | null>;
  baseline_max_ticks_per_s: number;
  baseline_limit: string;
  ratio_vs_baseline_by_workers: Record<string, number | null>;
}

export function runLine(r: RunResult): string {
  const who = r.subject === 'naive' ? 'naive   ' : `w=${r.workers} ${r.backend === 'reference' ? 'ref ' : 'sink'}`;
  const lat = r.latency_ms ? ` bridge->backend p50/p99 ${r.latency_ms.p50}/${r.latency_ms.p99} ms` : '';
  return `  ${who} ${String(r.rate).padStart(8)}/s offered ${Math.round(r.offered_per_s)}/s delivered ${Math.round(r.delivered_per_s)}/s ` +
    `${r.passed ? 'held' : `FAILED${r.disturbed ? ' (disturbed by other work: run again)' : ''} (${r.failure})`}; bridge ${r.bridge.cpu_pct}% CPU ${r.bridge.rss_mb_peak} MB, sim ${r.sim.cpu_pct}%, ` +
    `backend ${r.backend_proc.cpu_pct}%, others ${r.others_cpu_pct}% (before ${r.busy_before_pct}%); start-up ${Math.round(r.startup_ms)} ms${lat}`;
}

export function printTables(f: Figures, runs: RunResult[], threads: ThreadProfile[]): string {
  const out: string[] = [];
  out.push('Highest sustained rate with zero loss (bridge = client-mt5 start; backend = counting sink)');
  out.push(table(['workers', 'max ticks/s', 'x naive', 'RSS peak MB', 'next step up failed because'],
    Object.keys(f.max_ticks_per_s).map((w) => [w, f.max_ticks_per_s[w], f.ratio_vs_baseline_by_workers[w] ?? '-', f.rss_mb_by_workers[w] ?? '-', f.limit_by_workers[w] || '(ladder ran out)'])));
  out.push(`naive baseline (one thread, trading-signals, JSON per tick over ws): ${f.baseline_max_ticks_per_s} ticks/s` +
    (f.baseline_limit ? `; next step failed: ${f.baseline_limit}` : ''));
  out.push('');
  out.push('Every run');
  out.push(table(['subject', 'backend', 'rate', 'offered/s', 'delivered/s', 'held', 'drain ms', 'bridge CPU%', 'sim CPU%', 'backend CPU%', 'others%', 'RSS MB'],
    runs.map((r) => [r.subject === 'naive' ? 'naive' : `bridge w=${r.workers}`, r.backend, r.rate, Math.round(r.offered_per_s), Math.round(r.delivered_per_s),
      r.passed ? 'yes' : r.disturbed ? 'disturbed' : 'NO', Number.isFinite(r.drain_ms) ? Math.round(r.drain_ms) : 'never', r.bridge.cpu_pct, r.sim.cpu_pct, r.backend_proc.cpu_pct, r.others_cpu_pct, r.bridge.rss_mb_peak])));
  out.push('');
  out.push('Latency, ms (bridge receipt -> backend receipt; tick time -> backend is an upper bound of EA send -> backend)');
  const rows: Array<Array<string | number>> = [];
  for (const [w, byRate] of Object.entries(f.latency_ms_by_workers)) {
    for (const [rate, l] of Object.entries(byRate)) rows.push([`w=${w} sink`, rate, l?.p50 ?? '-', l?.p99 ?? '-', l?.p999 ?? '-']);
  }
  for (const [rate, l] of Object.entries(f.latency_ms_reference_backend)) rows.push(['w=2 reference (whole run)', rate, l?.p50 ?? '-', l?.p99 ?? '-', l?.p999 ?? '-']);
  for (const [rate, l] of Object.entries(f.tick_time_to_backend_ms)) rows.push(['w=2 tick time -> sink', rate, l?.p50 ?? '-', l?.p99 ?? '-', l?.p999 ?? '-']);
  out.push(table(['measured', 'ticks/s', 'p50', 'p99', 'p999'], rows));
  out.push('');
  out.push('Start-up, spawn -> EA link accepting (ms)');
  out.push(table(['workers', 'median', 'min', 'max', 'runs', 'bridge-logged ready (median)'],
    Object.entries(f.startup_ms_by_workers).map(([w, s]) => [w, s?.median ?? '-', s?.min ?? '-', s?.max ?? '-', s?.n ?? 0, s?.bridge_logged_ready_median ?? '-'])));
  if (threads.length > 0) {
    out.push('');
    out.push('CPU profile of the bridge (node --cpu-prof), self time by thread');
    for (const t of threads) {
      out.push(`  ${t.role}: busy ${t.busy_pct}% of ${t.profile_ms} ms, waiting on a ring ${t.wait_ms} ms, GC ${t.gc_ms} ms`);
      for (const fn of t.top.slice(0, 6)) out.push(`    ${String(fn.pct_busy).padStart(5)}%  ${fn.fn} ${fn.where}`);
    }
  }
  return out.join('\n');
}
