/**
 * The durable spool's files, shared by the transport worker (which writes them,
 * src/workers/spool/) and main (which reads the resume cursors at start-up, before the EA link
 * listens). Reading only: nothing here writes, so main never pulls in worker code.
 *
 *   <dir>/seg-<16 digits>.spool   append-only segments, in sequence order (the digits are the first
 *                                 batch sequence the file was created for; a wholly acked segment
 *                                 may be cut back to its header and written on, see below, so
 *                                 only the records say which batches it holds)
 *   <dir>/checkpoint.bin          what deleted segments held: two slots overwritten in place (below)
 *   <dir>/checkpoint.json         the previous version's checkpoint: still read, replaced by
 *                                 checkpoint.bin on the first write
 *
 * A segment is a 16-byte header (magic "CMT5SPL1", u32 version, u32 0) and then records, each:
 *
 *   offset  size  field (little-endian)
 *        0     4  u32 body length L (what follows the 8-byte prefix)
 *        4     4  u32 checksum of the body: version 2 (written now) CRC-32, the zip/zlib polynomial,
 *                 computed by zlib (`zlib.crc32`, SIMD: ~3.8 GB/s here against ~0.8 GB/s for the
 *                 table-driven CRC-32C in JS, which was ~15 % of the transport thread at 1M ticks/s);
 *                 version 1 (still read) CRC-32C
 *   body 0     8  f64 batch_sequence
 *        8     8  f64 written at, UTC ms (the age bound)
 *       16     4  u32 tick count
 *       20     2  u16 cursor count C
 *       22     2  u16 0
 *       24        C × { u8 name length n, n bytes UTF-8 name, f64 time_msc (server clock),
 *                       f64 count_at_msc, f64 tick sequence_number }
 *        …        the batch: one encoded Envelope, exactly as sent
 *
 * A record whose length runs past the end of the file, or whose CRC does not match, ends what is
 * read of that segment: a crash mid-write leaves such a torn tail, and nothing after it can be
 * trusted to start at a record boundary.
 *
 * The cursors of a record are, per symbol touched by the batch, the resume cursor just after the
 * batch's last tick of that symbol and that tick's per-symbol sequence_number. The durable cursor
 * table is the checkpoint's, then every record's in sequence order (later ones win).
 *
 * The checkpoint (checkpoint.bin) is written without needing a single new block of disk, so that
 * a disk the spool filled itself can always be freed once the backend acks: it is allocated whole
 * when created (written out, zeros included — not a sparse file — as a temporary file, fsynced and
 * renamed into place) and from then on only overwritten in place, alternately in one of two slots:
 *
 *   offset  size  field (little-endian)
 *        0     8  magic "CMT5CKP2"
 *        8     4  u32 version (2)
 *       12     4  u32 slot size S (a multiple of 4096)
 *     4096     S  slot 0
 *   4096+S     S  slot 1
 *
 *   slot 0     4  u32 body length L (0: never written; L ≤ S - 8)
 *        4     4  u32 CRC-32C of the body
 *   body 0     8  f64 generation (1, 2, 3, …; generation g is written to slot g mod 2)
 *        8     8  f64 acked_through
 *       16     8  f64 last_sequence
 *       24     8  f64 folded_through
 *       32     4  u32 cursor count C
 *       36     4  u32 0
 *       40        C × { u8 name length n, n bytes UTF-8 name, f64 time_msc, f64 count_at_msc,
 *                       f64 tick sequence_number }   (as in a record)
 *
 * The reader takes the valid slot (length in range, CRC matching, generation of the slot's parity)
 * with the highest generation. A write tears at most the slot being written, which held the older
 * generation: the other slot, one generation behind the torn write, is then read, and the next
 * write goes into the torn slot again. Both slots invalid is damage, an error; one invalid and the
 * other never written is a torn first write. With no valid slot the checkpoint is the previous
 * version's checkpoint.json if there is one, else empty. S is {@link CHECKPOINT_SLOT_BYTES}: room for the
 * cursors of MAX_SYMBOLS symbols with names of the longest length allowed (31 bytes) — the
 * cursors of every symbol in use fit. A table that outgrows it (symbols change from run to run
 * and the checkpoint keeps every symbol's cursor) is written to a new, larger file made the same
 * way, which needs space once. On a copy-on-write filesystem (btrfs, ZFS) an overwrite
 * allocates too; there a full disk frees itself only through segments a later one covers.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { crc32c } from './crc32c.js';
import { MAX_SYMBOLS, SYMBOL_NAME_BYTES } from './lanes.js';

export const SEGMENT_MAGIC = 'CMT5SPL1';
export const SEGMENT_VERSION = 2;
/** Segment versions this reader takes: 1 (CRC-32C records) and 2 (CRC-32 records). */
const READABLE_SEGMENT_VERSIONS = [1, 2];

/** The checksum of a record body `bytes[start, end)` in a segment of `version`. */
export function recordChecksum(version: number, bytes: Uint8Array, start: number, end: number): number {
  return version === 1 ? crc32c(bytes, start, end) : crc32(bytes.subarray(start, end));
}
export const SEGMENT_HEADER_BYTES = 16;
export const RECORD_PREFIX_BYTES = 8;
export const RECORD_FIXED_BYTES = 24;
/** Bytes of one cursor entry besides its name. */
export const CURSOR_ENTRY_BYTES = 1 + 3 * 8;
/** No batch comes near this (65,536 ticks of ~220 bytes); a longer length is corruption. */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;
/** The previous version's checkpoint (JSON, replaced by a temporary file and a rename). */
export const LEGACY_CHECKPOINT_FILE = 'checkpoint.json';
export const CHECKPOINT_FILE = 'checkpoint.bin';
export const CHECKPOINT_MAGIC = 'CMT5CKP2';
export const CHECKPOINT_VERSION = 2;
/** Offset of slot 0: the header is alone in the first 4 KiB, each slot starts a page. */
export const CHECKPOINT_HEADER_BYTES = 4096;
export const CHECKPOINT_SLOT_PREFIX_BYTES = 8;
export const CHECKPOINT_FIXED_BYTES = 40;
/** A cursor of the longest symbol name there can be (lanes.ts: SYMBOL_NAME_BYTES - 1 = 31 bytes). */
const MAX_CURSOR_BYTES = CURSOR_ENTRY_BYTES + SYMBOL_NAME_BYTES - 1;
/**
 * The largest slot content for MAX_SYMBOLS (256) symbols: 8 + 40 + 256 × (25 + 31) = 14,384
 * bytes, rounded up to whole pages: 16 KiB (room for 291 such cursors, ~500 of 8-byte names).
 */
export const CHECKPOINT_SLOT_BYTES = roundUpToPage(CHECKPOINT_SLOT_PREFIX_BYTES + CHECKPOINT_FIXED_BYTES + MAX_SYMBOLS * MAX_CURSOR_BYTES);

export function roundUpToPage(n: number): number {
  return Math.ceil(n / 4096) * 4096;
}

/** Bytes of a checkpoint file with slots of `slotBytes`. */
export function checkpointFileBytes(slotBytes: number): number {
  return CHECKPOINT_HEADER_BYTES + 2 * slotBytes;
}

/** File offset of slot `slot` (0 or 1). */
export function checkpointSlotOffset(slotBytes: number, slot: number): number {
  return CHECKPOINT_HEADER_BYTES + slot * slotBytes;
}
const SEGMENT_NAME = /^seg-(\d{16})\.spool$/;

/** Where the EA continues a symbol (server clock) and the last per-symbol sequence_number sent. */
export interface SpoolCursor {
  timeMsc: number;
  countAtMsc: number;
  tickSequence: number;
}

/** One record found by a scan; `payloadOffset` is the batch's offset in its segment file. */
export interface ScannedRecord {
  sequence: number;
  writtenAtMs: number;
  ticks: number;
  payloadOffset: number;
  payloadLength: number;
  /** Offset of the record's prefix; the next record starts at payloadOffset + payloadLength. */
  offset: number;
  cursors: Array<[name: string, cursor: SpoolCursor]>;
}

export interface ScannedSegment {
  file: string;
  firstSequence: number;
  records: ScannedRecord[];
  /** Bytes of the file that hold whole, valid records (and the header). */
  validBytes: number;
  fileBytes: number;
  /** Why reading stopped before the end of the file; '' when the whole file was valid. */
  corruption: string;
}

export interface SpoolCheckpoint {
  /** The format it was read from: 1 (checkpoint.json, the previous version's) or 2 (checkpoint.bin). */
  version: number;
  /** Every batch up to this one is held by the backend. */
  ackedThrough: number;
  /** The highest batch_sequence ever written: the next run continues after it. */
  lastSequence: number;
  /**
   * Every batch up to this one was in a segment that is deleted (acked, or dropped by the overflow
   * policy), its cursors folded in below. A segment still on disk with records up to here is the
   * leftover of an interrupted delete: ignored, and deleted by the next writer.
   */
  foldedThrough: number;
  /** Durable cursors of batches whose segments are deleted, by symbol name. */
  cursors: Record<string, [timeMsc: number, countAtMsc: number, tickSequence: number]>;
}

export interface SpoolState {
  checkpoint: SpoolCheckpoint;
  segments: ScannedSegment[];
  /** The durable cursor table: checkpoint, then records in sequence order. */
  cursors: Map<string, SpoolCursor>;
  lastSequence: number;
  /** How the checkpoint was found (the writer continues from it). */
  checkpointFile: CheckpointFileState;
}

export interface CheckpointFileState {
  /** Slot size of checkpoint.bin; 0 when there is none. */
  slotBytes: number;
  /** Generation of the slot read; 0 when no slot holds one (the checkpoint is the legacy one, or empty). */
  generation: number;
  /** checkpoint.json is there: read when no slot is valid, deleted once a slot is written. */
  legacy: boolean;
}

export function segmentFileName(firstSequence: number): string {
  return `seg-${String(firstSequence).padStart(16, '0')}.spool`;
}

export function emptyCheckpoint(): SpoolCheckpoint {
  return { version: CHECKPOINT_VERSION, ackedThrough: 0, lastSequence: 0, foldedThrough: 0, cursors: {} };
}

/** The segment header bytes. */
export function segmentHeader(): Uint8Array {
  const h = new Uint8Array(SEGMENT_HEADER_BYTES);
  h.set(new TextEncoder().encode(SEGMENT_MAGIC), 0);
  new DataView(h.buffer).setUint32(8, SEGMENT_VERSION, true);
  return h;
}

/** Reads the records of one segment file's bytes, stopping at the first torn or corrupt one. */
export function scanSegment(file: string, bytes: Uint8Array): ScannedSegment {
  const m = SEGMENT_NAME.exec(file.slice(file.lastIndexOf('/') + 1));
  const seg: ScannedSegment = {
    file, firstSequence: m ? Number(m[1]) : 0, records: [], validBytes: 0, fileBytes: bytes.length, corruption: '',
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < SEGMENT_HEADER_BYTES) {
    seg.corruption = `segment header torn (${bytes.length} of ${SEGMENT_HEADER_BYTES} bytes)`;
    return seg;
  }
  const magic = new TextDecoder().decode(bytes.subarray(0, 8));
  const version = view.getUint32(8, true);
  if (magic !== SEGMENT_MAGIC || !READABLE_SEGMENT_VERSIONS.includes(version)) {
    seg.corruption = `not a version ${READABLE_SEGMENT_VERSIONS.join(' or ')} spool segment`;
    return seg;
  }
  let p = SEGMENT_HEADER_BYTES;
  seg.validBytes = p;
  const decoder = new TextDecoder();
  while (p < bytes.length) {
    if (bytes.length - p < RECORD_PREFIX_BYTES) { seg.corruption = `torn record prefix at byte ${p}`; break; }
    const length = view.getUint32(p, true);
    if (length < RECORD_FIXED_BYTES || length > MAX_RECORD_BYTES) { seg.corruption = `record length ${length} at byte ${p} is impossible`; break; }
    const body = p + RECORD_PREFIX_BYTES;
    if (body + length > bytes.length) { seg.corruption = `torn record at byte ${p}: ${length} bytes announced, ${bytes.length - body} present`; break; }
    if (recordChecksum(version, bytes, body, body + length) !== view.getUint32(p + 4, true)) { seg.corruption = `CRC mismatch in the record at byte ${p}`; break; }
    const count = view.getUint16(body + 20, true);
    const cursors: ScannedRecord['cursors'] = [];
    let q = body + RECORD_FIXED_BYTES;
    let ok = true;
    for (let i = 0; i < count; i++) {
      const n = q < body + length ? bytes[q] : 0;
      if (q + CURSOR_ENTRY_BYTES + n > body + length) { ok = false; break; }
      const name = decoder.decode(bytes.subarray(q + 1, q + 1 + n));
      q += 1 + n;
      cursors.push([name, { timeMsc: view.getFloat64(q, true), countAtMsc: view.getFloat64(q + 8, true), tickSequence: view.getFloat64(q + 16, true) }]);
      q += 24;
    }
    if (!ok) { seg.corruption = `record at byte ${p} has a cursor table longer than itself`; break; }
    seg.records.push({
      sequence: view.getFloat64(body, true),
      writtenAtMs: view.getFloat64(body + 8, true),
      ticks: view.getUint32(body + 16, true),
      payloadOffset: q,
      payloadLength: body + length - q,
      offset: p,
      cursors,
    });
    p = body + length;
    seg.validBytes = p;
  }
  return seg;
}

/** What one slot of a checkpoint file holds: empty (never written), invalid (torn), or a checkpoint. */
export type CheckpointSlot =
  | { state: 'empty' }
  | { state: 'invalid'; why: string }
  | { state: 'valid'; generation: number; checkpoint: SpoolCheckpoint };

/** Decodes the slot at `offset` (of `slotBytes`) of a checkpoint file's bytes. */
export function decodeCheckpointSlot(bytes: Uint8Array, offset: number, slotBytes: number): CheckpointSlot {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(offset, true);
  if (length === 0 && view.getUint32(offset + 4, true) === 0) return { state: 'empty' };
  if (length < CHECKPOINT_FIXED_BYTES || length > slotBytes - CHECKPOINT_SLOT_PREFIX_BYTES) {
    return { state: 'invalid', why: `slot length ${length} is impossible` };
  }
  const body = offset + CHECKPOINT_SLOT_PREFIX_BYTES;
  const end = body + length;
  if (crc32c(bytes, body, end) !== view.getUint32(offset + 4, true)) return { state: 'invalid', why: 'CRC mismatch' };
  const generation = view.getFloat64(body, true);
  const c: SpoolCheckpoint = {
    version: CHECKPOINT_VERSION,
    ackedThrough: view.getFloat64(body + 8, true),
    lastSequence: view.getFloat64(body + 16, true),
    foldedThrough: view.getFloat64(body + 24, true),
    cursors: {},
  };
  const count = view.getUint32(body + 32, true);
  const decoder = new TextDecoder();
  let q = body + CHECKPOINT_FIXED_BYTES;
  for (let i = 0; i < count; i++) {
    const n = q < end ? bytes[q] : 0;
    if (q + CURSOR_ENTRY_BYTES + n > end) return { state: 'invalid', why: 'cursor table longer than the slot content' };
    const name = decoder.decode(bytes.subarray(q + 1, q + 1 + n));
    q += 1 + n;
    c.cursors[name] = [view.getFloat64(q, true), view.getFloat64(q + 8, true), view.getFloat64(q + 16, true)];
    q += 24;
  }
  if (!Number.isSafeInteger(generation) || generation < 1 || !Number.isSafeInteger(c.ackedThrough)
    || !Number.isSafeInteger(c.lastSequence) || !Number.isSafeInteger(c.foldedThrough)) {
    return { state: 'invalid', why: 'fields out of range' };
  }
  return { state: 'valid', generation, checkpoint: c };
}

/**
 * The checkpoint of a checkpoint.bin's bytes: the valid slot with the highest generation, or null
 * when neither slot was ever written (or the one written was torn). Damage is an error.
 */
export function decodeCheckpointFile(bytes: Uint8Array, file = CHECKPOINT_FILE): { slotBytes: number; generation: number; checkpoint: SpoolCheckpoint | null } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < CHECKPOINT_HEADER_BYTES || new TextDecoder().decode(bytes.subarray(0, 8)) !== CHECKPOINT_MAGIC
    || view.getUint32(8, true) !== CHECKPOINT_VERSION) {
    throw new Error(`${file} is not a version ${CHECKPOINT_VERSION} spool checkpoint`);
  }
  const slotBytes = view.getUint32(12, true);
  if (slotBytes < CHECKPOINT_SLOT_PREFIX_BYTES + CHECKPOINT_FIXED_BYTES || slotBytes % 4096 !== 0
    || bytes.length < checkpointFileBytes(slotBytes)) {
    throw new Error(`${file}: slot size ${slotBytes} does not fit a file of ${bytes.length} bytes`);
  }
  const slots = [0, 1].map((k): CheckpointSlot => {
    const slot = decodeCheckpointSlot(bytes, checkpointSlotOffset(slotBytes, k), slotBytes);
    // Generation g is always written to slot g mod 2: the next one then never overwrites the newest.
    if (slot.state === 'valid' && slot.generation % 2 !== k) return { state: 'invalid', why: `generation ${slot.generation} in slot ${k}` };
    return slot;
  });
  let best: Extract<CheckpointSlot, { state: 'valid' }> | null = null;
  for (const s of slots) if (s.state === 'valid' && (best === null || s.generation > best.generation)) best = s;
  if (best === null && slots.every((s) => s.state === 'invalid')) {
    throw new Error(`${file}: both slots are damaged (${slots.map((s) => (s.state === 'invalid' ? s.why : '')).join('; ')})`);
  }
  return { slotBytes, generation: best?.generation ?? 0, checkpoint: best?.checkpoint ?? null };
}

/** The previous version's checkpoint.json, or null when there is none. A damaged one is an error. */
function readLegacyCheckpoint(dir: string): SpoolCheckpoint | null {
  const file = join(dir, LEGACY_CHECKPOINT_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const c = JSON.parse(text) as SpoolCheckpoint;
  if (c.version !== 1 || !Number.isSafeInteger(c.ackedThrough) || !Number.isSafeInteger(c.lastSequence)
    || !Number.isSafeInteger(c.foldedThrough) || typeof c.cursors !== 'object' || c.cursors === null) {
    throw new Error(`${file} is not a version 1 spool checkpoint`);
  }
  return c;
}

/**
 * The checkpoint of `dir` — checkpoint.bin's newest valid slot, else the previous version's
 * checkpoint.json, else an empty one — and how it was found. A damaged one is an error.
 */
export function readCheckpointFile(dir: string): { checkpoint: SpoolCheckpoint; file: CheckpointFileState } {
  const path = join(dir, CHECKPOINT_FILE);
  let found: ReturnType<typeof decodeCheckpointFile> | null = null;
  try {
    found = decodeCheckpointFile(readFileSync(path), path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const legacy = found?.checkpoint ? null : readLegacyCheckpoint(dir);
  const hasLegacy = legacy !== null || (found?.checkpoint != null && existsSync(join(dir, LEGACY_CHECKPOINT_FILE)));
  return {
    checkpoint: found?.checkpoint ?? legacy ?? emptyCheckpoint(),
    file: { slotBytes: found?.slotBytes ?? 0, generation: found?.generation ?? 0, legacy: hasLegacy },
  };
}

/** The checkpoint of `dir`, or an empty one when there is none. A damaged one is an error. */
export function readCheckpoint(dir: string): SpoolCheckpoint {
  return readCheckpointFile(dir).checkpoint;
}

/** Segment file names of `dir` in sequence order ([] when the directory does not exist). */
export function listSegments(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names.filter((n) => SEGMENT_NAME.test(n)).sort();
}

/**
 * Everything the spool in `dir` holds durably: its checkpoint, each segment's valid records, and
 * the durable cursor table. Synchronous and read-only (main calls it before the EA link listens).
 */
export function readSpoolState(dir: string): SpoolState {
  const { checkpoint, file: checkpointFile } = readCheckpointFile(dir);
  const cursors = new Map<string, SpoolCursor>();
  for (const [name, [timeMsc, countAtMsc, tickSequence]] of Object.entries(checkpoint.cursors)) {
    cursors.set(name, { timeMsc, countAtMsc, tickSequence });
  }
  let lastSequence = Math.max(checkpoint.lastSequence, checkpoint.ackedThrough);
  const segments: ScannedSegment[] = [];
  for (const name of listSegments(dir)) {
    const file = join(dir, name);
    const seg = scanSegment(file, readFileSync(file));
    segments.push(seg);
    for (const r of seg.records) {
      if (r.sequence <= checkpoint.foldedThrough) continue; // a leftover of an interrupted delete
      for (const [n, c] of r.cursors) cursors.set(n, c);
      if (r.sequence > lastSequence) lastSequence = r.sequence;
    }
  }
  return { checkpoint, segments, cursors, lastSequence, checkpointFile };
}
