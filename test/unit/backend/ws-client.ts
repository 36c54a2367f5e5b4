/** A real `ws` client for the backend tests: connects with a JWT and queues decoded replies. */
import WebSocket from 'ws';
import { Envelope } from '../../../src/backend/wire.js';

export interface Rejection {
  status: number;
  body: string;
}

export class TestClient {
  private readonly queue: Envelope[] = [];
  private readonly waiters: Array<(e: Envelope) => void> = [];
  /** Heartbeats come unasked every few hundred ms: they wait apart from the answers to frames. */
  private readonly heartbeats: Envelope[] = [];
  private readonly heartbeatWaiters: Array<(e: Envelope) => void> = [];
  heartbeatsReceived = 0;
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) throw new Error(`backend sent a text frame: ${data.toString()}`);
      const env = Envelope.decode(new Uint8Array(data));
      if (env.heartbeat) {
        this.heartbeatsReceived++;
        const w = this.heartbeatWaiters.shift();
        if (w) w(env);
        else this.heartbeats.push(env);
        return;
      }
      const waiter = this.waiters.shift();
      if (waiter) waiter(env);
      else this.queue.push(env);
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /** The subprotocol the backend picked ('' for none). */
  get protocol(): string {
    return this.ws.protocol;
  }

  /**
   * Opens a connection, offering `protocols` (none by default); rejects with a Rejection when the
   * upgrade is refused.
   */
  static connect(url: string, token?: string, authorization?: string, protocols: string[] = []): Promise<TestClient> {
    const headers: Record<string, string> = {};
    if (authorization !== undefined) headers.Authorization = authorization;
    else if (token !== undefined) headers.Authorization = `Bearer ${token}`;
    const ws = new WebSocket(url, protocols, { headers });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new TestClient(ws)));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => { body += chunk.toString(); });
        res.on('end', () => reject({ status: res.statusCode ?? 0, body } satisfies Rejection));
      });
      ws.once('error', (err) => reject(err));
    });
  }

  send(frame: Uint8Array | string): void {
    this.ws.send(frame, { binary: typeof frame !== 'string' });
  }

  /** The next envelope the backend sent, heartbeats aside. */
  next(): Promise<Envelope> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Envelopes received and not yet taken by next(). */
  get pending(): number {
    return this.queue.length;
  }

  /** The next Heartbeat envelope the backend sent (an answer, or one it sent unasked). */
  nextHeartbeat(): Promise<Envelope> {
    const queued = this.heartbeats.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => this.heartbeatWaiters.push(resolve));
  }

  async close(): Promise<void> {
    this.ws.close();
    await this.closed;
  }
}
