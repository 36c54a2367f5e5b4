/**
 * A disk the spool filled by itself (spool.maxBytes larger than the free space): once the backend
 * acks, the acked segments must go even though the checkpoint cannot be written (its temporary
 * file needs space too), or the disk never frees and the EA stays paused for good. A segment goes
 * without a checkpoint only when a later segment holds a cursor for every symbol it has one of.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { readSpoolState } from '../../../src/shared/spool-format.js';
import { DiskSpool, type DiskSpoolOptions } from '../../../src/workers/spool/disk-spool.js';
import { faultyIo } from '../../../src/workers/spool/spool-io.js';
import type { BatchCursor } from '../../../src/workers/unacked-batches.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function open(dir: string, o: Partial<DiskSpoolOptions>): DiskSpool {
  return new DiskSpool({
    dir, fsync: 'never', fsyncIntervalMs: 100, maxBytes: 1 << 30, maxBatches: 1 << 20, maxAgeMs: 0, overflow: 'pause',
    segmentBytes: 64 * 1024, retryMs: 100, ...o,
  });
}

function cursor(name: string, tickSequence: number): BatchCursor {
  return { name, nameBytes: new TextEncoder().encode(name), timeMsc: 1_700_000_000_000 + tickSequence, countAtMsc: 1, tickSequence };
}

/** Batch q: 4000 bytes, EURUSD always, GBPUSD only in batches 1..`gbpUntil`. */
function append(s: DiskSpool, q: number, gbpUntil: number): boolean {
  const cursors = [cursor('EURUSD', q * 10)];
  if (q <= gbpUntil) cursors.push(cursor('GBPUSD', q * 5));
  return s.append(q, new Uint8Array(4000).fill(q & 0xff), 10, cursors);
}

function segmentFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.spool')).sort();
}

describe('DiskSpool on a disk it filled itself', () => {
  test('acked segments whose cursors a later segment holds are deleted though the checkpoint cannot be written; the held batch then goes to disk', () => {
    const dir = mkdtempSync(join(tmpdir(), 'client-mt5-spool-full-'));
    dirs.push(dir);
    const fault: { code: string | null } = { code: null };
    let now = 1_000;
    const logs: string[] = [];
    const s = open(dir, { io: faultyIo(fault), now: () => now, log: (level, m) => logs.push(`${level} ${m}`) });
    for (let q = 1; q <= 60; q++) expect(append(s, q, 60)).toBe(true); // ~4 segments of 64 KiB
    expect(segmentFiles(dir).length).toBeGreaterThanOrEqual(4);
    fault.code = 'ENOSPC'; // the disk is full: no record, no checkpoint can be written
    expect(append(s, 61, 60)).toBe(false);
    expect(s.failure).toBe('SPOOL_DISK_FULL');

    // The backend acks everything written: the segments before the one being written can go.
    s.ackThrough(60);
    expect(segmentFiles(dir)).toHaveLength(1);
    expect(logs.filter((l) => l.includes('checkpoint not written'))).toHaveLength(1); // once, not per segment
    // Space is back (what the deleted segments held): the held batch is written.
    fault.code = null;
    now += 200;
    s.maintain();
    expect(s.failure).toBe('');
    expect(s.full).toBe(false);

    // What a crash now leaves: the durable cursors are the newest, and batch 61 is replayed.
    const state = readSpoolState(dir);
    expect(state.cursors.get('EURUSD')?.tickSequence).toBe(610);
    expect(state.cursors.get('GBPUSD')?.tickSequence).toBe(300);
    expect(state.lastSequence).toBe(61);
    const again = open(dir, {});
    expect(again.after(60)?.sequence).toBe(61);
    again.close();
    s.close();
  });

  test('a segment holding the only cursor of a symbol waits for the checkpoint; it goes once one is written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'client-mt5-spool-full-'));
    dirs.push(dir);
    const fault: { code: string | null } = { code: null };
    let now = 1_000;
    const s = open(dir, { io: faultyIo(fault), now: () => now });
    for (let q = 1; q <= 60; q++) expect(append(s, q, 3)).toBe(true); // GBPUSD only in the first segment
    const before = segmentFiles(dir);
    fault.code = 'ENOSPC';
    s.ackThrough(60);
    expect(segmentFiles(dir)).toEqual(before); // the first one must stay, and the others after it
    expect(readSpoolState(dir).cursors.get('GBPUSD')?.tickSequence).toBe(15);

    fault.code = null;
    now += 1_500;
    s.maintain(); // the checkpoint is written, then the acked segments go
    expect(segmentFiles(dir)).toHaveLength(1);
    const state = readSpoolState(dir);
    expect(state.cursors.get('GBPUSD')?.tickSequence).toBe(15);
    expect(state.cursors.get('EURUSD')?.tickSequence).toBe(600);
    s.close();
  });
});
