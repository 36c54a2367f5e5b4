/**
 * The durable spool: every batch the transport seals is written here before it may be sent, and
 * stays until the backend acks it — across reconnects and across restarts of the process,
 * `kill -9` included. File layout in src/shared/spool-format.ts.
 *
 *   seal ──► append(record) ──► active segment ──rotate at segmentBytes──► older segments
 *                │ ENOSPC: held in memory, `full`, retried every retryMs
 *   ack  ──► ackThrough ──► segments wholly acked: cursors folded into the checkpoint, deleted
 *                      └──► the active segment wholly acked while batches wait for space:
 *                           cursors folded into the checkpoint, cut back to its header, written on
 *   open ──► scan: torn/corrupt tail reported, counted and cut off; unacked records replayed first
 *
 * A full disk frees itself once the backend acks, even when the spool filled it alone with one
 * segment: the checkpoint (checkpoint-file.ts) is allocated whole at open and only overwritten in
 * place afterwards, so recording what a segment held never needs new space — and then the segment
 * can go, or, the one being written, be cut back to its header and written on (no new file, no new
 * inode). While such a disk fills and frees again during a replay, the failures and recoveries
 * are logged once and then summed up every FAILURE_LOG_EVERY_MS, not each time (the stats count
 * every failure).
 *
 * fsync policy (`spool.fsync`): `always` fsyncs every record before the batch goes out (survives
 * power loss; costs a disk flush per batch, which makes batches grow under load), `interval`
 * fsyncs at most every fsyncIntervalMs (a power cut loses at most that window and the fsync's own
 * time; a crashed or killed process loses nothing, the page cache outlives it), `never` leaves it
 * to the OS.
 *
 * `interval` keeps the disk off the transport thread (a pass of fsyncs took it ~100 ms at 1M
 * ticks/s, which filled the rings and paused the EA): every fsyncIntervalMs one *sync pass* fsyncs,
 * on libuv's thread pool, the segment being written, segments closed since the last pass (their
 * descriptors stay open until it lands) and the checkpoint if it was written. A wholly acked
 * segment is *retired*: folded into the checkpoint (written, not yet fsynced), dropped from the
 * index, and deleted — asynchronously too — once a pass has made that checkpoint durable; its own
 * records need no fsync any more, so most acked data never reaches the disk at all. While writes
 * fail (a full disk) the spool works as before, synchronously: the room must come at once.
 *
 * Bounds: unacked bytes (`maxBytes`), unacked batches (`maxBatches`, which bounds this index in
 * memory) and the age of the oldest unacked batch (`maxAgeMs`, 0 = none). Overflow policy
 * `pause` reports `full` (the transport stops draining its rings and the EA is paused: nothing is
 * lost while the terminal's history holds the ticks); `drop-oldest` deletes the oldest segment,
 * unacked batches and all, logged and counted (ticks are lost, knowingly).
 */
import { join } from 'node:path';
import { ClientMt5Error } from '../../shared/errors.js';
import {
  CHECKPOINT_FILE, readSpoolState, segmentFileName, segmentHeader, SEGMENT_HEADER_BYTES, type SpoolCheckpoint,
  type SpoolCursor,
} from '../../shared/spool-format.js';
import type { BatchCursor, BatchStore, StoredBatch } from '../unacked-batches.js';
import { CheckpointFile } from './checkpoint-file.js';
import { RecordWriter } from './record.js';
import { nodeIo, type SpoolIo } from './spool-io.js';

export type FsyncPolicy = 'always' | 'interval' | 'never';
export type OverflowPolicy = 'pause' | 'drop-oldest';

export interface DiskSpoolOptions {
  dir: string;
  fsync: FsyncPolicy;
  fsyncIntervalMs: number;
  maxBytes: number;
  maxBatches: number;
  /** 0: no age bound. */
  maxAgeMs: number;
  overflow: OverflowPolicy;
  segmentBytes: number;
  /** How often a write that failed (full disk) is tried again. */
  retryMs: number;
  io?: SpoolIo;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** UTC ms; a seam for tests of the age bound. */
  now?: () => number;
}

export interface DiskSpoolStats {
  /** Unacked batches found on disk at start (they go out before anything new). */
  recoveredBatches: number;
  corruptRecords: number;
  droppedBatches: number;
  droppedTicks: number;
  diskFullErrors: number;
  writeErrors: number;
  /** Bytes of every segment file. */
  diskBytes: number;
  /** Most unacked bytes seen. */
  maxBytesSeen: number;
  fsyncs: number;
}

interface Segment {
  path: string;
  firstSequence: number;
  lastSequence: number;
  fd: number;
  /** `interval`: the descriptor of this closed segment, kept open until a sync pass fsyncs it; else -1. */
  unsyncedFd: number;
  fileBytes: number;
  /** Latest cursor per symbol among this segment's records. */
  cursors: Map<string, SpoolCursor>;
}

interface Entry {
  sequence: number;
  ticks: number;
  writtenAtMs: number;
  segment: Segment | null;
  payloadOffset: number;
  payloadLength: number;
  /** The batch while it is not on disk yet (a write failed); null once durable. */
  pending: Uint8Array | null;
  cursors: readonly BatchCursor[] | null;
}

const CHECKPOINT_EVERY_MS = 1000;
/** Write failures and recoveries after the first are summed up at most this often. */
export const FAILURE_LOG_EVERY_MS = 10_000;

export class DiskSpool implements BatchStore {
  readonly stats: DiskSpoolStats = {
    recoveredBatches: 0, corruptRecords: 0, droppedBatches: 0, droppedTicks: 0, diskFullErrors: 0, writeErrors: 0,
    diskBytes: 0, maxBytesSeen: 0, fsyncs: 0,
  };
  bytes = 0;
  ackedThrough = 0;
  nextSequence = 1;
  /** The code of the write failure being retried, or '' (SPOOL_DISK_FULL, SPOOL_WRITE_FAILED). */
  failure = '';
  private readonly io: SpoolIo;
  private readonly now: () => number;
  private readonly segments: Segment[] = [];
  private readonly entries: Entry[] = [];
  private head = 0;
  private pendingCount = 0;
  private readonly record = new RecordWriter();
  private readonly checkpoint: SpoolCheckpoint;
  private readonly checkpointFile: CheckpointFile;
  private checkpointDirty = false;
  private lastCheckpointAt = 0;
  private checkpointFailing = false;
  private lastFsyncAt = 0;
  private unsynced = false;
  private retryAt = 0;
  private readFd = -1;
  private readSegment: Segment | null = null;
  private readonly segmentBytes: number;
  /** When a write failure (or a summary of them) was last logged. */
  private failureLoggedAt = -Infinity;
  /** The current failure streak's start was logged: its end is logged too. */
  private streakLogged = false;
  /** Failure streaks started, and ended, since the last log line about them: for the summary. */
  private quietFailures = 0;
  private quietRecoveries = 0;
  private lastFailure = '';
  /** Segments cut back to their header to make room (the only segment, wholly acked). */
  private reused = 0;
  /** `interval`: fsyncs and deletes go to libuv's thread pool in sync passes (the header). */
  private readonly deferred: boolean;
  /** Closed segments whose records the next sync pass fsyncs (then closes their descriptors). */
  private closeAfterSync: Segment[] = [];
  /** The sync pass in flight: the closed segments it syncs; null when none is. */
  private pass: Segment[] | null = null;
  /** Descriptors an fsync is in flight on: closed only once it lands (a number reused meanwhile would be synced instead). */
  private readonly inFlight = new Set<number>();
  private readonly closeWhenLanded = new Set<number>();
  /** The newest checkpoint generation a sync pass made durable. */
  private syncedGeneration = 0;
  /** Acked segments out of the index, deleted once the checkpoint generation holding their cursors is durable. */
  private readonly retiring: Array<{ seg: Segment; generation: number }> = [];
  private closed = false;

  constructor(private readonly o: DiskSpoolOptions) {
    this.io = o.io ?? nodeIo;
    this.now = o.now ?? Date.now;
    // A segment is deleted only when wholly acked: keep several within the bound.
    this.segmentBytes = Math.max(64 * 1024, Math.min(o.segmentBytes, Math.floor(o.maxBytes / 4)));
    this.deferred = o.fsync === 'interval';
    let state;
    try {
      this.io.mkdir(o.dir);
      state = readSpoolState(o.dir);
      try { this.io.unlink(join(o.dir, `${CHECKPOINT_FILE}.tmp`)); } catch { /* none: a creation was not interrupted */ }
      this.checkpointFile = new CheckpointFile(this.io, o.dir, state.checkpointFile, o.fsync !== 'never', o.fsync === 'always');
    } catch (err) {
      throw new ClientMt5Error('SPOOL_UNREADABLE', `spool.dir ${o.dir}: ${(err as Error).message}`, { cause: err });
    }
    this.checkpoint = state.checkpoint;
    this.ackedThrough = state.checkpoint.ackedThrough;
    this.nextSequence = state.lastSequence + 1;
    for (const s of state.segments) {
      if (s.corruption !== '') {
        this.stats.corruptRecords++;
        this.log('warn', `spool: ${s.file}: ${s.corruption}; ${s.fileBytes - s.validBytes} byte(s) cut off, never replayed`);
      }
      const live = s.records.filter((r) => r.sequence > state.checkpoint.foldedThrough);
      if (live.length === 0) {
        this.io.unlink(s.file); // empty, torn header, or a leftover of an interrupted delete
        continue;
      }
      if (s.validBytes < s.fileBytes) {
        const fd = this.io.openExisting(s.file);
        try { this.io.truncate(fd, s.validBytes); } finally { this.io.close(fd); }
      }
      const seg: Segment = {
        path: s.file, firstSequence: live[0].sequence, lastSequence: live[live.length - 1].sequence, fd: -1, unsyncedFd: -1,
        fileBytes: s.validBytes, cursors: new Map(),
      };
      this.segments.push(seg);
      this.stats.diskBytes += s.validBytes;
      for (const r of live) {
        for (const [name, c] of r.cursors) seg.cursors.set(name, c);
        if (r.sequence <= this.ackedThrough) continue;
        this.entries.push({
          sequence: r.sequence, ticks: r.ticks, writtenAtMs: r.writtenAtMs, segment: seg, payloadOffset: r.payloadOffset,
          payloadLength: r.payloadLength, pending: null, cursors: null,
        });
        this.bytes += r.payloadLength;
      }
    }
    this.stats.recoveredBatches = this.entries.length;
    this.stats.maxBytesSeen = this.bytes;
    // Allocated now, while there is room (it takes 36 KiB), so that it can be written on a full
    // disk later; this also moves a previous version's checkpoint.json into it.
    if (!this.checkpointFile.allocated && this.writeCheckpoint()) this.syncedGeneration = this.checkpointFile.generation; // created durably
    this.collect();
    if (this.entries.length > 0) {
      this.log('info', `spool: ${this.entries.length} unacked batch(es) from batch ${this.entries[0].sequence} to replay; next batch ${this.nextSequence}`);
    }
  }

  get size(): number {
    return this.entries.length - this.head;
  }

  get full(): boolean {
    if (this.pendingCount > 0) return true;
    if (this.o.overflow !== 'pause') return false;
    return this.bytes >= this.o.maxBytes || this.size >= this.o.maxBatches || (this.o.maxAgeMs > 0 && this.tooOld(this.now()));
  }

  /** The durable cursor table: what a restarted bridge puts in `welcome`. */
  cursors(): Map<string, SpoolCursor> {
    const table = new Map<string, SpoolCursor>();
    for (const [name, [timeMsc, countAtMsc, tickSequence]] of Object.entries(this.checkpoint.cursors)) {
      table.set(name, { timeMsc, countAtMsc, tickSequence });
    }
    for (const s of this.segments) for (const [name, c] of s.cursors) table.set(name, c);
    return table;
  }

  append(sequence: number, bytes: Uint8Array, ticks: number, cursors: readonly BatchCursor[] = []): boolean {
    if (sequence >= this.nextSequence) this.nextSequence = sequence + 1;
    const e: Entry = {
      sequence, ticks, writtenAtMs: this.now(), segment: null, payloadOffset: 0, payloadLength: bytes.length, pending: bytes,
      cursors,
    };
    this.entries.push(e);
    this.pendingCount++;
    this.bytes += bytes.length;
    if (this.bytes > this.stats.maxBytesSeen) this.stats.maxBytesSeen = this.bytes;
    if (this.o.overflow === 'drop-oldest') {
      while ((this.bytes > this.o.maxBytes || this.size > this.o.maxBatches) && this.dropOldest()) { /* until within bounds */ }
    }
    // Held batches keep their order: a new one waits behind them.
    if (this.pendingCount === 1 && this.write(e)) return true;
    e.cursors = cursors.map((c) => ({ ...c })); // the caller reuses its cursor objects
    return false;
  }

  ackThrough(sequence: number): number {
    let ticks = 0;
    const q = this.entries;
    while (this.head < q.length && q[this.head].sequence <= sequence && q[this.head].pending === null) {
      const e = q[this.head++];
      ticks += e.ticks;
      this.bytes -= e.payloadLength;
    }
    if (this.head > 1024 && this.head * 2 > q.length) {
      q.splice(0, this.head);
      this.head = 0;
    }
    if (sequence > this.ackedThrough) {
      this.ackedThrough = sequence;
      this.checkpointDirty = true;
    }
    this.collect();
    return ticks;
  }

  after(sequence: number): StoredBatch | undefined {
    const q = this.entries;
    let lo = this.head;
    let hi = q.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (q[mid].sequence <= sequence) lo = mid + 1;
      else hi = mid;
    }
    if (lo >= q.length || q[lo].pending !== null) return undefined;
    return this.load(q[lo]);
  }

  *unacked(): Iterable<StoredBatch> {
    for (let i = this.head; i < this.entries.length; i++) {
      const e = this.entries[i];
      yield e.pending !== null ? { sequence: e.sequence, bytes: e.pending, ticks: e.ticks } : this.load(e);
    }
  }

  /** Timers' work, called from the transport's loop: fsync, retries, age bound, checkpoint. */
  maintain(): void {
    const now = this.now();
    if (this.pendingCount > 0 && now >= this.retryAt) this.retryPending();
    if (this.quietFailures + this.quietRecoveries > 0 && now - this.failureLoggedAt >= FAILURE_LOG_EVERY_MS) this.logFailureSummary(now);
    if (this.deferred && now - this.lastFsyncAt >= this.o.fsyncIntervalMs) this.startSyncPass(now);
    if (this.o.overflow === 'drop-oldest') {
      while (this.tooOld(now) && this.dropOldest()) { /* until the oldest is young enough */ }
    }
    // After a checkpoint that could not be written, acked segments may still wait for it.
    if (this.checkpointDirty && now - this.lastCheckpointAt >= CHECKPOINT_EVERY_MS && this.writeCheckpoint()) this.collect();
  }

  /** Flushes and closes (a graceful stop): the next run replays only what is unacked. */
  close(): void {
    this.retryPending();
    if (this.pass !== null) {
      // Synced and closed here; the pass's callbacks find the spool closed and touch nothing.
      this.closeAfterSync.push(...this.pass);
      this.pass = null;
    }
    if (this.o.fsync !== 'never') this.sync();
    this.closed = true;
    for (const s of this.segments) this.closeSegment(s);
    this.closeReader();
    if (this.writeCheckpoint() && this.deferred) this.syncCheckpoint();
    for (const { seg } of this.retiring.splice(0)) this.unlinkNow(seg);
    this.checkpointFile.close();
  }

  private log(level: 'info' | 'warn' | 'error', message: string): void {
    this.o.log?.(level, message);
  }

  private tooOld(now: number): boolean {
    return this.o.maxAgeMs > 0 && this.head < this.entries.length && now - this.entries[this.head].writtenAtMs > this.o.maxAgeMs;
  }

  /** Writes a held entry; false (and the entry stays held) when the write fails. */
  private write(e: Entry): boolean {
    const r = this.record;
    r.encode(e.sequence, e.writtenAtMs, e.ticks, e.pending!, e.cursors ?? []);
    let seg = this.segments.length > 0 ? this.segments[this.segments.length - 1] : null;
    try {
      if (seg === null || seg.fd < 0 || seg.fileBytes + r.length > this.segmentBytes && seg.fileBytes > SEGMENT_HEADER_BYTES) {
        if (seg !== null) this.closeSegment(seg);
        seg = this.openSegment(e.sequence);
      }
      try {
        this.io.append(seg.fd, r.bytes, r.length, seg.fileBytes);
      } catch (err) {
        // A partial write would leave a torn record in the middle of the segment: cut it off.
        try { this.io.truncate(seg.fd, seg.fileBytes); } catch { this.closeSegment(seg); }
        throw err;
      }
    } catch (err) {
      this.failed(err as NodeJS.ErrnoException);
      return false;
    }
    seg.fileBytes += r.length;
    seg.lastSequence = e.sequence;
    this.stats.diskBytes += r.length;
    for (const c of e.cursors ?? []) seg.cursors.set(c.name, { timeMsc: c.timeMsc, countAtMsc: c.countAtMsc, tickSequence: c.tickSequence });
    e.segment = seg;
    e.payloadOffset = seg.fileBytes - r.length + r.payloadAt;
    e.pending = null;
    e.cursors = null;
    this.pendingCount--;
    if (this.o.fsync === 'always') this.sync();
    else this.unsynced = true;
    if (this.failure !== '' && this.pendingCount === 0) {
      if (this.streakLogged) this.log('info', `spool: writing again after ${this.failure}; every held batch is on disk`);
      else this.quietRecoveries++;
      this.streakLogged = false;
      this.failure = '';
    }
    return true;
  }

  private failed(err: NodeJS.ErrnoException): void {
    const full = err.code === 'ENOSPC' || err.code === 'EDQUOT';
    const code = full ? 'SPOOL_DISK_FULL' : 'SPOOL_WRITE_FAILED';
    if (full) this.stats.diskFullErrors++;
    else this.stats.writeErrors++;
    const now = this.now();
    if (this.failure === '') {
      // A new streak: logged in full unless one was logged lately (a disk the spool fills again
      // as fast as acks free it, e.g. during a replay): those are summed up by maintain().
      if (now - this.failureLoggedAt >= FAILURE_LOG_EVERY_MS) {
        this.log('error', `spool: ${code}: cannot write to ${this.o.dir} (${err.code ?? err.message}); ` +
          `holding ${this.pendingCount} batch(es) in memory, taking no new ticks, retrying every ${this.o.retryMs} ms`);
        this.failureLoggedAt = now;
        this.streakLogged = true;
      } else {
        this.quietFailures++;
      }
    }
    this.failure = code;
    this.lastFailure = code;
    this.retryAt = now + this.o.retryMs;
  }

  private logFailureSummary(now: number): void {
    const state = this.failure === ''
      ? 'writing now'
      : `${this.failure} now, holding ${this.pendingCount} batch(es) in memory`;
    this.log('warn', `spool: ${this.lastFailure} ${this.quietFailures} more time(s), writing again ${this.quietRecoveries} time(s), ` +
      `in the last ${Math.round((now - this.failureLoggedAt) / 1000)} s (${this.stats.diskFullErrors + this.stats.writeErrors} ` +
      `failed write(s) in all, ${this.reused} segment(s) cut back once acked); ${state}`);
    this.quietFailures = 0;
    this.quietRecoveries = 0;
    this.failureLoggedAt = now;
    this.streakLogged = this.failure !== ''; // so that the end of this streak is logged
  }

  private retryPending(): void {
    for (let i = this.head; i < this.entries.length && this.pendingCount > 0; i++) {
      const e = this.entries[i];
      if (e.pending !== null && !this.write(e)) return;
    }
  }

  private openSegment(firstSequence: number): Segment {
    const path = join(this.o.dir, segmentFileName(firstSequence));
    const fd = this.io.create(path);
    const header = segmentHeader();
    try {
      this.io.append(fd, header, header.length, 0);
    } catch (err) {
      this.io.close(fd);
      try { this.io.unlink(path); } catch { /* the write's error is the one to report */ }
      throw err;
    }
    const seg: Segment = {
      path, firstSequence, lastSequence: firstSequence - 1, fd, unsyncedFd: -1, fileBytes: header.length, cursors: new Map(),
    };
    this.segments.push(seg);
    this.stats.diskBytes += header.length;
    return seg;
  }

  private closeSegment(seg: Segment): void {
    if (seg.fd < 0) return;
    if (this.deferred && !this.closed && this.unsynced && seg === this.segments[this.segments.length - 1]) {
      // The next sync pass fsyncs what it holds, then closes it.
      seg.unsyncedFd = seg.fd;
      seg.fd = -1;
      this.closeAfterSync.push(seg);
      this.unsynced = false;
      return;
    }
    if (this.o.fsync !== 'never' && this.unsynced) this.sync();
    this.release(seg.fd);
    seg.fd = -1;
  }

  /** Closes `fd` now, or once the fsync in flight on it lands. */
  private release(fd: number): void {
    if (this.inFlight.has(fd)) this.closeWhenLanded.add(fd);
    else this.io.close(fd);
  }

  /** fsyncs, on this thread, every segment with records not yet synced (closed ones first) and closes the closed ones. */
  private sync(): void {
    for (const seg of this.closeAfterSync) {
      try {
        this.io.fsync(seg.unsyncedFd);
      } catch (err) {
        this.log('warn', `spool: fsync failed: ${(err as Error).message}`);
      }
      this.release(seg.unsyncedFd);
      seg.unsyncedFd = -1;
    }
    this.closeAfterSync.length = 0;
    const seg = this.segments[this.segments.length - 1];
    if (seg === undefined || seg.fd < 0) return;
    try {
      this.io.fsync(seg.fd);
      this.stats.fsyncs++;
      this.unsynced = false;
      this.lastFsyncAt = this.now();
    } catch (err) {
      this.log('warn', `spool: fsync failed: ${(err as Error).message}`);
    }
  }

  /** `interval`: the checkpoint fsynced on this thread (before a delete that cannot wait for a pass). */
  private syncCheckpoint(): void {
    const fd = this.checkpointFile.descriptor;
    if (fd < 0) return;
    try {
      this.io.fsync(fd);
      this.syncedGeneration = this.checkpointFile.generation;
    } catch (err) {
      this.log('warn', `spool: checkpoint fsync failed: ${(err as Error).message}`);
    }
  }

  /**
   * One sync pass (the header): fsyncs, on libuv's thread pool, the segments closed since the last
   * pass, the segment being written and the checkpoint, whichever hold unsynced writes. When all
   * have landed it closes the closed segments and deletes the retired ones the checkpoint now
   * covers durably. One pass at a time.
   */
  private startSyncPass(now: number): void {
    if (this.pass !== null || this.closed) return;
    const segs = this.closeAfterSync;
    const fds = segs.map((seg) => seg.unsyncedFd);
    const active = this.segments[this.segments.length - 1];
    if (this.unsynced && active !== undefined && active.fd >= 0) fds.push(active.fd);
    const generation = this.checkpointFile.generation;
    if (generation > this.syncedGeneration && this.checkpointFile.descriptor >= 0) fds.push(this.checkpointFile.descriptor);
    if (fds.length === 0) return;
    this.closeAfterSync = [];
    this.pass = segs;
    this.unsynced = false;
    this.lastFsyncAt = now;
    let left = fds.length;
    let failure: Error | null = null;
    for (const fd of fds) {
      this.inFlight.add(fd);
      this.io.fsyncAsync(fd, (err) => {
        this.inFlight.delete(fd);
        if (this.closeWhenLanded.delete(fd)) this.io.close(fd);
        failure ??= err;
        if (--left === 0) this.passLanded(segs, generation, failure);
      });
    }
  }

  private passLanded(segs: Segment[], generation: number, failure: Error | null): void {
    if (this.closed || this.pass !== segs) return; // close() synced and closed them itself
    this.pass = null;
    for (const seg of segs) {
      if (seg.unsyncedFd >= 0) this.release(seg.unsyncedFd);
      seg.unsyncedFd = -1;
    }
    if (failure !== null) {
      // The records stay written (in the page cache); the next pass tries the segment being written again.
      this.log('warn', `spool: fsync failed: ${failure.message}`);
      this.unsynced = true;
      return;
    }
    this.stats.fsyncs++;
    if (generation > this.syncedGeneration) this.syncedGeneration = generation;
    for (let i = 0; i < this.retiring.length;) {
      const { seg, generation: g } = this.retiring[i];
      if (g > this.syncedGeneration) { i++; continue; }
      this.retiring.splice(i, 1);
      this.io.unlinkAsync(seg.path, (err) => this.unlinked(seg, err));
    }
  }

  /**
   * `interval`, writes succeeding: a wholly acked segment, already folded into a written
   * checkpoint, leaves the index; its file goes once a sync pass has made that checkpoint durable.
   * Its own records are acked: they need no fsync, so its descriptor closes now.
   */
  private retire(seg: Segment): void {
    this.segments.splice(this.segments.indexOf(seg), 1);
    if (this.readSegment === seg) this.closeReader();
    if (seg.unsyncedFd >= 0 && (this.pass === null || !this.pass.includes(seg))) {
      this.closeAfterSync.splice(this.closeAfterSync.indexOf(seg), 1);
      this.release(seg.unsyncedFd);
      seg.unsyncedFd = -1;
    }
    if (seg.fd >= 0) this.release(seg.fd);
    seg.fd = -1;
    this.retiring.push({ seg, generation: this.checkpointFile.generation });
  }

  private unlinkNow(seg: Segment): void {
    let failure: NodeJS.ErrnoException | null = null;
    try {
      this.io.unlink(seg.path);
    } catch (err) {
      failure = err as NodeJS.ErrnoException;
    }
    this.unlinked(seg, failure);
  }

  /** A retired segment's delete came back: its bytes are off the disk (gone already counts too). */
  private unlinked(seg: Segment, err: NodeJS.ErrnoException | null): void {
    if (err !== null && err.code !== 'ENOENT') {
      this.log('warn', `spool: ${seg.path}: acked segment not deleted: ${err.message}`);
      return;
    }
    this.stats.diskBytes -= seg.fileBytes;
    if (this.pendingCount > 0) this.retryAt = 0; // room for what waits
  }

  /**
   * Deletes segments whose every batch is acked (not the one being written). The cursors must be
   * safe before the records go: in the checkpoint, or — when the checkpoint cannot be written,
   * as on a disk the spool itself filled — in a later segment still on disk, which wins over them
   * anyway. Otherwise a full disk could never free itself: the acked segments would wait for a
   * checkpoint that waits for space. (The next run may then re-send acked batches of the segments
   * left: duplicates, which the backend drops.)
   */
  private collect(): void {
    while (this.segments.length > 1 && this.segments[0].lastSequence <= this.ackedThrough) {
      const seg = this.segments[0];
      this.fold(seg);
      const written = this.writeCheckpoint();
      if (written && this.deferred && this.pendingCount === 0) {
        this.retire(seg);
        continue;
      }
      if (!written) {
        if (!this.coveredByLater(seg)) return;
        if (this.o.fsync !== 'never') this.sync(); // the covering records are durable before this goes
      } else if (this.deferred) {
        this.syncCheckpoint(); // a full disk waits for this room: no waiting for a pass
      }
      this.deleteSegment(seg);
      if (this.pendingCount > 0) this.retryAt = 0; // room for what waits
    }
    // The only segment, wholly acked, while batches wait for room (a disk this segment filled):
    // cut it back to its header — once the checkpoint holds its cursors — and write on into it.
    const last = this.segments[0];
    if (this.pendingCount > 0 && this.segments.length === 1 && last.lastSequence <= this.ackedThrough
      && last.fileBytes > SEGMENT_HEADER_BYTES) {
      this.fold(last);
      if (this.writeCheckpoint()) {
        if (this.deferred) this.syncCheckpoint();
        this.reuseSegment(last);
      }
    }
  }

  /**
   * Cuts `seg` (every record acked, folded into a written checkpoint) back to its header: the next
   * record goes right after it. The file keeps its name: a restart goes by the records, and a
   * crash before the truncation is durable leaves records up to foldedThrough, which are ignored.
   */
  private reuseSegment(seg: Segment): void {
    try {
      if (seg.fd < 0) seg.fd = this.io.openExisting(seg.path);
      if (this.readSegment === seg) this.closeReader();
      this.io.truncate(seg.fd, SEGMENT_HEADER_BYTES);
      const header = segmentHeader(); // the current version: a previous version's segment is written on in this one
      this.io.writeAt(seg.fd, header, header.length, 0);
    } catch (err) {
      this.log('warn', `spool: ${seg.path}: could not cut the acked segment back: ${(err as Error).message}`);
      return;
    }
    this.stats.diskBytes -= seg.fileBytes - SEGMENT_HEADER_BYTES;
    seg.fileBytes = SEGMENT_HEADER_BYTES;
    seg.firstSequence = seg.lastSequence + 1;
    seg.cursors.clear();
    this.reused++;
    this.retryAt = 0;
    if (this.streakLogged) {
      this.log('info', `spool: every batch on disk is acked: ${seg.path} cut back to its header to make room for the ${this.pendingCount} held batch(es)`);
    }
  }

  /** True when every symbol `seg` holds a cursor of also has one in a later segment. */
  private coveredByLater(seg: Segment): boolean {
    const i = this.segments.indexOf(seg);
    for (const name of seg.cursors.keys()) {
      let found = false;
      for (let k = i + 1; k < this.segments.length && !found; k++) found = this.segments[k].cursors.has(name);
      if (!found) return false;
    }
    return true;
  }

  /** drop-oldest: deletes the oldest segment with its unacked batches; false when nothing can go. */
  private dropOldest(): boolean {
    const seg = this.segments[0];
    if (seg === undefined) return false;
    let batches = 0;
    let ticks = 0;
    while (this.head < this.entries.length && this.entries[this.head].segment === seg) {
      const e = this.entries[this.head++];
      batches++;
      ticks += e.ticks;
      this.bytes -= e.payloadLength;
    }
    if (batches === 0 && seg.fd >= 0) return false; // the segment being written holds nothing unacked yet
    this.closeSegment(seg);
    this.fold(seg);
    this.deleteSegment(seg); // space first: the disk may be what is full
    this.writeCheckpoint();
    this.stats.droppedBatches += batches;
    this.stats.droppedTicks += ticks;
    this.log('warn', `spool: overflow policy drop-oldest: dropped ${batches} unacked batch(es), ${ticks} tick(s), ` +
      `batches ${seg.firstSequence}..${seg.lastSequence} (spool.maxBytes ${this.o.maxBytes}, spool.maxAgeMs ${this.o.maxAgeMs})`);
    return true;
  }

  private fold(seg: Segment): void {
    const c = this.checkpoint;
    for (const [name, v] of seg.cursors) c.cursors[name] = [v.timeMsc, v.countAtMsc, v.tickSequence];
    if (seg.lastSequence > c.foldedThrough) c.foldedThrough = seg.lastSequence;
    this.checkpointDirty = true;
  }

  private deleteSegment(seg: Segment): void {
    this.closeSegment(seg);
    if (this.readSegment === seg) this.closeReader();
    this.io.unlink(seg.path);
    this.stats.diskBytes -= seg.fileBytes;
    this.segments.splice(this.segments.indexOf(seg), 1);
  }

  private writeCheckpoint(): boolean {
    const c = this.checkpoint;
    c.ackedThrough = Math.max(c.ackedThrough, this.ackedThrough);
    c.lastSequence = Math.max(c.lastSequence, this.nextSequence - 1 - this.pendingCount);
    try {
      this.checkpointFile.write(c);
    } catch (err) {
      // Logged once per failing streak; maintain() tries again every CHECKPOINT_EVERY_MS.
      if (!this.checkpointFailing) this.log('warn', `spool: checkpoint not written: ${(err as Error).message}`);
      this.checkpointFailing = true;
      this.lastCheckpointAt = this.now();
      return false;
    }
    if (this.checkpointFailing) this.log('info', 'spool: checkpoint written again');
    this.checkpointFailing = false;
    this.checkpointDirty = false;
    this.lastCheckpointAt = this.now();
    return true;
  }

  private load(e: Entry): StoredBatch {
    const seg = e.segment!;
    const bytes = new Uint8Array(e.payloadLength);
    if (seg.fd >= 0) {
      this.io.read(seg.fd, bytes, e.payloadOffset);
    } else {
      if (this.readSegment !== seg) {
        this.closeReader();
        this.readFd = this.io.openExisting(seg.path);
        this.readSegment = seg;
      }
      this.io.read(this.readFd, bytes, e.payloadOffset);
    }
    return { sequence: e.sequence, bytes, ticks: e.ticks };
  }

  private closeReader(): void {
    if (this.readFd >= 0) this.io.close(this.readFd);
    this.readFd = -1;
    this.readSegment = null;
  }
}
