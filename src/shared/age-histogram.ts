/**
 * Where a tick's time inside the bridge goes: histograms of a tick's age — now minus the time
 * main received it from the EA (`recv_ms`, `performance.timeOrigin + performance.now()` in every
 * thread) — at each hop, kept in the shared statistics the workers already write:
 *
 *   EA frame ──► main (recv_ms) ──► input ring ──► compute picks the batch up   (lane stats, LS_PICKUP_AGE)
 *            ──► output ring ──► transport takes it into a batch                 (TS_PICKUP_AGE)
 *            ──► sealed, on disk, handed to the socket                           (TS_SENT_AGE)
 *
 * One sample per batch a hop handles (its oldest tick), not per tick: the cost is one clock read
 * and a few arithmetic operations a batch. Buckets are quarter powers of two from 10 µs, so a
 * quantile is known to within ~19 %; the last bucket holds everything above ~34 ms.
 */
export const AGE_BUCKETS = 48;
const FIRST_BUCKET_MS = 0.01;
const STEPS_PER_DOUBLING = 4;

/** The bucket of an age in ms. */
export function ageBucket(ms: number): number {
  if (!(ms > FIRST_BUCKET_MS)) return 0;
  const k = Math.ceil(Math.log2(ms / FIRST_BUCKET_MS) * STEPS_PER_DOUBLING);
  return k >= AGE_BUCKETS ? AGE_BUCKETS - 1 : k;
}

/** The upper bound of bucket k, ms. */
export function bucketUpperMs(k: number): number {
  return FIRST_BUCKET_MS * 2 ** (k / STEPS_PER_DOUBLING);
}

/** Counts one age into the histogram at `offset` of `stats`. */
export function recordAge(stats: Float64Array, offset: number, ageMs: number): void {
  stats[offset + ageBucket(ageMs)]++;
}

export interface AgeSummary {
  /** Upper bounds of the buckets holding these quantiles, ms. */
  p50: number;
  p99: number;
  p999: number;
  /** Batches counted. */
  count: number;
}

/** Quantiles of the sum of the histograms at `offsets` of each of `sources`. */
export function summarizeAges(sources: ReadonlyArray<{ stats: Float64Array; offset: number }>): AgeSummary {
  const counts = new Float64Array(AGE_BUCKETS);
  for (const { stats, offset } of sources) for (let k = 0; k < AGE_BUCKETS; k++) counts[k] += stats[offset + k];
  let total = 0;
  for (let k = 0; k < AGE_BUCKETS; k++) total += counts[k];
  const at = (q: number): number => {
    if (total === 0) return 0;
    let seen = 0;
    for (let k = 0; k < AGE_BUCKETS; k++) {
      seen += counts[k];
      if (seen >= q * total) return round3(bucketUpperMs(k));
    }
    return round3(bucketUpperMs(AGE_BUCKETS - 1));
  };
  return { p50: at(0.5), p99: at(0.99), p999: at(0.999), count: total };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** "p50 0.05 / p99 0.8 / p99.9 1.7 ms (n 2,880)". */
export function formatAges(s: AgeSummary): string {
  return `p50 ${s.p50} / p99 ${s.p99} / p99.9 ${s.p999} ms (${s.count} batches)`;
}
