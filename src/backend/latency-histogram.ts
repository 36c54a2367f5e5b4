/**
 * Log-linear latency histogram in microseconds (HdrHistogram's bucket scheme, much simplified):
 * exact 1 µs buckets below 64 µs, then 32 linear sub-buckets per power of two, so a reported
 * percentile is within 1/32 (3.1%) of the true value, up to 2^32 µs (71 minutes). Recording is
 * one array increment; memory is fixed (896 counters) however many samples arrive.
 */

const LINEAR_LIMIT_US = 64;
const SUB_BUCKET_BITS = 5;
const SUB_BUCKETS = 1 << SUB_BUCKET_BITS;
/** Powers of two from 2^6 to 2^31. */
const BUCKET_COUNT = LINEAR_LIMIT_US + (32 - 6) * SUB_BUCKETS;
const MAX_US = 2 ** 32 - 1;

export interface LatencySummaryMs {
  p50: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
  count: number;
  /** Samples where the receive time was before the sender's stamp (clock skew), recorded as 0. */
  negative: number;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKET_COUNT);
  private total = 0;
  private sumUs = 0;
  private maxUs = 0;
  private negativeCount = 0;

  /** Records one latency given in milliseconds (fractions allowed). */
  recordMs(latencyMs: number): void {
    let us = latencyMs * 1000;
    if (!(us >= 0)) {
      if (Number.isNaN(us)) return;
      this.negativeCount++;
      us = 0;
    }
    if (us > MAX_US) us = MAX_US;
    this.counts[bucketOf(us >>> 0)]++;
    this.total++;
    this.sumUs += us;
    if (us > this.maxUs) this.maxUs = us;
  }

  get count(): number {
    return this.total;
  }

  /** The value (µs) at quantile q in [0, 1]: the upper edge of its bucket, never above the maximum seen. */
  quantileUs(q: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKET_COUNT; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(upperEdgeOf(i), this.maxUs);
    }
    return this.maxUs;
  }

  summaryMs(): LatencySummaryMs {
    const ms = (us: number) => Math.round(us) / 1000;
    return {
      p50: ms(this.quantileUs(0.5)),
      p99: ms(this.quantileUs(0.99)),
      p999: ms(this.quantileUs(0.999)),
      max: ms(this.maxUs),
      mean: this.total === 0 ? 0 : ms(this.sumUs / this.total),
      count: this.total,
      negative: this.negativeCount,
    };
  }
}

function bucketOf(us: number): number {
  if (us < LINEAR_LIMIT_US) return us;
  const exponent = 31 - Math.clz32(us); // 6..31
  const sub = (us >>> (exponent - SUB_BUCKET_BITS)) & (SUB_BUCKETS - 1);
  return LINEAR_LIMIT_US + (exponent - 6) * SUB_BUCKETS + sub;
}

/** The largest integer microsecond value that falls into bucket i. */
function upperEdgeOf(i: number): number {
  if (i < LINEAR_LIMIT_US) return i;
  const exponent = 6 + ((i - LINEAR_LIMIT_US) >>> SUB_BUCKET_BITS);
  const sub = (i - LINEAR_LIMIT_US) & (SUB_BUCKETS - 1);
  const width = 2 ** (exponent - SUB_BUCKET_BITS);
  return 2 ** exponent + (sub + 1) * width - 1;
}
