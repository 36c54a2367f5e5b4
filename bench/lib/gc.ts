/**
 * Garbage collection on demand, without starting node with --expose-gc (the bench scripts run
 * under tsx): the flag is set at run time and `gc` taken from a fresh context. Used around a
 * steady-state run whose GC count is reported, so that garbage left by set-up (stream generation,
 * verification passes, warm-up) cannot trigger a collection inside the measured window and be
 * mistaken for allocation by the code under test.
 */
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: ((options?: { type: 'major' | 'minor' }) => void) | undefined;

function gcFunction(): (options?: { type: 'major' | 'minor' }) => void {
  if (!collect) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as (options?: { type: 'major' | 'minor' }) => void;
  }
  return collect;
}

/**
 * A full collection. Call it before warming up, not between warm-up and measurement: it can throw
 * away optimized code that embeds objects it frees ("weak objects" deopts), and the re-optimization
 * then allocates inside the measured window (~2-3 MB on bench/indicators.bench.ts's first runs).
 */
export function fullGc(): void {
  gcFunction()({ type: 'major' });
}

/**
 * Turns V8's memory reducer off for this process: it runs full collections on a timer once the
 * allocation rate drops (after set-up, say), which would show in a measured window as full GCs
 * that nothing in the window caused. Call it first thing.
 */
export function noMemoryReducer(): void {
  setFlagsFromString('--no-memory-reducer');
}

/**
 * Lets the entries of collections that already happened reach observers before a counter opens:
 * Node delivers GC entries asynchronously, and without this the collections forced just before a
 * measured window showed up in its count.
 */
export async function settleGcEntries(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 20));
}

/** A young-generation collection: empties the nursery right before a measured window. */
export function minorGc(): void {
  gcFunction()({ type: 'minor' });
}

/** GC entries by kind, to tell scavenges (young-generation: allocation) from full collections. */
export interface GcKinds {
  minor: number;
  major: number;
  incremental: number;
  weak: number;
  pauseMs: number;
}

/**
 * Counts collections by kind while open (the harness's GcCounter counts them all). A scavenge in a
 * steady-state window means something allocated there; a lone major or incremental collection can
 * also be V8's memory reducer acting on earlier garbage on a timer.
 */
export class GcKindCounter {
  readonly kinds: GcKinds = { minor: 0, major: 0, incremental: 0, weak: 0, pauseMs: 0 };
  private readonly observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) this.kinds.minor++;
      else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) this.kinds.major++;
      else if (kind === constants.NODE_PERFORMANCE_GC_INCREMENTAL) this.kinds.incremental++;
      else this.kinds.weak++;
      this.kinds.pauseMs += e.duration;
    }
  });

  constructor() {
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /** Entries arrive asynchronously: await this before reading the counts. */
  async stop(): Promise<GcKinds> {
    await new Promise((resolve) => setTimeout(resolve, 50));
    this.observer.disconnect();
    return this.kinds;
  }
}
