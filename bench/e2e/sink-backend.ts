/**
 * The benchmark's throughput sink: the backend side of the link (JWT upgrade, cumulative acks,
 * ws pings answered by uWS) with the per-frame work of src/backend/sink-mode.ts — counts,
 * batch and per-symbol sequence checks and latency, no indicator recomputation — so that the
 * backend is not what limits the end-to-end rate. Stand-in for `client-mt5 backend --verify none`
 * until the reference backend has that mode (see BENCHMARKS.md, "What the lead must change").
 *
 *   node --import tsx bench/e2e/sink-backend.ts --port 0 --jwt-secret S
 *
 * Encodings (docs/protocol.md, section 2): with `--encoding auto` (default, what a backend that
 * reads both would do) it picks the column-packed form when the bridge offers it and a columnar
 * reader exists in this tree (src/backend/columnar-decoder.ts), else the seeds' row form, which
 * src/backend/sink-mode.ts reads in place; `--encoding row` always picks rows.
 *
 * IPC (forked): → {type:'ready', url, encodings}; {type:'stats'} → {type:'stats', stats};
 * {type:'reset'} → latency histograms restart, → {type:'reset', atMs}; {type:'stop'} → exits.
 */
import { parseArgs } from 'node:util';
import type { WebSocket } from '@trufflesuite/uws-js-unofficial';
import { SinkStream, type SinkColumns } from '../../src/backend/sink-mode.js';
import { encodeAck, encodeError } from '../../src/backend/wire.js';
import { verifyJwt } from '../../src/shared/jwt.js';
import { loadUws } from '../../src/shared/uws-native.js';

const PATH = '/api/v1/ws/mt5';
const ROW = 'clientmt5.v1.row';
const COLUMNAR = 'clientmt5.v1.columnar';

interface Connection { clientId: string; columnar: boolean }
interface ColumnarReader { decodeEnvelope(frame: Uint8Array): number; batch: SinkColumns }

const { values } = parseArgs({
  options: { port: { type: 'string', default: '0' }, 'jwt-secret': { type: 'string' }, encoding: { type: 'string', default: 'auto' } },
});
const secret = values['jwt-secret'];
if (!secret) throw new Error('sink-backend needs --jwt-secret');

// The columnar reader is another part of the project, still optional here: without it, rows only.
const columnarModule = values.encoding === 'row' ? null
  : await import('../../src/backend/columnar-decoder.js').catch(() => null) as { ColumnarDecoder: new () => ColumnarReader } | null;
const columnar = columnarModule ? new columnarModule.ColumnarDecoder() : null;
const counts = { row_frames: 0, columnar_frames: 0 };

const uws = loadUws();
const streams = new Map<string, SinkStream>();
let connections = 0;
let gapErrors = 0;
const streamOf = (id: string): SinkStream => {
  let s = streams.get(id);
  if (!s) streams.set(id, (s = new SinkStream()));
  return s;
};

const app = uws.App().ws<Connection>(PATH, {
  maxPayloadLength: 64 * 1024 * 1024,
  maxBackpressure: 4 * 1024 * 1024,
  idleTimeout: 120,
  sendPingsAutomatically: true,
  upgrade: (res, req, context) => {
    const auth = req.getHeader('authorization');
    const key = req.getHeader('sec-websocket-key');
    // A bridge that offers no encoding sends rows.
    const offered = req.getHeader('sec-websocket-protocol').split(',').map((p) => p.trim()).filter(Boolean);
    const protocol = columnar && offered.includes(COLUMNAR) ? COLUMNAR : offered.includes(ROW) ? ROW : '';
    const extensions = req.getHeader('sec-websocket-extensions');
    let clientId: string;
    try {
      clientId = verifyJwt(auth.replace(/^Bearer +/i, ''), secret).sub;
    } catch (err) {
      res.writeStatus('401 Unauthorized').end(`${(err as Error).message}\n`);
      return;
    }
    res.upgrade<Connection>({ clientId, columnar: protocol === COLUMNAR }, key, protocol, extensions, context);
  },
  open: () => { connections++; },
  close: () => { connections--; },
  message: (ws: WebSocket<Connection>, message, isBinary) => {
    const receivedAtMs = performance.timeOrigin + performance.now();
    if (!isBinary) return;
    const { clientId, columnar: isColumnar } = ws.getUserData();
    const stream = streamOf(clientId);
    const frame = new Uint8Array(message);
    let outcome;
    if (isColumnar && columnar) {
      let version = -1;
      try {
        version = columnar.decodeEnvelope(frame);
      } catch {
        version = -2;
      }
      if (version === -2) outcome = 'invalid' as const;
      else if (version >= 0) { counts.columnar_frames++; outcome = stream.onColumns(columnar.batch, receivedAtMs); }
      else outcome = stream.onFrame(frame, receivedAtMs);
    } else {
      counts.row_frames++;
      outcome = stream.onFrame(frame, receivedAtMs);
    }
    if (outcome === 'accepted' || outcome === 'duplicate') {
      ws.send(encodeAck(stream.lastBatch, stream.counters.ticks_received, stream.counters.duplicates), true);
    } else if (outcome === 'gap') {
      gapErrors++;
      ws.send(encodeError('BACKEND_SEQUENCE_GAP', `expected batch ${stream.expectedBatch}`, stream.lastBatch), true);
    } else if (outcome === 'invalid') {
      ws.send(encodeError('BACKEND_BAD_FRAME', 'not a market_data Envelope this sink can read'), true);
    }
  },
}).any('/*', (res) => { res.writeStatus('404 Not Found').end(); });

function stats(): Record<string, unknown> {
  let ticks = 0;
  const perClient: Record<string, unknown> = {};
  for (const [id, s] of streams) {
    const st = s.stats();
    ticks += st.ticks_received;
    perClient[id] = st;
  }
  // One client in a benchmark: its figures at the top level, like BackendStats.
  const only = streams.size === 1 ? [...streams.values()][0].stats() : undefined;
  return { mode: 'sink', connections, gap_errors: gapErrors, ...counts, ticks_received: ticks, ...(only ?? {}), clients: perClient };
}

app.listen('127.0.0.1', Number(values.port), (socket) => {
  if (!socket) throw new Error(`sink-backend cannot listen on 127.0.0.1:${values.port}`);
  const port = uws.us_socket_local_port(socket);
  const url = `ws://127.0.0.1:${port}${PATH}`;
  process.on('message', (m: { type?: string }) => {
    if (m?.type === 'stats') process.send?.({ type: 'stats', stats: stats() });
    else if (m?.type === 'reset') {
      const atMs = performance.timeOrigin + performance.now();
      for (const s of streams.values()) s.resetLatency(atMs);
      process.send?.({ type: 'reset', atMs });
    } else if (m?.type === 'stop') {
      uws.us_listen_socket_close(socket);
      process.exit(0);
    }
  });
  process.once('disconnect', () => process.exit(0));
  process.send?.({ type: 'ready', port, url, encodings: columnar ? [COLUMNAR, ROW] : [ROW] });
});
