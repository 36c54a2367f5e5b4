/**
 * What every benchmark shares: the machine line, repeated measurement with medians and spread,
 * a readable table, `--json` (one JSON object as the last line of output), and a GC counter.
 *
 * Conventions (STYLE.md, "Benchmarks"): print the machine, warm up, repeat, report the median and
 * the spread, check a count or checksum so that dropped work cannot look fast, and compare against
 * a baseline measured in the same run. Speed is never asserted in tests; it is measured here.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';

export interface Machine {
  cpus: number;
  cpu_model: string;
  memory_gb: number;
  node: string;
  platform: string;
  date: string;
}

export function machine(): Machine {
  const c = cpus();
  return {
    cpus: c.length,
    cpu_model: c[0]?.model ?? 'unknown',
    memory_gb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    date: new Date().toISOString(),
  };
}

export interface Summary {
  median: number;
  min: number;
  max: number;
  /** (max - min) / median, the spread across repeats. */
  spread: number;
  samples: number[];
}

export function summarize(samples: number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  const median = s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { median, min: s[0], max: s[s.length - 1], spread: median === 0 ? 0 : (s[s.length - 1] - s[0]) / median, samples };
}

/** Percentile of an ascending-sorted array (nearest rank). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

/**
 * Runs `fn` `warmup` times unmeasured, then `repeats` times, each returning the metric of one
 * repeat (ns per item, us per batch, ...). Returns the summary.
 */
export function repeat(fn: () => number, options: { warmup?: number; repeats?: number } = {}): Summary {
  const warmup = options.warmup ?? 3;
  const repeats = options.repeats ?? 7;
  for (let i = 0; i < warmup; i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) samples.push(fn());
  return summarize(samples);
}

export async function repeatAsync(fn: () => Promise<number>, options: { warmup?: number; repeats?: number } = {}): Promise<Summary> {
  const warmup = options.warmup ?? 1;
  const repeats = options.repeats ?? 5;
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) samples.push(await fn());
  return summarize(samples);
}

/** Counts garbage collections (and their total pause) while it is open. */
export class GcCounter {
  count = 0;
  pauseMs = 0;
  private readonly observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      this.count++;
      this.pauseMs += e.duration;
    }
  });

  constructor() {
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /** Entries are delivered asynchronously: await this before reading the final counts. */
  async stop(): Promise<{ count: number; pauseMs: number }> {
    await new Promise((resolve) => setTimeout(resolve, 50));
    this.observer.disconnect();
    return { count: this.count, pauseMs: this.pauseMs };
  }
}

export interface BenchArgs {
  json: boolean;
  /** `--quick`: fewer repeats and shorter runs (for a smoke run, not for figures). */
  quick: boolean;
  /** `--save`: also write the JSON object to bench/results/<name>.json (what `bench:report` reads). */
  save?: boolean;
  rest: string[];
}

export function parseBenchArgs(argv = process.argv.slice(2)): BenchArgs {
  return {
    json: argv.includes('--json'), quick: argv.includes('--quick'), save: argv.includes('--save'),
    rest: argv.filter((a) => a !== '--json' && a !== '--quick' && a !== '--save'),
  };
}

/** Where `--save` puts each benchmark's JSON, and where `npm run bench:report` reads it. */
export const RESULTS_DIR = new URL('../results/', import.meta.url);

/** A fixed-width table for people. */
export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => String(r[i] ?? '').length)));
  const line = (r: Array<string | number>) => r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) >= 1e6) return x.toExponential(3);
  if (Math.abs(x) >= 100) return x.toFixed(0);
  if (Math.abs(x) >= 1) return x.toFixed(2);
  return x.toPrecision(3);
}

/**
 * Prints the people's report, then with `--json` one JSON object as the very last line:
 * `{ bench, machine, ...result }`.
 */
export function report(name: string, args: BenchArgs, text: string, result: Record<string, unknown>): void {
  const m = machine();
  process.stdout.write(`${name} — ${m.cpus} cores (${m.cpu_model}), ${m.memory_gb} GB, Node ${m.node}, ${m.date}\n\n${text}\n`);
  const line = JSON.stringify({ bench: name, machine: m, ...result });
  if (args.save) {
    mkdirSync(RESULTS_DIR, { recursive: true });
    const file = new URL(`${name.replace(/[^\w.-]+/g, '-')}.json`, RESULTS_DIR);
    writeFileSync(file, `${line}\n`);
    process.stdout.write(`saved ${file.pathname}\n`);
  }
  if (args.json) process.stdout.write(`${line}\n`);
}
