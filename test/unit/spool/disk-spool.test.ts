/**
 * The durable spool on a real directory: what a restarted process finds, what a crash mid-write
 * leaves, and what happens when the disk is full — through the spool's own file layer, with a
 * fault-injection seam for write errors and /dev/full for a real ENOSPC from the kernel.
 */
import { existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { crc32c, crc32cBytewise } from '../../../src/shared/crc32c.js';
import { readSpoolState, SEGMENT_HEADER_BYTES } from '../../../src/shared/spool-format.js';
import { DiskSpool, type DiskSpoolOptions } from '../../../src/workers/spool/disk-spool.js';
import { faultyIo, nodeIo, type SpoolIo } from '../../../src/workers/spool/spool-io.js';
import { spoolOptions } from '../../helpers/spool.js';
import type { BatchCursor } from '../../../src/workers/unacked-batches.js';

const dirs: string[] = [];
const spools: DiskSpool[] = [];
afterEach(() => {
  for (const s of spools.splice(0)) { try { s.close(); } catch { /* a test may have broken it on purpose */ } }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'client-mt5-spool-'));
  dirs.push(d);
  return d;
}

function open(dir: string, o: Partial<DiskSpoolOptions> = {}): DiskSpool {
  const s = new DiskSpool(spoolOptions(dir, { retryMs: 1000, ...o }));
  spools.push(s);
  return s;
}

/** Drops a spool without closing it: what SIGKILL leaves (the descriptors close with the test's process). */
function crash(s: DiskSpool): void {
  spools.splice(spools.indexOf(s), 1);
}

/** A recognisable batch: `size` bytes derived from the sequence. */
function batch(sequence: number, size = 1000): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (sequence * 31 + i * 7) & 0xff;
  return b;
}

function cursor(name: string, timeMsc: number, countAtMsc: number, tickSequence: number): BatchCursor {
  return { name, nameBytes: new TextEncoder().encode(name), timeMsc, countAtMsc, tickSequence };
}

/** Appends batches from..to (inclusive), each touching EURUSD and, on even sequences, USDJPY. */
function fill(s: DiskSpool, from: number, to: number, size = 1000): void {
  for (let q = from; q <= to; q++) {
    const cursors = [cursor('EURUSD', 1_700_000_000_000 + q, 1 + (q % 3), q * 10)];
    if (q % 2 === 0) cursors.push(cursor('USDJPY', 1_700_000_000_500 + q, 1, q * 5));
    expect(s.append(q, batch(q, size), 10, cursors)).toBe(true);
  }
}

function replayed(s: DiskSpool): number[] {
  const seqs: number[] = [];
  for (let b = s.after(0); b !== undefined; b = s.after(b.sequence)) {
    expect(Buffer.from(b.bytes).equals(Buffer.from(batch(b.sequence, b.bytes.length)))).toBe(true);
    seqs.push(b.sequence);
  }
  return seqs;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

function segments(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.spool')).sort();
}

describe('crc32c', () => {
  test('the standard check value, and continuation over split input', () => {
    const data = new TextEncoder().encode('123456789');
    expect(crc32c(data)).toBe(0xe3069283);
    expect(crc32c(data, 4, 9, crc32c(data, 0, 4))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  test('eight bytes a step gives what one byte a step gives, at every length and alignment', () => {
    const data = new Uint8Array(300);
    for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
    for (let start = 0; start < 9; start++) {
      for (let end = start; end <= data.length; end += 7) expect(crc32c(data, start, end)).toBe(crc32cBytewise(data, start, end));
    }
  });
});

describe('DiskSpool', () => {
  test('acked segments are deleted with their cursors kept in the checkpoint; unacked batches stay, in order', () => {
    const dir = tempDir();
    const s = open(dir);
    fill(s, 1, 200, 2000); // ~400 KB: several 64 KB segments
    expect(segments(dir).length).toBeGreaterThan(4);
    expect(s.size).toBe(200);
    expect(s.ackThrough(150)).toBe(1500);
    expect(s.size).toBe(50);
    // Only segments whose every batch is acked went; the first remaining one starts at or before 151.
    const first = Number(/seg-(\d+)/.exec(segments(dir)[0])![1]);
    expect(first).toBeLessThanOrEqual(151);
    expect(first).toBeGreaterThan(1);
    expect(replayed(s)).toEqual(range(151, 200));
    const table = s.cursors();
    expect(table.get('EURUSD')).toEqual({ timeMsc: 1_700_000_000_200, countAtMsc: 1 + (200 % 3), tickSequence: 2000 });
    expect(table.get('USDJPY')).toEqual({ timeMsc: 1_700_000_000_700, countAtMsc: 1, tickSequence: 1000 });
    // Main's reader sees the same table, from the checkpoint and the segments left.
    expect(readSpoolState(dir).cursors).toEqual(table);
  });

  test('a restart replays every unacked batch in order and continues the sequence after the highest one', () => {
    const dir = tempDir();
    const a = open(dir);
    fill(a, 1, 40);
    a.ackThrough(12);
    crash(a);
    const b = open(dir);
    expect(b.nextSequence).toBe(41);
    // What the last checkpoint says is acked is not replayed; the rest is, oldest first.
    expect(replayed(b)[0]).toBeLessThanOrEqual(13);
    expect(replayed(b).at(-1)).toBe(40);
    expect(b.stats.recoveredBatches).toBe(b.size);
    expect(b.cursors().get('EURUSD')!.tickSequence).toBe(400);
    // New batches go after the replayed ones.
    fill(b, 41, 45);
    expect(replayed(b).slice(-6)).toEqual(range(40, 45));
    b.ackThrough(45);
    b.close();
    const c = open(dir);
    expect(c.size).toBe(0);
    expect(c.nextSequence).toBe(46);
    expect(c.stats.corruptRecords).toBe(0);
  });

  test('a graceful close leaves nothing to replay and the cursors in place', () => {
    const dir = tempDir();
    const a = open(dir);
    fill(a, 1, 10);
    a.ackThrough(10);
    a.close();
    spools.splice(spools.indexOf(a), 1);
    const b = open(dir);
    expect(b.size).toBe(0);
    expect(b.nextSequence).toBe(11);
    expect(b.cursors().get('EURUSD')!.timeMsc).toBe(1_700_000_000_010);
  });

  test('a torn last record (crash mid-write) is reported, cut off and never replayed; its sequence is reused', () => {
    const dir = tempDir();
    const logs: string[] = [];
    const a = open(dir);
    fill(a, 1, 8);
    crash(a);
    const file = join(dir, segments(dir).at(-1)!);
    truncateSync(file, statSync(file).size - 300); // batch 8 half written
    const b = open(dir, { log: (level, m) => logs.push(`${level} ${m}`) });
    expect(b.stats.corruptRecords).toBe(1);
    expect(logs.some((l) => l.startsWith('warn') && l.includes('torn record'))).toBe(true);
    expect(replayed(b)).toEqual(range(1, 7));
    expect(b.nextSequence).toBe(8); // batch 8 never went out: its number is free
    expect(b.cursors().get('EURUSD')!.tickSequence).toBe(70);
    // The tail was cut off: a second start finds nothing wrong.
    crash(b);
    const c = open(dir);
    expect(c.stats.corruptRecords).toBe(0);
    expect(replayed(c)).toEqual(range(1, 7));
  });

  /** Ten batches written and the process killed: the directory, its one segment file and that file's bytes. */
  function tenBatchesThenCrash(): { dir: string; file: string; bytes: Buffer } {
    const dir = tempDir();
    const a = open(dir);
    fill(a, 1, 10);
    crash(a);
    const file = join(dir, segments(dir)[0]);
    return { dir, file, bytes: readFileSync(file) };
  }

  test('a record whose CRC does not match ends its segment: nothing from it on is replayed', () => {
    const { dir, file, bytes } = tenBatchesThenCrash();
    const recordBytes = (bytes.length - SEGMENT_HEADER_BYTES) / 10;
    bytes[SEGMENT_HEADER_BYTES + 5 * recordBytes + recordBytes - 10] ^= 0x40; // a bit flipped in batch 6's payload
    writeFileSync(file, bytes);
    const b = open(dir);
    expect(b.stats.corruptRecords).toBe(1);
    expect(replayed(b)).toEqual(range(1, 5));
    expect(b.nextSequence).toBe(6);
  });

  test('a version 1 segment (CRC-32C records, the previous release) is still replayed', () => {
    const { dir, file, bytes } = tenBatchesThenCrash();
    // Rewrite the segment as the previous release wrote it: version 1 header, CRC-32C per record.
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(view.getUint32(8, true)).toBe(2);
    view.setUint32(8, 1, true);
    for (let p = SEGMENT_HEADER_BYTES; p < bytes.length;) {
      const length = view.getUint32(p, true);
      view.setUint32(p + 4, crc32c(bytes, p + 8, p + 8 + length), true);
      p += 8 + length;
    }
    writeFileSync(file, bytes);
    const b = open(dir);
    expect(b.stats.corruptRecords).toBe(0);
    expect(replayed(b)).toEqual(range(1, 10));
    // The same bytes read as version 2 fail their checksums: the version decides, not luck.
    view.setUint32(8, 2, true);
    expect(readSpoolState(dir).segments.length).toBe(1);
    writeFileSync(file, bytes);
    expect(readSpoolState(dir).segments[0].corruption).toMatch(/CRC mismatch/);
  });

  /** nodeIo counting fsyncs on this thread and on the thread pool, and asynchronous deletes. */
  function counted(): { io: SpoolIo; fsyncs: () => number; pooled: number[]; unlinked: string[] } {
    let n = 0;
    const pooled: number[] = [];
    const unlinked: string[] = [];
    const io: SpoolIo = {
      ...nodeIo,
      fsync(fd) { n++; nodeIo.fsync(fd); },
      fsyncAsync(fd, done) { pooled.push(fd); nodeIo.fsyncAsync(fd, done); },
      unlinkAsync(path, done) { unlinked.push(path); nodeIo.unlinkAsync(path, done); },
    };
    return { io, fsyncs: () => n, pooled, unlinked };
  }

  /** Lets the thread pool's callbacks (fsync, unlink) land. */
  const landed = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 50));

  test('fsync policies: always syncs every batch on this thread, interval at most every fsyncIntervalMs on the thread pool, never not at all', async () => {
    let now = 1_000_000;
    const always = counted();
    const s1 = open(tempDir(), { fsync: 'always', io: always.io });
    fill(s1, 1, 5);
    expect(always.fsyncs()).toBe(5);
    expect(always.pooled).toEqual([]);

    const interval = counted();
    const s2 = open(tempDir(), { fsync: 'interval', fsyncIntervalMs: 200, io: interval.io, now: () => now });
    const creation = interval.fsyncs(); // the checkpoint file is created durably, once
    fill(s2, 1, 5);
    expect(interval.fsyncs()).toBe(creation); // nothing on the writer's thread
    s2.maintain();
    expect(interval.pooled.length).toBe(1); // first maintain: due; the segment being written
    expect(s2.stats.fsyncs).toBe(0); // until it lands
    await landed();
    expect(s2.stats.fsyncs).toBe(1);
    fill(s2, 6, 10);
    now += 100;
    s2.maintain();
    expect(interval.pooled.length).toBe(1); // not due yet
    now += 150;
    s2.maintain();
    expect(interval.pooled.length).toBe(2);
    now += 250;
    s2.maintain();
    expect(interval.pooled.length).toBe(2); // one pass at a time: the last one has not landed
    await landed();
    s2.maintain();
    expect(interval.pooled.length).toBe(2); // nothing new written
    expect(interval.fsyncs()).toBe(creation);

    const never = counted();
    const s3 = open(tempDir(), { fsync: 'never', io: never.io });
    fill(s3, 1, 5);
    s3.maintain();
    expect(never.fsyncs() + never.pooled.length).toBe(0);
  });

  test('interval: an acked segment goes only once a sync pass made the checkpoint holding its cursors durable; its own records are never synced', async () => {
    let now = 2_000_000;
    const dir = tempDir();
    const c = counted();
    const s = open(dir, { fsync: 'interval', fsyncIntervalMs: 200, io: c.io, now: () => now });
    fill(s, 1, 100, 2000); // ~200 KB: several 64 KB segments
    const before = segments(dir);
    expect(before.length).toBeGreaterThan(3);
    s.ackThrough(100);
    // Acked, folded, out of the index — still on disk: the checkpoint that holds their cursors is not durable yet.
    expect(segments(dir)).toEqual(before);
    expect(readSpoolState(dir).checkpoint.foldedThrough).toBeGreaterThan(0);
    s.maintain();
    // The pass syncs the segment being written and the checkpoint, not the retired segments.
    expect(c.pooled.length).toBe(2);
    expect(c.unlinked).toEqual([]);
    await landed();
    expect(c.unlinked.length).toBe(before.length - 1);
    expect(segments(dir)).toEqual([before.at(-1)]);
    expect(s.stats.diskBytes).toBe(statSync(join(dir, before.at(-1)!)).size);
    // What a restart sees: nothing to replay, the cursors from the checkpoint.
    crash(s);
    const t = open(dir);
    expect(t.size).toBe(0);
    expect(t.cursors().get('EURUSD')!.tickSequence).toBe(1000);
    now += 1000;
  });

  test('interval: a crash between retiring segments and the sync pass loses nothing and replays nothing acked', () => {
    const dir = tempDir();
    const s = open(dir, { fsync: 'interval', fsyncIntervalMs: 200 });
    fill(s, 1, 100, 2000);
    s.ackThrough(60);
    crash(s); // before any pass: the retired segments are still there, the checkpoint is in the page cache
    const t = open(dir);
    expect(replayed(t)).toEqual(range(61, 100));
    expect(t.cursors().get('EURUSD')!.tickSequence).toBe(1000);
    expect(t.stats.corruptRecords).toBe(0);
  });

  test('overflow pause: the spool reports full at its byte, batch and age bounds, and not once acked', () => {
    let now = 5_000_000;
    const s = open(tempDir(), { maxBytes: 10_000, maxBatches: 100, maxAgeMs: 60_000, now: () => now });
    fill(s, 1, 9);
    expect(s.full).toBe(false);
    fill(s, 10, 10);
    expect(s.full).toBe(true); // 10 × 1000 bytes
    s.ackThrough(5);
    expect(s.full).toBe(false);
    now += 61_000;
    expect(s.full).toBe(true); // batch 6 is older than maxAgeMs
    s.ackThrough(10);
    expect(s.full).toBe(false);
    expect(s.stats.droppedBatches).toBe(0);
  });

  test('overflow drop-oldest: whole oldest segments go, counted and logged; cursors still move past them', () => {
    const dir = tempDir();
    const logs: string[] = [];
    const s = open(dir, { overflow: 'drop-oldest', maxBytes: 300_000, log: (level, m) => logs.push(`${level} ${m}`) });
    fill(s, 1, 200, 2000); // 400 KB offered
    expect(s.full).toBe(false);
    expect(s.bytes).toBeLessThanOrEqual(300_000);
    expect(s.stats.droppedBatches).toBeGreaterThan(0);
    expect(s.stats.droppedTicks).toBe(s.stats.droppedBatches * 10);
    expect(logs.some((l) => l.startsWith('warn') && l.includes('drop-oldest'))).toBe(true);
    const left = replayed(s);
    expect(left[0]).toBe(s.stats.droppedBatches + 1);
    expect(left.at(-1)).toBe(200);
    crash(s);
    // A restart replays what is left (the backend is told of the hole by the transport).
    const t = open(dir);
    expect(replayed(t)).toEqual(left);
    expect(t.nextSequence).toBe(201);
  });

  test('ENOSPC (injected): batches are held in memory in order, not offered for sending, and written once space returns', () => {
    const dir = tempDir();
    const fault: { code: string | null; partialBytes?: number } = { code: null };
    let now = 1_000;
    const logs: string[] = [];
    const s = open(dir, { io: faultyIo(fault), now: () => now, retryMs: 500, log: (level, m) => logs.push(`${level} ${m}`) });
    fill(s, 1, 3);
    fault.code = 'ENOSPC';
    fault.partialBytes = 100; // the failing write leaves a torn record behind
    expect(s.append(4, batch(4), 10, [cursor('EURUSD', 4, 1, 40)])).toBe(false);
    expect(s.append(5, batch(5), 10, [cursor('EURUSD', 5, 1, 50)])).toBe(false);
    expect(s.full).toBe(true);
    expect(s.failure).toBe('SPOOL_DISK_FULL');
    expect(s.stats.diskFullErrors).toBe(1);
    expect(logs.some((l) => l.startsWith('error') && l.includes('SPOOL_DISK_FULL'))).toBe(true);
    expect(replayed(s)).toEqual([1, 2, 3]); // held batches are not durable: not sent
    now += 600;
    s.maintain(); // still full
    expect(s.stats.diskFullErrors).toBe(2);
    expect(s.full).toBe(true);
    fault.code = null;
    now += 100;
    s.maintain(); // not yet time to retry
    expect(s.full).toBe(true);
    now += 500;
    s.maintain();
    expect(s.full).toBe(false);
    expect(s.failure).toBe('');
    expect(replayed(s)).toEqual([1, 2, 3, 4, 5]);
    crash(s);
    // What is on disk is whole: the torn bytes of the failed write were cut off before the retry.
    const t = open(dir);
    expect(t.stats.corruptRecords).toBe(0);
    expect(replayed(t)).toEqual([1, 2, 3, 4, 5]);
    expect(t.cursors().get('EURUSD')!.tickSequence).toBe(50);
  });

  test('ENOSPC from the kernel (/dev/full) is handled the same way', () => {
    if (!existsSync('/dev/full')) return;
    const dir = tempDir();
    let full = false;
    // Segments created while "full" are /dev/full, where every write fails with a real ENOSPC.
    const io: SpoolIo = { ...nodeIo, create: (path) => (full ? openSync('/dev/full', 'r+') : nodeIo.create(path)) };
    let now = 0;
    const s = open(dir, { io, now: () => now, retryMs: 10, segmentBytes: 64 * 1024 });
    fill(s, 1, 2);
    full = true;
    // Fill the segment so that the next batch opens a new one (on /dev/full).
    let q = 3;
    while (segments(dir).length === 1 && s.append(q, batch(q, 4000), 10)) q++;
    expect(s.failure).toBe('SPOOL_DISK_FULL');
    expect(s.full).toBe(true);
    full = false;
    now += 20;
    s.maintain();
    expect(s.full).toBe(false);
    expect(replayed(s).at(-1)).toBe(q);
  });
});
