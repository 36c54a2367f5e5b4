/**
 * Batches sent but not yet acknowledged by the backend, in sequence order. At-least-once: after a
 * reconnect every unacked batch is sent again, in order, before new data; the backend drops what
 * it already has by `batch_sequence`.
 *
 * This is the in-memory store. The durable spool (append-only segments on disk) implements the
 * same interface so that the transport does not change when it arrives.
 */
export interface BatchStore {
  /** Keeps a sealed batch until it is acked. */
  append(sequence: number, bytes: Uint8Array, ticks: number): void;
  /** Cumulative ack: drops every batch with sequence <= `sequence`; returns the ticks they held. */
  ackThrough(sequence: number): number;
  /** Unacked batches in sequence order. */
  unacked(): Iterable<StoredBatch>;
  readonly size: number;
  readonly bytes: number;
}

export interface StoredBatch {
  sequence: number;
  bytes: Uint8Array;
  ticks: number;
}

export class MemoryBatchStore implements BatchStore {
  private readonly queue: StoredBatch[] = [];
  private head = 0;
  bytes = 0;

  get size(): number {
    return this.queue.length - this.head;
  }

  append(sequence: number, bytes: Uint8Array, ticks: number): void {
    this.queue.push({ sequence, bytes, ticks });
    this.bytes += bytes.byteLength;
  }

  ackThrough(sequence: number): number {
    let ticks = 0;
    while (this.head < this.queue.length && this.queue[this.head].sequence <= sequence) {
      const b = this.queue[this.head++];
      ticks += b.ticks;
      this.bytes -= b.bytes.byteLength;
    }
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
}
