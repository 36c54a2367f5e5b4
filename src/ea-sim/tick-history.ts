/**
 * One symbol's tick history in the simulated terminal: the last `capacity` ticks in the order they
 * were generated (struct-of-arrays, absolute indices), so that the EA can re-send from any resume
 * cursor the bridge gives it, as a real EA does with CopyTicks.
 *
 * Resume position ("key"). A real terminal's history is sorted by time_msc and CopyTicks(from)
 * starts inclusively at `from`; the cursor {time_msc, count_at_msc} therefore means "skip the
 * ticks before time_msc and the first count_at_msc ticks at time_msc". The simulator also sends
 * bad ticks whose time is off (stale, backwards, future), so a tick's position is the running
 * maximum of time_msc over the symbol's stream, which both sides compute the same way:
 *
 *   key(i) = max(key(i-1), time_msc(i))
 *   bridge, per received tick t: if t > cursor.time_msc { cursor = {t, 1} } else cursor.count_at_msc++
 *
 * For a time-sorted stream key == time_msc and this is exactly CopyTicks' semantics.
 */
export class TickHistory {
  readonly capacity: number;
  readonly timeMsc: Float64Array;
  readonly bid: Float64Array;
  readonly ask: Float64Array;
  readonly last: Float64Array;
  readonly volume: Float64Array;
  readonly volumeReal: Float64Array;
  readonly flags: Uint32Array;
  /** KIND_GOOD or the bad-tick kind (see quotes.ts). */
  readonly kind: Uint8Array;
  /** UTC time the terminal got the tick (a bad tick's nominal time, whatever its time_msc says). */
  readonly generatedAtMs: Float64Array;
  /** Resume position, see above. */
  readonly key: Float64Array;
  /** Absolute index of the oldest tick still held. */
  start = 0;
  /** Absolute index the next appended tick gets. */
  end = 0;
  /** Key of the newest tick evicted to make room (-Infinity while nothing was evicted). */
  evictedKey = Number.NEGATIVE_INFINITY;
  /** How many evicted ticks have that key. */
  evictedAtKey = 0;
  private maxKey = Number.NEGATIVE_INFINITY;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`history capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.timeMsc = new Float64Array(capacity);
    this.bid = new Float64Array(capacity);
    this.ask = new Float64Array(capacity);
    this.last = new Float64Array(capacity);
    this.volume = new Float64Array(capacity);
    this.volumeReal = new Float64Array(capacity);
    this.flags = new Uint32Array(capacity);
    this.kind = new Uint8Array(capacity);
    this.generatedAtMs = new Float64Array(capacity);
    this.key = new Float64Array(capacity);
  }

  /** Slot of absolute index `i` (which must be within [start, end)). */
  slot(i: number): number {
    return i % this.capacity;
  }

  append(
    timeMsc: number, bid: number, ask: number, last: number, volume: number, flags: number, volumeReal: number,
    kind: number, generatedAtMs: number,
  ): void {
    if (this.end - this.start === this.capacity) {
      const evicted = this.key[this.slot(this.start)];
      this.evictedAtKey = evicted === this.evictedKey ? this.evictedAtKey + 1 : 1;
      this.evictedKey = evicted;
      this.start++;
    }
    const k = this.slot(this.end);
    if (timeMsc > this.maxKey) this.maxKey = timeMsc;
    this.timeMsc[k] = timeMsc;
    this.bid[k] = bid;
    this.ask[k] = ask;
    this.last[k] = last;
    this.volume[k] = volume;
    this.volumeReal[k] = volumeReal;
    this.flags[k] = flags;
    this.kind[k] = kind;
    this.generatedAtMs[k] = generatedAtMs;
    this.key[k] = this.maxKey;
    this.end++;
  }

  /**
   * Absolute index of the first tick after the resume cursor {cursorTimeMsc, countAtMsc}:
   * skips every tick keyed before cursorTimeMsc and the first countAtMsc keyed at it. A cursor
   * beyond the newest tick gives `end`. `overrun` tells whether ticks the cursor still needs were
   * already evicted (the answer is then `start`).
   */
  seek(cursorTimeMsc: number, countAtMsc: number): { index: number; overrun: boolean } {
    let lo = this.start;
    let hi = this.end;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.key[this.slot(mid)] < cursorTimeMsc) lo = mid + 1;
      else hi = mid;
    }
    const firstAt = lo;
    hi = this.end;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.key[this.slot(mid)] <= cursorTimeMsc) lo = mid + 1;
      else hi = mid;
    }
    const afterAt = lo;
    if (this.evictedKey > cursorTimeMsc) return { index: this.start, overrun: true };
    // Held ticks at the cursor's key start at `start` when some at that key were evicted.
    const skip = this.evictedKey === cursorTimeMsc ? countAtMsc - this.evictedAtKey : countAtMsc;
    if (skip < 0) return { index: this.start, overrun: true };
    return { index: Math.min(firstAt + skip, afterAt), overrun: false };
  }
}
