/**
 * Single-producer single-consumer ring of ticks in a SharedArrayBuffer, struct-of-arrays.
 *
 *   producer (one thread)                         consumer (one other thread)
 *   ───────────────────────                       ───────────────────────────
 *   n = ring.claimable()                          n = ring.available()  (or waitForData)
 *   write columns at (cursor + i) & mask          read columns at (readSequence + i) & mask
 *   ring.publish(k)  ── Atomics.store ──►         ring.release(n)  ── Atomics.store ──► (space)
 *                     + Atomics.notify
 *
 * Sequences are free-running Int32 (they wrap at 2^32; differences are taken with `| 0`), so
 * capacity must be a power of two no larger than 2^30. One Atomics.store per batch publishes every
 * column written before it (Atomics are sequentially consistent), one per batch releases.
 * The Disruptor's vocabulary: sequence, cursor, claim, publish, batch, wait strategy.
 */
import { ClientMt5Error } from './errors.js';
import {
  HDR_CLOSED, HDR_CONSUMER_WAITING, HDR_PRODUCER_WAITING, HDR_READ_SEQ, HDR_WRITE_SEQ, RING_HEADER_BYTES, type RingLayout,
} from './ring-layout.js';

/** What crosses to the other thread: enough to rebuild the same ring there. */
export interface RingHandle {
  readonly buffer: SharedArrayBuffer;
  readonly capacity: number;
  readonly layout: RingLayout;
}

/** Spin iterations before blocking in Atomics.wait: waking a blocked thread costs ~45 us here. */
export const DEFAULT_SPIN = 2000;

export class SpscRing {
  readonly buffer: SharedArrayBuffer;
  readonly capacity: number;
  readonly mask: number;
  readonly layout: RingLayout;
  /** Header slots; index with HDR_* constants. */
  readonly header: Int32Array;
  /** Float64 columns, indexed by the layout's *_F64_* constants. */
  readonly f64: Float64Array[];
  /** Int32 columns, indexed by the layout's *_I32_* constants. */
  readonly i32: Int32Array[];
  /** Producer side: next sequence to write (local copy of what it has published plus claims). */
  private writeCursor: number;
  /** Consumer side: next sequence to read. */
  private readCursor: number;

  static byteLength(capacity: number, layout: RingLayout): number {
    return RING_HEADER_BYTES + capacity * (layout.f64Columns * 8 + layout.i32Columns * 4);
  }

  /** Allocates a new ring. */
  static create(capacity: number, layout: RingLayout): SpscRing {
    if (!Number.isInteger(capacity) || capacity < 2 || capacity > 2 ** 30 || (capacity & (capacity - 1)) !== 0) {
      throw new ClientMt5Error('RING_CAPACITY', `ring capacity must be a power of two from 2 to 2^30, got ${capacity}`);
    }
    return new SpscRing({ buffer: new SharedArrayBuffer(SpscRing.byteLength(capacity, layout)), capacity, layout });
  }

  /** Attaches to a ring created elsewhere (the other thread's side). */
  constructor(handle: RingHandle) {
    this.buffer = handle.buffer;
    this.capacity = handle.capacity;
    this.mask = handle.capacity - 1;
    this.layout = handle.layout;
    this.header = new Int32Array(handle.buffer, 0, RING_HEADER_BYTES / 4);
    this.f64 = [];
    this.i32 = [];
    let offset = RING_HEADER_BYTES;
    for (let c = 0; c < handle.layout.f64Columns; c++) {
      this.f64.push(new Float64Array(handle.buffer, offset, handle.capacity));
      offset += handle.capacity * 8;
    }
    for (let c = 0; c < handle.layout.i32Columns; c++) {
      this.i32.push(new Int32Array(handle.buffer, offset, handle.capacity));
      offset += handle.capacity * 4;
    }
    this.writeCursor = Atomics.load(this.header, HDR_WRITE_SEQ);
    this.readCursor = Atomics.load(this.header, HDR_READ_SEQ);
  }

  get handle(): RingHandle {
    return { buffer: this.buffer, capacity: this.capacity, layout: this.layout };
  }

  // ── producer ──────────────────────────────────────────────────────────────────────────────

  /** Producer: the sequence the next claimed entry gets; its slot is `cursor & mask`. */
  get cursor(): number {
    return this.writeCursor;
  }

  /** Producer: how many entries can be written now without overtaking the consumer. */
  claimable(): number {
    return this.capacity - ((this.writeCursor - Atomics.load(this.header, HDR_READ_SEQ)) | 0);
  }

  /**
   * Producer: makes the next `count` entries (already written) visible, then wakes the consumer if
   * it sleeps. No wake-up is lost: the consumer raises its flag before it checks for data one last
   * time, the producer stores the sequence before it reads the flag (both sequentially consistent),
   * so either the consumer sees the entries or the producer sees the flag — and Atomics.wait
   * returns at once if the sequence moved before it went to sleep.
   */
  publish(count: number): void {
    this.writeCursor = (this.writeCursor + count) | 0;
    Atomics.store(this.header, HDR_WRITE_SEQ, this.writeCursor);
    if (Atomics.load(this.header, HDR_CONSUMER_WAITING) !== 0) Atomics.notify(this.header, HDR_WRITE_SEQ);
  }

  /**
   * Producer: blocks until at least `count` entries are claimable or `timeoutMs` passes; returns
   * what is claimable. Only for threads that may block (workers, never the socket thread).
   */
  waitForSpace(count: number, timeoutMs: number, spin = DEFAULT_SPIN): number {
    let free = this.claimable();
    for (let i = 0; free < count && i < spin; i++) free = this.claimable();
    if (free >= count) return free;
    Atomics.store(this.header, HDR_PRODUCER_WAITING, 1);
    const seen = Atomics.load(this.header, HDR_READ_SEQ);
    free = this.claimable();
    if (free < count) Atomics.wait(this.header, HDR_READ_SEQ, seen, timeoutMs);
    Atomics.store(this.header, HDR_PRODUCER_WAITING, 0);
    return this.claimable();
  }

  /** Producer: no more entries will come; the consumer drains what is left and stops. */
  close(): void {
    Atomics.store(this.header, HDR_CLOSED, 1);
    Atomics.notify(this.header, HDR_WRITE_SEQ);
  }

  // ── consumer ──────────────────────────────────────────────────────────────────────────────

  /** Consumer: the sequence of the next entry to read; its slot is `readSequence & mask`. */
  get readSequence(): number {
    return this.readCursor;
  }

  /** Consumer: how many published entries wait to be read. */
  available(): number {
    return (Atomics.load(this.header, HDR_WRITE_SEQ) - this.readCursor) | 0;
  }

  /** Consumer: frees `count` read entries for the producer. */
  release(count: number): void {
    this.readCursor = (this.readCursor + count) | 0;
    Atomics.store(this.header, HDR_READ_SEQ, this.readCursor);
    if (Atomics.load(this.header, HDR_PRODUCER_WAITING) !== 0) Atomics.notify(this.header, HDR_READ_SEQ);
  }

  /** True once the producer closed the ring (entries may still be available). */
  isClosed(): boolean {
    return Atomics.load(this.header, HDR_CLOSED) !== 0;
  }

  /**
   * Consumer wait strategy: spin briefly, then Atomics.wait on the write sequence. Returns the
   * number of available entries (0 on timeout or when closed and empty).
   */
  waitForData(timeoutMs: number, spin = DEFAULT_SPIN): number {
    let n = this.available();
    for (let i = 0; n === 0 && i < spin; i++) n = this.available();
    if (n !== 0 || this.isClosed()) return n;
    Atomics.store(this.header, HDR_CONSUMER_WAITING, 1);
    if (this.available() === 0) Atomics.wait(this.header, HDR_WRITE_SEQ, this.readCursor, timeoutMs);
    Atomics.store(this.header, HDR_CONSUMER_WAITING, 0);
    return this.available();
  }

  /**
   * Consumer wait strategy for threads with an event loop (the transport worker): resolves when
   * the write sequence moves past what was read, or after `timeoutMs`.
   */
  async waitForDataAsync(timeoutMs: number): Promise<number> {
    const n = this.available();
    if (n !== 0 || this.isClosed()) return n;
    Atomics.store(this.header, HDR_CONSUMER_WAITING, 1);
    const r = Atomics.waitAsync(this.header, HDR_WRITE_SEQ, this.readCursor, timeoutMs);
    if (r.async) await r.value;
    Atomics.store(this.header, HDR_CONSUMER_WAITING, 0);
    return this.available();
  }
}

/**
 * A shared counter that several producers bump after publishing, so that one consumer of several
 * rings can wait on a single address (the transport worker drains every lane's output ring).
 */
export class Doorbell {
  /**
   * [0]: the counter; [1]: 1 while the consumer sleeps on [0] (as HDR_CONSUMER_WAITING for a ring:
   * ring() notifies only then).
   */
  readonly word: Int32Array;

  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(64)) {
    this.word = new Int32Array(buffer, 0, 2);
  }

  get buffer(): SharedArrayBuffer {
    return this.word.buffer as SharedArrayBuffer;
  }

  ring(): void {
    Atomics.add(this.word, 0, 1);
    if (Atomics.load(this.word, 1) !== 0) Atomics.notify(this.word, 0);
  }

  value(): number {
    return Atomics.load(this.word, 0);
  }

  /**
   * Blocks this thread until the doorbell moves away from `seen`, or for `timeoutMs`; true when
   * it rang. A futex wake: tens of microseconds, where waitAsync's goes through the event loop.
   */
  wait(seen: number, timeoutMs: number): boolean {
    Atomics.store(this.word, 1, 1);
    const r = Atomics.wait(this.word, 0, seen, timeoutMs);
    Atomics.store(this.word, 1, 0);
    return r !== 'timed-out';
  }

  /** Resolves once the doorbell moved away from `seen`, or after `timeoutMs`. */
  async waitAsync(seen: number, timeoutMs: number): Promise<void> {
    Atomics.store(this.word, 1, 1);
    const r = Atomics.waitAsync(this.word, 0, seen, timeoutMs);
    if (r.async) await r.value;
    Atomics.store(this.word, 1, 0);
  }
}
