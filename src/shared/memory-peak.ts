/**
 * Each thread's peak memory, for the bridge's statistics: the V8 heap's resident size and the
 * memory its isolate holds outside the heap (ArrayBuffers, SharedArrayBuffers it created, WASM
 * memories are not in it). Sampled by each thread itself — a worker cannot be measured from
 * outside — every {@link MEMORY_SAMPLE_EVERY_MS} at most; one getHeapStatistics call (~µs).
 */
import { getHeapStatistics } from 'node:v8';

export const MEMORY_SAMPLE_EVERY_MS = 100;

/** Raises stats[heapAt] and stats[externalAt] to this isolate's current heap and external bytes. */
export function notePeakMemory(stats: Float64Array, heapAt: number, externalAt: number): void {
  const h = getHeapStatistics();
  if (h.total_physical_size > stats[heapAt]) stats[heapAt] = h.total_physical_size;
  if (h.external_memory > stats[externalAt]) stats[externalAt] = h.external_memory;
}
