// The consumer thread of bench/ring.bench.ts: a real second thread that takes ticks from the main
// thread one of three ways and verifies every one (its sequence number, in order, and a checksum
// over all ten fields), so that lost or duplicated work cannot look fast. Runs from compiled
// dist/ like every worker (`npm run bench:ring` builds first).
//
//   { kind: 'ring', handle }           consume an SpscRing (input-ring layout) until it is closed
//   { kind: 'objects', n }             then n messages of one tick object each
//   { kind: 'batches', n }             then Float64Array batches (transferred), n ticks in all
//
// Each run ends with one message back: { received, errors, firstError, checksum }.
import { parentPort } from 'node:worker_threads';

const { SpscRing } = await import(new URL('../../dist/shared/ring.js', import.meta.url).href);
const L = await import(new URL('../../dist/shared/ring-layout.js', import.meta.url).href);

/** Fields per tick in a transferred batch: a column of `count` values per field, in this order. */
const FIELDS = 10;

let expected = 0;
let errors = 0;
let firstError = '';
let checksum = 0;
let remaining = 0;
let mode = '';

function fail(message) {
  if (errors === 0) firstError = message;
  errors++;
}

function finish() {
  parentPort.postMessage({ received: expected, errors, firstError, checksum });
  mode = '';
}

function start(kind) {
  expected = 0;
  errors = 0;
  firstError = '';
  checksum = 0;
  mode = kind;
}

function consumeRing(handle) {
  const ring = new SpscRing(handle);
  const time = ring.f64[L.IN_F64_TIME_MSC];
  const bid = ring.f64[L.IN_F64_BID];
  const ask = ring.f64[L.IN_F64_ASK];
  const last = ring.f64[L.IN_F64_LAST];
  const volume = ring.f64[L.IN_F64_VOLUME];
  const volumeReal = ring.f64[L.IN_F64_VOLUME_REAL];
  const seqColumn = ring.f64[L.IN_F64_RECV_MS]; // the bench writes the tick's sequence number here
  const captured = ring.f64[L.IN_F64_CAPTURED_MS];
  const symbol = ring.i32[L.IN_I32_SYMBOL];
  const flags = ring.i32[L.IN_I32_FLAGS];
  const mask = ring.mask;
  for (;;) {
    const n = ring.waitForData(100);
    if (n === 0) {
      if (ring.isClosed() && ring.available() === 0) break;
      continue;
    }
    // Everything available is one batch (STYLE.md, "The hot path").
    let seq = ring.readSequence;
    for (let i = 0; i < n; i++, seq++) {
      const s = seq & mask;
      if (seqColumn[s] !== expected) fail(`entry ${expected}: sequence ${seqColumn[s]}`);
      checksum += time[s] + bid[s] + ask[s] + last[s] + volume[s] + volumeReal[s] + captured[s] + symbol[s] + flags[s];
      expected++;
    }
    ring.release(n);
  }
  finish();
}

function onObject(t) {
  if (t.seq !== expected) fail(`entry ${expected}: sequence ${t.seq}`);
  checksum += t.timeMsc + t.bid + t.ask + t.last + t.volume + t.volumeReal + t.capturedMs + t.symbol + t.flags;
  expected++;
  if (--remaining === 0) finish();
}

function onBatch(b) {
  const count = b.length / FIELDS;
  for (let i = 0; i < count; i++) {
    if (b[6 * count + i] !== expected) fail(`entry ${expected}: sequence ${b[6 * count + i]}`);
    checksum += b[i] + b[count + i] + b[2 * count + i] + b[3 * count + i] + b[4 * count + i] + b[5 * count + i]
      + b[7 * count + i] + b[8 * count + i] + b[9 * count + i];
    expected++;
  }
  remaining -= count;
  if (remaining === 0) finish();
}

parentPort.on('message', (m) => {
  if (mode === 'objects') return onObject(m);
  if (mode === 'batches') return onBatch(m);
  start(m.kind);
  if (m.kind === 'ring') consumeRing(m.handle);
  else remaining = m.n;
});
