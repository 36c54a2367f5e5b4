/**
 * The spool's two-slot checkpoint (checkpoint.bin, src/shared/spool-format.ts): allocated whole,
 * overwritten in place alternately, the newest valid slot read; a torn slot leaves the other; the
 * previous version's checkpoint.json is still read and replaced on the first write.
 */
import { existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { MAX_SYMBOLS } from '../../../src/shared/lanes.js';
import {
  CHECKPOINT_FILE, CHECKPOINT_HEADER_BYTES, CHECKPOINT_SLOT_BYTES, checkpointFileBytes, checkpointSlotOffset,
  decodeCheckpointFile, LEGACY_CHECKPOINT_FILE, readCheckpointFile, readSpoolState,
} from '../../../src/shared/spool-format.js';
import { DiskSpool, type DiskSpoolOptions } from '../../../src/workers/spool/disk-spool.js';
import { faultyIo, nodeIo, type IoFault, type SpoolIo } from '../../../src/workers/spool/spool-io.js';
import { cursorAt, spoolOptions } from '../../helpers/spool.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'client-mt5-checkpoint-'));
  dirs.push(d);
  return d;
}

function open(dir: string, o: Partial<DiskSpoolOptions> = {}): DiskSpool {
  return new DiskSpool(spoolOptions(dir, o));
}


/** Batches from..to of 2000 bytes, each with a cursor for EURUSD and, for odd ones, GBPUSD. */
function fill(s: DiskSpool, from: number, to: number): void {
  for (let q = from; q <= to; q++) {
    const cursors = [cursorAt('EURUSD', q * 10)];
    if (q % 2 === 1) cursors.push(cursorAt('GBPUSD', q * 5));
    expect(s.append(q, new Uint8Array(2000).fill(q & 0xff), 10, cursors)).toBe(true);
  }
}

function segments(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.spool')).sort();
}

/** Generations of both slots as the file holds them (0 for an empty or invalid slot). */
function slotGenerations(dir: string): [number, number] {
  const bytes = readFileSync(join(dir, CHECKPOINT_FILE));
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const gen = (k: number): number => {
    const at = checkpointSlotOffset(CHECKPOINT_SLOT_BYTES, k);
    return v.getUint32(at, true) === 0 ? 0 : v.getFloat64(at + 8, true);
  };
  return [gen(0), gen(1)];
}

/** Flips a byte in the body of slot `k`: what a write torn by a crash or a power cut leaves. */
function tearSlot(dir: string, k: number): void {
  const fd = openSync(join(dir, CHECKPOINT_FILE), 'r+');
  const at = checkpointSlotOffset(CHECKPOINT_SLOT_BYTES, k) + 8 + 20;
  const b = Buffer.alloc(1);
  const got = readFileSync(join(dir, CHECKPOINT_FILE))[at];
  b[0] = got ^ 0x5a;
  writeSync(fd, b, 0, 1, at);
  closeSync(fd);
}

describe('the two-slot checkpoint', () => {
  test('its size is bounded for MAX_SYMBOLS cursors with the longest names, and allocated whole at open (not sparse)', () => {
    // 8 + 40 + 256 × (1 + 31 + 24) = 14,384 bytes of content at most: 16 KiB slots.
    expect(CHECKPOINT_SLOT_BYTES).toBe(16384);
    expect(CHECKPOINT_SLOT_BYTES).toBeGreaterThanOrEqual(8 + 40 + MAX_SYMBOLS * (1 + 31 + 24));
    const dir = tempDir();
    const s = open(dir);
    const st = statSync(join(dir, CHECKPOINT_FILE));
    expect(st.size).toBe(checkpointFileBytes(CHECKPOINT_SLOT_BYTES));
    expect(st.size).toBe(CHECKPOINT_HEADER_BYTES + 2 * 16384);
    // Every block is there: what st_blocks (512-byte units) counts covers the whole length.
    expect(st.blocks * 512).toBeGreaterThanOrEqual(st.size);
    expect(existsSync(join(dir, `${CHECKPOINT_FILE}.tmp`))).toBe(false);
    s.close();
  });

  test('generations alternate between the slots, written in place; the reader takes the highest', () => {
    const dir = tempDir();
    const s = open(dir);
    const ino = statSync(join(dir, CHECKPOINT_FILE)).ino;
    expect(slotGenerations(dir)).toEqual([0, 1]); // created holding generation 1
    fill(s, 1, 100);
    s.ackThrough(95); // segments go, a checkpoint each
    const [g0, g1] = slotGenerations(dir);
    expect(Math.abs(g0 - g1)).toBe(1);
    const top = Math.max(g0, g1);
    expect(top).toBeGreaterThan(2);
    expect(slotGenerations(dir)[top % 2]).toBe(top);
    const read = readCheckpointFile(dir);
    expect(read.file.generation).toBe(top);
    expect(read.checkpoint.version).toBe(2);
    expect(read.checkpoint.ackedThrough).toBe(95);
    expect(read.checkpoint.foldedThrough).toBeGreaterThan(60);
    // The same file throughout: overwritten, never replaced.
    expect(statSync(join(dir, CHECKPOINT_FILE)).ino).toBe(ino);
    expect(statSync(join(dir, CHECKPOINT_FILE)).size).toBe(checkpointFileBytes(CHECKPOINT_SLOT_BYTES));
    s.close();
  });

  test('a torn newest slot: the other one (a generation older) is read; the next write goes into the torn slot, never over the valid one', () => {
    const dir = tempDir();
    const s = open(dir);
    fill(s, 1, 100);
    s.ackThrough(70); // segments deleted: checkpoints written
    const before = readCheckpointFile(dir);
    expect(before.checkpoint.ackedThrough).toBe(70);
    s.ackThrough(72); // no segment wholly acked: nothing written until close
    s.close();
    const newest = readCheckpointFile(dir);
    expect(newest.checkpoint.ackedThrough).toBe(72);
    const g = newest.file.generation;
    expect(g).toBe(before.file.generation + 1);
    tearSlot(dir, g % 2);
    const after = readCheckpointFile(dir);
    expect(after).toEqual(before);
    // A restart on it: what the older checkpoint left is replayed (duplicates, which the backend drops), nothing lost.
    const positions: number[] = [];
    const io: SpoolIo = { ...nodeIo, writeAt(fd, bytes, length, position) { positions.push(position); nodeIo.writeAt(fd, bytes, length, position); } };
    const t = open(dir, { io });
    expect(t.after(0)!.sequence).toBeLessThanOrEqual(after.checkpoint.ackedThrough + 1);
    expect(t.nextSequence).toBe(101);
    expect(t.cursors().get('EURUSD')?.tickSequence).toBe(1000);
    // Its first write: generation g again, into the torn slot, not over the valid one.
    t.ackThrough(100);
    expect(positions.length).toBeGreaterThan(0);
    expect(positions[0]).toBe(checkpointSlotOffset(CHECKPOINT_SLOT_BYTES, g % 2));
    t.close();
    const final = readCheckpointFile(dir);
    expect(final.checkpoint.ackedThrough).toBe(100);
    expect(final.file.generation).toBeGreaterThanOrEqual(g);
  });

  test('both slots damaged is an error; both never written (an interrupted first use) is no checkpoint', () => {
    const dir = tempDir();
    const s = open(dir);
    fill(s, 1, 10);
    s.ackThrough(10);
    s.close();
    tearSlot(dir, 0);
    tearSlot(dir, 1);
    expect(() => readSpoolState(dir)).toThrow(/both slots are damaged/);
    expect(() => open(dir)).toThrow(/SPOOL_UNREADABLE|both slots/);
    // Zeroed slots: nothing written yet, the checkpoint is empty (the segments still say what is there).
    const bytes = readFileSync(join(dir, CHECKPOINT_FILE));
    bytes.fill(0, CHECKPOINT_HEADER_BYTES);
    writeFileSync(join(dir, CHECKPOINT_FILE), bytes);
    const empty = decodeCheckpointFile(bytes);
    expect(empty.checkpoint).toBeNull();
    expect(readCheckpointFile(dir).checkpoint.ackedThrough).toBe(0);
  });

  test('a spool of the previous version (checkpoint.json) is recovered as it was, and moved into checkpoint.bin on the first write', () => {
    const dir = tempDir();
    const s = open(dir);
    fill(s, 1, 120);
    s.ackThrough(90);
    s.close();
    const want = readSpoolState(dir);
    expect(want.checkpoint.foldedThrough).toBeGreaterThan(0);
    const wantReplay: number[] = [];
    const w = open(dir);
    for (let b = w.after(0); b !== undefined; b = w.after(b.sequence)) wantReplay.push(b.sequence);
    w.close();
    // What the previous version leaves: the same checkpoint as JSON, no checkpoint.bin.
    const { checkpoint } = want;
    unlinkSync(join(dir, CHECKPOINT_FILE));
    writeFileSync(join(dir, LEGACY_CHECKPOINT_FILE), JSON.stringify({
      version: 1, ackedThrough: checkpoint.ackedThrough, lastSequence: checkpoint.lastSequence,
      foldedThrough: checkpoint.foldedThrough, cursors: checkpoint.cursors,
    }));
    const legacy = readSpoolState(dir);
    expect(legacy.checkpoint.version).toBe(1);
    expect(legacy.checkpointFile).toEqual({ slotBytes: 0, generation: 0, legacy: true });
    expect(legacy.cursors).toEqual(want.cursors);
    expect(legacy.lastSequence).toBe(want.lastSequence);

    const t = open(dir);
    expect(t.nextSequence).toBe(121);
    const replay: number[] = [];
    for (let b = t.after(0); b !== undefined; b = t.after(b.sequence)) replay.push(b.sequence);
    expect(replay).toEqual(wantReplay);
    expect(t.cursors()).toEqual(want.cursors);
    // Migrated: checkpoint.bin holds it, checkpoint.json is gone.
    expect(existsSync(join(dir, LEGACY_CHECKPOINT_FILE))).toBe(false);
    const migrated = readSpoolState(dir);
    expect(migrated.checkpoint.version).toBe(2);
    expect(migrated.checkpoint.cursors).toEqual(checkpoint.cursors);
    expect(migrated.checkpoint.foldedThrough).toBe(checkpoint.foldedThrough);
    expect(migrated.cursors).toEqual(want.cursors);
    t.close();
  });

  test('checkpoint.json beside a checkpoint.bin with no slot written yet (a crash right after the upgrade created it): the JSON one is read', () => {
    const dir = tempDir();
    const s = open(dir);
    fill(s, 1, 60);
    s.ackThrough(60);
    s.close();
    const want = readSpoolState(dir);
    writeFileSync(join(dir, LEGACY_CHECKPOINT_FILE), JSON.stringify({ ...want.checkpoint, version: 1 }));
    const bytes = readFileSync(join(dir, CHECKPOINT_FILE));
    bytes.fill(0, CHECKPOINT_HEADER_BYTES);
    writeFileSync(join(dir, CHECKPOINT_FILE), bytes);
    const read = readSpoolState(dir);
    expect(read.checkpoint.version).toBe(1);
    expect(read.checkpoint.ackedThrough).toBe(60);
    expect(read.cursors).toEqual(want.cursors);
    const t = open(dir);
    expect(t.size).toBe(0);
    t.ackThrough(60);
    t.close();
    expect(existsSync(join(dir, LEGACY_CHECKPOINT_FILE))).toBe(false);
    expect(readSpoolState(dir).checkpoint.version).toBe(2);
  });

  test('on a full disk (every write that creates or extends a file fails) checkpoints are still written', () => {
    const dir = tempDir();
    const fault: IoFault = { code: null };
    const s = open(dir, { io: faultyIo(fault) });
    fill(s, 1, 100);
    const gen = readCheckpointFile(dir).file.generation;
    fault.code = 'ENOSPC';
    s.ackThrough(100);
    s.close();
    const read = readCheckpointFile(dir);
    expect(read.file.generation).toBeGreaterThan(gen);
    expect(read.checkpoint.ackedThrough).toBe(100);
    // The deleted segments' cursors are in it (the one being written keeps its own).
    expect(read.checkpoint.foldedThrough).toBeGreaterThan(60);
    expect(read.checkpoint.cursors.EURUSD[2]).toBe(read.checkpoint.foldedThrough * 10);
    expect(readSpoolState(dir).cursors.get('EURUSD')?.tickSequence).toBe(1000);
  });

  test('a spool opened on a full disk works without a checkpoint file and creates it once there is room', () => {
    const dir = tempDir();
    const fault: IoFault = { code: 'ENOSPC' };
    let now = 0;
    const logs: string[] = [];
    const s = open(dir, { io: faultyIo(fault), now: () => now, log: (level, m) => logs.push(`${level} ${m}`) });
    expect(existsSync(join(dir, CHECKPOINT_FILE))).toBe(false);
    expect(logs.some((l) => l.includes('checkpoint not written'))).toBe(true);
    fault.code = null;
    fill(s, 1, 40);
    s.ackThrough(40);
    now += 2000;
    s.maintain();
    expect(readCheckpointFile(dir).checkpoint.ackedThrough).toBe(40);
    expect(segments(dir)).toHaveLength(1);
    s.close();
  });

  test('a cursor table larger than a slot (symbols changing from run to run) moves to a larger file', () => {
    const dir = tempDir();
    const s = open(dir);
    const names = Array.from({ length: 700 }, (_, i) => `SYMBOL_WITH_A_LONG_NAME_${String(i).padStart(5, '0')}`);
    let q = 1;
    for (let i = 0; i < names.length; i += 50) {
      expect(s.append(q, new Uint8Array(30_000), 50, names.slice(i, i + 50).map((n) => cursorAt(n, q)))).toBe(true);
      q++;
    }
    s.ackThrough(q - 1);
    s.close();
    const read = readCheckpointFile(dir);
    expect(read.file.slotBytes).toBeGreaterThan(CHECKPOINT_SLOT_BYTES);
    expect(statSync(join(dir, CHECKPOINT_FILE)).size).toBe(checkpointFileBytes(read.file.slotBytes));
    expect(Object.keys(read.checkpoint.cursors).length).toBeGreaterThanOrEqual(600); // all but the last segment's
    expect(readSpoolState(dir).cursors.size).toBe(700);
    const t = open(dir);
    expect(t.cursors().get(names[699])?.tickSequence).toBe(q - 1);
    t.close();
  });

  test('fsync policy: a checkpoint write is fsynced unless spool.fsync is never', () => {
    const counted = (): { io: SpoolIo; n: () => number } => {
      let n = 0;
      return { io: { ...nodeIo, fsync(fd) { n++; nodeIo.fsync(fd); } }, n: () => n };
    };
    const a = counted();
    const s = open(tempDir(), { fsync: 'interval', io: a.io });
    const before = a.n();
    s.ackThrough(0);
    s.close(); // a checkpoint write
    expect(a.n()).toBeGreaterThan(before);
    const b = counted();
    const t = open(tempDir(), { fsync: 'never', io: b.io });
    t.close();
    expect(b.n()).toBe(0);
  });
});
