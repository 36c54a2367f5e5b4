/**
 * bench:ring — ticks per second from the main thread to a worker thread, the way the EA link hands
 * ticks to a compute lane, against postMessage:
 *
 *   ring_batch          SpscRing with the input-ring layout (8 f64 + 2 i32 columns, 65,536 slots),
 *                       the producer writing RING_BATCH ticks, then one publish (one Atomics.store
 *                       and a notify); the consumer spins briefly, then Atomics.wait, and takes
 *                       everything available as one batch
 *   ring_per_tick       the same ring, publishing every tick on its own
 *   postmessage_batch   RING_BATCH ticks per message as one Float64Array (ten columns), transferred
 *   postmessage_objects one message per tick object (the baseline: what a first version does)
 *
 * The consumer (bench/lib/ring-consumer.worker.mjs, a real second thread) checks every tick's
 * sequence number and sums all ten fields; the run counts only if it received every tick, in
 * order, with the producer's checksum. Time runs from the first tick written to the consumer's
 * report of the last one. Ticks come from the simulated EA's quotes (bench/lib/tick-stream.ts).
 *
 *   npm run bench:ring [-- --quick] [-- --json] [-- --save]
 */
import { loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import {
  HDR_CLOSED, HDR_READ_SEQ, HDR_WRITE_SEQ, IN_F64_ASK, IN_F64_BID, IN_F64_CAPTURED_MS, IN_F64_LAST, IN_F64_RECV_MS, IN_F64_TIME_MSC, IN_F64_VOLUME,
  IN_F64_VOLUME_REAL, IN_I32_FLAGS, IN_I32_SYMBOL, INPUT_RING_LAYOUT,
} from '../src/shared/ring-layout.js';
import { SpscRing } from '../src/shared/ring.js';
import { fullGc, GcKindCounter, minorGc, noMemoryReducer, settleGcEntries, type GcKinds } from './lib/gc.js';
import { parseBenchArgs, report, summarize, table, type Summary } from './lib/harness.js';
import { makeTickStream } from './lib/tick-stream.js';

noMemoryReducer();
const args = parseBenchArgs();
const RING_CAPACITY = 1 << 16; // the default ringCapacityTicks
const RING_BATCH = 256;
const FIELDS = 10;
// Good ticks only: the ring carries whatever it is given, but a NaN price would make the checksum NaN.
const stream = makeTickStream({ ticks: 1 << 16, symbols: 10, invalidRate: 0 });
const L = stream.length;
const MASK = L - 1; // the stream is a power of two long, so tick j is stream entry j & MASK

interface Result { received: number; errors: number; firstError: string; checksum: number }

/** Checksum the consumer must report for n ticks: the same sum in the same order. */
function expectedChecksum(n: number): number {
  let sum = 0;
  for (let j = 0; j < n; j++) {
    const i = j & MASK;
    sum += stream.timeMsc[i] + stream.bid[i] + stream.ask[i] + stream.last[i] + stream.volume[i] + stream.volumeReal[i]
      + stream.capturedMs[i] + stream.symbol[i] + stream.flags[i];
  }
  return sum;
}

const worker = new Worker(new URL('./lib/ring-consumer.worker.mjs', import.meta.url));
let pending: ((r: Result) => void) | undefined;
worker.on('message', (r: Result) => { const p = pending; pending = undefined; p?.(r); });
worker.on('error', (e) => { throw e; });
const nextResult = (): Promise<Result> => new Promise((resolve) => { pending = resolve; });

/** Producer of the ring variants; returns when every tick is written and the ring closed. */
function produceRing(ring: SpscRing, n: number, batch: number): void {
  const time = ring.f64[IN_F64_TIME_MSC];
  const bid = ring.f64[IN_F64_BID];
  const ask = ring.f64[IN_F64_ASK];
  const last = ring.f64[IN_F64_LAST];
  const volume = ring.f64[IN_F64_VOLUME];
  const volumeReal = ring.f64[IN_F64_VOLUME_REAL];
  const seq = ring.f64[IN_F64_RECV_MS];
  const captured = ring.f64[IN_F64_CAPTURED_MS];
  const symbol = ring.i32[IN_I32_SYMBOL];
  const flags = ring.i32[IN_I32_FLAGS];
  const mask = ring.mask;
  const s = stream;
  let j = 0;
  while (j < n) {
    const want = Math.min(batch, n - j);
    let free = ring.claimable();
    if (free < want) free = ring.waitForSpace(want, 1000);
    const count = Math.min(want, free);
    let slot = ring.cursor;
    for (let k = 0; k < count; k++, j++, slot++) {
      const at = slot & mask;
      const i = j & MASK;
      time[at] = s.timeMsc[i];
      bid[at] = s.bid[i];
      ask[at] = s.ask[i];
      last[at] = s.last[i];
      volume[at] = s.volume[i];
      volumeReal[at] = s.volumeReal[i];
      seq[at] = j;
      captured[at] = s.capturedMs[i];
      symbol[at] = s.symbol[i];
      flags[at] = s.flags[i];
    }
    ring.publish(count);
  }
  ring.close();
}

// One ring for every run (a new 4.7 MB SharedArrayBuffer per run would bring GCs of its own):
// between runs, when the consumer has left it, its sequences and closed flag go back to zero.
const sharedRing = SpscRing.create(RING_CAPACITY, INPUT_RING_LAYOUT);

async function runRing(n: number, batch: number): Promise<{ seconds: number; result: Result }> {
  Atomics.store(sharedRing.header, HDR_WRITE_SEQ, 0);
  Atomics.store(sharedRing.header, HDR_READ_SEQ, 0);
  Atomics.store(sharedRing.header, HDR_CLOSED, 0);
  const ring = new SpscRing(sharedRing.handle);
  const done = nextResult();
  worker.postMessage({ kind: 'ring', handle: ring.handle });
  const t0 = performance.now();
  produceRing(ring, n, batch);
  const result = await done;
  return { seconds: (performance.now() - t0) / 1000, result };
}

async function runObjects(n: number): Promise<{ seconds: number; result: Result }> {
  const done = nextResult();
  worker.postMessage({ kind: 'objects', n });
  const s = stream;
  const t0 = performance.now();
  for (let j = 0; j < n; j++) {
    const i = j & MASK;
    worker.postMessage({
      seq: j, symbol: s.symbol[i], timeMsc: s.timeMsc[i], bid: s.bid[i], ask: s.ask[i], last: s.last[i],
      volume: s.volume[i], volumeReal: s.volumeReal[i], flags: s.flags[i], capturedMs: s.capturedMs[i],
    });
  }
  const result = await done;
  return { seconds: (performance.now() - t0) / 1000, result };
}

async function runBatches(n: number, batch: number): Promise<{ seconds: number; result: Result }> {
  const done = nextResult();
  worker.postMessage({ kind: 'batches', n });
  const s = stream;
  const t0 = performance.now();
  for (let j = 0; j < n;) {
    const count = Math.min(batch, n - j);
    // A fresh buffer per message: a transferred buffer is gone from this thread.
    const b = new Float64Array(count * FIELDS);
    for (let k = 0; k < count; k++, j++) {
      const i = j & MASK;
      b[k] = s.timeMsc[i];
      b[count + k] = s.bid[i];
      b[2 * count + k] = s.ask[i];
      b[3 * count + k] = s.last[i];
      b[4 * count + k] = s.volume[i];
      b[5 * count + k] = s.volumeReal[i];
      b[6 * count + k] = j;
      b[7 * count + k] = s.capturedMs[i];
      b[8 * count + k] = s.symbol[i];
      b[9 * count + k] = s.flags[i];
    }
    worker.postMessage(b, [b.buffer]);
  }
  const result = await done;
  return { seconds: (performance.now() - t0) / 1000, result };
}

interface Variant {
  key: string;
  what: string;
  ticks: number;
  run(n: number): Promise<{ seconds: number; result: Result }>;
}
const scale = args.quick ? 0.25 : 1;
const variants: Variant[] = [
  { key: 'ring_batch', what: `SpscRing, one publish per ${RING_BATCH} ticks`, ticks: Math.round(8_000_000 * scale), run: (n) => runRing(n, RING_BATCH) },
  { key: 'ring_per_tick', what: 'SpscRing, one publish per tick', ticks: Math.round(2_000_000 * scale), run: (n) => runRing(n, 1) },
  { key: 'postmessage_batch', what: `postMessage, ${RING_BATCH} ticks per Float64Array, transferred`, ticks: Math.round(4_000_000 * scale), run: (n) => runBatches(n, RING_BATCH) },
  { key: 'postmessage_objects', what: 'postMessage, one object per tick', ticks: Math.round(300_000 * scale), run: runObjects },
];
const repeats = args.quick ? 3 : 7;
const warmup = args.quick ? 1 : 2;

interface Measured { rate: Summary; ticks: number; ok: boolean; problems: string[]; gc: GcKinds }
const measured = new Map<string, Measured>();
const loadBefore = loadavg()[0];
for (const v of variants) {
  const expected = expectedChecksum(v.ticks);
  const problems: string[] = [];
  const once = async (): Promise<number> => {
    const { seconds, result } = await v.run(v.ticks);
    if (result.received !== v.ticks) problems.push(`received ${result.received} of ${v.ticks}`);
    if (result.errors !== 0) problems.push(`${result.errors} out of order, first: ${result.firstError}`);
    if (result.checksum !== expected) problems.push(`checksum ${result.checksum}, expected ${expected}`);
    return v.ticks / seconds;
  };
  fullGc(); // before warming up: a full collection can discard optimized code (lib/gc.ts)
  for (let i = 0; i < warmup; i++) await once();
  minorGc();
  await settleGcEntries();
  const gc = new GcKindCounter();
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) samples.push(await once());
  measured.set(v.key, { rate: summarize(samples), ticks: v.ticks, ok: problems.length === 0, problems, gc: await gc.stop() });
}
const loadAfter = loadavg()[0];
await worker.terminate();

const base = measured.get('postmessage_objects')!.rate.median;
const ticksPerS: Record<string, number> = {};
const ratio: Record<string, number> = {};
const spread: Record<string, { min: number; max: number; spread: number }> = {};
for (const v of variants) {
  const m = measured.get(v.key)!;
  ticksPerS[v.key] = m.rate.median;
  ratio[v.key] = m.rate.median / base;
  spread[v.key] = { min: m.rate.min, max: m.rate.max, spread: m.rate.spread };
}
const allOk = variants.every((v) => measured.get(v.key)!.ok);
const mps = (x: number): string => `${(x / 1e6).toFixed(2)} M`;
const rows = variants.map((v) => {
  const m = measured.get(v.key)!;
  const g = m.gc;
  return [v.key, mps(m.rate.median), mps(m.rate.min), mps(m.rate.max), `${(m.rate.spread * 100).toFixed(1)}%`,
    `${ratio[v.key].toFixed(1)}×`, String(m.ticks), m.ok ? 'all, in order, checksum ok' : m.problems[0], String(g.minor + g.major + g.incremental), v.what];
});
const quiet = loadBefore < 0.5 && loadAfter < 0.5;
const text = [
  `main thread → one worker thread, ${repeats} repeats after ${warmup} warm-up; ticks from ${stream.symbolCount} interleaved symbols.`,
  `load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after${quiet ? '' : ' — the machine was busy: quote ratios (same run), not absolute rates'}.`,
  '',
  table(['variant', 'ticks/s (median)', 'min', 'max', 'spread', '× postMessage objects', 'ticks per run', 'consumer verified', 'GCs (main)', 'what'], rows),
  '',
  allOk ? 'Every run of every variant delivered every tick in order with the expected checksum.' : 'SOME RUNS LOST OR REORDERED TICKS: see the table.',
].join('\n');

report('ring', args, text, {
  command: `npm run bench:ring -- --json${args.quick ? ' --quick' : ''}`,
  ring_capacity: RING_CAPACITY,
  ring_batch: RING_BATCH,
  load_average: { before: loadBefore, after: loadAfter },
  ticks_per_s: ticksPerS,
  ticks_per_s_spread: spread,
  ratio_vs_postmessage_objects: ratio,
  ticks_per_run: Object.fromEntries(variants.map((v) => [v.key, v.ticks])),
  verified: allOk,
  problems: Object.fromEntries(variants.filter((v) => !measured.get(v.key)!.ok).map((v) => [v.key, measured.get(v.key)!.problems.slice(0, 3)])),
  gc_main_thread: Object.fromEntries(variants.map((v) => [v.key, measured.get(v.key)!.gc])),
});
