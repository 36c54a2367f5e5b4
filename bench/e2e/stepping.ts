/**
 * The highest sustained rate with zero loss: run the pipeline at a ladder of offered rates, each
 * a fresh set of processes for a few seconds, until a run loses ticks or falls behind; then
 * bisect between the last rate that held and the first that did not, and repeat the best one.
 *
 *   ladder:  r1 ✓ ─► r2 ✓ ─► r3 ✗        bisect: (r2+r3)/2 ✓ ─► (…+r3)/2 ✗      confirm: best again
 *   (a best rate that fails its confirmation counts as failed: one more half-way step, confirmed)
 *
 * "Held" is RunResult.passed: every generated tick at the backend exactly once and in order, no
 * tick lost at the EA (history overrun while paused), and everything at the backend within
 * maxDrainMs of the end of generation (the pipeline kept pace rather than catching up later).
 * The figure is the delivered rate (ticks delivered / step seconds) of the best rate whose every
 * run held, the lowest of its runs.
 */
import { runOnce, type RunResult, type RunSpec } from './pipeline.js';

/** Other work above this share of one core during a failed run makes it disturbed. */
export const DISTURBED_PCT = 25;

export interface SteppingResult {
  max_ticks_per_s: number;
  /** Nominal offered rate of that best step. */
  best_rate: number;
  /** Why the next step up did not hold (its failure), or '' when the ladder ran out. */
  limit: string;
  runs: RunResult[];
}

export interface SteppingOptions {
  ladder: number[];
  bisections: number;
  confirm: boolean;
  /** Stop starting new runs after this moment (performance.now()). */
  deadline: number;
  onRun?: (r: RunResult) => void;
}

export async function findMaxRate(base: Omit<RunSpec, 'rate'>, o: SteppingOptions): Promise<SteppingResult> {
  const runs: RunResult[] = [];
  // A run that failed while other work took a real share of the machine says nothing about the
  // pipeline: it is kept in the list (disturbed) and run again, at most twice.
  const run = async (rate: number): Promise<RunResult | null> => {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (performance.now() > o.deadline) return null;
      const r = await runOnce({ ...base, rate });
      r.disturbed = !r.passed && r.others_cpu_pct > DISTURBED_PCT;
      runs.push(r);
      o.onRun?.(r);
      if (!r.disturbed) return r;
    }
    return runs.at(-1) ?? null;
  };
  /** Ran at `x` and held every time (disturbed runs aside). */
  const heldAlways = (x: number) => runs.some((q) => q.rate === x && !q.disturbed) && runs.filter((q) => q.rate === x && !q.disturbed).every((q) => q.passed);
  let good = 0;
  let bad = 0;
  let limit = '';
  for (const rate of o.ladder) {
    const r = await run(rate);
    if (!r) break;
    if (r.passed) good = rate;
    else { bad = rate; limit = r.failure; break; }
  }
  for (let i = 0; i < o.bisections && bad > 0 && bad - good > Math.max(10000, good * 0.08); i++) {
    const mid = midpoint(good, bad);
    const r = await run(mid);
    if (!r) break;
    if (r.passed) good = mid;
    else { bad = mid; limit = r.failure; }
  }
  // Confirm the best rate; if it does not hold again, it counts as failed: fall back to the best
  // rate that always held and try once more half-way (also confirmed), so that one unlucky run
  // costs resolution, not the whole step.
  for (let round = 0; o.confirm && good > 0 && round < 2; round++) {
    const r = await run(good);
    if (!r || r.passed) break;
    limit = `${good} held, then failed: ${r.failure}`;
    bad = good;
    good = Math.max(0, ...runs.map((q) => q.rate).filter((x) => x < bad && heldAlways(x)));
    if (round === 1 || bad - good <= Math.max(10000, good * 0.08)) break;
    const mid = midpoint(good, bad);
    const m = await run(mid);
    if (!m) break;
    if (m.passed) good = mid;
    else { bad = mid; limit = m.failure; break; }
  }
  const held = runs.filter((r) => r.rate === good && r.passed);
  return {
    max_ticks_per_s: held.length === 0 ? 0 : Math.round(Math.min(...held.map((r) => r.delivered_per_s))),
    best_rate: good,
    limit,
    runs,
  };
}

/** Half-way, to two significant figures so that rates stay readable (three when two land on an end). */
function midpoint(good: number, bad: number): number {
  const x = (good + bad) / 2;
  for (const figures of [2, 3]) {
    const p = 10 ** Math.max(0, Math.floor(Math.log10(x)) - (figures - 1));
    const r = Math.round(x / p) * p;
    if (r > good && r < bad) return r;
  }
  return Math.round(x);
}
