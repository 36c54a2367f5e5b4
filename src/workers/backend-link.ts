/**
 * The WebSocket link to the backend: an ordered list of endpoints (primary first), JWT in the
 * Authorization header, liveness both ways, reconnect with exponential backoff and full jitter,
 * failover to the next endpoint, and fail-back to the primary once it has been healthy for a while.
 *
 *                 ┌────────────── lost (close, error, or silent for linkTimeoutMs) ─────────────┐
 *                 ▼                                                                              │
 *   backoff(full jitter) ──► connecting endpoint i ──open──► open on i ──────────────────────────┤
 *      ▲  next endpoint            │ failed                      │ i > 0: probe the primary       │
 *      └───────────────────────────┘                             ▼ with a side connection         │
 *                                                  probe healthy for failbackAfterMs ──► close i  │
 *                                                  cleanly, promote the probe: open on 0 ─────────┘
 *
 * Liveness: every heartbeatIntervalMs the client sends an Envelope{Heartbeat} (built by the
 * transport) and a WebSocket ping; the backend sends its own Heartbeat envelopes and acks. Anything
 * that arrives — a message, a pong, a ping — proves the link alive; a link (or probe) that has been
 * silent for linkTimeoutMs is terminated. A killed backend closes TCP at once; a hung one (stopped,
 * deadlocked, or behind a dead network path that keeps TCP open) is caught by that timeout.
 *
 * The tick encoding is negotiated in the upgrade as a WebSocket subprotocol (docs/protocol.md,
 * section 2): the client offers `transport.encoding`'s list in order of preference, the backend
 * picks one. A backend that picks none speaks row; `ws` refuses such an answer to an offer
 * ("Server sent no subprotocol"), so the link then connects again at once, offering nothing —
 * unless the setting insists on columnar or columnar-latest, which such a backend cannot give.
 */
import WebSocket from 'ws';
import { ENCODING_SUBPROTOCOLS, type TransportEncoding, type WireEncoding } from '../shared/config.js';
import type { LinkCloseCause, LinkOpenKind } from '../shared/link-events.js';

export interface BackendLinkOptions {
  endpoints: readonly string[];
  jwt: string;
  /** How often a Heartbeat envelope and a ping go out on the link (and the probe). */
  heartbeatIntervalMs: number;
  /** A link or probe that has received nothing for this long is dead; default 3 × heartbeatIntervalMs. */
  linkTimeoutMs?: number;
  /** The WebSocket handshake must complete within this; default 5000. */
  connectTimeoutMs?: number;
  /** Fail back to the primary after a probe of it has been healthy this long; default 3000. */
  failbackAfterMs?: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** Which tick encodings to offer; default `auto` (columnar, columnar-latest, then row). */
  encoding?: TransportEncoding;
}

export type { LinkOpenKind } from '../shared/link-events.js';

export interface LinkOpenInfo {
  kind: LinkOpenKind;
  /** The endpoint of the previous link, -1 before the first. */
  previousIndex: number;
  /**
   * performance.now() when the previous link was lost: its close, or for a silent link the last
   * moment anything arrived on it. NaN for the first link and for a fail-back (nothing was lost).
   */
  lostAt: number;
  /** From lostAt to this open (for a fail-back: the clean switch-over), ms. */
  downtimeMs: number;
}

export interface LinkCloseInfo {
  cause: LinkCloseCause;
  /** How long the link had been open, ms. */
  openMs: number;
}

export interface BackendLinkEvents {
  /** The link is open on `endpointIndex` and speaks `encoding`: send every unacked batch, in order. */
  onOpen(endpointIndex: number, encoding: WireEncoding, info: LinkOpenInfo): void;
  onMessage(data: Uint8Array): void;
  onClose(endpointIndex: number, reason: string, info: LinkCloseInfo): void;
  /** The backend and the `columnar` setting cannot agree on an encoding (the link keeps retrying). */
  onEncodingRefused?(endpointIndex: number, reason: string): void;
  /** The Envelope{Heartbeat} to send now; without it only WebSocket pings go out. */
  heartbeatFrame?(): Uint8Array;
}

/** The subprotocols offered for each setting, most preferred first. */
export function offeredSubprotocols(encoding: TransportEncoding): string[] {
  if (encoding === 'auto') {
    return [ENCODING_SUBPROTOCOLS.columnar, ENCODING_SUBPROTOCOLS['columnar-latest'], ENCODING_SUBPROTOCOLS.row];
  }
  return [ENCODING_SUBPROTOCOLS[encoding]];
}

/** The encoding a handshake settled on: the picked subprotocol; none picked means row. */
export function negotiatedEncoding(protocol: string): WireEncoding {
  if (protocol === ENCODING_SUBPROTOCOLS.columnar) return 'columnar';
  if (protocol === ENCODING_SUBPROTOCOLS['columnar-latest']) return 'columnar-latest';
  return 'row';
}

/** The encoding batches are made in before any link opens: the setting's most preferred. */
export function preferredEncoding(encoding: TransportEncoding): WireEncoding {
  return negotiatedEncoding(offeredSubprotocols(encoding)[0]);
}

/** Whether the setting insists on a column-packed encoding, which a backend without subprotocols cannot give. */
function insistsOnColumnar(encoding: TransportEncoding | undefined): boolean {
  return encoding === 'columnar' || encoding === 'columnar-latest';
}

/** Full jitter (uniform in [0, min(max, min·2^attempt)]): clients that lost the same backend spread out. */
export function backoffDelayMs(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  return random() * Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
}

const NO_SUBPROTOCOL = 'Server sent no subprotocol';
/** A clean fail-back waits this long for the backup to finish the close handshake, then cuts it. */
const SWITCH_CLOSE_TIMEOUT_MS = 1000;

/** One WebSocket to one endpoint: the link itself, or the probe of the primary. */
interface Conn {
  ws: WebSocket;
  index: number;
  opened: boolean;
  openedAt: number;
  lastHeardAt: number;
  /** Why it ended, when we ended it or an error said so. */
  reason: string;
  cause: LinkCloseInfo['cause'];
}

export class BackendLink {
  private main: Conn | null = null;
  private probe: Conn | null = null;
  /** The backup being closed during a fail-back; its late acks still count. */
  private retiring: Conn | null = null;
  private endpointIndex = 0;
  private attempt = 0;
  private probeAttempt = 0;
  private stopped = false;
  private heartbeat: NodeJS.Timeout | null = null;
  private lastTickAt = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private probeTimer: NodeJS.Timeout | null = null;
  /** Endpoints that answered our last offer with no subprotocol: the next dial offers nothing. */
  private readonly offerNothing = new Set<number>();
  private everOpened = false;
  private lostAt = Number.NaN;
  private lostIndex = -1;
  private readonly linkTimeoutMs: number;
  private readonly failbackAfterMs: number;
  reconnects = 0;
  /** Links declared dead because nothing arrived within linkTimeoutMs. */
  timeouts = 0;
  /** The encoding of the open link (row until one opens). */
  encoding: WireEncoding = 'row';

  constructor(private readonly options: BackendLinkOptions, private readonly events: BackendLinkEvents) {
    this.linkTimeoutMs = options.linkTimeoutMs ?? options.heartbeatIntervalMs * 3;
    this.failbackAfterMs = options.failbackAfterMs ?? 3000;
  }

  get isOpen(): boolean {
    return this.main !== null && this.main.opened && this.main.ws.readyState === WebSocket.OPEN;
  }

  /** The endpoint the link is on, or is trying. */
  get currentEndpoint(): number {
    return this.endpointIndex;
  }

  /** True while a side connection to the primary is open and being watched for fail-back. */
  get probing(): boolean {
    return this.probe !== null && this.probe.opened;
  }

  /** Bytes queued in the socket but not yet written: the transport's send-side backpressure. */
  get bufferedAmount(): number {
    return this.main?.ws.bufferedAmount ?? 0;
  }

  start(): void {
    this.lastTickAt = performance.now();
    this.heartbeat = setInterval(() => this.tick(), this.options.heartbeatIntervalMs);
    this.connect();
  }

  /** Sends on the open link; dropped while none is open (unacked batches go again on the next open). */
  /** Sends on the open link (nothing when none is); `written` is called once ws is done with `bytes`. */
  send(bytes: Uint8Array, written?: (err?: Error) => void): void {
    if (this.isOpen) this.main!.ws.send(bytes, { binary: true }, written);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.probeTimer) clearTimeout(this.probeTimer);
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.probe?.ws.terminate();
    this.retiring?.ws.terminate();
    const ws = this.main?.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => { ws.terminate(); resolve(); }, 1000);
      ws.once('close', () => { clearTimeout(t); resolve(); });
      ws.close(1000, 'client stopping');
    });
  }

  private dial(index: number): WebSocket {
    const setting = this.options.encoding ?? 'auto';
    const protocols = this.offerNothing.delete(index) ? [] : offeredSubprotocols(setting);
    const url = this.options.endpoints[index];
    const ws = new WebSocket(url, protocols, {
      headers: { Authorization: `Bearer ${this.options.jwt}` },
      perMessageDeflate: false,
      // A zero masking key (docs/protocol.md, section 2): RFC 6455 masks client frames so that a
      // hostile script in a browser cannot shape the bytes a proxy sees; this link carries only
      // frames this process encodes itself. Masking with a random key made ws copy every batch
      // (~460 KB at 4096 ticks) into a new buffer, ~115 MB/s of garbage at 1M ticks/s that held
      // up to ~50 MB of RSS between collections. With the key zero the frame goes out as encoded.
      generateMask: (mask) => { mask.fill(0); },
      // A backstop only: tick() enforces connectTimeoutMs, and does not count time this thread
      // was busy (ws's own timer fires late after a stall and then beats the queued answer).
      handshakeTimeout: 4 * (this.options.connectTimeoutMs ?? 5000),
    });
    ws.on('unexpected-response', (_req, res) => {
      ws.emit('error', new Error(`backend ${url} refused the upgrade: HTTP ${res.statusCode}`));
      res.resume();
    });
    return ws;
  }

  private newConn(index: number): Conn {
    const conn: Conn = { ws: this.dial(index), index, opened: false, openedAt: 0, lastHeardAt: performance.now(), reason: '', cause: 'closed' };
    const heard = () => { conn.lastHeardAt = performance.now(); };
    conn.ws.on('pong', heard);
    conn.ws.on('ping', heard);
    conn.ws.on('error', (err) => {
      if (conn.reason === '') { conn.reason = err.message; conn.cause = 'error'; }
    });
    conn.ws.on('message', (data: Buffer, isBinary: boolean) => {
      heard();
      // The probe's traffic is the primary's heartbeats: proof of life, nothing for the transport.
      if (isBinary && conn !== this.probe) this.events.onMessage(data);
    });
    return conn;
  }

  private connect(): void {
    if (this.stopped) return;
    const index = this.endpointIndex;
    const conn = this.newConn(index);
    this.main = conn;
    conn.ws.on('open', () => {
      const now = performance.now();
      conn.opened = true;
      conn.openedAt = now;
      conn.lastHeardAt = now;
      this.attempt = 0;
      this.encoding = negotiatedEncoding(conn.ws.protocol);
      const kind: LinkOpenKind = !this.everOpened ? 'connect' : this.lostIndex === index ? 'reconnect' : 'failover';
      const info: LinkOpenInfo = { kind, previousIndex: this.lostIndex, lostAt: this.lostAt, downtimeMs: this.everOpened ? now - this.lostAt : 0 };
      this.everOpened = true;
      this.events.onOpen(index, this.encoding, info);
      if (index !== 0) this.scheduleProbe(0);
    });
    conn.ws.on('close', (code) => {
      if (this.main !== conn) return; // promoted away or replaced: handled where that happened
      this.main = null;
      if (conn.opened) this.lost(conn, code);
      if (this.stopped) return;
      if (!conn.opened && conn.reason === NO_SUBPROTOCOL) {
        if (!insistsOnColumnar(this.options.encoding)) {
          // A backend without subprotocols speaks row: ask again, offering nothing, at once.
          this.offerNothing.add(index);
          this.reconnectTimer = setTimeout(() => this.connect(), 0);
          return;
        }
        this.events.onEncodingRefused?.(index,
          `backend ${this.options.endpoints[index]} does not negotiate ${ENCODING_SUBPROTOCOLS[preferredEncoding(this.options.encoding!)]} and transport.encoding is "${this.options.encoding}"`);
      }
      // On failure, the next endpoint: after the last one, the primary again.
      this.endpointIndex = (index + 1) % this.options.endpoints.length;
      this.scheduleReconnect();
    });
  }

  /** The open link `conn` is gone: note when, tell the transport, stop probing. */
  private lost(conn: Conn, code: number): void {
    const now = performance.now();
    this.lostAt = conn.cause === 'timeout' ? conn.lastHeardAt : now;
    this.lostIndex = conn.index;
    this.cancelProbe();
    this.events.onClose(conn.index, conn.reason || `closed with code ${code}`, { cause: conn.cause, openMs: now - conn.openedAt });
  }

  private scheduleReconnect(): void {
    const delay = backoffDelayMs(this.attempt, this.options.reconnectMinMs, this.options.reconnectMaxMs);
    this.attempt++;
    this.reconnects++;
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  /** Heartbeats out, silence in: runs every heartbeatIntervalMs for the link and the probe. */
  private tick(): void {
    if (this.stopped) return;
    const now = performance.now();
    // A timer that fires late means this thread was busy, and whatever arrived meanwhile is still
    // queued behind this callback: judge silence on the next tick, once it has been read.
    const stalled = now - this.lastTickAt > 2 * this.options.heartbeatIntervalMs;
    this.lastTickAt = now;
    for (const conn of [this.main, this.probe]) {
      if (conn === null) continue;
      if (!conn.opened) {
        // lastHeardAt is the dial time until the handshake completes.
        const connectTimeoutMs = this.options.connectTimeoutMs ?? 5000;
        if (!stalled && conn.ws.readyState === WebSocket.CONNECTING && now - conn.lastHeardAt > connectTimeoutMs) {
          conn.reason = `no WebSocket handshake within ${connectTimeoutMs} ms (transport.connectTimeoutMs)`;
          conn.cause = 'timeout';
          conn.ws.terminate();
        }
        continue;
      }
      if (conn.ws.readyState !== WebSocket.OPEN) continue;
      if (!stalled && now - conn.lastHeardAt > this.linkTimeoutMs) {
        conn.reason = `nothing received for ${Math.round(now - conn.lastHeardAt)} ms (transport.linkTimeoutMs ${this.linkTimeoutMs})`;
        conn.cause = 'timeout';
        if (conn === this.main) this.timeouts++;
        conn.ws.terminate();
        continue;
      }
      const frame = this.events.heartbeatFrame?.();
      if (frame) conn.ws.send(frame, { binary: true });
      conn.ws.ping();
    }
    const p = this.probe;
    if (p !== null && p.opened && p.ws.readyState === WebSocket.OPEN && now - p.openedAt >= this.failbackAfterMs
      && this.retiring === null && this.isOpen) {
      this.failBack();
    }
  }

  private scheduleProbe(delayMs: number): void {
    if (this.stopped || this.probeTimer !== null || this.probe !== null) return;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = null;
      if (this.stopped || !this.isOpen || this.endpointIndex === 0) return;
      this.startProbe();
    }, delayMs);
  }

  private startProbe(): void {
    const conn = this.newConn(0);
    this.probe = conn;
    conn.ws.on('open', () => {
      conn.opened = true;
      conn.openedAt = performance.now();
      conn.lastHeardAt = conn.openedAt;
    });
    conn.ws.on('close', () => {
      if (this.probe !== conn) return;
      this.probe = null;
      if (this.stopped || !this.isOpen || this.endpointIndex === 0) return;
      if (conn.reason === NO_SUBPROTOCOL && !insistsOnColumnar(this.options.encoding)) {
        this.offerNothing.add(0);
        this.scheduleProbe(0);
        return;
      }
      this.scheduleProbe(backoffDelayMs(this.probeAttempt++, this.options.reconnectMinMs, this.options.reconnectMaxMs)
        + this.options.reconnectMinMs);
    });
  }

  private cancelProbe(): void {
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = null;
    const p = this.probe;
    this.probe = null;
    p?.ws.terminate();
  }

  /**
   * Switches from the backup to the healthy primary. The backup is closed with a close handshake
   * first: the backend reads frames in order, so once its close arrives it has processed (and
   * acked) everything we sent it, and no batch is in two backends' hands at once. Then the probe
   * becomes the link and the transport re-sends whatever is still unacked, in order.
   */
  private failBack(): void {
    const old = this.main!;
    const started = performance.now();
    this.retiring = old;
    this.main = null;
    let done = false;
    const promote = () => {
      if (done) return;
      done = true;
      clearTimeout(cut);
      this.retiring = null;
      if (this.stopped) return;
      const probe = this.probe;
      this.probe = null;
      if (probe === null || probe.ws.readyState !== WebSocket.OPEN) {
        // The primary went away during the switch: an ordinary loss of the backup link.
        probe?.ws.terminate();
        old.reason = 'fail-back aborted: the primary closed during the switch';
        this.lost(old, 1000);
        this.endpointIndex = old.index; // the backup was fine: back to it
        this.scheduleReconnect();
        return;
      }
      this.main = probe;
      this.endpointIndex = 0;
      this.probeAttempt = 0;
      this.attempt = 0;
      this.encoding = negotiatedEncoding(probe.ws.protocol);
      probe.ws.on('close', (code) => {
        if (this.main !== probe) return;
        this.main = null;
        this.lost(probe, code);
        if (this.stopped) return;
        this.endpointIndex = 1 % this.options.endpoints.length;
        this.scheduleReconnect();
      });
      this.lostIndex = old.index;
      this.lostAt = Number.NaN;
      this.events.onOpen(0, this.encoding, { kind: 'failback', previousIndex: old.index, lostAt: Number.NaN, downtimeMs: performance.now() - started });
    };
    const cut = setTimeout(() => { old.ws.terminate(); }, SWITCH_CLOSE_TIMEOUT_MS);
    old.ws.once('close', promote);
    old.ws.close(1000, 'fail-back to the primary');
  }
}
