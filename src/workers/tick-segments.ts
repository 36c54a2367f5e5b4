/**
 * Where the open columnar batch's ticks are: runs of output-ring entries, taken but not yet
 * released, in batch order (a batch is filled from every lane's ring in turn), and each tick's
 * index into the batch's symbol table. ColumnarEncoder fills it; the column writers read the rings
 * through it; seal() gives the entries back.
 *
 *   batch tick  0 ............ 399 400 ............... 999
 *               [ring A, from seq 8100, 400][ring B, from seq 51200, 600]
 */
import type { SpscRing } from '../shared/ring.js';

/** The open batch: runs of entries taken from rings (not yet released), in batch order. */
export class TickSegments {
  readonly rings: SpscRing[] = [];
  /** First ring sequence of each run. */
  readonly starts: number[] = [];
  readonly counts: number[] = [];
  length = 0;
  /** Batch symbol index of every tick, in batch order. */
  readonly symbolIndex: Int32Array;

  constructor(capacity: number) {
    this.symbolIndex = new Int32Array(capacity);
  }

  add(ring: SpscRing, start: number, count: number): void {
    const last = this.length - 1;
    if (last >= 0 && this.rings[last] === ring && ((this.starts[last] + this.counts[last]) | 0) === start) {
      this.counts[last] += count; // continues the previous run
      return;
    }
    this.rings[this.length] = ring;
    this.starts[this.length] = start;
    this.counts[this.length] = count;
    this.length++;
  }

  /** Entries of `ring` in the batch. */
  takenFrom(ring: SpscRing): number {
    let n = 0;
    for (let g = 0; g < this.length; g++) if (this.rings[g] === ring) n += this.counts[g];
    return n;
  }

  /** Gives every entry back to its ring (released in ring order, as taken) and empties the batch. */
  release(): void {
    for (let g = 0; g < this.length; g++) this.rings[g].release(this.counts[g]);
    this.length = 0;
  }
}

