/**
 * A disk the spool filled by itself (spool.maxBytes larger than the free space): once the backend
 * acks, what is acked must go, or the disk never frees and the EA stays paused for good. The
 * checkpoint is written in place into space allocated when the spool opened, so it needs no new
 * space: acked segments go, and the segment being written — even the only one, larger than the
 * free space — is cut back to its header and written on. Where even an overwrite fails (an I/O
 * error, a copy-on-write filesystem), a segment goes without a checkpoint only when a later
 * segment holds a cursor for every symbol it has one of.
 */
import { fstatSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { readSpoolState } from '../../../src/shared/spool-format.js';
import { DiskSpool, FAILURE_LOG_EVERY_MS, type DiskSpoolOptions } from '../../../src/workers/spool/disk-spool.js';
import { faultyIo, ioError, nodeIo, type IoFault, type SpoolIo } from '../../../src/workers/spool/spool-io.js';
import { cursorAt, spoolOptions } from '../../helpers/spool.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function open(dir: string, o: Partial<DiskSpoolOptions>): DiskSpool {
  return new DiskSpool(spoolOptions(dir, o));
}


/** Batch q: 4000 bytes, EURUSD always, GBPUSD only in batches 1..`gbpUntil`. */
function append(s: DiskSpool, q: number, gbpUntil: number): boolean {
  const cursors = [cursorAt('EURUSD', q * 10)];
  if (q <= gbpUntil) cursors.push(cursorAt('GBPUSD', q * 5));
  return s.append(q, new Uint8Array(4000).fill(q & 0xff), 10, cursors);
}

function segmentFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.spool')).sort();
}

describe('DiskSpool on a disk it filled itself', () => {
  test('acked segments are deleted and the only one left cut back: the checkpoint is written in place, needing no new space; the held batch then goes to disk', () => {
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

    // The backend acks everything written: the segments before the one being written go, and that
    // one, wholly acked, is cut back to its header.
    s.ackThrough(60);
    expect(segmentFiles(dir)).toHaveLength(1);
    expect(statSync(join(dir, segmentFiles(dir)[0])).size).toBe(16);
    expect(logs.filter((l) => l.includes('checkpoint not written'))).toHaveLength(0);
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

  test('where even an overwrite fails: a segment holding the only cursor of a symbol waits for the checkpoint; it goes once one is written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'client-mt5-spool-full-'));
    dirs.push(dir);
    const fault: IoFault = { code: null, inPlace: true };
    let now = 1_000;
    const s = open(dir, { io: faultyIo(fault), now: () => now });
    for (let q = 1; q <= 60; q++) expect(append(s, q, 3)).toBe(true); // GBPUSD only in the first segment
    const before = segmentFiles(dir);
    fault.code = 'EIO';
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

  test('one segment larger than the free space: a write fails, the backend acks, the segment is cut back and written on — again and again, nothing lost or reordered, no new space ever needed for a checkpoint', () => {
    const dir = mkdtempSync(join(tmpdir(), 'client-mt5-spool-full-'));
    dirs.push(dir);
    let now = 1_000;
    const logs: string[] = [];
    // A 200 KiB disk; the spool's segments may grow to 8 MiB (the default): one segment fills it.
    const disk = quotaDisk(dir, 200 * 1024);
    const s = open(dir, { io: disk.io, segmentBytes: 8 << 20, maxBytes: 1 << 30, fsync: 'always', now: () => now, log: (level, m) => logs.push(`${level} ${m}`) });
    const ackedBatches: number[] = [];
    let q = 1;
    for (let round = 0; round < 4; round++) {
      // The transport takes ticks while the spool is not full: batches until the disk is full.
      while (!s.full) expect(append(s, q++, 1 << 30)).toBeTypeOf('boolean');
      expect(s.failure).toBe('SPOOL_DISK_FULL');
      expect(segmentFiles(dir)).toHaveLength(1);
      // The backend acks every batch on disk (the held one is not on disk: not sent).
      const durable: number[] = [];
      for (let b = s.after(ackedBatches.at(-1) ?? 0); b !== undefined; b = s.after(b.sequence)) {
        expect(b.bytes[0]).toBe(b.sequence & 0xff);
        durable.push(b.sequence);
      }
      expect(durable.length).toBeGreaterThan(10);
      expect(durable).toEqual(Array.from({ length: durable.length }, (_, i) => (ackedBatches.at(-1) ?? 0) + 1 + i));
      expect(durable.at(-1)).toBe(q - 2); // batch q - 1 is held in memory
      s.ackThrough(durable.at(-1)!);
      ackedBatches.push(...durable);
      // Cut back to its header: the space is free again, without a new file.
      expect(segmentFiles(dir)).toHaveLength(1);
      expect(statSync(join(dir, segmentFiles(dir)[0])).size).toBe(16);
      now += 100;
      s.maintain(); // the held batch goes to disk
      expect(s.failure).toBe('');
      expect(s.full).toBe(false);
      expect(s.after(durable.at(-1)!)?.sequence).toBe(q - 1);
    }
    expect(s.stats.diskFullErrors).toBe(4);
    // The checkpoint was written on the full disk, in place, each time: never a write past a file's end.
    expect(disk.checkpointWrites()).toBeGreaterThanOrEqual(4);
    expect(logs.filter((l) => l.includes('checkpoint not written'))).toHaveLength(0);
    expect(logs.filter((l) => l.startsWith('error') && l.includes('SPOOL_DISK_FULL'))).toHaveLength(1); // rate-limited
    expect(logs.filter((l) => l.includes('cut back to its header'))).toHaveLength(1);

    // What a crash leaves: the unacked batch is replayed, the cursors are the newest, the sequence continues.
    const state = readSpoolState(dir);
    expect(state.checkpoint.ackedThrough).toBe(ackedBatches.at(-1));
    expect(state.lastSequence).toBe(q - 1);
    expect(state.cursors.get('EURUSD')?.tickSequence).toBe((q - 1) * 10);
    const again = open(dir, {});
    expect(again.after(0)?.sequence).toBe(q - 1);
    expect(again.size).toBe(1);
    expect(again.nextSequence).toBe(q);
    expect(again.cursors().get('GBPUSD')?.tickSequence).toBe((q - 1) * 5);
    again.close();
    s.close();
  });

  test('a disk filling and freeing again and again: the first failure and its end are logged, then a summary at most every FAILURE_LOG_EVERY_MS; the stats count every one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'client-mt5-spool-full-'));
    dirs.push(dir);
    const fault: IoFault = { code: null };
    let now = 1_000;
    const logs: string[] = [];
    const s = open(dir, { io: faultyIo(fault), now: () => now, retryMs: 100, log: (level, m) => logs.push(`${level} ${m}`) });
    let q = 1;
    const flip = (): void => {
      fault.code = 'ENOSPC';
      expect(append(s, q++, 0)).toBe(false);
      expect(s.failure).toBe('SPOOL_DISK_FULL');
      fault.code = null;
      now += 100;
      s.maintain();
      expect(s.failure).toBe('');
    };
    for (let i = 0; i < 20; i++) flip(); // 2 s of flipping every 100 ms
    expect(s.stats.diskFullErrors).toBe(20);
    expect(logs.filter((l) => l.includes('SPOOL_DISK_FULL: cannot write'))).toHaveLength(1);
    expect(logs.filter((l) => l.includes('writing again after SPOOL_DISK_FULL'))).toHaveLength(1);
    expect(logs.filter((l) => l.includes('more time(s)'))).toHaveLength(0);
    now += FAILURE_LOG_EVERY_MS;
    s.maintain();
    const summary = logs.filter((l) => l.includes('more time(s)'));
    expect(summary).toHaveLength(1);
    expect(summary[0]).toMatch(/^warn spool: SPOOL_DISK_FULL 19 more time\(s\), writing again 19 time\(s\), in the last 12 s \(20 failed write\(s\) in all.*; writing now$/);
    s.maintain();
    expect(logs.filter((l) => l.includes('more time(s)'))).toHaveLength(1); // nothing new: no new line
    // Still failing at the summary: the summary says so, and the end of that streak is logged.
    fault.code = 'ENOSPC';
    expect(append(s, q++, 0)).toBe(false); // quiet: within FAILURE_LOG_EVERY_MS of the summary
    now += FAILURE_LOG_EVERY_MS;
    s.maintain();
    expect(logs.at(-1)).toMatch(/SPOOL_DISK_FULL 1 more time\(s\), writing again 0 time\(s\).*; SPOOL_DISK_FULL now, holding 1 batch/);
    fault.code = null;
    now += 100;
    s.maintain();
    expect(logs.at(-1)).toMatch(/writing again after SPOOL_DISK_FULL/);
    s.close();
  });
});

/**
 * A disk of `capacity` bytes holding `dir` alone: a write that would take the files past it fails
 * with ENOSPC, as does creating a file then; overwrites within a file take nothing. Counts the
 * checkpoint's writes, each checked to be an overwrite within the file.
 */
function quotaDisk(dir: string, capacity: number): { io: SpoolIo; checkpointWrites: () => number } {
  const used = (): number => readdirSync(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
  let checkpointWrites = 0;
  const io: SpoolIo = {
    ...nodeIo,
    create(path) {
      if (used() + 4096 > capacity) throw ioError('ENOSPC', 'open');
      return nodeIo.create(path);
    },
    append(fd, bytes, length, position) {
      const grows = Math.max(0, position + length - fstatSync(fd).size);
      if (used() + grows > capacity) throw ioError('ENOSPC', 'write');
      nodeIo.append(fd, bytes, length, position);
    },
    writeAt(fd, bytes, length, position) {
      if (position + length > fstatSync(fd).size) throw new Error('a checkpoint write past the end of its file: it would need new space');
      checkpointWrites++;
      nodeIo.writeAt(fd, bytes, length, position);
    },
    writeNewFile(d, path, bytes, sync) {
      if (used() + bytes.length > capacity) throw ioError('ENOSPC', 'write');
      nodeIo.writeNewFile(d, path, bytes, sync);
    },
  };
  return { io, checkpointWrites: () => checkpointWrites };
}
