/**
 * Compute worker: one per lane. Consumes the lane's input ring (raw ticks from the EA link),
 * runs validation and indicators in WASM one batch at a time, and publishes accepted ticks with
 * their indicator values to the lane's output ring for the transport worker.
 *
 *   input ring ──► copy batch into WASM columns ──► release ──► processBatch(n) (one call)
 *        ──► copy accepted rows + indicators into the output ring ──► publish + doorbell
 *
 * The loop blocks in Atomics.wait when idle, so this thread has no event loop to speak of: it
 * talks to main only through shared memory (symbol table, lane statistics, ring close flags).
 */
import { recordAge } from '../shared/age-histogram.js';
import { notePeakMemory } from '../shared/memory-peak.js';
import { workerData } from 'node:worker_threads';
import {
  IN_F64_ASK, IN_F64_BID, IN_F64_CAPTURED_MS, IN_F64_CURSOR_COUNT, IN_F64_CURSOR_MSC, IN_F64_LAST, IN_F64_TIME_MSC,
  IN_F64_VOLUME, IN_F64_VOLUME_REAL, IN_F64_RECV_MS, IN_I32_FLAGS, IN_I32_SYMBOL, INDICATOR_COUNT, OUT_F64_ASK,
  OUT_F64_BID, OUT_F64_CURSOR_COUNT, OUT_F64_CURSOR_MSC, OUT_F64_IND0, OUT_F64_LAST, OUT_F64_RECV_MS, OUT_F64_SEQ, OUT_F64_TIME_MSC, OUT_F64_VOLUME, OUT_F64_VOLUME_REAL,
  OUT_I32_FLAGS, OUT_I32_QUALITY, OUT_I32_SYMBOL, REASON_COUNT,
} from '../shared/ring-layout.js';
import {
  LS_ACCEPTED, LS_BATCHES, LS_EXTERNAL_PEAK, LS_HEADER, LS_HEAP_PEAK, LS_OUTPUT_WAITS, LS_PICKUP_AGE, LS_REJECTED, LS_SYM_FIELDS, LS_SYM_REASON0, LS_SYM_ACCEPTED, LS_SYM_REJECTED, LS_TICKS_IN, MAX_SYMBOLS,
  SYM_DEFINED, SYM_FIELDS, SYM_FUTURE_TOLERANCE_MS, SYM_MAX_SPREAD_POINTS, SYM_POINT, SYM_SPIKE_FACTOR,
  SYM_SPIKE_MIN_POINTS, SYM_STALE_MS, SYM_TICK_SEQUENCE_BASE,
} from '../shared/lanes.js';
import { Doorbell, SpscRing, type RingHandle } from '../shared/ring.js';
import { copyAcceptedToRing, copyFromRing, Engine, type Column } from './engine.js';

export interface ComputeWorkerData {
  lane: number;
  module: WebAssembly.Module;
  input: RingHandle;
  output: RingHandle;
  doorbell: SharedArrayBuffer;
  symbolTable: Float64Array;
  laneStats: Float64Array;
}

const data = workerData as ComputeWorkerData;
const input = new SpscRing(data.input);
const output = new SpscRing(data.output);
const doorbell = new Doorbell(data.doorbell);
const symbols = data.symbolTable;
const stats = data.laneStats;
const engine = Engine.instantiate(data.module);
const configured = new Uint8Array(MAX_SYMBOLS);
/** Per symbol: the sequence_number an earlier run reached (the spool's), added to the engine's. */
const sequenceBase = new Float64Array(MAX_SYMBOLS);
const seenSymbols = new Int32Array(MAX_SYMBOLS);
let seenCount = 0;
/** Counters are copied from WASM to the shared stats at most this often (and at the end). */
const STATS_EVERY_MS = 50;
const IDLE_WAIT_MS = 50;
const limits = { point: 0, maxSpreadPoints: 0, staleMs: 0, futureToleranceMs: 0, spikeMinPoints: 0, spikeFactor: 0 };

function configure(symbol: number): void {
  const base = symbol * SYM_FIELDS;
  if (symbols[base + SYM_DEFINED] !== 1) {
    throw new Error(`lane ${data.lane}: tick for symbol id ${symbol} that main never defined`);
  }
  sequenceBase[symbol] = symbols[base + SYM_TICK_SEQUENCE_BASE];
  limits.point = symbols[base + SYM_POINT];
  limits.maxSpreadPoints = symbols[base + SYM_MAX_SPREAD_POINTS];
  limits.staleMs = symbols[base + SYM_STALE_MS];
  limits.futureToleranceMs = symbols[base + SYM_FUTURE_TOLERANCE_MS];
  limits.spikeMinPoints = symbols[base + SYM_SPIKE_MIN_POINTS];
  limits.spikeFactor = symbols[base + SYM_SPIKE_FACTOR];
  engine.configureSymbol(symbol, limits);
  configured[symbol] = 1;
  seenSymbols[seenCount++] = symbol;
}

function publishStats(): void {
  notePeakMemory(stats, LS_HEAP_PEAK, LS_EXTERNAL_PEAK);
  for (let k = 0; k < seenCount; k++) {
    const symbol = seenSymbols[k];
    const counters = engine.counters(symbol);
    const base = LS_HEADER + symbol * LS_SYM_FIELDS;
    stats[base + LS_SYM_ACCEPTED] = counters[0];
    stats[base + LS_SYM_REJECTED] = counters[1];
    for (let r = 0; r < REASON_COUNT; r++) stats[base + LS_SYM_REASON0 + r] = counters[2 + r];
  }
}

function run(): void {
  const batchMax = Math.min(engine.batchCapacity, output.capacity);
  const inTime = input.f64[IN_F64_TIME_MSC];
  const inBid = input.f64[IN_F64_BID];
  const inAsk = input.f64[IN_F64_ASK];
  const inLast = input.f64[IN_F64_LAST];
  const inVolume = input.f64[IN_F64_VOLUME];
  const inVolumeReal = input.f64[IN_F64_VOLUME_REAL];
  const inRecv = input.f64[IN_F64_RECV_MS];
  const inCaptured = input.f64[IN_F64_CAPTURED_MS];
  const inCursorMsc = input.f64[IN_F64_CURSOR_MSC];
  const inCursorCount = input.f64[IN_F64_CURSOR_COUNT];
  const inSymbol = input.i32[IN_I32_SYMBOL];
  const inFlags = input.i32[IN_I32_FLAGS];
  const outTime = output.f64[OUT_F64_TIME_MSC];
  const outBid = output.f64[OUT_F64_BID];
  const outAsk = output.f64[OUT_F64_ASK];
  const outLast = output.f64[OUT_F64_LAST];
  const outVolume = output.f64[OUT_F64_VOLUME];
  const outVolumeReal = output.f64[OUT_F64_VOLUME_REAL];
  const outRecv = output.f64[OUT_F64_RECV_MS];
  const outSeq = output.f64[OUT_F64_SEQ];
  const outCursorMsc = output.f64[OUT_F64_CURSOR_MSC];
  const outCursorCount = output.f64[OUT_F64_CURSOR_COUNT];
  const outSymbol = output.i32[OUT_I32_SYMBOL];
  const outFlags = output.i32[OUT_I32_FLAGS];
  const outQuality = output.i32[OUT_I32_QUALITY];
  const outInd = output.f64.slice(OUT_F64_IND0, OUT_F64_IND0 + INDICATOR_COUNT);
  // Receipt times do not enter WASM; they ride along in a JS-side copy of the batch.
  const recvOfRow = new Float64Array(batchMax);
  const cursorMscOfRow = new Float64Array(batchMax);
  const cursorCountOfRow = new Float64Array(batchMax);
  // [destination, source] column pairs of the two bulk copies (ring → engine rows, accepted rows → ring).
  const columnsIn: (readonly [Column, Column])[] = [
    [engine.inSymbol, inSymbol], [engine.inFlags, inFlags], [engine.inTimeMsc, inTime], [engine.inBid, inBid],
    [engine.inAsk, inAsk], [engine.inLast, inLast], [engine.inVolume, inVolume], [engine.inVolumeReal, inVolumeReal],
    [engine.inCapturedMs, inCaptured], [recvOfRow, inRecv], [cursorMscOfRow, inCursorMsc], [cursorCountOfRow, inCursorCount],
  ];
  const columnsOut: (readonly [Column, Column])[] = [
    [outSymbol, engine.inSymbol], [outFlags, engine.inFlags], [outQuality, engine.outQuality], [outTime, engine.inTimeMsc],
    [outBid, engine.inBid], [outAsk, engine.inAsk], [outLast, engine.inLast], [outVolume, engine.inVolume],
    [outVolumeReal, engine.inVolumeReal], [outRecv, recvOfRow], [outSeq, engine.outSeq], [outCursorMsc, cursorMscOfRow],
    [outCursorCount, cursorCountOfRow], ...outInd.map((column, k) => [column, engine.outInd[k]] as const),
  ];
  let lastStatsAt = performance.now();

  for (;;) {
    let n = input.waitForData(IDLE_WAIT_MS);
    if (n === 0) {
      if (input.isClosed() && input.available() === 0) break;
      const now = performance.now();
      if (now - lastStatsAt >= STATS_EVERY_MS) { publishStats(); lastStatsAt = now; }
      continue;
    }
    if (n > batchMax) n = batchMax;
    // One bulk copy per column (two when the batch wraps the ring), then the symbols checked.
    const first = input.readSequence & input.mask;
    for (let c = 0; c < columnsIn.length; c++) copyFromRing(columnsIn[c][0], columnsIn[c][1], first, n);
    const rowSymbol = engine.inSymbol;
    for (let i = 0; i < n; i++) {
      const symbol = rowSymbol[i];
      if (configured[symbol] === 0) configure(symbol);
    }
    input.release(n);
    recordAge(stats, LS_PICKUP_AGE, performance.timeOrigin + performance.now() - recvOfRow[0]);
    const accepted = engine.processBatch(n);
    stats[LS_TICKS_IN] += n;
    stats[LS_ACCEPTED] += accepted;
    stats[LS_REJECTED] += n - accepted;
    stats[LS_BATCHES]++;
    if (accepted > 0) {
      if (output.claimable() < accepted) {
        stats[LS_OUTPUT_WAITS]++;
        // The transport is behind: wait (this is how backpressure reaches the input ring and the EA).
        while (output.waitForSpace(accepted, IDLE_WAIT_MS) < accepted) { /* keep waiting */ }
      }
      // Runs of accepted rows, one bulk copy per column each; then each symbol's sequence base.
      const cursor = output.cursor;
      const wmask = output.mask;
      copyAcceptedToRing(engine.outMask, n, columnsOut, cursor, wmask);
      for (let k = 0; k < accepted; k++) {
        const slot = (cursor + k) & wmask;
        outSeq[slot] += sequenceBase[outSymbol[slot]];
      }
      output.publish(accepted);
      doorbell.ring();
    }
    const now = performance.now();
    if (now - lastStatsAt >= STATS_EVERY_MS) { publishStats(); lastStatsAt = now; }
  }
  publishStats();
  output.close();
  doorbell.ring();
}

run();
