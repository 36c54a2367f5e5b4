// A real second thread for the ring tests: consumes a ring in seeded random batch sizes and
// verifies the sequence generator's values, entry by entry. Runs from compiled dist/.
import { parentPort, workerData } from 'node:worker_threads';

const { SpscRing } = await import(new URL('../../dist/shared/ring.js', import.meta.url).href);
const ring = new SpscRing(workerData.handle);
let rng = workerData.seed >>> 0;
const next = () => { rng = (rng * 1664525 + 1013904223) >>> 0; return rng; };
let expected = 0;
let errors = 0;
let firstError = '';
let maxBatch = 0;
for (;;) {
  let n = ring.waitForData(100);
  if (n === 0) {
    if (ring.isClosed() && ring.available() === 0) break;
    continue;
  }
  const take = 1 + (next() % Math.max(1, workerData.maxConsumerBatch));
  if (n > take) n = take;
  if (n > maxBatch) maxBatch = n;
  let seq = ring.readSequence;
  for (let i = 0; i < n; i++, seq++) {
    const slot = seq & ring.mask;
    const a = ring.f64[0][slot];
    const b = ring.f64[1][slot];
    const c = ring.i32[0][slot];
    if (a !== expected || b !== expected * 0.5 + 0.25 || c !== (expected | 0) % 1000003) {
      if (errors === 0) firstError = `entry ${expected}: got ${a}, ${b}, ${c}`;
      errors++;
    }
    expected++;
  }
  if (workerData.slowConsumer && next() % 64 === 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
  ring.release(n);
}
parentPort.postMessage({ received: expected, errors, firstError, maxBatch });
