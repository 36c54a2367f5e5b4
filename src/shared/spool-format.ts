/**
 * The durable spool's files, shared by the transport worker (which writes them,
 * src/workers/spool/) and main (which reads the resume cursors at start-up, before the EA link
 * listens). Reading only: nothing here writes, so main never pulls in worker code.
 *
 *   <dir>/seg-<first batch sequence, 16 digits>.spool   append-only segments, in sequence order
 *   <dir>/checkpoint.json                               what deleted segments held (see below)
 *
 * A segment is a 16-byte header (magic "CMT5SPL1", u32 version, u32 0) and then records, each:
 *
 *   offset  size  field (little-endian)
 *        0     4  u32 body length L (what follows the 8-byte prefix)
 *        4     4  u32 CRC-32C of the body
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
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32c } from './crc32c.js';

export const SEGMENT_MAGIC = 'CMT5SPL1';
export const SEGMENT_VERSION = 1;
export const SEGMENT_HEADER_BYTES = 16;
export const RECORD_PREFIX_BYTES = 8;
export const RECORD_FIXED_BYTES = 24;
/** Bytes of one cursor entry besides its name. */
export const CURSOR_ENTRY_BYTES = 1 + 3 * 8;
/** No batch comes near this (65,536 ticks of ~220 bytes); a longer length is corruption. */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;
export const CHECKPOINT_FILE = 'checkpoint.json';
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
  version: 1;
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
}

export function segmentFileName(firstSequence: number): string {
  return `seg-${String(firstSequence).padStart(16, '0')}.spool`;
}

export function emptyCheckpoint(): SpoolCheckpoint {
  return { version: 1, ackedThrough: 0, lastSequence: 0, foldedThrough: 0, cursors: {} };
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
  if (magic !== SEGMENT_MAGIC || view.getUint32(8, true) !== SEGMENT_VERSION) {
    seg.corruption = `not a version ${SEGMENT_VERSION} spool segment`;
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
    if (crc32c(bytes, body, body + length) !== view.getUint32(p + 4, true)) { seg.corruption = `CRC mismatch in the record at byte ${p}`; break; }
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

/** The checkpoint of `dir`, or an empty one when there is none. A damaged one is an error. */
export function readCheckpoint(dir: string): SpoolCheckpoint {
  let text: string;
  try {
    text = readFileSync(join(dir, CHECKPOINT_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyCheckpoint();
    throw err;
  }
  const c = JSON.parse(text) as SpoolCheckpoint;
  if (c.version !== 1 || !Number.isSafeInteger(c.ackedThrough) || !Number.isSafeInteger(c.lastSequence)
    || !Number.isSafeInteger(c.foldedThrough) || typeof c.cursors !== 'object') {
    throw new Error(`${join(dir, CHECKPOINT_FILE)} is not a version 1 spool checkpoint`);
  }
  return c;
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
  const checkpoint = readCheckpoint(dir);
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
  return { checkpoint, segments, cursors, lastSequence };
}
