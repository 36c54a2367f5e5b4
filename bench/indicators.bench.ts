/**
 * bench:indicators — ns per tick for validation (8 rules) plus the 13 indicator outputs, on ten
 * interleaved symbols with the simulated EA's quotes (bench/lib/tick-stream.ts; 0.2 % bad ticks of
 * every kind). Every variant validates each tick, computes every indicator of the accepted ones
 * and reads every result (and the mask, quality and sequence) into a checksum:
 *
 *   wasm_tick           Engine.processTick per tick (JS → WASM call per tick), outputs from row 0
 *   wasm_batch          processBatch as the compute worker drives it: copy a batch into the input
 *                       columns, one call, read the output columns
 *   wasm_batch_engine   the same run, only the time inside processBatch (the engine's own cost:
 *                       what the ≤ 30 ns target is about; copying in and reading out is the
 *                       worker's, and is in wasm_batch)
 *   wasm_batch_worker   what src/workers/compute.worker.ts does per batch, with its own helpers:
 *                       bulk copies from ring columns into the engine (and its three JS staging
 *                       columns), processBatch, and the accepted rows' 26 columns copied into an
 *                       output ring of the default ringCapacityTicks; the checksum is read back
 *                       from that ring between batches, untimed (the transport's side)
 *   plain_ts            bench/baselines/plain-ts-engine.ts: the same rules and running sums in
 *                       plain TypeScript (bit-identical outputs), reading the tick columns by index
 *   trading_signals     the plain-TS validator, then trading-signals 8 streaming indicators
 *   technicalindicators the plain-TS validator, then technicalindicators 3 nextValue()
 *
 * Each variant starts from fresh state per repeat (the whole stream, warm-up included), warms up,
 * repeats, and reports the median and spread. Checksums: WASM per tick, WASM batch and plain-TS
 * must agree (to 1e-9; the batch sums in another order); the libraries' conventions differ from
 * TA-Lib's, which the per-indicator comparison shows (steady state: each symbol's ticks after its
 * 100th). GC counts are taken during the timed repeats of each variant.
 *
 *   npm run bench:indicators [-- --quick] [-- --json] [-- --save]
 */
import { loadavg } from 'node:os';
import { INDICATOR_COUNT, INDICATOR_NAMES } from '../src/shared/ring-layout.js';
import { compileEngine, copyAcceptedToRing, copyFromRing, Engine, type Column } from '../src/workers/engine.js';
import { PlainTsEngine } from './baselines/plain-ts-engine.js';
import { TechnicalIndicatorsIndicators, TradingSignalsIndicators, type LibraryIndicators } from './baselines/library-indicators.js';
import { fullGc, GcKindCounter, minorGc, noMemoryReducer, settleGcEntries, type GcKinds } from './lib/gc.js';
import { parseBenchArgs, report, summarize, table, type Summary } from './lib/harness.js';
import { makeTickStream } from './lib/tick-stream.js';

noMemoryReducer();
const args = parseBenchArgs();
const TICKS = args.quick ? 40_000 : 200_000;
const SYMBOLS = 10;
const INVALID_RATE = 0.002;
/** Per-symbol accepted ticks skipped before the per-indicator comparison (every library warm). */
const STEADY_AFTER = 100;

const stream = makeTickStream({ ticks: TICKS, symbols: SYMBOLS, invalidRate: INVALID_RATE });
const { symbol, timeMsc, bid, ask, last, volume, volumeReal, flags, capturedMs } = stream;
const module = compileEngine();

interface Variant {
  key: string;
  includes: string;
  warmup: number;
  repeats: number;
  /** Fresh state for a run (not timed). */
  reset(): void;
  /** One pass over the stream; returns its checksum. */
  run(): number;
  /** One untimed pass that adds each indicator's steady-state values into `sums`. */
  verify(sums: Float64Array): void;
}

// ── the variants ──────────────────────────────────────────────────────────────────────────────
const tickEngine = Engine.instantiate(module);
const batchEngine = Engine.instantiate(module);
const plain = new PlainTsEngine(tickEngine.maxSymbols);
const validator = new PlainTsEngine(tickEngine.maxSymbols); // the libraries' validation
for (let id = 0; id < SYMBOLS; id++) {
  for (const e of [tickEngine, batchEngine]) e.configureSymbol(id, stream.limits[id]);
  plain.configureSymbol(id, stream.limits[id]);
  validator.configureSymbol(id, stream.limits[id]);
}
const libOut = new Float64Array(INDICATOR_COUNT);
/**
 * The checksum accumulates in a typed array rather than a local: V8 sometimes keeps a loop-carried
 * double local tagged and boxes it on every iteration (16 bytes a tick, seen in some warm-ups),
 * which would be the driver's allocation, not the code under test's.
 */
const acc = new Float64Array(1);
let engineMs = 0;
/** Time of runWasmWorker's timed part (its checksum is read between batches, untimed). */
let workerMs = 0;

/**
 * The checksum's rule, the same in every variant: per tick, mask + quality + sequence, plus the sum
 * of its 13 outputs when all 13 exist (after warm-up), added in tick order. WASM per tick, WASM
 * batch and plain TypeScript therefore give the same bits.
 */
function rowSum(v: Float64Array): number {
  return v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7] + v[8] + v[9] + v[10] + v[11] + v[12];
}

/** WASM, one call per tick; the 13 output views held in locals (a loop over outInd[k] cost ~25 ns). */
function runWasmTick(): number {
  const e = tickEngine;
  const [c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12] = e.outInd;
  const quality = e.outQuality;
  const seq = e.outSeq;
  acc[0] = 0;
  for (let i = 0; i < TICKS; i++) {
    acc[0] += e.processTick(symbol[i], timeMsc[i], bid[i], ask[i], last[i], volume[i], volumeReal[i], flags[i], capturedMs[i])
      + quality[0] + seq[0];
    const t = c0[0] + c1[0] + c2[0] + c3[0] + c4[0] + c5[0] + c6[0] + c7[0] + c8[0] + c9[0] + c10[0] + c11[0] + c12[0];
    if (t === t) acc[0] += t;
  }
  return acc[0];
}

// The batch variant copies from views made once, so that the timed loop allocates nothing.
const BATCH = batchEngine.batchCapacity;
const batchViews = Array.from({ length: Math.ceil(TICKS / BATCH) }, (_, b) => {
  const from = b * BATCH;
  const to = Math.min(TICKS, from + BATCH);
  return {
    n: to - from, symbol: symbol.subarray(from, to), timeMsc: timeMsc.subarray(from, to), bid: bid.subarray(from, to),
    ask: ask.subarray(from, to), last: last.subarray(from, to), volume: volume.subarray(from, to),
    volumeReal: volumeReal.subarray(from, to), flags: flags.subarray(from, to), capturedMs: capturedMs.subarray(from, to),
  };
});

/** WASM, one call per batch, as src/workers/compute.worker.ts drives it. */
function runWasmBatch(): number {
  const e = batchEngine;
  const [c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12] = e.outInd;
  const mask = e.outMask;
  const quality = e.outQuality;
  const seq = e.outSeq;
  acc[0] = 0;
  let inside = 0;
  for (let b = 0; b < batchViews.length; b++) {
    const v = batchViews[b];
    const n = v.n;
    e.inSymbol.set(v.symbol);
    e.inTimeMsc.set(v.timeMsc);
    e.inBid.set(v.bid);
    e.inAsk.set(v.ask);
    e.inLast.set(v.last);
    e.inVolume.set(v.volume);
    e.inVolumeReal.set(v.volumeReal);
    e.inFlags.set(v.flags);
    e.inCapturedMs.set(v.capturedMs);
    const t0 = performance.now();
    e.processBatch(n);
    inside += performance.now() - t0;
    for (let r = 0; r < n; r++) {
      acc[0] += mask[r] + quality[r] + seq[r];
      const t = c0[r] + c1[r] + c2[r] + c3[r] + c4[r] + c5[r] + c6[r] + c7[r] + c8[r] + c9[r] + c10[r] + c11[r] + c12[r];
      if (t === t) acc[0] += t;
    }
  }
  engineMs = inside;
  return acc[0];
}

/**
 * The compute worker's side of a batch (src/workers/compute.worker.ts): the stream's columns stand
 * in for the input ring (capture time, time and volume for its receipt-time and cursor columns).
 */
const workerEngine = Engine.instantiate(module);
for (let id = 0; id < SYMBOLS; id++) workerEngine.configureSymbol(id, stream.limits[id]);
const OUT_RING = 1 << 14; // config ringCapacityTicks default
const outF64 = Array.from({ length: 10 + INDICATOR_COUNT }, () => new Float64Array(OUT_RING));
const outI32 = Array.from({ length: 3 }, () => new Int32Array(OUT_RING));
const stageRecv = new Float64Array(BATCH);
const stageCursorMsc = new Float64Array(BATCH);
const stageCursorCount = new Float64Array(BATCH);
const we = workerEngine;
const workerIn: (readonly [Column, Column])[] = [
  [we.inSymbol, symbol], [we.inFlags, flags], [we.inTimeMsc, timeMsc], [we.inBid, bid], [we.inAsk, ask], [we.inLast, last],
  [we.inVolume, volume], [we.inVolumeReal, volumeReal], [we.inCapturedMs, capturedMs], [stageRecv, capturedMs],
  [stageCursorMsc, timeMsc], [stageCursorCount, volume],
];
const workerOut: (readonly [Column, Column])[] = [
  [outI32[0], we.inSymbol], [outI32[1], we.inFlags], [outI32[2], we.outQuality], [outF64[0], we.inTimeMsc],
  [outF64[1], we.inBid], [outF64[2], we.inAsk], [outF64[3], we.inLast], [outF64[4], we.inVolume],
  [outF64[5], we.inVolumeReal], [outF64[6], stageRecv], [outF64[7], we.outSeq], [outF64[8], stageCursorMsc],
  [outF64[9], stageCursorCount], ...we.outInd.map((c, k) => [outF64[10 + k], c] as const),
];
let workerCursor = 0;

function runWasmWorker(): number {
  const e = workerEngine;
  const mask = e.outMask;
  const [c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12] = outF64.slice(10);
  const quality = outI32[2];
  const seq = outF64[7];
  acc[0] = 0;
  let timed = 0;
  for (let from = 0; from < TICKS; from += BATCH) {
    const n = Math.min(BATCH, TICKS - from);
    const t0 = performance.now();
    for (let c = 0; c < workerIn.length; c++) copyFromRing(workerIn[c][0], workerIn[c][1], from, n);
    const accepted = e.processBatch(n);
    const cursor = workerCursor;
    copyAcceptedToRing(mask, n, workerOut, cursor, OUT_RING - 1);
    workerCursor = cursor + accepted;
    timed += performance.now() - t0;
    // The transport's side, untimed: every row's mask, and the accepted rows' outputs from the ring.
    let k = cursor;
    for (let r = 0; r < n; r++) {
      if (mask[r] !== 0) {
        acc[0] += mask[r] + 0 + 0;
        continue;
      }
      const slot = k++ & (OUT_RING - 1);
      acc[0] += 0 + quality[slot] + seq[slot];
      const t = c0[slot] + c1[slot] + c2[slot] + c3[slot] + c4[slot] + c5[slot] + c6[slot] + c7[slot] + c8[slot] + c9[slot]
        + c10[slot] + c11[slot] + c12[slot];
      if (t === t) acc[0] += t;
    }
  }
  workerMs = timed;
  return acc[0];
}

function runPlain(): number {
  const p = plain;
  const out = p.out;
  acc[0] = 0;
  for (let i = 0; i < TICKS; i++) {
    acc[0] += p.processRow(stream, i) + p.quality + p.seq;
    const t = rowSum(out);
    if (t === t) acc[0] += t;
  }
  return acc[0];
}

let libraries: LibraryIndicators[] = [];
function runLibrary(): number {
  const val = validator;
  acc[0] = 0;
  for (let i = 0; i < TICKS; i++) {
    const id = symbol[i];
    const mask = val.validateRow(stream, i);
    acc[0] += mask + val.quality;
    if (mask !== 0) continue;
    acc[0] += val.accepted(id);
    libraries[id].push(val.mid, libOut);
    const t = rowSum(libOut);
    if (t === t) acc[0] += t;
  }
  return acc[0];
}

/** Per-tick outputs for verify(): the variant's own call, then its 13 outputs in `row`. */
function verifyPerTick(step: (i: number, row: Float64Array) => boolean, sums: Float64Array): void {
  const row = new Float64Array(INDICATOR_COUNT);
  const accepted = new Float64Array(SYMBOLS);
  for (let i = 0; i < TICKS; i++) {
    if (!step(i, row)) continue;
    if (++accepted[symbol[i]] <= STEADY_AFTER) continue;
    for (let k = 0; k < INDICATOR_COUNT; k++) sums[k] += row[k];
  }
}

function resetEngine(e: Engine): void {
  for (let id = 0; id < SYMBOLS; id++) e.resetSymbol(id);
}
function resetPlain(p: PlainTsEngine): void {
  for (let id = 0; id < SYMBOLS; id++) p.resetSymbol(id);
}
function resetLibraries(make: () => LibraryIndicators): void {
  resetPlain(validator);
  libraries = Array.from({ length: SYMBOLS }, make);
}
function libraryStep(i: number, row: Float64Array): boolean {
  const id = symbol[i];
  if (validator.validateRow(stream, i) !== 0) return false;
  libraries[id].push(validator.mid, row);
  return true;
}

const fast = { warmup: args.quick ? 10 : 20, repeats: args.quick ? 5 : 15 };
const variants: Variant[] = [
  {
    key: 'wasm_tick', includes: 'validation + indicators, JS→WASM call per tick, outputs read per tick', ...fast,
    reset: () => resetEngine(tickEngine),
    run: runWasmTick,
    verify: (sums) => verifyPerTick((i, row) => {
      const mask = tickEngine.processTick(symbol[i], timeMsc[i], bid[i], ask[i], last[i], volume[i], volumeReal[i], flags[i], capturedMs[i]);
      for (let k = 0; k < INDICATOR_COUNT; k++) row[k] = tickEngine.outInd[k][0];
      return mask === 0;
    }, sums),
  },
  {
    key: 'wasm_batch', includes: `copy in ${BATCH}-tick batches + processBatch + read output columns`, ...fast,
    reset: () => resetEngine(batchEngine),
    run: runWasmBatch,
    verify: (sums) => {
      const accepted = new Float64Array(SYMBOLS);
      for (const v of batchViews) {
        batchEngine.inSymbol.set(v.symbol); batchEngine.inTimeMsc.set(v.timeMsc); batchEngine.inBid.set(v.bid);
        batchEngine.inAsk.set(v.ask); batchEngine.inLast.set(v.last); batchEngine.inVolume.set(v.volume);
        batchEngine.inVolumeReal.set(v.volumeReal); batchEngine.inFlags.set(v.flags); batchEngine.inCapturedMs.set(v.capturedMs);
        batchEngine.processBatch(v.n);
        for (let r = 0; r < v.n; r++) {
          if (batchEngine.outMask[r] !== 0 || ++accepted[v.symbol[r]] <= STEADY_AFTER) continue;
          for (let k = 0; k < INDICATOR_COUNT; k++) sums[k] += batchEngine.outInd[k][r];
        }
      }
    },
  },
  {
    key: 'wasm_batch_worker', includes: 'compute worker per batch: bulk copy in + processBatch + accepted rows bulk-copied to a ring', ...fast,
    reset: () => { resetEngine(workerEngine); workerCursor = 0; },
    run: runWasmWorker,
    verify: (sums) => {
      const accepted = new Float64Array(SYMBOLS);
      for (let from = 0; from < TICKS; from += BATCH) {
        const n = Math.min(BATCH, TICKS - from);
        for (let c = 0; c < workerIn.length; c++) copyFromRing(workerIn[c][0], workerIn[c][1], from, n);
        const cursor = workerCursor;
        workerCursor += workerEngine.processBatch(n);
        copyAcceptedToRing(workerEngine.outMask, n, workerOut, cursor, OUT_RING - 1);
        let k = cursor;
        for (let r = 0; r < n; r++) {
          if (workerEngine.outMask[r] !== 0) continue;
          const slot = k++ & (OUT_RING - 1);
          if (++accepted[symbol[from + r]] <= STEADY_AFTER) continue;
          for (let j = 0; j < INDICATOR_COUNT; j++) sums[j] += outF64[10 + j][slot];
        }
      }
    },
  },
  {
    key: 'plain_ts', includes: 'the same validation + indicators in plain TypeScript, per tick (row API)', ...fast,
    reset: () => resetPlain(plain),
    run: runPlain,
    verify: (sums) => verifyPerTick((i, row) => {
      const mask = plain.processRow(stream, i);
      row.set(plain.out);
      return mask === 0;
    }, sums),
  },
  {
    key: 'trading_signals', includes: 'plain-TS validation + trading-signals 8.3 (9 objects per symbol, add())',
    warmup: 1, repeats: args.quick ? 3 : 5,
    reset: () => resetLibraries(() => new TradingSignalsIndicators()),
    run: runLibrary,
    verify: (sums) => verifyPerTick(libraryStep, sums),
  },
  {
    key: 'technicalindicators', includes: 'plain-TS validation + technicalindicators 3.1 (nextValue())',
    warmup: 1, repeats: args.quick ? 2 : 3,
    reset: () => resetLibraries(() => new TechnicalIndicatorsIndicators()),
    run: runLibrary,
    verify: (sums) => verifyPerTick(libraryStep, sums),
  },
];

// ── measure ───────────────────────────────────────────────────────────────────────────────────
const loadBefore = loadavg()[0];
interface Measured { ns: Summary; checksum: number; checksumsAgree: boolean; gcCount: number; gcKinds: GcKinds; steady: Float64Array }
const measured = new Map<string, Measured>();
let engineOnly: Summary | undefined;

for (const v of variants) {
  const steady = new Float64Array(INDICATOR_COUNT);
  v.reset();
  v.verify(steady);
  let checksum = Number.NaN;
  let checksumsAgree = true;
  const once = (): number => {
    v.reset();
    const t0 = performance.now();
    const c = v.run();
    const ms = v.key === 'wasm_batch_worker' ? workerMs : performance.now() - t0;
    const ns = (ms * 1e6) / TICKS;
    if (Number.isNaN(checksum)) checksum = c;
    else if (c !== checksum) checksumsAgree = false;
    return ns;
  };
  fullGc(); // before warming up: a full collection can discard optimized code (lib/gc.ts)
  for (let i = 0; i < v.warmup; i++) once();
  minorGc(); // warm-up garbage must not be collected inside the counted window
  await settleGcEntries();
  const gc = new GcKindCounter();
  const samples: number[] = [];
  const engineSamples: number[] = [];
  for (let i = 0; i < v.repeats; i++) {
    samples.push(once());
    if (v.key === 'wasm_batch') engineSamples.push((engineMs * 1e6) / TICKS);
  }
  const gcs = await gc.stop();
  if (v.key === 'wasm_batch') engineOnly = summarize(engineSamples);
  measured.set(v.key, { ns: summarize(samples), checksum, checksumsAgree, gcCount: gcs.minor + gcs.major + gcs.incremental + gcs.weak, gcKinds: { ...gcs }, steady });
}
const loadAfter = loadavg()[0];

// ── report ────────────────────────────────────────────────────────────────────────────────────
const get = (k: string): Measured => measured.get(k)!;
const tsNs = get('trading_signals').ns.median;
const nsPerTick: Record<string, number> = {};
const ratio: Record<string, number> = {};
const spread: Record<string, { min: number; max: number; spread: number }> = {};
for (const v of variants) {
  const m = get(v.key);
  nsPerTick[v.key] = m.ns.median;
  spread[v.key] = { min: m.ns.min, max: m.ns.max, spread: m.ns.spread };
  if (v.key === 'wasm_batch' && engineOnly) {
    nsPerTick.wasm_batch_engine = engineOnly.median;
    spread.wasm_batch_engine = { min: engineOnly.min, max: engineOnly.max, spread: engineOnly.spread };
  }
}
for (const [k, ns] of Object.entries(nsPerTick)) ratio[k] = tsNs / ns;

const reference = get('wasm_batch');
const relative = (a: number, b: number): number => (a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b)));
const checksums: Record<string, number> = {};
const checksumVsWasm: Record<string, number> = {};
for (const v of variants) {
  checksums[v.key] = get(v.key).checksum;
  checksumVsWasm[v.key] = relative(get(v.key).checksum, get('wasm_tick').checksum);
}
const wasmAgrees = ['wasm_batch', 'wasm_batch_worker', 'plain_ts'].every((k) => checksumVsWasm[k] <= 1e-9)
  && variants.every((v) => get(v.key).checksumsAgree);
const perIndicator: Record<string, Record<string, number>> = {};
for (const v of variants) {
  perIndicator[v.key] = Object.fromEntries(INDICATOR_NAMES.map((name, k) => [name, relative(get(v.key).steady[k], reference.steady[k])]));
}

const gc: Record<string, number> = Object.fromEntries(variants.map((v) => [v.key, get(v.key).gcCount]));
const steadyStateGcCount = gc.wasm_tick + gc.wasm_batch;
const fmtGc = (k: GcKinds): string => {
  const total = k.minor + k.major + k.incremental + k.weak;
  return total === 0 ? '0' : `${total} (${k.minor} scavenge, ${k.major + k.incremental} full)`;
};
const fmtRatio = (x: number): string => `${x >= 100 ? x.toFixed(0) : x.toFixed(1)}×`;
const rows = Object.keys(nsPerTick).map((k) => {
  const m = measured.get(k);
  const v = variants.find((x) => x.key === k);
  return [
    k, nsPerTick[k], spread[k].min, spread[k].max, `${(spread[k].spread * 100).toFixed(1)}%`, fmtRatio(ratio[k]),
    m ? fmtGc(m.gcKinds) : '(in wasm_batch)', m ? m.checksum.toPrecision(15) : '', v?.includes ?? 'time inside processBatch only',
  ];
});
const agreementRows = INDICATOR_NAMES.map((name) => [name, ...variants.map((v) => perIndicator[v.key][name].toExponential(1))]);
const quiet = loadBefore < 0.5 && loadAfter < 0.5;
const text = [
  `${TICKS} ticks, ${SYMBOLS} interleaved symbols, ${stream.injectedBad} injected bad ticks; 8 validation rules + 13 indicator outputs per accepted tick.`,
  `load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after${quiet ? '' : ' — the machine was busy: quote ratios (same run), not absolute times'}.`,
  '',
  table(['variant', 'ns/tick (median)', 'min', 'max', 'spread', '× trading-signals', 'GCs', 'checksum', 'what is timed'], rows),
  '',
  `checksums: WASM per tick, WASM batch and plain TypeScript ${wasmAgrees ? 'agree (≤ 1e-9 relative)' : 'DISAGREE'}; every repeat of every variant gave its first checksum: ${variants.every((v) => get(v.key).checksumsAgree)}.`,
  `GCs during the timed WASM runs: ${steadyStateGcCount} (the worker model, whose bulk copies allocate a few subarray views per batch: ${gc.wasm_batch_worker}; plain TypeScript: ${gc.plain_ts}; the libraries allocate per tick: ${gc.trading_signals} and ${gc.technicalindicators}).`,
  `Targets: ${nsPerTick.wasm_batch_engine.toFixed(1)} ns/tick in WASM (≤ 30: ${nsPerTick.wasm_batch_engine <= 30 ? 'met' : 'missed'}); `
    + `wasm_batch ${ratio.wasm_batch.toFixed(1)}× trading-signals, both doing and reading all the work (≥ 30×: ${ratio.wasm_batch >= 30 ? 'met' : 'missed'}); `
    + `wasm_batch_worker ${ratio.wasm_batch_worker.toFixed(1)}×, the compute worker's copies and the engine (≥ 30×: ${ratio.wasm_batch_worker >= 30 ? 'met' : 'missed'}).`,
  '',
  `Per indicator, relative difference of the steady-state sums from WASM batch (each symbol's ticks after its ${STEADY_AFTER}th):`,
  table(['indicator', ...variants.map((v) => v.key)], agreementRows),
  '  (trading-signals seeds EMAs with the first price and smooths RSI its own way; technicalindicators rounds RSI to 2 decimals.)',
].join('\n');

report('indicators', args, text, {
  command: `npm run bench:indicators -- --json${args.quick ? ' --quick' : ''}`,
  ticks: TICKS,
  symbols: SYMBOLS,
  invalid_rate: INVALID_RATE,
  load_average: { before: loadBefore, after: loadAfter },
  ns_per_tick: nsPerTick,
  ns_per_tick_spread: spread,
  ratio_vs_trading_signals: ratio,
  gc,
  gc_kinds: Object.fromEntries(variants.map((v) => [v.key, get(v.key).gcKinds])),
  steady_state_gc_count: steadyStateGcCount,
  steady_state_scavenges: get('wasm_tick').gcKinds.minor + get('wasm_batch').gcKinds.minor,
  checksums,
  checksum_relative_to_wasm_tick: checksumVsWasm,
  checksums_agree: wasmAgrees,
  per_indicator_relative_to_wasm: perIndicator,
  targets: {
    ns_basis: 'wasm_batch_engine: validation + 13 indicators inside processBatch',
    wasm_ns_per_tick: nsPerTick.wasm_batch_engine,
    wasm_ns_per_tick_le_30: nsPerTick.wasm_batch_engine <= 30,
    ratio_basis: 'wasm_batch (copy in + processBatch + read every output) vs trading_signals (validation + library + read every output)',
    ratio: ratio.wasm_batch,
    ratio_ge_30: ratio.wasm_batch >= 30,
    worker_ratio_basis: 'wasm_batch_worker (the compute worker: bulk copy in + processBatch + accepted rows bulk-copied to the output ring) vs trading_signals',
    worker_ratio: ratio.wasm_batch_worker,
    worker_ratio_ge_30: ratio.wasm_batch_worker >= 30,
  },
});
