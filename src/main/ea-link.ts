/**
 * The EA link: a uWebSockets.js server on the main thread (default ws://127.0.0.1:9000/ea).
 * The EA says `hello` (token, account, clock offset, symbol specs), the bridge answers `welcome`
 * (symbol ids and resume cursors), then tick frames flow in (binary) and control messages both
 * ways (JSON text). One EA session at a time: a new hello replaces the previous session.
 */
import type { us_listen_socket, WebSocket } from '@trufflesuite/uws-js-unofficial';
import { timingSafeEqual } from 'node:crypto';
import { ClientMt5Error } from '../shared/errors.js';
import {
  CLOSE_BAD_HELLO, CLOSE_BAD_TOKEN, CLOSE_PROTOCOL_VERSION, CLOSE_REPLACED, MAX_TICKS_PER_FRAME,
  PROTOCOL_VERSION, type BridgeToEaMessage, type EaSymbolSpec, type EaTradingMessage, type HelloMessage, type ResumeCursor,
} from '../shared/protocol.js';
import { loadUws } from '../shared/uws-native.js';
import type { Ingest } from './ingest.js';
import type { SymbolRegistry } from './symbol-registry.js';

interface Session {
  id: number;
  ready: boolean;
  offsetMs: number;
}

export interface EaSessionInfo {
  account: HelloMessage['account'];
  ea: HelloMessage['ea'];
  serverTimeOffsetS: number;
  symbols: string[];
}

export interface EaLinkOptions {
  host: string;
  port: number;
  path: string;
  token: string;
  registry: SymbolRegistry;
  /** Resume cursor (on the EA's server clock, `serverOffsetMs` ahead of UTC) for a symbol id. */
  cursorOf(id: number, serverOffsetMs: number): ResumeCursor;
  onSession?(info: EaSessionInfo | null): void;
  /** The trading half (docs/protocol.md section 1): `execution`, `account`, `positions`, `deals` of the current session. */
  onTrading?(message: EaTradingMessage): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

export interface EaLinkStats {
  sessions: number;
  connected: boolean;
  badHellos: number;
  protocolErrors: number;
}

export class EaLink {
  readonly stats: EaLinkStats = { sessions: 0, connected: false, badHellos: 0, protocolErrors: 0 };
  private listenSocket: us_listen_socket | null = null;
  private current: WebSocket<Session> | null = null;
  private nextSessionId = 1;
  port = 0;
  ingest: Ingest | null = null;

  constructor(private readonly options: EaLinkOptions) {}

  async listen(): Promise<number> {
    const uws = loadUws();
    const o = this.options;
    const app = uws.App().ws<Session>(o.path, {
      compression: uws.DISABLED,
      maxPayloadLength: 16 + MAX_TICKS_PER_FRAME * 60,
      idleTimeout: 32,
      sendPingsAutomatically: true,
      maxBackpressure: 1 << 20,
      upgrade: (res, req, context) => {
        res.upgrade<Session>({ id: 0, ready: false, offsetMs: 0 },
          req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'),
          req.getHeader('sec-websocket-extensions'), context);
      },
      open: (ws) => {
        ws.getUserData().id = this.nextSessionId++;
      },
      message: (ws, message, isBinary) => this.onMessage(ws, message, isBinary),
      close: (ws) => {
        if (this.current === ws) {
          this.current = null;
          this.stats.connected = false;
          o.onSession?.(null);
          o.log('info', `EA session ${ws.getUserData().id} closed`);
        }
      },
    }).any('/*', (res) => {
      res.writeStatus('404 Not Found').end(`client-mt5: the EA connects to ${o.path}`);
    });
    await new Promise<void>((resolve, reject) => {
      app.listen(o.host, o.port, (socket) => {
        if (!socket) {
          reject(new ClientMt5Error('CONFIG_INVALID', `eaLink: cannot listen on ${o.host}:${o.port} (in use, or not an address of this machine)`));
          return;
        }
        this.listenSocket = socket;
        this.port = uws.us_socket_local_port(socket);
        resolve();
      });
    });
    return this.port;
  }

  /** Bridge -> EA control message to the current session, if any. */
  send(message: BridgeToEaMessage): void {
    this.current?.send(JSON.stringify(message), false);
  }

  close(): void {
    if (this.current) this.current.end(1001, 'bridge stopping');
    this.current = null;
    if (this.listenSocket) loadUws().us_listen_socket_close(this.listenSocket);
    this.listenSocket = null;
  }

  private onMessage(ws: WebSocket<Session>, message: ArrayBuffer, isBinary: boolean): void {
    const session = ws.getUserData();
    if (isBinary) {
      if (!session.ready || this.current !== ws || !this.ingest) {
        this.protocolError(ws, 'EA_NOT_READY', 'tick frame before welcome');
        return;
      }
      const recvMs = performance.timeOrigin + performance.now();
      const result = this.ingest.onFrame(message, session.offsetMs, recvMs);
      if (result === 'bad-frame') this.protocolError(ws, 'EA_BAD_FRAME', this.ingest.reader.error);
      else if (result === 'unknown-symbol') {
        this.protocolError(ws, 'EA_UNKNOWN_SYMBOL', `frame for symbol id ${this.ingest.reader.symbolId}, which welcome did not assign`);
      }
      return;
    }
    let msg: { type?: unknown };
    try {
      msg = JSON.parse(Buffer.from(message).toString('utf8')) as { type?: unknown };
    } catch {
      this.protocolError(ws, 'EA_BAD_HELLO', 'text frame is not JSON');
      return;
    }
    if (msg.type === 'hello') this.onHello(ws, msg as HelloMessage);
    else if (msg.type === 'heartbeat') {
      const offset = (msg as { server_time_offset_s?: unknown }).server_time_offset_s;
      if (typeof offset === 'number' && Number.isFinite(offset)) session.offsetMs = offset * 1000;
    } else if (msg.type === 'execution' || msg.type === 'account' || msg.type === 'positions' || msg.type === 'deals') {
      if (!session.ready || this.current !== ws) this.protocolError(ws, 'EA_NOT_READY', `${msg.type} before welcome`);
      else this.options.onTrading?.(msg as EaTradingMessage);
    } else if (msg.type === 'error') {
      this.options.log('warn', `EA reports an error: ${JSON.stringify(msg)}`);
    } else {
      this.protocolError(ws, 'EA_BAD_HELLO', `unknown message type ${JSON.stringify(msg.type)}`);
    }
  }

  private onHello(ws: WebSocket<Session>, hello: HelloMessage): void {
    const o = this.options;
    const session = ws.getUserData();
    if (hello.protocol !== PROTOCOL_VERSION) {
      this.reject(ws, CLOSE_PROTOCOL_VERSION, 'EA_PROTOCOL_VERSION', `EA speaks protocol ${String(hello.protocol)}, this bridge speaks ${PROTOCOL_VERSION}`);
      return;
    }
    if (typeof hello.token !== 'string' || !sameSecret(hello.token, o.token)) {
      this.reject(ws, CLOSE_BAD_TOKEN, 'EA_BAD_TOKEN', 'hello carries a wrong token (eaLink.token)');
      return;
    }
    const problem = checkHello(hello);
    if (problem) {
      this.reject(ws, CLOSE_BAD_HELLO, 'EA_BAD_HELLO', problem);
      return;
    }
    let entries;
    try {
      entries = hello.symbols.map((s) => o.registry.define(s));
    } catch (err) {
      const e = err as ClientMt5Error;
      this.reject(ws, CLOSE_BAD_HELLO, 'EA_BAD_HELLO', e.message);
      return;
    }
    if (this.current && this.current !== ws) {
      o.log('warn', `EA session ${this.current.getUserData().id} replaced by session ${session.id}`);
      this.current.end(CLOSE_REPLACED, 'replaced by a newer EA session');
    }
    this.current = ws;
    session.offsetMs = hello.server_time_offset_s * 1000;
    session.ready = true;
    this.stats.sessions++;
    this.stats.connected = true;
    ws.send(JSON.stringify({
      type: 'welcome',
      protocol: PROTOCOL_VERSION,
      session_id: String(session.id),
      max_ticks_per_frame: MAX_TICKS_PER_FRAME,
      symbols: entries.map((e) => ({ name: e.name, id: e.id, cursor: o.cursorOf(e.id, session.offsetMs) })),
    } satisfies BridgeToEaMessage), false);
    o.log('info', `EA session ${session.id}: account ${hello.account.login}@${hello.account.server}, ` +
      `${entries.length} symbols, server clock UTC${hello.server_time_offset_s >= 0 ? '+' : ''}${hello.server_time_offset_s / 3600}h`);
    o.onSession?.({ account: hello.account, ea: hello.ea, serverTimeOffsetS: hello.server_time_offset_s, symbols: entries.map((e) => e.name) });
  }

  private reject(ws: WebSocket<Session>, closeCode: number, code: string, message: string): void {
    this.stats.badHellos++;
    this.options.log('warn', `EA hello refused (${code}): ${message}`);
    ws.send(JSON.stringify({ type: 'error', code, message }), false);
    ws.end(closeCode, message.slice(0, 120));
  }

  private protocolError(ws: WebSocket<Session>, code: string, message: string): void {
    this.stats.protocolErrors++;
    // Rate-limit the log, not the count: a broken EA can send thousands of bad frames a second.
    if (this.stats.protocolErrors <= 10 || this.stats.protocolErrors % 1000 === 0) {
      this.options.log('warn', `EA protocol error #${this.stats.protocolErrors} (${code}): ${message}`);
    }
    ws.send(JSON.stringify({ type: 'error', code, message }), false);
  }
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** What is wrong with a hello, or '' when it is complete. */
export function checkHello(h: HelloMessage): string {
  if (typeof h.server_time_offset_s !== 'number' || !Number.isFinite(h.server_time_offset_s) || Math.abs(h.server_time_offset_s) > 86400) {
    return `server_time_offset_s must be a number of seconds within ±86400, got ${JSON.stringify(h.server_time_offset_s)}`;
  }
  if (!h.account || typeof h.account.login !== 'string') return 'account.login must be a string';
  if (!Array.isArray(h.symbols) || h.symbols.length === 0) return 'symbols must be a non-empty array';
  for (const s of h.symbols as EaSymbolSpec[]) {
    if (!s || typeof s.name !== 'string' || s.name.length === 0) return 'every symbol needs a name';
    if (typeof s.digits !== 'number' || typeof s.point !== 'number' || !(s.point > 0)) {
      return `symbol ${s.name}: digits and a positive point are required`;
    }
  }
  return '';
}
