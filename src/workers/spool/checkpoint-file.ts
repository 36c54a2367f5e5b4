/**
 * The spool's checkpoint file (format in src/shared/spool-format.ts): allocated whole once, then
 * overwritten in place, one of its two slots at a time — so that writing a checkpoint needs no new
 * disk space, and a disk the spool filled itself can be freed as soon as the backend acks.
 *
 *   create ──► header + current checkpoint (generation g) + zeros, to checkpoint.bin.tmp,
 *              fsync, rename, fsync of the directory          (needs space: once, at open)
 *   write  ──► generation g+1 into slot (g+1) mod 2 at its fixed offset, fsync (policy)
 *              (the other slot keeps generation g: a torn write leaves it to be read)
 *
 * The previous version's checkpoint.json is deleted once a slot holds what it held.
 */
import { join } from 'node:path';
import { crc32c } from '../../shared/crc32c.js';
import {
  CHECKPOINT_FILE, CHECKPOINT_FIXED_BYTES, CHECKPOINT_MAGIC, CHECKPOINT_SLOT_BYTES,
  CHECKPOINT_SLOT_PREFIX_BYTES, CHECKPOINT_VERSION, checkpointFileBytes, checkpointSlotOffset, CURSOR_ENTRY_BYTES,
  LEGACY_CHECKPOINT_FILE, roundUpToPage, type CheckpointFileState, type SpoolCheckpoint,
} from '../../shared/spool-format.js';
import type { SpoolIo } from './spool-io.js';

/**
 * Encodes `c` as generation `generation` into `into` (grown when too small) as a slot's content:
 * prefix and body; returns the bytes used.
 */
export function encodeCheckpointSlot(c: SpoolCheckpoint, generation: number, into: { buf: Uint8Array }): number {
  const encoder = new TextEncoder();
  const names = Object.keys(c.cursors).map((name) => [name, encoder.encode(name)] as const);
  let length = CHECKPOINT_FIXED_BYTES;
  for (const [name, bytes] of names) {
    if (bytes.length > 255) throw new RangeError(`symbol name "${name}" is longer than 255 bytes`);
    length += CURSOR_ENTRY_BYTES + bytes.length;
  }
  const total = CHECKPOINT_SLOT_PREFIX_BYTES + length;
  if (into.buf.length < total) into.buf = new Uint8Array(Math.max(total, into.buf.length * 2));
  const b = into.buf;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const body = CHECKPOINT_SLOT_PREFIX_BYTES;
  v.setUint32(0, length, true);
  v.setFloat64(body, generation, true);
  v.setFloat64(body + 8, c.ackedThrough, true);
  v.setFloat64(body + 16, c.lastSequence, true);
  v.setFloat64(body + 24, c.foldedThrough, true);
  v.setUint32(body + 32, names.length, true);
  v.setUint32(body + 36, 0, true);
  let p = body + CHECKPOINT_FIXED_BYTES;
  for (const [name, bytes] of names) {
    const [timeMsc, countAtMsc, tickSequence] = c.cursors[name];
    b[p] = bytes.length;
    b.set(bytes, p + 1);
    p += 1 + bytes.length;
    v.setFloat64(p, timeMsc, true);
    v.setFloat64(p + 8, countAtMsc, true);
    v.setFloat64(p + 16, tickSequence, true);
    p += 24;
  }
  v.setUint32(4, crc32c(b, body, total), true);
  return total;
}

/** A whole checkpoint file's bytes: header, `slotContent` in slot `slot`, zeros elsewhere. */
export function checkpointFileImage(slotBytes: number, slot: number, slotContent: Uint8Array): Uint8Array {
  const image = new Uint8Array(checkpointFileBytes(slotBytes));
  image.set(new TextEncoder().encode(CHECKPOINT_MAGIC), 0);
  const v = new DataView(image.buffer);
  v.setUint32(8, CHECKPOINT_VERSION, true);
  v.setUint32(12, slotBytes, true);
  image.set(slotContent, checkpointSlotOffset(slotBytes, slot));
  return image;
}

export class CheckpointFile {
  readonly path: string;
  /** Generation of the newest slot written (0: none yet). */
  generation: number;
  private slotBytes: number;
  private fd = -1;
  private legacy: boolean;
  private closed = false;
  private readonly scratch = { buf: new Uint8Array(4096) };

  /**
   * `sync`: the file's creation is fsynced (and the rename made durable); `syncWrites`: so is every
   * write (the `always` policy; `interval` fsyncs the file in its own passes, {@link descriptor}).
   */
  constructor(
    private readonly io: SpoolIo, private readonly dir: string, found: CheckpointFileState, private readonly sync: boolean,
    private readonly syncWrites = sync,
  ) {
    this.path = join(dir, CHECKPOINT_FILE);
    this.generation = found.generation;
    this.slotBytes = found.slotBytes;
    this.legacy = found.legacy;
    if (this.slotBytes > 0) this.fd = io.openExisting(this.path);
  }

  /** The file exists, allocated: a write needs no new space (unless the table outgrows a slot). */
  get allocated(): boolean {
    return this.fd >= 0;
  }

  /** Writes `c` as the next generation; throws when it cannot (the newest valid slot stays). */
  write(c: SpoolCheckpoint): void {
    if (this.closed) throw new Error('the spool is closed');
    const generation = this.generation + 1;
    const length = encodeCheckpointSlot(c, generation, this.scratch);
    if (this.fd < 0 || length > this.slotBytes) {
      this.create(generation, length);
    } else {
      this.io.writeAt(this.fd, this.scratch.buf, length, checkpointSlotOffset(this.slotBytes, generation % 2));
      if (this.syncWrites) this.io.fsync(this.fd);
    }
    // Only now: a failed write is retried into the same slot, never into the one still valid.
    this.generation = generation;
    if (this.legacy) {
      try { this.io.unlink(join(this.dir, LEGACY_CHECKPOINT_FILE)); } catch { /* gone already: fine */ }
      this.legacy = false;
    }
  }

  /** The open file (-1 before it is created): for fsyncs the owner schedules itself. */
  get descriptor(): number {
    return this.fd;
  }

  close(): void {
    this.closed = true;
    this.release();
  }

  private release(): void {
    if (this.fd >= 0) this.io.close(this.fd);
    this.fd = -1;
  }

  /** A new file, allocated whole (zeros written, not a sparse file), holding the slot just encoded. */
  private create(generation: number, length: number): void {
    let slotBytes = CHECKPOINT_SLOT_BYTES;
    if (length > slotBytes) slotBytes = roundUpToPage(2 * length);
    const image = checkpointFileImage(slotBytes, generation % 2, this.scratch.buf.subarray(0, length));
    this.io.writeNewFile(this.dir, this.path, image, this.sync);
    this.release();
    this.slotBytes = slotBytes;
    this.fd = this.io.openExisting(this.path);
  }
}
