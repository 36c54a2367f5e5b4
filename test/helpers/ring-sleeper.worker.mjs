// A real second thread that goes to sleep on a ring (or on a doorbell) with a long timeout and
// reports how long it slept and what it found: for the tests that a publish (or a ring of the
// doorbell) wakes a sleeping consumer rather than leaving it to its timeout. Runs from dist/.
import { parentPort, workerData } from 'node:worker_threads';

const { SpscRing, Doorbell } = await import(new URL('../../dist/shared/ring.js', import.meta.url).href);
const results = [];
if (workerData.doorbell) {
  const bell = new Doorbell(workerData.doorbell);
  for (let i = 0; i < workerData.rounds; i++) {
    const seen = bell.value();
    parentPort.postMessage({ type: 'sleeping', round: i });
    const t = performance.now();
    const rang = bell.wait(seen, workerData.timeoutMs);
    results.push({ ms: performance.now() - t, woke: rang });
  }
} else {
  const ring = new SpscRing(workerData.handle);
  for (let i = 0; i < workerData.rounds; i++) {
    parentPort.postMessage({ type: 'sleeping', round: i });
    const t = performance.now();
    const n = ring.waitForData(workerData.timeoutMs, 0);
    results.push({ ms: performance.now() - t, woke: n > 0 });
    ring.release(n);
  }
}
parentPort.postMessage({ type: 'done', results });
