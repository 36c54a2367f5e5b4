/**
 * The compute worker's bulk copies between ring columns and engine rows: slots that wrap the ring,
 * and only accepted rows, in order, whatever the runs of rejected rows between them.
 */
import { expect, it } from 'vitest';
import { copyAcceptedToRing, copyFromRing, copyToRing } from '../../../src/workers/engine.js';

const ring = (n: number): Float64Array => Float64Array.from({ length: n }, (_, i) => 100 + i);

it('copies ring slots into rows, wrapping at the end of the ring', () => {
  const rows = new Float64Array(8);
  copyFromRing(rows, ring(8), 2, 4);
  expect([...rows.subarray(0, 4)]).toEqual([102, 103, 104, 105]);
  copyFromRing(rows, ring(8), 6, 5);
  expect([...rows.subarray(0, 5)]).toEqual([106, 107, 100, 101, 102]);
  const ints = new Int32Array(4);
  copyFromRing(ints, Int32Array.from([1, 2, 3, 4]), 3, 2);
  expect([...ints.subarray(0, 2)]).toEqual([4, 1]);
});

it('copies rows into ring slots, wrapping at the end of the ring', () => {
  const dst = new Float64Array(8);
  copyToRing(dst, ring(8), 1, 4, 6);
  expect([...dst]).toEqual([103, 0, 0, 0, 0, 0, 101, 102]);
});

it('copies only the accepted rows, in order, across runs and the ring end', () => {
  const n = 10;
  const mask = Int32Array.from([1, 0, 0, 4, 4, 0, 0, 0, 2, 0]);
  const src = Float64Array.from({ length: n }, (_, i) => i);
  const srcInt = Int32Array.from({ length: n }, (_, i) => 10 * i);
  const dst = new Float64Array(8).fill(-1);
  const dstInt = new Int32Array(8).fill(-1);
  const copied = copyAcceptedToRing(mask, n, [[dst, src], [dstInt, srcInt]], 13, 7);
  expect(copied).toBe(6);
  // Sequences 13..18 are slots 5, 6, 7, 0, 1, 2.
  expect([...dst]).toEqual([6, 7, 9, -1, -1, 1, 2, 5]);
  expect([...dstInt]).toEqual([60, 70, 90, -1, -1, 10, 20, 50]);
  expect(copyAcceptedToRing(Int32Array.from([3, 3]), 2, [[dst, src]], 0, 7)).toBe(0);
});
