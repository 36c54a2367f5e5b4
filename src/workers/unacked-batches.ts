/**
 * Batches sent but not yet acknowledged by the backend, in sequence order. At-least-once: after a
 * reconnect every unacked batch is sent again, in order, before new data; the backend drops what
 * it already has by `batch_sequence`.
 *
 * Two stores implement it: this in-memory one (tests, benchmarks, `spool.enabled: false`) and the
 * durable spool (src/workers/spool/disk-spool.ts: append-only segments on disk, which a restarted
 * process replays).
 */
export interface BatchStore {
  /**
   * Keeps a sealed batch until it is acked. Returns true once the batch is durable — only then
   * may it be sent. False: it is held in memory (the disk is full) and written later; the store
   * reports `full` meanwhile.
   * @param cursors  per symbol the batch touched: the resume cursor after its last tick there
   */
  append(sequence: number, bytes: Uint8Array, ticks: number, cursors?: readonly BatchCursor[]): boolean;
  /** Cumulative ack: drops every batch with sequence <= `sequence`; returns the ticks they held. */
  ackThrough(sequence: number): number;
  /** Unacked batches in sequence order. */
  unacked(): Iterable<StoredBatch>;
  /** The first unacked, durable batch with a sequence above `sequence` (the replay's next step). */
  after(sequence: number): StoredBatch | undefined;
  /** Unacked batches. */
  readonly size: number;
  /** Bytes of unacked batches. */
  readonly bytes: number;
  /** Take no more ticks: a bound is reached or a write failed (backpressure reaches the EA). */
  readonly full: boolean;
  /** The highest sequence acked (0 before any). */
  readonly ackedThrough: number;
  /** The sequence the next batch gets: after everything this store (or an earlier run's) ever held. */
  readonly nextSequence: number;
}

export interface StoredBatch {
  sequence: number;
  bytes: Uint8Array;
  ticks: number;
}

/** A symbol's resume cursor after the batch's last tick of it (docs/protocol.md, "Resume cursors"). */
export interface BatchCursor {
  name: string;
  /** `name` as UTF-8, encoded once. */
  nameBytes: Uint8Array;
  timeMsc: number;
  countAtMsc: number;
  /** sequence_number of that tick (the per-symbol sequence of accepted ticks). */
  tickSequence: number;
}

export class MemoryBatchStore implements BatchStore {
  private readonly queue: StoredBatch[] = [];
  private head = 0;
  bytes = 0;
  ackedThrough = 0;
  nextSequence = 1;
  readonly full = false;

  get size(): number {
    return this.queue.length - this.head;
  }

  append(sequence: number, bytes: Uint8Array, ticks: number): boolean {
    this.queue.push({ sequence, bytes, ticks });
    this.bytes += bytes.byteLength;
    if (sequence >= this.nextSequence) this.nextSequence = sequence + 1;
    return true;
  }

  ackThrough(sequence: number): number {
    let ticks = 0;
    while (this.head < this.queue.length && this.queue[this.head].sequence <= sequence) {
      const b = this.queue[this.head++];
      ticks += b.ticks;
      this.bytes -= b.bytes.byteLength;
    }
    if (sequence > this.ackedThrough) this.ackedThrough = sequence;
    // Compact now and then rather than shifting on every ack.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    return ticks;
  }

  *unacked(): Iterable<StoredBatch> {
    for (let i = this.head; i < this.queue.length; i++) yield this.queue[i];
  }

  after(sequence: number): StoredBatch | undefined {
    const q = this.queue;
    if (this.head >= q.length) return undefined;
    // Sequences are consecutive here: index arithmetic, checked, else a search.
    const i = this.head + Math.max(0, sequence + 1 - q[this.head].sequence);
    if (i < q.length && q[i].sequence > sequence && (i === this.head || q[i - 1].sequence <= sequence)) return q[i];
    for (let j = this.head; j < q.length; j++) if (q[j].sequence > sequence) return q[j];
    return undefined;
  }
}
