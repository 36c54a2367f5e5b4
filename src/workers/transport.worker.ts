/**
 * Transport worker: drains every lane's output ring into micro-batches, encodes each in the
 * encoding the backend link negotiated — `Envelope{MarketDataColumns}` (columnar) or
 * `Envelope{MarketDataStream}` (row) — sends it to the backend and keeps it until the backend's
 * cumulative ack.
 *
 *   output rings (one per lane) ──doorbell──► encoder ──seal──► BatchStore ──► BackendLink
 *                                   (ColumnarEncoder │ BatchEncoder)  ▲ ackThrough   │
 *                                                   ▲ flush rules     └──── Ack ◄────┘
 *
 * Until a link opens, batches are encoded in the preferred encoding. When a link opens in the
 * other one, the open batch is sealed as it is and the encoder switches; stored batches go out
 * again as they are, except columnar ones on a row link, which are re-encoded (ColumnarToRow).
 *
 * Flush rules: a batch is sealed when it holds maxBatchTicks, when its first tick is
 * maxBatchDelayMs old, or at once while fewer than eagerInFlightBatches are in flight — so
 * latency stays minimal at low rates and batches grow under load. When maxUnackedBatches or
 * maxUnackedBytes are unacked (a slow or absent
 * backend) the worker stops draining: the output rings fill, the compute workers wait, the input
 * rings fill and the EA link pauses the EA. Nothing is dropped anywhere on that path.
 *
 * Durability (spool.enabled): the store is the durable spool. A batch goes out only once its
 * record is written; the record carries, per symbol of the batch, the resume cursor after its last
 * tick (read from the output ring's cursor columns as the batch is filled), so that a restarted
 * bridge resumes the EA from exactly what is on disk. Sequences continue across restarts. Stored
 * batches are sent by a replay that follows `sentThrough` — after a link opens, after a restart,
 * after a write held back by a full disk — a few megabytes at a time, and a new batch goes out
 * directly only once the replay has caught up, so the backend always gets them in order. The
 * spool's bounds (not maxUnackedBatches/maxUnackedBytes, which bound the in-memory store) decide
 * when the worker stops draining.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { clientmt5 } from '../gen/clientmt5.js';
import type { Config, WireEncoding } from '../shared/config.js';
import { toWire } from '../shared/errors.js';
import type { FailoverEvent, LinkEvent } from '../shared/link-events.js';
import {
  MAX_SYMBOLS, readSymbolName, TS_BATCHES_ACKED, TS_BATCHES_SENT, TS_BYTES_SENT, TS_LAST_ACKED_SEQ,
  TS_PENDING_TICKS, TS_RECONNECTS, TS_REPLAYED_BATCHES, TS_SPOOL_BATCHES, TS_SPOOL_BYTES, TS_SPOOL_CORRUPT_RECORDS,
  TS_SPOOL_DISK_BYTES, TS_SPOOL_DROPPED_BATCHES, TS_SPOOL_DROPPED_TICKS, TS_SPOOL_FAILING, TS_SPOOL_MAX_BYTES,
  TS_SPOOL_RECOVERED_BATCHES, TS_SPOOL_WRITE_ERRORS, TS_TICKS_ACKED, TS_TICKS_SENT, TS_UNACKED_BATCHES, TS_PICKUP_AGE,
  TS_SENT_AGE, TS_HEAP_PEAK, TS_EXTERNAL_PEAK,
} from '../shared/lanes.js';
import { recordAge } from '../shared/age-histogram.js';
import { MEMORY_SAMPLE_EVERY_MS, notePeakMemory } from '../shared/memory-peak.js';
import { OUT_F64_CURSOR_COUNT, OUT_F64_CURSOR_MSC, OUT_F64_RECV_MS, OUT_F64_SEQ, OUT_I32_SYMBOL } from '../shared/ring-layout.js';
import { Doorbell, SpscRing, type RingHandle } from '../shared/ring.js';
import { BackendLink, preferredEncoding } from './backend-link.js';
import { encodeClientHeartbeat } from './heartbeat-frame.js';
import { LinkMonitor } from './link-monitor.js';
import { BatchEncoder } from './batch-encoder.js';
import { ColumnarEncoder, type TickBatchEncoder } from './columnar-encoder.js';
import { ColumnarToRow, isColumnarFrame } from './columnar-transcoder.js';
import { FramePool } from './frame-pool.js';
import { DiskSpool } from './spool/disk-spool.js';
import { MemoryBatchStore, type BatchCursor, type BatchStore } from './unacked-batches.js';
import { commandData, TradingOutbox } from './trading-frames.js';
import type { TradingFromTransport, TradingToTransport } from '../shared/trading.js';

export interface TransportWorkerData {
  outputs: RingHandle[];
  doorbell: SharedArrayBuffer;
  symbolNames: Uint8Array;
  /**
   * The symbol table main writes before any tick of a symbol (lanes.ts): the columnar encoder
   * reads each symbol's point from it. Without it, columnar prices travel as doubles.
   */
  symbolTable?: Float64Array;
  stats: Float64Array;
  /** Without `spool` (or with spool.enabled false) unacked batches are kept in memory only. */
  config: Pick<Config, 'transport' | 'backend'> & Partial<Pick<Config, 'spool'>>;
}

/** Messages main sends to this worker. */
export type TransportCommand = { type: 'drain' } | { type: 'stop' } | TradingToTransport;
/** Messages this worker sends to main. */
export type TransportEvent =
  | LinkEvent
  | FailoverEvent
  | { type: 'backend-error'; code: string; message: string }
  | { type: 'ready' }
  | { type: 'drained'; unacked: number }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | { type: 'error'; error: { code: string; message: string } }
  | TradingFromTransport;

const data = workerData as TransportWorkerData;
const { transport, backend } = data.config;
const rings = data.outputs.map((h) => new SpscRing(h));
const doorbell = new Doorbell(data.doorbell);
const stats = data.stats;
const encoders: Record<WireEncoding, TickBatchEncoder | null> = { row: null, columnar: null, 'columnar-latest': null };
let transcoder: ColumnarToRow | null = null;
const spoolConfig = data.config.spool;
const spool = spoolConfig?.enabled === true
  ? new DiskSpool({ ...spoolConfig, log: (level, message) => post({ type: 'log', level, message }) })
  : null;
const store: BatchStore = spool ?? new MemoryBatchStore();
/**
 * Columnar frames' memory, reused once the spool holds a frame on disk and ws has written it
 * (frame-pool.ts). Without the spool the store keeps every frame until its ack: no pool then.
 */
const frames = spool !== null ? new FramePool() : null;
const acquireFrame = frames !== null ? (bytes: number) => frames.acquire(bytes) : undefined;
/** The encoder batches are filled in: the link's encoding, or before any link the preferred one. */
let encoder = encoderFor(preferredEncoding(transport.encoding));
let nextSequence = store.nextSequence;
/** The highest batch sent on the current link; stored batches above it go out by replay(). */
let sentThrough = 0;
let linkEncoding: WireEncoding = 'columnar';
/** Stored batches the replay has in the socket at most: resending a large spool is not a memory spike. */
const REPLAY_BUFFERED_BYTES = 4 * 1024 * 1024;
/** Per ring: the sequence up to which its entries are in a batch (the encoder takes from there). */
const taken = rings.map((r) => r.readSequence);
// The open batch's resume cursors, per symbol id (from the output rings' cursor columns).
const cursorMsc = new Float64Array(MAX_SYMBOLS);
const cursorCount = new Float64Array(MAX_SYMBOLS);
const cursorSeq = new Float64Array(MAX_SYMBOLS);
const inBatch = new Uint8Array(MAX_SYMBOLS);
const touched = new Int32Array(MAX_SYMBOLS);
let touchedCount = 0;
const cursorOfId: BatchCursor[] = [];
const batchCursors: BatchCursor[] = [];
let draining = false;
let stopped = false;
/** The open batch's oldest tick: when main received it (for TS_SENT_AGE). */
let batchOldestRecvMs = Infinity;

const monitor = new LinkMonitor(backend.endpoints, stats, post);
const link = new BackendLink(
  { endpoints: backend.endpoints, jwt: backend.jwt, heartbeatIntervalMs: transport.heartbeatIntervalMs,
    linkTimeoutMs: transport.linkTimeoutMs, connectTimeoutMs: transport.connectTimeoutMs, failbackAfterMs: transport.failbackAfterMs,
    reconnectMinMs: transport.reconnectMinMs, reconnectMaxMs: transport.reconnectMaxMs, encoding: transport.encoding },
  {
    onOpen(index, encoding, info) {
      monitor.opened(index, encoding, info, store.size, link);
      linkEncoding = encoding;
      // At-least-once: everything unacked goes again, in order, before anything new.
      sentThrough = store.ackedThrough;
      const next = encoderFor(encoding);
      if (next !== encoder) {
        if (encoder.count > 0) seal(); // stored, and sent by the replay in the link's encoding
        encoder = next;
      }
      replay();
      pump();
      trading.onOpen();
    },
    onMessage(bytes) {
      let env: clientmt5.v1.Envelope;
      try {
        env = clientmt5.v1.Envelope.decode(bytes);
      } catch (err) {
        post({ type: 'backend-error', code: 'BACKEND_BAD_FRAME', message: `undecodable frame from backend: ${(err as Error).message}` });
        return;
      }
      if (env.ack) {
        const acked = store.ackThrough(env.ack.batch_sequence ?? 0);
        stats[TS_TICKS_ACKED] += acked;
        stats[TS_LAST_ACKED_SEQ] = Math.max(stats[TS_LAST_ACKED_SEQ], env.ack.batch_sequence ?? 0);
        stats[TS_BATCHES_ACKED] = stats[TS_LAST_ACKED_SEQ];
        stats[TS_UNACKED_BATCHES] = store.size;
        publishSpoolStats();
        monitor.acked();
        const reports = env.ack.report_sequence ?? 0;
        if (reports > 0 && trading.ackThrough(reports)) post({ type: 'reports-acked', through: reports });
        pump();
      } else if (env.trading_command) {
        post({ type: 'trading-command', command: commandData(env.trading_command) });
      } else if (env.error) {
        post({ type: 'backend-error', code: env.error.code ?? '', message: env.error.message ?? '' });
      }
    },
    onEncodingRefused(_index, reason) {
      post({ type: 'backend-error', code: 'BACKEND_UNREACHABLE', message: reason });
    },
    onClose(index, reason, info) {
      monitor.closed(index, reason, info, link);
    },
    heartbeatFrame: () => encodeClientHeartbeat(Date.now(), nextSequence - 1),
  },
);
/** Execution reports, the account profile and price streams main hands over (commands go to main). */
const trading = new TradingOutbox(link);

function post(event: TransportEvent): void {
  parentPort?.postMessage(event);
}

function encoderFor(encoding: WireEncoding): TickBatchEncoder {
  let e = encoders[encoding];
  if (e === null) {
    e = encoding === 'row'
      ? new BatchEncoder(transport.maxBatchTicks, data.symbolNames, backend.tenantId)
      : new ColumnarEncoder(transport.maxBatchTicks, data.symbolNames, backend.tenantId, data.symbolTable,
        encoding === 'columnar-latest' ? 'latest' : 'per-tick', acquireFrame);
    encoders[encoding] = e;
  }
  return e;
}

/** A stored columnar batch for a row link (failover to a backend that does not speak columnar). */
function toRow(bytes: Uint8Array): Uint8Array {
  transcoder ??= new ColumnarToRow(transport.maxBatchTicks, backend.tenantId);
  return transcoder.transcode(bytes);
}

/** Backpressure: stop taking ticks when too much is unacked or the socket is not writing. */
function blocked(): boolean {
  if (link.bufferedAmount > transport.maxUnackedBytes) return true;
  if (spool !== null) return spool.full;
  return store.size >= transport.maxUnackedBatches || store.bytes >= transport.maxUnackedBytes;
}

/** Seals the open batch into the store; true when it is durable (and may be sent). */
function seal(): boolean {
  const ticks = encoder.count;
  const oldestRecvMs = batchOldestRecvMs;
  batchOldestRecvMs = Infinity;
  const sequence = nextSequence++;
  const bytes = encoder.seal(sequence);
  batchCursors.length = 0;
  for (let k = 0; k < touchedCount; k++) {
    const id = touched[k];
    inBatch[id] = 0;
    let c = cursorOfId[id];
    if (c === undefined) {
      const name = readSymbolName(data.symbolNames, id);
      c = cursorOfId[id] = { name, nameBytes: new TextEncoder().encode(name), timeMsc: 0, countAtMsc: 0, tickSequence: 0 };
    }
    c.timeMsc = cursorMsc[id];
    c.countAtMsc = cursorCount[id];
    c.tickSequence = cursorSeq[id];
    batchCursors.push(c);
  }
  touchedCount = 0;
  const durable = store.append(sequence, bytes, ticks, batchCursors);
  stats[TS_BATCHES_SENT]++;
  stats[TS_TICKS_SENT] += ticks;
  stats[TS_BYTES_SENT] += bytes.byteLength;
  stats[TS_UNACKED_BATCHES] = store.size;
  publishSpoolStats();
  if (durable && link.isOpen && sentThrough === sequence - 1) {
    // Only the batch sealed as a link of the other encoding opens can be columnar on a row link.
    if (linkEncoding === 'row' && encoder !== encoders.row) {
      link.send(toRow(bytes));
      frames?.release(bytes);
    } else if (frames === null) {
      link.send(bytes);
    } else {
      sendPooled(frames, bytes);
    }
    sentThrough = sequence;
    recordAge(stats, TS_SENT_AGE, performance.timeOrigin + performance.now() - oldestRecvMs);
  } else if (durable) {
    frames?.release(bytes); // on disk: a replay reads it from there
  }
  return durable;
}

/**
 * Sends a pooled frame and gives it back as soon as the socket has it: at once when the kernel
 * took it all during send() (nothing buffered after it, the usual case on a link keeping up),
 * else when ws calls back. Only one of the two gives it back: a later callback must not release
 * the buffer once it is another batch's frame.
 */
function sendPooled(pool: FramePool, bytes: Uint8Array): void {
  let out = true;
  link.send(bytes, () => {
    if (out) pool.release(bytes);
    out = false;
  });
  if (out && link.bufferedAmount === 0) {
    pool.release(bytes);
    out = false;
  }
}

function sealAndSend(): void {
  seal();
}

/**
 * Sends stored batches above `sentThrough`, in order, while the socket takes them; true once
 * nothing stored is left to send. A hole in the sequence (batches the spool dropped by its
 * overflow policy, or lost to a corrupt record) is announced to the backend first.
 */
function replay(): boolean {
  if (!link.isOpen) return false;
  while (link.bufferedAmount < REPLAY_BUFFERED_BYTES) {
    const b = store.after(sentThrough);
    if (b === undefined) return true;
    if (b.sequence > sentThrough + 1) {
      const message = `batches ${sentThrough + 1} to ${b.sequence - 1} were dropped by the client's spool and will not come`;
      link.send(clientmt5.v1.Envelope.encode({
        protocol_version: 1, error: { code: 'SPOOL_DROPPED_BATCHES', message, batch_sequence: b.sequence - 1 },
      }).finish());
      post({ type: 'log', level: 'warn', message: `spool: ${message}` });
    }
    link.send(linkEncoding === 'row' && isColumnarFrame(b.bytes) ? toRow(b.bytes) : b.bytes);
    sentThrough = b.sequence;
    stats[TS_REPLAYED_BATCHES]++;
  }
  return false;
}

/** Adds what ring i holds (up to the open batch's room) to the batch; returns ticks taken. */
function take(i: number): number {
  const ring = rings[i];
  let n = ring.available() - ((taken[i] - ring.readSequence) | 0);
  const room = encoder.capacity - encoder.count;
  if (n > room) n = room;
  if (n <= 0) return 0;
  if (spool !== null) {
    // Before takeFrom: the row encoder releases the entries it takes.
    const mask = ring.mask;
    const symbol = ring.i32[OUT_I32_SYMBOL];
    const msc = ring.f64[OUT_F64_CURSOR_MSC];
    const count = ring.f64[OUT_F64_CURSOR_COUNT];
    const seq = ring.f64[OUT_F64_SEQ];
    for (let k = 0, at = taken[i]; k < n; k++, at++) {
      const slot = at & mask;
      const id = symbol[slot];
      cursorMsc[id] = msc[slot];
      cursorCount[id] = count[slot];
      cursorSeq[id] = seq[slot];
      if (inBatch[id] === 0) { inBatch[id] = 1; touched[touchedCount++] = id; }
    }
  }
  // The oldest tick taken: its age now (one sample a take), and the batch's oldest (age-histogram.ts).
  const recvMs = ring.f64[OUT_F64_RECV_MS][taken[i] & ring.mask];
  recordAge(stats, TS_PICKUP_AGE, performance.timeOrigin + performance.now() - recvMs);
  if (recvMs < batchOldestRecvMs) batchOldestRecvMs = recvMs;
  const got = encoder.takeFrom(ring, n);
  if (got !== n) throw new Error(`transport: the encoder took ${got} of ${n} ticks from ring ${i}`);
  taken[i] = (taken[i] + n) | 0;
  return n;
}

function publishSpoolStats(): void {
  stats[TS_SPOOL_BYTES] = store.bytes;
  stats[TS_SPOOL_BATCHES] = store.size;
  if (spool === null) return;
  const s = spool.stats;
  stats[TS_SPOOL_MAX_BYTES] = s.maxBytesSeen;
  stats[TS_SPOOL_DISK_BYTES] = s.diskBytes;
  stats[TS_SPOOL_CORRUPT_RECORDS] = s.corruptRecords;
  stats[TS_SPOOL_DROPPED_BATCHES] = s.droppedBatches;
  stats[TS_SPOOL_DROPPED_TICKS] = s.droppedTicks;
  stats[TS_SPOOL_WRITE_ERRORS] = s.diskFullErrors + s.writeErrors;
  stats[TS_SPOOL_FAILING] = spool.failure === '' ? 0 : 1;
  stats[TS_SPOOL_RECOVERED_BATCHES] = s.recoveredBatches;
}

/** Moves what the rings hold into batches and seals by the flush rules; returns ticks taken. */
function pump(): number {
  if (sentThrough < nextSequence - 1) replay();
  let total = 0;
  // Rounds until the rings are empty — or YIELD_EVERY_MS have passed: while the compute workers
  // keep up with a backfilling EA, the rings never run empty, and a pump that ran on held up the
  // acks (so the spool grew to ~80 MB in the first second at 900k ticks/s) and the link's own
  // liveness checks (a late-read heartbeat is a link declared dead, then batches sent twice).
  const until = performance.now() + YIELD_EVERY_MS;
  for (;;) {
    let round = 0;
    for (let i = 0; i < rings.length && !blocked(); i++) {
      round += take(i);
      if (encoder.full) sealAndSend();
    }
    total += round;
    if (round === 0 || blocked() || performance.now() >= until) break;
  }
  if (encoder.count > 0 && !blocked()
    && (store.size < transport.eagerInFlightBatches || performance.now() - encoder.openedAt >= transport.maxBatchDelayMs || draining)) {
    sealAndSend();
  }
  stats[TS_PENDING_TICKS] = encoder.count;
  return total;
}

function finished(): boolean {
  if (encoder.count > 0 || store.size > 0) return false;
  for (const r of rings) if (!r.isClosed() || r.available() > 0) return false;
  return true;
}

/** Longest the loop keeps draining rings without letting the event loop run. */
const YIELD_EVERY_MS = 2;
let yieldedAt = 0;
/** After the last tick taken, how long the loop waits for the next with a futex rather than the event loop. */
const HOT_FOR_MS = 1000;
/** Longest futex wait before the event loop gets a turn. */
const HOT_WAIT_SLICE_MS = 1;
let activeAt = -Infinity;

async function loop(): Promise<void> {
  // What the spool found at open (recovered batches, corrupt records cut off) is in the stats as
  // soon as the bridge reports ready, not only after the warm-up below.
  publishSpoolStats();
  link.start();
  post({ type: 'ready' });
  // ~20k made-up ticks through each encoder the link may use while it connects, after `ready` so
  // that start-up does not wait for it: the EA's hello/welcome and the backend's handshake take
  // about as long, and ticks that come sooner wait in the rings rather than on cold code.
  const rounds = Math.max(2, Math.ceil(20000 / transport.maxBatchTicks));
  encoderFor(preferredEncoding(transport.encoding)).warmUp(rounds);
  if (transport.encoding === 'auto') encoderFor('row').warmUp(rounds);
  publishSpoolStats();
  let memoryAt = 0;
  while (!stopped) {
    const seen = doorbell.value();
    if (performance.now() - memoryAt >= MEMORY_SAMPLE_EVERY_MS) {
      notePeakMemory(stats, TS_HEAP_PEAK, TS_EXTERNAL_PEAK);
      memoryAt = performance.now();
    }
    if (spool !== null) {
      spool.maintain();
      publishSpoolStats();
    }
    const taken = pump();
    if (draining && finished()) {
      post({ type: 'drained', unacked: 0 });
      draining = false;
    }
    const now = performance.now();
    if (taken > 0) activeAt = now;
    if (taken === 0) {
      const waitMs = Math.max(0.05, encoder.count > 0 ? transport.maxBatchDelayMs - (now - encoder.openedAt) : 100);
      if (now - activeAt < HOT_FOR_MS) {
        // Ticks came lately: wait on the doorbell with a futex (a direct thread wake-up; waitAsync's
        // goes through the event loop), a slice at a time, and give the event loop a turn after each
        // (acks, heartbeats, socket writes). At 1k ticks/s this took the p99 from bridge receipt to
        // backend from 2.6-3.4 to 2.4-2.7 ms (three runs each, one session). Taking rung ticks before
        // that turn showed no gain at 1k ticks/s and fewer 1M ticks/s steps held in interleaved runs
        // (4 of 14, against 4 of 10 without it; within this machine's noise): the simpler form stays.
        doorbell.wait(seen, Math.min(waitMs, HOT_WAIT_SLICE_MS));
        await new Promise<void>((resolve) => setImmediate(resolve));
        yieldedAt = performance.now();
      } else {
        await doorbell.waitAsync(seen, waitMs); // idle: no wake-ups while the market is quiet
        yieldedAt = performance.now();
      }
    } else if (now - yieldedAt >= YIELD_EVERY_MS) {
      // Ticks keep coming: let the event loop run anyway, so that acks (which free the spool),
      // socket writes that did not complete at once, their callbacks (which give frames back) and
      // heartbeats are not held up behind the rings.
      await new Promise<void>((resolve) => setImmediate(resolve));
      yieldedAt = performance.now();
    }
  }
}

parentPort?.on('message', (msg: TransportCommand) => {
  if (msg.type === 'drain') {
    draining = true;
    doorbell.ring();
  } else if (msg.type === 'reports' || msg.type === 'account-profile' || msg.type === 'client-prices') {
    trading.take(msg);
  } else if (msg.type === 'stop') {
    stopped = true;
    stats[TS_RECONNECTS] = link.reconnects;
    try {
      spool?.close();
    } catch (err) {
      post({ type: 'log', level: 'warn', message: `spool: not closed cleanly: ${(err as Error).message}` });
    }
    void link.stop().then(() => process.exit(0));
  }
});

loop().catch((err: unknown) => {
  post({ type: 'error', error: toWire(err) });
  process.exit(1);
});
