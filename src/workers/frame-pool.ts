/**
 * Reusable memory for batch frames on the transport thread.
 *
 * Without it every sealed batch was a new ~460 KB buffer (4096 ticks, columnar). At 1M ticks/s
 * that is ~250 buffers a second. They are freed only when V8 collects their small JS wrappers, and
 * the transport's young generation is small, so up to ~45 MB of dead frames stayed resident
 * between collections (measured: the transport isolate's `arrayBuffers` at the bridge's RSS peak).
 *
 *   acquire(n) ──► a view of n bytes on a free buffer (or a new one) ──► encoder writes the frame
 *   the frame is durable in the spool and the socket wrote it ──► release(frame) ──► free again
 *
 * A frame goes back only when nothing can read it any more: the spool does not hold it (written,
 * not held for a retry after a failed write), and the socket has it — written straight into the
 * kernel during send() (nothing left buffered), or later, when ws calls back. A frame that never
 * comes back is collected like any buffer. Capacities are powers of two from 64 KiB, and at
 * most {@link FREE_PER_CLASS} free buffers are kept per capacity, so the pool holds a few
 * megabytes at most.
 */
const MIN_CLASS_BITS = 16;
const FREE_PER_CLASS = 4;

export class FramePool {
  /** Free buffers by capacity class (capacity 2^(MIN_CLASS_BITS + class)). */
  private readonly free: ArrayBuffer[][] = [];
  /** Frames handed out and not yet released. */
  private readonly out = new WeakSet<ArrayBuffer>();
  reused = 0;
  allocated = 0;

  /** A Buffer of exactly `bytes` bytes (uninitialised) on a pooled ArrayBuffer. */
  acquire(bytes: number): Buffer {
    const c = classOf(bytes);
    const list = this.free[c];
    let ab = list !== undefined ? list.pop() : undefined;
    if (ab === undefined) {
      ab = Buffer.allocUnsafeSlow(2 ** (MIN_CLASS_BITS + c)).buffer as ArrayBuffer; // not zeroed: every byte of a frame is written
      this.allocated++;
    } else {
      this.reused++;
    }
    this.out.add(ab);
    return Buffer.from(ab, 0, bytes);
  }

  /** Gives `frame`'s memory back; a frame that did not come from acquire(), or came back already, is ignored. */
  release(frame: Uint8Array): void {
    const ab = frame.buffer as ArrayBuffer;
    if (!this.out.delete(ab)) return;
    const list = (this.free[classOf(ab.byteLength)] ??= []);
    if (list.length < FREE_PER_CLASS) list.push(ab);
  }
}

function classOf(bytes: number): number {
  let c = 0;
  while (2 ** (MIN_CLASS_BITS + c) < bytes) c++;
  return c;
}
