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
 */
import { parentPort, workerData } from 'node:worker_threads';
import { clientmt5 } from '../gen/clientmt5.js';
import type { Config, WireEncoding } from '../shared/config.js';
import { toWire } from '../shared/errors.js';
import type { FailoverEvent, LinkEvent } from '../shared/link-events.js';
import {
  TS_BATCHES_ACKED, TS_BATCHES_SENT, TS_BYTES_SENT, TS_LAST_ACKED_SEQ,
  TS_PENDING_TICKS, TS_RECONNECTS, TS_TICKS_ACKED, TS_TICKS_SENT, TS_UNACKED_BATCHES,
} from '../shared/lanes.js';
import { Doorbell, SpscRing, type RingHandle } from '../shared/ring.js';
import { BackendLink } from './backend-link.js';
import { encodeClientHeartbeat } from './heartbeat-frame.js';
import { LinkMonitor } from './link-monitor.js';
import { BatchEncoder } from './batch-encoder.js';
import { ColumnarEncoder, type TickBatchEncoder } from './columnar-encoder.js';
import { ColumnarToRow, isColumnarFrame } from './columnar-transcoder.js';
import { MemoryBatchStore, type BatchStore } from './unacked-batches.js';

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
  config: Pick<Config, 'transport' | 'backend'>;
}

/** Messages main sends to this worker. */
export type TransportCommand = { type: 'drain' } | { type: 'stop' };
/** Messages this worker sends to main. */
export type TransportEvent =
  | LinkEvent
  | FailoverEvent
  | { type: 'backend-error'; code: string; message: string }
  | { type: 'ready' }
  | { type: 'drained'; unacked: number }
  | { type: 'error'; error: { code: string; message: string } };

const data = workerData as TransportWorkerData;
const { transport, backend } = data.config;
const rings = data.outputs.map((h) => new SpscRing(h));
const doorbell = new Doorbell(data.doorbell);
const stats = data.stats;
const encoders: Record<WireEncoding, TickBatchEncoder | null> = { row: null, columnar: null };
/** The encoder batches are filled in: the link's encoding, or before any link the preferred one. */
let encoder = encoderFor(transport.encoding === 'row' ? 'row' : 'columnar');
let transcoder: ColumnarToRow | null = null;
const store: BatchStore = new MemoryBatchStore();
let nextSequence = 1;
let draining = false;
let stopped = false;

const monitor = new LinkMonitor(backend.endpoints, stats, post);
const link = new BackendLink(
  { endpoints: backend.endpoints, jwt: backend.jwt, heartbeatIntervalMs: transport.heartbeatIntervalMs,
    linkTimeoutMs: transport.linkTimeoutMs, connectTimeoutMs: transport.connectTimeoutMs, failbackAfterMs: transport.failbackAfterMs,
    reconnectMinMs: transport.reconnectMinMs, reconnectMaxMs: transport.reconnectMaxMs, encoding: transport.encoding },
  {
    onOpen(index, encoding, info) {
      monitor.opened(index, encoding, info, store.size, link);
      const next = encoderFor(encoding);
      if (next !== encoder) {
        if (encoder.count > 0) seal(); // stored, and sent below in the link's encoding
        encoder = next;
      }
      // At-least-once: everything unacked goes again, in order, before anything new.
      for (const b of store.unacked()) link.send(encoding === 'row' && isColumnarFrame(b.bytes) ? toRow(b.bytes) : b.bytes);
      pump();
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
        monitor.acked();
        pump();
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

function post(event: TransportEvent): void {
  parentPort?.postMessage(event);
}

function encoderFor(encoding: WireEncoding): TickBatchEncoder {
  let e = encoders[encoding];
  if (e === null) {
    e = encoding === 'row'
      ? new BatchEncoder(transport.maxBatchTicks, data.symbolNames, backend.tenantId)
      : new ColumnarEncoder(transport.maxBatchTicks, data.symbolNames, backend.tenantId, data.symbolTable);
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
  return store.size >= transport.maxUnackedBatches || store.bytes >= transport.maxUnackedBytes
    || link.bufferedAmount > transport.maxUnackedBytes;
}

/** Seals the open batch into the store; returns its bytes. */
function seal(): Uint8Array {
  const ticks = encoder.count;
  const sequence = nextSequence++;
  const bytes = encoder.seal(sequence);
  store.append(sequence, bytes, ticks);
  stats[TS_BATCHES_SENT]++;
  stats[TS_TICKS_SENT] += ticks;
  stats[TS_BYTES_SENT] += bytes.byteLength;
  stats[TS_UNACKED_BATCHES] = store.size;
  return bytes;
}

function sealAndSend(): void {
  const bytes = seal();
  if (link.isOpen) link.send(bytes);
}

/** Moves what the rings hold into batches and seals by the flush rules; returns ticks taken. */
function pump(): number {
  let taken = 0;
  for (;;) {
    let round = 0;
    for (let i = 0; i < rings.length && !blocked(); i++) {
      round += encoder.takeFrom(rings[i], encoder.capacity);
      if (encoder.full) sealAndSend();
    }
    taken += round;
    if (round === 0 || blocked()) break;
  }
  if (encoder.count > 0 && !blocked()
    && (store.size < transport.eagerInFlightBatches || performance.now() - encoder.openedAt >= transport.maxBatchDelayMs || draining)) {
    sealAndSend();
  }
  stats[TS_PENDING_TICKS] = encoder.count;
  return taken;
}

function finished(): boolean {
  if (encoder.count > 0 || store.size > 0) return false;
  for (const r of rings) if (!r.isClosed() || r.available() > 0) return false;
  return true;
}

async function loop(): Promise<void> {
  link.start();
  post({ type: 'ready' });
  // ~20k made-up ticks through each encoder the link may use while it connects, after `ready` so
  // that start-up does not wait for it: the EA's hello/welcome and the backend's handshake take
  // about as long, and ticks that come sooner wait in the rings rather than on cold code.
  const rounds = Math.max(2, Math.ceil(20000 / transport.maxBatchTicks));
  encoderFor(transport.encoding === 'row' ? 'row' : 'columnar').warmUp(rounds);
  if (transport.encoding === 'auto') encoderFor('row').warmUp(rounds);
  while (!stopped) {
    const seen = doorbell.value();
    const taken = pump();
    if (draining && finished()) {
      post({ type: 'drained', unacked: 0 });
      draining = false;
    }
    if (taken === 0) {
      const waitMs = encoder.count > 0
        ? Math.max(0, transport.maxBatchDelayMs - (performance.now() - encoder.openedAt))
        : 100;
      await doorbell.waitAsync(seen, Math.max(waitMs, 0.05));
    }
  }
}

parentPort?.on('message', (msg: TransportCommand) => {
  if (msg.type === 'drain') {
    draining = true;
    doorbell.ring();
  } else if (msg.type === 'stop') {
    stopped = true;
    stats[TS_RECONNECTS] = link.reconnects;
    void link.stop().then(() => process.exit(0));
  }
});

loop().catch((err: unknown) => {
  post({ type: 'error', error: toWire(err) });
  process.exit(1);
});
