/**
 * The reference backend: a uWebSockets.js server speaking the backend side of the link.
 *
 *   client ──HTTP upgrade, Authorization: Bearer <jwt>──► verify HS256 (401 + reason otherwise)
 *          ──Sec-WebSocket-Protocol offer──────────────► pick the tick encoding (negotiation.ts)
 *          ──binary frame = one Envelope──────────────► [record] ─► decode ─► by payload:
 *             market_data          ClientStream (per JWT sub): batch continuity, per-symbol sequence,
 *             market_data_columns  time order, latency, indicators vs reference ─► Ack | Error(GAP)
 *                                  (columnar: decoded by columnar-decoder.ts, only if negotiated)
 *             heartbeat    ─► Heartbeat{ now, last acked batch } (also sent unasked every heartbeatIntervalMs)
 *             execution_report ─► commands (commands.ts): tracked to its final, limits checked ─► Ack{report_sequence}
 *             account_profile, client_prices ─► commands (the limits, counted)
 *   POST /commands, and the RSI signal rule on accepted ticks (BackendOptions.signals) ─► Envelope{trading_command}
 *             anything else / undecodable / text ─► Error(BACKEND_BAD_FRAME), connection kept
 *
 * One connection per client identity: a newer connection with the same `sub` replaces the older
 * one (closed with 4003), and the stream state carries over, so a reconnecting client resumes.
 * With a ledger shared by several backend processes (the endpoints of one platform), the state
 * carries over between them too: each records every batch there before acking it and reads what
 * the others recorded before judging a batch (ledger.ts).
 */
import type { WireEncoding } from '../shared/config.js';
import { freePort } from '../shared/free-port.js';
import { ClientMt5Error } from '../shared/errors.js';
import { verifyJwt } from '../shared/jwt.js';
import { warmUpBackend } from './warm-up.js';
import { loadUws } from '../shared/uws-native.js';
import type { us_listen_socket, WebSocket } from '@trufflesuite/uws-js-unofficial';
import { buildStats, newServerCounters, type BackendStats } from './backend-stats.js';
import type { CommandOutcome } from './command-tracker.js';
import { BackendCommands } from './commands.js';
import { registerCommandRoutes } from './commands-http.js';
import type { SignalRuleOptions } from './signal-rule.js';
import { ClientStream, newStreamCounters } from './client-stream.js';
import { ColumnarBatch, ColumnarDecoder } from './columnar-decoder.js';
import { warmUpColumnar } from './columnar-warm-up.js';
import { DEFAULT_BACKEND_ENCODINGS, pickEncoding } from './negotiation.js';
import { FrameRecorder } from './frame-recorder.js';
import { DEFAULT_MISMATCH_TOLERANCE, IndicatorChecker } from './indicator-check.js';
import { LatencyHistogram } from './latency-histogram.js';
import { Ledger, type LedgerFsync } from './ledger.js';
import {
  decodeEnvelope, encodeAck, encodeError, encodeHeartbeat, type AccountProfile, type Envelope, type ExecutionReport, type MarketDataStream,
} from './wire.js';

export type { BackendStats } from './backend-stats.js';

export const DEFAULT_BACKEND_PATH = '/api/v1/ws/mt5';
export const DEFAULT_BACKEND_HOST = '127.0.0.1';
/** Close code sent to a connection replaced by a newer one of the same client. */
export const CLOSE_REPLACED = 4003;
/** A batch of 65,536 ticks with indicators is ~12 MB; leave room above it. */
const MAX_FRAME_BYTES = 64 * 1024 * 1024;
/** Payloads a client may send that this backend accepts without acting on them. */
const ACCEPTED_PAYLOADS = new Set(['account_profile', 'client_prices', 'execution_report']);

export interface BackendOptions {
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** 0 = any free port (see BackendHandle.port); default 0. */
  port?: number;
  /** HS256 secret the clients' JWTs are signed with. */
  jwtSecret: string;
  /** Append every binary frame received to this file (u32 LE length + bytes). */
  recordPath?: string;
  /** WebSocket path; default /api/v1/ws/mt5. */
  path?: string;
  /** Relative tolerance of the indicator comparison; default 1e-9. */
  mismatchTolerance?: number;
  /**
   * Tick encodings this backend negotiates, picked in the client's order of preference:
   * ALL_BACKEND_ENCODINGS (columnar, columnar-latest, row) reads all; default DEFAULT_BACKEND_ENCODINGS. `[]`
   * behaves as a backend that knows no subprotocols (its clients speak row).
   */
  encodings?: readonly WireEncoding[];
  /**
   * A ledger file shared with the other endpoints (docs/protocol.md, section 2): every accepted
   * batch is recorded there before its ack, and read by the others before they judge a batch, so
   * duplicates, gaps and order are checked across a failover.
   */
  ledgerPath?: string;
  /** `always` (default): fsync every record before the ack; `never`: leave it to the OS. */
  ledgerFsync?: LedgerFsync;
  /** Send every client a Heartbeat envelope this often (ms); 0 = never. Default 200. */
  heartbeatIntervalMs?: number;
  /** The demo's RSI signal rule issues commands to clients from their ticks (signal-rule.ts); off by default. */
  signals?: SignalRuleOptions | boolean;
}

export const DEFAULT_BACKEND_HEARTBEAT_MS = 200;

/** A client's stream as the shared ledger holds it (BackendHandle.ledgerView). */
export interface LedgerView {
  ticks: number;
  last_batch: number;
  first_batch: number;
  per_symbol: Record<string, { last_seq: number; last_time_msc: number }>;
}

export interface BackendHandle {
  port: number;
  /** ws://host:port/path, what a client's `backend.endpoints` lists. */
  url: string;
  stats(): BackendStats;
  /** The tick encoding each connected client negotiated, by client identity (JWT sub). */
  encodings(): Record<string, WireEncoding>;
  /**
   * What the shared ledger holds for a client now (every backend's records, read up to the end of
   * the file): distinct ticks stored, last batch, each symbol's last sequence_number. Undefined
   * without a ledger or for a client it has never recorded.
   */
  ledgerView(clientId: string): LedgerView | undefined;
  /** Holds the signal rule back (false) or lets it issue again (true); POST /commands is unaffected. */
  setSignals(enabled: boolean): void;
  /** Where a command this backend issued stands (its final report's state and retcode), or undefined. */
  commandOutcome(commandId: string): CommandOutcome | undefined;
  /** Closes every connection and the listener, then flushes the record file. Idempotent. */
  close(): Promise<void>;
}

interface Connection {
  clientId: string;
  encoding: WireEncoding;
}

/** Starts the reference backend; resolves once it is listening. */
export async function startBackend(opts: BackendOptions): Promise<BackendHandle> {
  if (!opts.jwtSecret) throw new ClientMt5Error('BACKEND_AUTH', 'the reference backend needs a JWT secret (jwtSecret)');
  const uws = loadUws();
  const host = opts.host ?? DEFAULT_BACKEND_HOST;
  const path = opts.path ?? DEFAULT_BACKEND_PATH;
  const port = opts.port ?? 0;
  if (!path.startsWith('/')) throw new ClientMt5Error('CLI_USAGE', `backend path must start with "/", got "${path}"`);

  warmUpBackend();
  warmUpColumnar();
  const server = newServerCounters();
  const counters = newStreamCounters();
  const checker = new IndicatorChecker(opts.mismatchTolerance ?? DEFAULT_MISMATCH_TOLERANCE);
  const latency = new LatencyHistogram();
  const clients = new Map<string, ClientStream>();
  const open = new Map<string, WebSocket<Connection>>();
  const recorder = opts.recordPath === undefined ? undefined : new FrameRecorder(opts.recordPath);
  const supported = opts.encodings ?? DEFAULT_BACKEND_ENCODINGS;
  const columns = new ColumnarDecoder();
  const ledger = opts.ledgerPath === undefined ? undefined : new Ledger(opts.ledgerPath, opts.ledgerFsync ?? 'always');
  const commands = new BackendCommands({
    signals: opts.signals === true ? {} : opts.signals || null,
    send: (clientId, frame) => open.get(clientId)?.send(frame, true) !== undefined,
    connected: () => [...open.keys()],
  });

  const streamOf = (clientId: string): ClientStream => {
    let s = clients.get(clientId);
    if (s === undefined) {
      s = new ClientStream(clientId, counters, checker, latency, ledger);
      clients.set(clientId, s);
    }
    return s;
  };

  const badFrame = (ws: WebSocket<Connection>, message: string, batchSequence = 0): void => {
    server.bad_frames++;
    ws.send(encodeError('BACKEND_BAD_FRAME', message, batchSequence), true);
  };

  const onMarketData = (ws: WebSocket<Connection>, stream: ClientStream, batch: MarketDataStream | ColumnarBatch, receivedAtMs: number): void => {
    const seq = batch instanceof ColumnarBatch ? batch.batchSequence : batch.batch_sequence;
    const outcome = batch instanceof ColumnarBatch ? stream.onColumns(batch, receivedAtMs) : stream.onBatch(batch, receivedAtMs);
    if (outcome === 'invalid') {
      badFrame(ws, `market_data.batch_sequence must be an integer >= 1, got ${seq}`);
    } else if (outcome === 'gap') {
      const expected = stream.expectedBatch;
      ws.send(encodeError('BACKEND_SEQUENCE_GAP',
        `batch ${seq} does not follow ${expected - 1}: batches ${expected}..${seq - 1} are missing; ` +
        `nothing after ${expected - 1} is acked until batch ${expected} arrives`, seq), true);
    } else {
      const clientId = ws.getUserData().clientId;
      if (ledger === undefined) {
        sendAck(ws, stream);
      } else {
        // Acked once the ledger holds it durably: after every frame of this read (group commit).
        unacked.add(ws);
        if (!commitScheduled) {
          commitScheduled = true;
          setImmediate(commitAndAck);
        }
      }
      if (outcome === 'accepted') {
        if (batch instanceof ColumnarBatch) commands.onColumnsBatch(clientId, batch);
        else commands.onRowBatch(clientId, batch);
      }
    }
  };

  const sendAck = (ws: WebSocket<Connection>, stream: ClientStream): void => {
    server.last_acked_batch = stream.lastBatch;
    ws.send(encodeAck(stream.lastBatch, stream.ticksReceived, stream.duplicatesDropped, commands.lastReport(stream.clientId)), true);
  };

  // uWS delivers every frame of a socket read before the event loop's check phase: commit them
  // all with one fsync, then send each connection one cumulative ack.
  const unacked = new Set<WebSocket<Connection>>();
  let commitScheduled = false;
  const commitAndAck = (): void => {
    commitScheduled = false;
    ledger?.commit();
    for (const ws of unacked) {
      const stream = clients.get(ws.getUserData().clientId);
      if (stream !== undefined) sendAck(ws, stream);
    }
    unacked.clear();
  };

  const onSkip = (ws: WebSocket<Connection>, stream: ClientStream): void => {
    if (ledger === undefined) {
      sendAck(ws, stream);
      return;
    }
    unacked.add(ws);
    if (!commitScheduled) {
      commitScheduled = true;
      setImmediate(commitAndAck);
    }
  };

  const onFrame = (ws: WebSocket<Connection>, frame: Uint8Array, receivedAtMs: number): void => {
    // The columnar payload is read by hand (no object per tick); everything else by protobufjs.
    let version: number;
    try {
      version = columns.decodeEnvelope(frame);
    } catch (err) {
      badFrame(ws, (err as Error).message);
      return;
    }
    if (version >= 0) {
      if (version > 1) {
        badFrame(ws, `protocol_version ${version} is not supported; this backend speaks version 1`);
      } else if (ws.getUserData().encoding === 'row') {
        badFrame(ws, 'market_data_columns on a link that did not negotiate clientmt5.v1.columnar or clientmt5.v1.columnar-latest; send market_data', columns.batch.batchSequence);
      } else {
        onMarketData(ws, streamOf(ws.getUserData().clientId), columns.batch, receivedAtMs);
      }
      return;
    }
    let env: Envelope;
    try {
      env = decodeEnvelope(frame);
    } catch (err) {
      badFrame(ws, `a frame of ${frame.byteLength} bytes is not a clientmt5.v1.Envelope: ${(err as Error).message}`);
      return;
    }
    if (env.protocol_version > 1) {
      badFrame(ws, `protocol_version ${env.protocol_version} is not supported; this backend speaks version 1`);
      return;
    }
    const stream = streamOf(ws.getUserData().clientId);
    const payload = env.payload;
    if (payload === 'market_data') {
      onMarketData(ws, stream, env.market_data as MarketDataStream, receivedAtMs);
    } else if (payload === 'heartbeat') {
      server.heartbeats++;
      ws.send(encodeHeartbeat(Date.now(), stream.lastBatch), true);
    } else if (payload === 'error') {
      server.other_messages.error = (server.other_messages.error ?? 0) + 1;
      if (env.error?.code === 'SPOOL_DROPPED_BATCHES' && stream.skipThrough(Number(env.error.batch_sequence ?? 0)) > 0) {
        // The next batch continues the stream; the ack says where it stands now.
        onSkip(ws, stream);
      }
    } else if (payload !== undefined && ACCEPTED_PAYLOADS.has(payload)) {
      server.other_messages[payload] = (server.other_messages[payload] ?? 0) + 1;
      const clientId = ws.getUserData().clientId;
      if (payload === 'execution_report') {
        commands.onReport(clientId, env.execution_report as ExecutionReport);
        // An Ack carries both cumulative sequences: with a ledger commit pending for this
        // connection, the commit's ack (which carries the report's too) must come first.
        if (!unacked.has(ws)) sendAck(ws, stream);
      } else if (payload === 'account_profile') {
        commands.onAccountProfile(clientId, env.account_profile as AccountProfile);
      } else {
        commands.onClientPrices();
      }
    } else if (payload === undefined) {
      badFrame(ws, 'the Envelope carries no payload (or only fields this backend does not know)');
    } else {
      badFrame(ws, `payload "${payload}" travels from the backend to the client, not the other way`);
    }
  };

  const app = uws.App();
  app.ws<Connection>(path, {
    maxPayloadLength: MAX_FRAME_BYTES,
    maxBackpressure: 4 * 1024 * 1024,
    idleTimeout: 120,
    sendPingsAutomatically: true,
    upgrade: (res, req, context) => {
      const authorization = req.getHeader('authorization');
      const key = req.getHeader('sec-websocket-key');
      const protocol = req.getHeader('sec-websocket-protocol');
      const extensions = req.getHeader('sec-websocket-extensions');
      let clientId: string;
      try {
        clientId = verifyJwt(bearerToken(authorization), opts.jwtSecret).sub;
      } catch (err) {
        server.auth_rejected++;
        res.writeStatus('401 Unauthorized')
          .writeHeader('WWW-Authenticate', 'Bearer realm="client-mt5", error="invalid_token"')
          .writeHeader('Content-Type', 'text/plain; charset=utf-8')
          .end(`${(err as ClientMt5Error).message}\n`);
        return;
      }
      const { subprotocol, encoding } = pickEncoding(protocol, supported);
      res.upgrade<Connection>({ clientId, encoding }, key, subprotocol, extensions, context);
    },
    open: (ws) => {
      const { clientId } = ws.getUserData();
      const previous = open.get(clientId);
      open.set(clientId, ws);
      server.connections++;
      server.connections_total++;
      // What the other endpoints stored meanwhile: this client continues from there.
      streamOf(clientId).syncFromLedger();
      if (previous !== undefined) previous.end(CLOSE_REPLACED, 'replaced by a newer connection of the same client');
    },
    message: (ws, message, isBinary) => {
      const receivedAtMs = performance.timeOrigin + performance.now();
      if (!isBinary) {
        badFrame(ws, 'text frames are not part of the backend protocol: send one binary clientmt5.v1.Envelope per frame');
        return;
      }
      // `message` is only valid during this callback: the recorder copies, decoding copies out.
      const frame = new Uint8Array(message);
      recorder?.record(frame);
      try {
        onFrame(ws, frame, receivedAtMs);
      } catch (err) {
        process.stderr.write(`client-mt5 backend: internal error on a frame: ${(err as Error).stack ?? String(err)}\n`);
        badFrame(ws, `the backend failed on this frame: ${(err as Error).message}`);
      }
    },
    close: (ws) => {
      unacked.delete(ws);
      server.connections--;
      const { clientId } = ws.getUserData();
      if (open.get(clientId) === ws) open.delete(clientId);
    },
  });
  app.get('/healthz', (res) => {
    res.writeHeader('Content-Type', 'text/plain').end('ok\n');
  });
  app.get('/stats', (res) => {
    res.writeHeader('Content-Type', 'application/json').end(JSON.stringify(stats()));
  });
  registerCommandRoutes(app, commands.issueByHand, (id) => commands.tracker.outcome(id));
  app.any('/*', (res, req) => {
    res.writeStatus('404 Not Found').end(`no route ${req.getMethod().toUpperCase()} ${req.getUrl()}; the WebSocket endpoint is ${path}\n`);
  });

  // Heartbeats from this side: a client that hears nothing for its linkTimeoutMs moves on.
  const heartbeatMs = opts.heartbeatIntervalMs ?? DEFAULT_BACKEND_HEARTBEAT_MS;
  const heartbeats = heartbeatMs > 0 ? setInterval(() => {
    const now = Date.now();
    for (const [id, ws] of open) {
      ws.send(encodeHeartbeat(now, clients.get(id)?.lastBatch ?? 0), true);
      server.heartbeats_sent++;
    }
  }, heartbeatMs) : undefined;
  heartbeats?.unref();

  const listenOn = (p: number) => new Promise<us_listen_socket>((resolve, reject) => {
    app.listen(host, p, (socket) => {
      if (socket) resolve(socket);
      else reject(new ClientMt5Error('BACKEND_LISTEN', `the reference backend cannot listen on ${host}:${p} (in use, or not a local address)`));
    });
  });
  const listenSocket = await (async () => {
    if (port !== 0) return listenOn(port);
    // uSockets sets SO_REUSEADDR only on an explicit port. Without it, a backend that crashed with
    // clients connected leaves TIME_WAIT sockets that keep a restarted one off this port for a
    // minute: so "any free port" is picked first and then listened on explicitly.
    for (let attempt = 1; ; attempt++) {
      try {
        return await listenOn(await freePort(host));
      } catch (err) {
        if (attempt >= 5) throw err;
      }
    }
  })().catch(async (err: unknown) => {
    clearInterval(heartbeats);
    ledger?.close();
    await recorder?.close();
    throw err;
  });
  const boundPort = uws.us_socket_local_port(listenSocket);

  function stats(): BackendStats {
    const record = recorder === undefined ? undefined : { path: recorder.path, frames: recorder.frames, bytes: recorder.bytes };
    const out = buildStats(server, counters, checker, latency, clients, new Set(open.keys()), record, ledger?.stats());
    out.commands = commands.stats();
    return out;
  }

  let closing: Promise<void> | undefined;
  return {
    port: boundPort,
    url: `ws://${urlHost(host)}:${boundPort}${path}`,
    stats,
    commandOutcome: (id) => commands.tracker.outcome(id),
    setSignals(enabled) {
      commands.signalsEnabled = enabled;
    },
    ledgerView(clientId) {
      if (ledger === undefined) return undefined;
      ledger.catchUp();
      const held = ledger.client(clientId);
      if (held === undefined) return undefined;
      const perSymbol: LedgerView['per_symbol'] = {};
      for (const [symbol, p] of held.symbols) perSymbol[symbol] = { last_seq: p.lastSeq, last_time_msc: p.lastTimeMsc };
      return { ticks: held.ticks, last_batch: held.lastBatch, first_batch: held.firstBatch, per_symbol: perSymbol };
    },
    encodings() {
      const out: Record<string, WireEncoding> = {};
      for (const [id, ws] of open) out[id] = ws.getUserData().encoding;
      return out;
    },
    close() {
      closing ??= (async () => {
        clearInterval(heartbeats);
        uws.us_listen_socket_close(listenSocket);
        for (const ws of [...open.values()]) ws.end(1001, 'backend shutting down');
        ledger?.close();
        await recorder?.close();
      })();
      return closing;
    },
  };
}

/** The token of an `Authorization: Bearer <token>` header, or a BACKEND_AUTH error saying what is wrong. */
function bearerToken(header: string): string {
  if (header === '') throw new ClientMt5Error('BACKEND_AUTH', 'missing "Authorization: Bearer <jwt>" header');
  const match = /^Bearer +(\S+)\s*$/i.exec(header);
  if (match === null) throw new ClientMt5Error('BACKEND_AUTH', 'the Authorization header must be "Bearer <jwt>"');
  return match[1];
}

/** A host usable in a URL: wildcard addresses become loopback, IPv6 gets brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
