/** What the spool tests share: a DiskSpool's options for a test directory, and a batch cursor. */
import type { DiskSpoolOptions } from '../../src/workers/spool/disk-spool.js';
import type { BatchCursor } from '../../src/workers/unacked-batches.js';

/** Small segments (64 KiB), no fsync, bounds far away, quick retries; `o` overrides any of it. */
export function spoolOptions(dir: string, o: Partial<DiskSpoolOptions> = {}): DiskSpoolOptions {
  return {
    dir, fsync: 'never', fsyncIntervalMs: 100, maxBytes: 1 << 30, maxBatches: 1 << 20, maxAgeMs: 0, overflow: 'pause',
    segmentBytes: 64 * 1024, retryMs: 100, ...o,
  };
}

/** A symbol's cursor after tick `tickSequence`, at a time derived from it. */
export function cursorAt(name: string, tickSequence: number): BatchCursor {
  return { name, nameBytes: new TextEncoder().encode(name), timeMsc: 1_700_000_000_000 + tickSequence, countAtMsc: 1, tickSequence };
}
