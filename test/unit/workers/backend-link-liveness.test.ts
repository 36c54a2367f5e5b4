/**
 * The backend link's liveness, failover and fail-back against `ws` servers that behave as a
 * backend can: answer, go silent with TCP open (stop reading: no pong, no message), be absent,
 * come back. Heartbeats out are real Envelope{Heartbeat} frames and pings.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import { BackendLink, backoffDelayMs, type LinkCloseInfo, type LinkOpenInfo } from '../../../src/workers/backend-link.js';
import { encodeClientHeartbeat } from '../../../src/workers/heartbeat-frame.js';
import { clientmt5 } from '../../../src/gen/clientmt5.js';

interface Server {
  port: number;
  url: string;
  sockets: ServerSocket[];
  /** Binary frames received, decoded. */
  frames: clientmt5.v1.Envelope[];
  pings: number;
  closes: Array<{ code: number; reason: string }>;
  close(): Promise<void>;
}

const servers: Server[] = [];
const links: BackendLink[] = [];

afterEach(async () => {
  await Promise.all(links.splice(0).map((l) => l.stop()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(port = 0): Promise<Server> {
  const wss = new WebSocketServer({ port, host: '127.0.0.1' });
  await new Promise((resolve) => wss.once('listening', resolve));
  const s: Server = {
    port: (wss.address() as { port: number }).port,
    url: '',
    sockets: [],
    frames: [],
    pings: 0,
    closes: [],
    close: () => new Promise<void>((resolve) => { for (const c of wss.clients) c.terminate(); wss.close(() => resolve()); }),
  };
  s.url = `ws://127.0.0.1:${s.port}/`;
  wss.on('connection', (ws) => {
    s.sockets.push(ws);
    ws.on('message', (data: Buffer, isBinary) => { if (isBinary) s.frames.push(clientmt5.v1.Envelope.decode(data)); });
    ws.on('ping', () => { s.pings++; });
    ws.on('close', (code, reason) => s.closes.push({ code, reason: reason.toString() }));
  });
  servers.push(s);
  return s;
}

/** A port nothing listens on (yet). */
async function freePort(): Promise<number> {
  const s = await server();
  await s.close();
  servers.splice(servers.indexOf(s), 1);
  return s.port;
}

interface Recorder {
  opens: Array<{ index: number; info: LinkOpenInfo }>;
  closes: Array<{ index: number; reason: string; info: LinkCloseInfo }>;
}

function link(endpoints: string[], extra: { failbackAfterMs?: number } = {}): { link: BackendLink; seen: Recorder } {
  const seen: Recorder = { opens: [], closes: [] };
  const l = new BackendLink(
    { endpoints, jwt: 'x', heartbeatIntervalMs: 30, linkTimeoutMs: 150, connectTimeoutMs: 500, reconnectMinMs: 10, reconnectMaxMs: 40, failbackAfterMs: 200, ...extra },
    {
      onOpen: (index, _e, info) => seen.opens.push({ index, info }),
      onMessage: () => {},
      onClose: (index, reason, info) => seen.closes.push({ index, reason, info }),
      heartbeatFrame: () => encodeClientHeartbeat(Date.now(), 41),
    },
  );
  links.push(l);
  l.start();
  return { link: l, seen };
}

async function until(cond: () => boolean, what: string, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('BackendLink: liveness, failover, fail-back', () => {
  test('backoff is full jitter: uniform from 0 up to min(max, min·2^attempt)', () => {
    expect(backoffDelayMs(0, 200, 10000, () => 0)).toBe(0);
    expect(backoffDelayMs(0, 200, 10000, () => 0.999999)).toBeCloseTo(200, 2);
    expect(backoffDelayMs(3, 200, 10000, () => 0.5)).toBe(800);
    expect(backoffDelayMs(10, 200, 10000, () => 1)).toBe(10000);
    expect(backoffDelayMs(1000, 200, 10000, () => 1)).toBe(10000);
  });

  test('sends Heartbeat envelopes and pings while open', async () => {
    const s = await server();
    link([s.url]);
    await until(() => s.frames.length >= 2 && s.pings >= 2, 'heartbeats and pings');
    expect(s.frames[0].heartbeat).toMatchObject({ last_batch_sequence: 41 });
    expect(s.frames[0].protocol_version).toBe(1);
  });

  test('a backend that goes silent with TCP open is dropped after linkTimeoutMs; the link fails over to the next endpoint', async () => {
    const primary = await server();
    const backup = await server();
    const { seen } = link([primary.url, backup.url], { failbackAfterMs: 60_000 });
    await until(() => seen.opens.length === 1, 'the primary link');
    expect(seen.opens[0]).toMatchObject({ index: 0, info: { kind: 'connect', previousIndex: -1 } });
    // Hung: the process reads nothing more, so neither pongs nor heartbeats come back.
    (primary.sockets[0] as unknown as { _socket: { pause(): void } })._socket.pause();
    await until(() => seen.opens.length === 2, 'the failover');
    expect(seen.closes[0]).toMatchObject({ index: 0, info: { cause: 'timeout' } });
    expect(seen.closes[0].reason).toContain('transport.linkTimeoutMs 150');
    expect(seen.opens[1]).toMatchObject({ index: 1, info: { kind: 'failover', previousIndex: 0 } });
    expect(seen.opens[1].info.downtimeMs).toBeGreaterThan(0);
  });

  test('a thread that was busy does not count its own stall as the backend\'s silence', async () => {
    const s = await server();
    const { seen } = link([s.url]);
    await until(() => seen.opens.length === 1 && s.pings >= 2, 'the link, answering');
    // This thread (the transport's, in real life) is busy for 4 link timeouts: nothing is read.
    const busyUntil = performance.now() + 600;
    while (performance.now() < busyUntil) { /* busy */ }
    const pingsAfterStall = s.pings;
    await until(() => s.pings >= pingsAfterStall + 3, 'a few heartbeats after the stall');
    expect(seen.closes).toEqual([]);
  });

  test('a closed backend: the next endpoint at once; the same one again when it is the only one', async () => {
    const primary = await server();
    const backup = await server();
    const { seen } = link([primary.url, backup.url], { failbackAfterMs: 60_000 });
    await until(() => seen.opens.length === 1, 'the primary link');
    await primary.close();
    await until(() => seen.opens.length === 2, 'the failover');
    expect(seen.closes[0].info.cause).not.toBe('timeout');
    expect(seen.opens[1]).toMatchObject({ index: 1, info: { kind: 'failover', previousIndex: 0 } });

    const only = await server();
    const single = link([only.url]);
    await until(() => single.seen.opens.length === 1, 'the link');
    for (const c of only.sockets) c.terminate();
    await until(() => single.seen.opens.length === 2, 'the reconnect');
    expect(single.seen.opens[1]).toMatchObject({ index: 0, info: { kind: 'reconnect', previousIndex: 0 } });
  });

  test('on a backup, it probes the primary and fails back once it has been healthy for failbackAfterMs, closing the backup cleanly', async () => {
    const primaryPort = await freePort();
    const backup = await server();
    const { link: l, seen } = link([`ws://127.0.0.1:${primaryPort}/`, backup.url]);
    await until(() => seen.opens.length === 1, 'a link');
    expect(seen.opens[0]).toMatchObject({ index: 1, info: { kind: 'connect' } });
    const primary = await server(primaryPort);
    await until(() => seen.opens.length === 2, 'the fail-back');
    expect(seen.opens[1]).toMatchObject({ index: 0, info: { kind: 'failback', previousIndex: 1 } });
    expect(l.currentEndpoint).toBe(0);
    await until(() => backup.closes.length === 1, 'the backup to see the close');
    expect(backup.closes[0]).toEqual({ code: 1000, reason: 'fail-back to the primary' });
    // The fail-back was a switch, not a loss.
    expect(seen.closes).toEqual([]);
    // The probe itself became the link: the primary saw one connection, which now carries heartbeats.
    expect(primary.sockets.length).toBe(1);
    const before = primary.frames.length;
    await until(() => primary.frames.length > before, 'heartbeats on the promoted link');
  });

  test('a primary that goes silent again during the probe is not failed back to', async () => {
    const primaryPort = await freePort();
    const backup = await server();
    const { seen } = link([`ws://127.0.0.1:${primaryPort}/`, backup.url], { failbackAfterMs: 400 });
    await until(() => seen.opens.length === 1, 'the backup link');
    const primary = await server(primaryPort);
    await until(() => primary.sockets.length === 1, 'the probe');
    (primary.sockets[0] as unknown as { _socket: { pause(): void } })._socket.pause();
    // The probe times out (150 ms) before failbackAfterMs (400 ms) and a new probe is tried later.
    await until(() => primary.sockets.length >= 2, 'a second probe');
    expect(seen.opens.filter((o) => o.info.kind === 'failback')).toEqual([]);
  });
});
