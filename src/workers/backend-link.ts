/**
 * The WebSocket link to the backend: an ordered list of endpoints (primary first), JWT in the
 * Authorization header, ping/pong liveness, reconnect with exponential backoff and full jitter,
 * moving to the next endpoint when one fails.
 *
 *   connecting ──open──► open ──close/error/silent──► waiting(backoff) ──► connecting (next endpoint)
 *
 * The tick encoding is negotiated in the upgrade as a WebSocket subprotocol (docs/protocol.md,
 * section 2): the client offers `transport.encoding`'s list in order of preference, the backend
 * picks one. A backend that picks none speaks row; `ws` refuses such an answer to an offer
 * ("Server sent no subprotocol"), so the link then connects again at once, offering nothing —
 * unless the setting insists on columnar, which such a backend cannot give.
 */
import WebSocket from 'ws';
import { ENCODING_SUBPROTOCOLS, type TransportEncoding, type WireEncoding } from '../shared/config.js';

export interface BackendLinkOptions {
  endpoints: readonly string[];
  jwt: string;
  heartbeatIntervalMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** Which tick encodings to offer; default `auto` (columnar, then row). */
  encoding?: TransportEncoding;
}

export interface BackendLinkEvents {
  /** The link is open and speaks `encoding`. */
  onOpen(endpointIndex: number, encoding: WireEncoding): void;
  onMessage(data: Uint8Array): void;
  onClose(endpointIndex: number, reason: string): void;
  /** The backend and the `columnar` setting cannot agree on an encoding (the link keeps retrying). */
  onEncodingRefused?(endpointIndex: number, reason: string): void;
}

/** The subprotocols offered for each setting, most preferred first. */
export function offeredSubprotocols(encoding: TransportEncoding): string[] {
  if (encoding === 'row') return [ENCODING_SUBPROTOCOLS.row];
  if (encoding === 'columnar') return [ENCODING_SUBPROTOCOLS.columnar];
  return [ENCODING_SUBPROTOCOLS.columnar, ENCODING_SUBPROTOCOLS.row];
}

/** The encoding a handshake settled on: the picked subprotocol; none picked means row. */
export function negotiatedEncoding(protocol: string): WireEncoding {
  return protocol === ENCODING_SUBPROTOCOLS.columnar ? 'columnar' : 'row';
}

const NO_SUBPROTOCOL = 'Server sent no subprotocol';

export class BackendLink {
  private ws: WebSocket | null = null;
  private endpointIndex = 0;
  private attempt = 0;
  private stopped = false;
  private heartbeat: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private awaitingPong = false;
  /** The next connect offers no subprotocol: the endpoint just answered an offer with none. */
  private offerNothing = false;
  reconnects = 0;
  /** The encoding of the open link (row until one opens). */
  encoding: WireEncoding = 'row';

  constructor(private readonly options: BackendLinkOptions, private readonly events: BackendLinkEvents) {}

  get isOpen(): boolean {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  get currentEndpoint(): number {
    return this.endpointIndex;
  }

  /** Bytes queued in the socket but not yet written: the transport's send-side backpressure. */
  get bufferedAmount(): number {
    return this.ws?.bufferedAmount ?? 0;
  }

  start(): void {
    this.connect();
  }

  send(bytes: Uint8Array): void {
    this.ws?.send(bytes, { binary: true });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.stopHeartbeat();
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => { ws.terminate(); resolve(); }, 1000);
      ws.once('close', () => { clearTimeout(t); resolve(); });
      ws.close(1000, 'client stopping');
    });
  }

  private connect(): void {
    if (this.stopped) return;
    const url = this.options.endpoints[this.endpointIndex];
    const setting = this.options.encoding ?? 'auto';
    const protocols = this.offerNothing ? [] : offeredSubprotocols(setting);
    this.offerNothing = false;
    const ws = new WebSocket(url, protocols, {
      headers: { Authorization: `Bearer ${this.options.jwt}` },
      perMessageDeflate: false,
      handshakeTimeout: 5000,
    });
    this.ws = ws;
    let opened = false;
    ws.on('open', () => {
      opened = true;
      this.attempt = 0;
      this.encoding = negotiatedEncoding(ws.protocol);
      this.startHeartbeat(ws);
      this.events.onOpen(this.endpointIndex, this.encoding);
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) this.events.onMessage(data);
    });
    ws.on('pong', () => { this.awaitingPong = false; });
    ws.on('unexpected-response', (_req, res) => {
      ws.emit('error', new Error(`backend ${url} refused the upgrade: HTTP ${res.statusCode}`));
      res.resume();
    });
    let reason = '';
    ws.on('error', (err) => { reason = err.message; });
    ws.on('close', (code) => {
      this.stopHeartbeat();
      if (this.ws === ws) this.ws = null;
      if (opened) this.events.onClose(this.endpointIndex, reason || `closed with code ${code}`);
      if (this.stopped) return;
      if (!opened && reason === NO_SUBPROTOCOL) {
        if (setting !== 'columnar') {
          // A backend without subprotocols speaks row: ask again, offering nothing, at once.
          this.offerNothing = true;
          this.reconnectTimer = setTimeout(() => this.connect(), 0);
          return;
        }
        this.events.onEncodingRefused?.(this.endpointIndex,
          `backend ${url} does not negotiate ${ENCODING_SUBPROTOCOLS.columnar} and transport.encoding is "columnar"`);
      }
      // Next endpoint on failure; a link that was open retries the same list from the primary.
      this.endpointIndex = opened ? 0 : (this.endpointIndex + 1) % this.options.endpoints.length;
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    const { reconnectMinMs, reconnectMaxMs } = this.options;
    const ceiling = Math.min(reconnectMaxMs, reconnectMinMs * 2 ** Math.min(this.attempt, 16));
    const delay = reconnectMinMs + Math.random() * Math.max(0, ceiling - reconnectMinMs);
    this.attempt++;
    this.reconnects++;
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private startHeartbeat(ws: WebSocket): void {
    this.awaitingPong = false;
    this.heartbeat = setInterval(() => {
      // No pong since the last ping: the link is dead or silent; drop it and reconnect.
      if (this.awaitingPong) { ws.terminate(); return; }
      this.awaitingPong = true;
      ws.ping();
    }, this.options.heartbeatIntervalMs);
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }
}
