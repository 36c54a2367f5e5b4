/** What one end-to-end run is asked to do (RunSpec) and what it measured (RunResult). */
import type { RssBreakdown } from './rss-breakdown.js';

export interface ThreadMemory { heap: number; external: number }
export interface HopAge { p50: number; p99: number; p999: number; count: number }

export type Subject = 'bridge' | 'naive';
export type BackendKind = 'sink' | 'reference';

export interface RunSpec {
  subject: Subject;
  workers: number;
  rate: number;
  durationS: number;
  symbols: number;
  backend: BackendKind;
  seed: number;
  timerMs?: number;
  /** Restart the latency histograms this long after the EA connects (sink backends only). */
  latencyWarmupS?: number;
  /** Everything sent must be at the backend within this long after generation ends. */
  maxDrainMs: number;
  sampleEveryMs: number;
  /** Run the bridge under `node --cpu-prof` writing here. */
  cpuProfDir?: string;
  /** Run the bridge with `--trace-gc` and count its collections per isolate in the measured window. */
  traceGc?: boolean;
  /** Settings merged into the generated bridge config (experiments: ring size, batch size, encoding). */
  bridgeConfig?: Record<string, unknown>;
  /** Before starting, wait up to this long for the machine to be idle (other work skews every figure). */
  waitQuietMs?: number;
}

export interface LatencySummary { p50: number; p99: number; p999: number; max: number; mean: number; count: number }

export interface RunResult {
  subject: Subject;
  workers: number;
  backend: BackendKind | 'json-sink';
  rate: number;
  duration_s: number;
  offered_per_s: number;
  delivered_per_s: number;
  ticks_generated: number;
  ticks_sent: number;
  ticks_delivered: number;
  ticks_lost: number;
  duplicates: number;
  gaps: number;
  out_of_order: number;
  history_overruns: number;
  bridge_accepted: number;
  ea_paused_ms: number;
  ea_pauses: number;
  lag_at_end_ticks: number;
  drain_ms: number;
  passed: boolean;
  failure: string;
  latency_ms: LatencySummary | null;
  tick_age_ms: LatencySummary | null;
  latency_window: string;
  /** The tick encoding on the backend link, as the sink saw it ('' when the backend does not say). */
  encoding: string;
  startup_ms: number;
  ready_ms_logged: number;
  bridge: { rss_mb_end: number; rss_mb_peak: number; rss_anon_mb: number; rss_file_mb: number; cpu_pct: number; sys_pct: number; threads_cpu_pct: Array<{ tid: number; main: boolean; cpu_pct: number }> };
  sim: { cpu_pct: number };
  backend_proc: { cpu_pct: number; rss_mb_peak: number };
  machine_cpu_pct: number;
  /** Machine CPU not used by this run's processes during the measured window (other work), % of one core. */
  others_cpu_pct: number;
  /** Machine CPU in use just before the run started, % of one core, and how long the run waited for quiet. */
  busy_before_pct: number;
  waited_quiet_ms: number;
  /** Failed while other work took a real share of the machine (set by the stepping). */
  disturbed?: boolean;
  /** /proc/<pid>/smaps of the bridge at its highest sampled RSS, by kind (rss-breakdown.ts). */
  rss_breakdown?: RssBreakdown | null;
  /** The bridge's own account at its stop (its log): per thread, peak V8 heap and memory outside it, MB. */
  memory_peak_mb?: { main: ThreadMemory; transport: ThreadMemory; compute: ThreadMemory[] } | null;
  /** The bridge's own account at its stop: age of each batch's oldest tick at each hop, since start (src/shared/age-histogram.ts). */
  inside_bridge_ms?: { compute_pickup: HopAge; transport_pickup: HopAge; sent: HopAge } | null;
  /** With traceGc: collections per isolate (main first) in the measured window, and the ticks it saw. */
  gc?: { window_s: number; ticks: number; isolates: Array<{ isolate: string; scavenges: number; mark_compacts: number }> };
}

/** A result with nothing measured yet (what a run that fails early reports). */
export function emptyResult(spec: RunSpec): RunResult {
  return {
    subject: spec.subject, workers: spec.subject === 'naive' ? 1 : spec.workers,
    backend: spec.subject === 'naive' ? 'json-sink' : spec.backend, rate: spec.rate, duration_s: spec.durationS,
    offered_per_s: 0, delivered_per_s: 0, ticks_generated: 0, ticks_sent: 0, ticks_delivered: 0, ticks_lost: 0,
    duplicates: 0, gaps: 0, out_of_order: 0, history_overruns: 0, bridge_accepted: Number.NaN, ea_paused_ms: 0, ea_pauses: 0,
    lag_at_end_ticks: 0, drain_ms: Number.NaN, passed: false, failure: '', latency_ms: null, tick_age_ms: null, latency_window: '', encoding: '',
    startup_ms: Number.NaN, ready_ms_logged: Number.NaN,
    bridge: { rss_mb_end: Number.NaN, rss_mb_peak: Number.NaN, rss_anon_mb: Number.NaN, rss_file_mb: Number.NaN, cpu_pct: Number.NaN, sys_pct: Number.NaN, threads_cpu_pct: [] },
    sim: { cpu_pct: Number.NaN }, backend_proc: { cpu_pct: Number.NaN, rss_mb_peak: Number.NaN }, machine_cpu_pct: Number.NaN,
    others_cpu_pct: Number.NaN, busy_before_pct: Number.NaN, waited_quiet_ms: 0,
  };
}
