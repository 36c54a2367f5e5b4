// The simulated EA against a small in-test bridge (a `ws` server on 127.0.0.1, port 0): the
// handshake, frames that decode to fresh UTC ticks, exact bad-tick accounting, pause, and resume
// and reconnect from cursors with nothing lost and nothing sent twice.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { startEaSim, type EaSimHandle, type EaSimOptions } from '../../../src/ea-sim/ea-sim.js';
import { QuoteGenerator } from '../../../src/ea-sim/quotes.js';
import { buildSymbolProfiles } from '../../../src/ea-sim/symbols.js';
import { FrameReader } from '../../../src/main/ea-frame.js';
import {
  FRAME_TICKS, FRAME_TICKS_BACKFILL, PROTOCOL_VERSION, type HelloMessage, type ResumeCursor, type WelcomeMessage,
} from '../../../src/shared/protocol.js';
import { SpscRing } from '../../../src/shared/ring.js';
import {
  IN_F64_ASK, IN_F64_BID, IN_F64_CAPTURED_MS, IN_F64_TIME_MSC, IN_I32_FLAGS, IN_I32_SYMBOL, INPUT_RING_LAYOUT,
} from '../../../src/shared/ring-layout.js';
import { BridgeRules, CursorModel } from './bridge-rules.js';

const TOKEN = 'test-token-0123456789';

interface Tick {
  symbol: string;
  serverTime: number;
  utc: number;
  bid: number;
  ask: number;
  flags: number;
  captured: number;
  frameType: number;
}

/** Plays the bridge: answers hello, decodes every frame with the bridge's own FrameReader. */
class TestBridge {
  readonly hellos: HelloMessage[] = [];
  readonly heartbeats: unknown[] = [];
  /** Ticks taken in, per session. */
  readonly sessions: Tick[][] = [];
  /** Ticks that arrived while `dropping` (a bridge that lost them). */
  readonly dropped: Tick[] = [];
  readonly frameTypes: number[] = [];
  framesReceived = 0;
  bytesReceived = 0;
  dropping = false;
  socket: WebSocket | null = null;
  /** How the next welcome assigns ids and cursors. */
  welcome: (hello: HelloMessage) => WelcomeMessage['symbols'] = (h) =>
    h.symbols.map((s, i) => ({ name: s.name, id: 100 + i, cursor: { time_msc: 0, count_at_msc: 0 } }));
  private readonly server: WebSocketServer;
  private readonly reader = new FrameReader();
  private readonly ring = SpscRing.create(1 << 13, INPUT_RING_LAYOUT);
  private idToName = new Map<number, string>();
  private offsetMs = 0;

  private constructor(server: WebSocketServer) {
    this.server = server;
    server.on('connection', (ws) => {
      ws.on('message', (data: Buffer, isBinary) => {
        if (isBinary) this.onFrame(data);
        else this.onText(ws, JSON.parse(data.toString()) as { type: string });
      });
    });
  }

  static async start(): Promise<TestBridge> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/ea' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    return new TestBridge(server);
  }

  get url(): string {
    const address = this.server.address();
    return `ws://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/ea`;
  }

  get current(): Tick[] {
    return this.sessions[this.sessions.length - 1];
  }

  send(message: object): void {
    this.socket?.send(JSON.stringify(message));
  }

  async close(): Promise<void> {
    for (const c of this.server.clients) c.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onText(ws: WebSocket, msg: { type: string }): void {
    if (msg.type === 'heartbeat') {
      this.heartbeats.push(msg);
      return;
    }
    if (msg.type !== 'hello') return;
    const hello = msg as HelloMessage;
    this.hellos.push(hello);
    this.offsetMs = hello.server_time_offset_s * 1000;
    const symbols = this.welcome(hello);
    this.idToName = new Map(symbols.map((s) => [s.id, s.name]));
    this.sessions.push([]);
    this.socket = ws;
    ws.send(JSON.stringify({ type: 'welcome', protocol: PROTOCOL_VERSION, session_id: String(this.sessions.length), max_ticks_per_frame: 4096, symbols }));
  }

  private onFrame(data: Buffer): void {
    const recvMs = Date.now();
    const reader = this.reader;
    const ring = this.ring;
    if (!reader.parse(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer)) throw new Error(reader.error);
    this.framesReceived++;
    this.bytesReceived += data.byteLength;
    this.frameTypes.push(reader.type);
    const first = ring.cursor;
    reader.writeTo(ring, this.offsetMs, recvMs);
    ring.publish(reader.count);
    const into = this.dropping ? this.dropped : this.current;
    for (let i = 0; i < reader.count; i++) {
      const k = (first + i) & ring.mask;
      const utc = ring.f64[IN_F64_TIME_MSC][k];
      into.push({
        symbol: this.idToName.get(ring.i32[IN_I32_SYMBOL][k]) ?? '?', serverTime: utc + this.offsetMs, utc,
        bid: ring.f64[IN_F64_BID][k], ask: ring.f64[IN_F64_ASK][k], flags: ring.i32[IN_I32_FLAGS][k],
        captured: ring.f64[IN_F64_CAPTURED_MS][k], frameType: reader.type,
      });
    }
    ring.release(reader.count);
  }
}

/** The resume cursor of `ticks` (one symbol's, in arrival order) on the server clock. */
function cursorOf(ticks: Tick[]): ResumeCursor {
  const m = new CursorModel();
  for (const t of ticks) m.add(t.serverTime);
  return { time_msc: m.time, count_at_msc: m.count };
}

/** Each symbol's first ticks as the generator makes them for `seed` (prices do not depend on time). */
function reference(seed: number, symbols: number, ticks: number, invalidRate = 0): Map<string, string[]> {
  const profiles = buildSymbolProfiles(symbols);
  const g = new QuoteGenerator({ symbols: profiles, seed, invalidRate });
  const out = new Map(profiles.map((p) => [p.name, [] as string[]]));
  for (let i = 0; i < ticks; i++) {
    g.next(0);
    out.get(profiles[g.symbol].name)?.push(key({ bid: g.bid, ask: g.ask, flags: g.flags & 0x7e }));
  }
  return out;
}

const FIXTURES = new URL('../../fixtures/ea-link/', import.meta.url);
const fixtureJson = <T>(name: string): T => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as T;

/** The keys and value types of a message, recursively (arrays by their first element). */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return [shape(v[0])];
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, shape(x)]));
  }
  return typeof v;
}

const key = (t: { bid: number; ask: number; flags: number }) => `${t.bid}/${t.ask}/${t.flags}`;
const bySymbol = (ticks: Tick[], name: string) => ticks.filter((t) => t.symbol === name);

async function until(what: string, cond: () => boolean, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

let bridge: TestBridge | null = null;
let sim: EaSimHandle | null = null;
const logs: string[] = [];

async function start(options: Partial<EaSimOptions>): Promise<{ bridge: TestBridge; sim: EaSimHandle }> {
  bridge = await TestBridge.start();
  sim = await startEaSim({ url: bridge.url, token: TOKEN, log: (l) => logs.push(l), ...options });
  return { bridge, sim };
}

afterEach(async () => {
  await sim?.stop();
  await bridge?.close();
  sim = null;
  bridge = null;
  logs.length = 0;
});

describe('ea-sim against a bridge', () => {
  it('says hello with the account, clock offset and symbol specs, and streams fresh ticks under the welcome ids', async () => {
    const { bridge: b, sim: s } = await start({ symbols: 3, ratePerS: 5000, ticks: 3000, serverOffsetS: 3600, heartbeatMs: 20, invalidRate: 0 });
    await s.done;
    const hello = b.hellos[0];
    expect(hello).toMatchObject({
      type: 'hello', protocol: 1, token: TOKEN, server_time_offset_s: 3600,
      account: { login: expect.any(String), currency: 'USD', leverage: expect.any(Number), trade_mode: 0 },
    });
    expect(hello.symbols.map((x) => [x.name, x.digits, x.point])).toEqual([['EURUSD', 5, 0.00001], ['GBPUSD', 5, 0.00001], ['USDJPY', 3, 0.001]]);
    const ticks = b.current;
    expect(ticks).toHaveLength(3000);
    expect(new Set(ticks.map((t) => t.symbol))).toEqual(new Set(['EURUSD', 'GBPUSD', 'USDJPY']));
    // Server clock in the frames, UTC after the offset: fresh for the bridge's stale/future rules.
    for (const t of ticks) {
      expect(t.captured - t.utc).toBeLessThan(5000);
      expect(t.utc - t.captured).toBeLessThan(1000);
    }
    const stats = s.stats();
    expect(stats).toMatchObject({ ticks_sent: 3000, good_sent: 3000, invalid_injected: 0, frames_sent: b.framesReceived, bytes_sent: b.bytesReceived, reconnects: 0 });
    expect(Object.values(stats.per_symbol).reduce((a, c) => a + c, 0)).toBe(3000);
    expect(b.heartbeats.length).toBeGreaterThan(0);
    expect(b.heartbeats[0]).toMatchObject({ type: 'heartbeat', time_msc: expect.any(Number), server_time_offset_s: 3600 });
  });

  it('injects bad ticks that the bridge rules reject one for one', async () => {
    const { bridge: b, sim: s } = await start({ symbols: 10, ratePerS: 20000, ticks: 20000, invalidRate: 0.05, seed: 5 });
    await s.done;
    const hello = b.hellos[0];
    const point = new Map(hello.symbols.map((x) => [x.name, x.point]));
    const rules = new BridgeRules();
    const ids = new Map(hello.symbols.map((x, i) => [x.name, i]));
    let rejected = 0;
    for (const t of b.current) {
      if (rules.validate(ids.get(t.symbol) ?? -1, point.get(t.symbol) ?? 0, t.utc, t.bid, t.ask, 0, 0, 0, t.flags, t.captured) !== 0) rejected++;
    }
    const stats = s.stats();
    expect(b.current).toHaveLength(20000);
    expect(stats.invalid_injected).toBeGreaterThan(500);
    expect(rejected).toBe(stats.invalid_injected);
    expect(Object.values(stats.injected_by_kind).reduce((a, c) => a + c, 0)).toBe(stats.invalid_injected);
  });

  it('sends nothing while paused, then backfills from the resume cursors, also mid-millisecond', async () => {
    const SEED = 21;
    const TOTAL = 8000;
    const { bridge: b, sim: s } = await start({ symbols: 2, ratePerS: 20000, ticks: TOTAL, invalidRate: 0, seed: SEED });
    await until('ticks before the pause', () => b.current.length >= 1500);
    b.send({ type: 'pause', reason: 'test' });
    b.dropping = true; // this bridge loses whatever was still in flight, and says so with cursors
    await until('the pause to take effect', () => s.stats().paused_ms > 0);
    const framesAtPause = s.stats().frames_sent;
    const generatedAtPause = s.stats().ticks_generated;
    await until('ticks generated while paused', () => s.stats().ticks_generated >= generatedAtPause + 1000);
    expect(s.stats().frames_sent).toBe(framesAtPause);

    // Keep each symbol's ticks up to a point inside a millisecond that has more ticks after it.
    const kept: Tick[] = [];
    const cursors: Array<{ id: number; cursor: ResumeCursor }> = [];
    let midMillisecond = 0;
    for (const [i, name] of ['EURUSD', 'GBPUSD'].entries()) {
      const mine = bySymbol(b.current, name);
      let cut = Math.floor(mine.length / 2);
      while (cut > 2 && !(mine[cut - 1].serverTime === mine[cut].serverTime && mine[cut - 2].serverTime === mine[cut - 1].serverTime)) cut--;
      if (mine[cut - 1].serverTime === mine[cut].serverTime) midMillisecond++;
      kept.push(...mine.slice(0, cut));
      cursors.push({ id: 100 + i, cursor: cursorOf(mine.slice(0, cut)) });
    }
    expect(midMillisecond).toBe(2);
    expect(cursors.every((c) => c.cursor.count_at_msc >= 2)).toBe(true);
    b.sessions[0] = kept;
    const keptCount = kept.length;
    b.dropping = false;
    b.send({ type: 'resume', symbols: cursors });
    await s.done;

    const ref = reference(SEED, 2, TOTAL);
    for (const name of ['EURUSD', 'GBPUSD']) {
      expect(bySymbol(b.current, name).map(key)).toEqual(ref.get(name));
    }
    const resent = b.current.slice(keptCount);
    expect(resent[0].frameType).toBe(FRAME_TICKS_BACKFILL);
    for (const t of resent.filter((x) => x.frameType === FRAME_TICKS_BACKFILL)) {
      expect(t.captured).toBeGreaterThanOrEqual(t.utc);
      expect(t.captured - t.utc).toBeLessThan(5000);
    }
    const stats = s.stats();
    expect(stats.ticks_sent).toBe(TOTAL);
    expect(stats.ticks_resent).toBeGreaterThan(0);
    expect(stats.paused_ms).toBeGreaterThan(0);
  });

  it('continues where it stopped on a resume without cursors (the bridge dropped nothing)', async () => {
    const SEED = 4;
    const TOTAL = 6000;
    const { bridge: b, sim: s } = await start({ symbols: 3, ratePerS: 20000, ticks: TOTAL, invalidRate: 0, seed: SEED });
    await until('ticks before the pause', () => b.current.length >= 1000);
    b.send({ type: 'pause', reason: 'lane 0 ring full' });
    await until('the pause to take effect', () => s.stats().paused_ms > 0);
    const generated = s.stats().ticks_generated;
    await until('ticks generated while paused', () => s.stats().ticks_generated >= generated + 500);
    b.send({ type: 'resume', symbols: [] });
    await s.done;
    const ref = reference(SEED, 3, TOTAL);
    for (const name of ['EURUSD', 'GBPUSD', 'USDJPY']) expect(bySymbol(b.current, name).map(key)).toEqual(ref.get(name));
    expect(b.frameTypes).toContain(FRAME_TICKS_BACKFILL);
    expect(s.stats().ticks_resent).toBe(0);
  });

  it('reconnects after the link drops and backfills from the new welcome, under the new ids, bad ticks included', async () => {
    const SEED = 8;
    const TOTAL = 8000;
    const RATE = 0.05;
    const { bridge: b, sim: s } = await start({ symbols: 2, ratePerS: 20000, ticks: TOTAL, invalidRate: RATE, seed: SEED, reconnectMinMs: 20 });
    await until('ticks before the drop', () => b.current.length >= 2000);
    const before = b.current;
    b.welcome = (h) => h.symbols.map((x, i) => ({ name: x.name, id: 7 + i, cursor: cursorOf(bySymbol(before, x.name)) }));
    b.socket?.terminate();
    await s.done;
    expect(b.sessions).toHaveLength(2);
    const all = [...b.sessions[0], ...b.sessions[1]];
    const ref = reference(SEED, 2, TOTAL, RATE);
    for (const name of ['EURUSD', 'GBPUSD']) expect(bySymbol(all, name).map(key)).toEqual(ref.get(name));
    // Every bad tick reached the bridge exactly once, so the bridge rejects exactly what was injected.
    const rules = new BridgeRules();
    const index = new Map([['EURUSD', 0], ['GBPUSD', 1]]);
    const rejected = all.filter((t) => rules.validate(index.get(t.symbol) ?? -1, 0.00001, t.utc, t.bid, t.ask, 0, 0, 0, t.flags, t.captured) !== 0);
    const stats = s.stats();
    expect(stats).toMatchObject({ reconnects: 1, ticks_sent: TOTAL });
    expect(stats.invalid_injected).toBeGreaterThan(100);
    expect(rejected).toHaveLength(stats.invalid_injected);
  });

  it('dropLink() drops the link from the EA side; it reconnects and backfills from the new cursor, each tick once', async () => {
    const SEED = 12;
    const TOTAL = 6000;
    const { bridge: b, sim: s } = await start({ symbols: 2, ratePerS: 20000, ticks: TOTAL, invalidRate: 0, seed: SEED, reconnectMinMs: 20 });
    await until('ticks before the drop', () => b.current.length >= 1500);
    const before = b.current;
    b.welcome = (h) => h.symbols.map((x, i) => ({ name: x.name, id: 3 + i, cursor: cursorOf(bySymbol(before, x.name)) }));
    expect(s.dropLink()).toBe(true);
    await s.done;
    expect(b.sessions).toHaveLength(2);
    const all = [...b.sessions[0], ...b.sessions[1]];
    const ref = reference(SEED, 2, TOTAL);
    for (const name of ['EURUSD', 'GBPUSD']) expect(bySymbol(all, name).map(key)).toEqual(ref.get(name));
    expect(s.stats()).toMatchObject({ reconnects: 1, ticks_sent: TOTAL });
    expect(s.dropLink()).toBe(false); // the run is over: no link to drop
  });

  it('streams live only (no backfill of the outage) to a bridge that lost its history', async () => {
    const { bridge: b, sim: s } = await start({ symbols: 2, ratePerS: 10000, invalidRate: 0.5, seed: 3, reconnectMinMs: 200, reconnectMaxMs: 200 });
    await until('ticks before the drop', () => b.current.length >= 500);
    b.socket?.terminate();
    const droppedAt = Date.now();
    await until('the second session', () => b.sessions.length === 2 && b.current.length >= 500);
    await s.stop();
    expect(b.current.every((t) => t.frameType === FRAME_TICKS)).toBe(true);
    const rules = new BridgeRules();
    for (const [i, name] of ['EURUSD', 'GBPUSD'].entries()) {
      const first = bySymbol(b.current, name)[0];
      // Nothing from the outage (at least the 100 ms before the first retry) came through ...
      expect(first.utc).toBeGreaterThanOrEqual(droppedAt + 50);
      // ... and the bridge, with no last tick to compare with, gets a good tick first.
      expect(rules.validate(i, 0.00001, first.utc, first.bid, first.ask, 0, 0, 0, first.flags, first.captured)).toBe(0);
    }
  });

  it('speaks the fixture messages: its hello and heartbeat have their shape, and it follows the fixture welcome, pause and resume', async () => {
    bridge = await TestBridge.start();
    const b = bridge;
    const welcome = fixtureJson<WelcomeMessage>('welcome.json');
    b.welcome = () => welcome.symbols; // EURUSD id 1 (cursor in 2024: everything is newer), USDJPY id 258; no GBPUSD
    sim = await startEaSim({ url: b.url, token: TOKEN, log: (l) => logs.push(l), symbols: 3, ratePerS: 5000, heartbeatMs: 20, invalidRate: 0 });
    const s = sim;
    expect(shape(b.hellos[0])).toEqual(shape(fixtureJson('hello.json')));
    await until('ticks and a heartbeat', () => b.current.length >= 500 && b.heartbeats.length > 0);
    expect(shape(b.heartbeats[0])).toEqual(shape(fixtureJson('heartbeat-ea.json')));
    expect(new Set(b.current.map((t) => t.symbol))).toEqual(new Set(['EURUSD', 'USDJPY']));
    b.send(fixtureJson('heartbeat-bridge.json'));
    b.send(fixtureJson('error.json'));
    b.send(fixtureJson('pause.json'));
    await until('the pause', () => s.stats().paused_ms > 0);
    const frames = s.stats().frames_sent;
    const generated = s.stats().ticks_generated;
    await until('ticks generated while paused', () => s.stats().ticks_generated > generated + 200);
    expect(s.stats().frames_sent).toBe(frames);
    b.send(fixtureJson('resume.json'));
    await until('frames again', () => s.stats().frames_sent > frames);
    expect(logs.some((l) => l.includes('EA_BAD_FRAME'))).toBe(true);
  });

  it('fails with EA_BAD_TOKEN when the bridge refuses the token', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/ea' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    server.on('connection', (ws) => ws.on('message', () => {
      ws.send(JSON.stringify({ type: 'error', code: 'EA_BAD_TOKEN', message: 'hello carries a wrong token' }));
      ws.close(4001, 'bad token');
    }));
    const address = server.address();
    const url = `ws://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/ea`;
    await expect(startEaSim({ url, token: 'wrong-token', log: (l) => logs.push(l) })).rejects.toMatchObject({ code: 'EA_BAD_TOKEN' });
    expect(logs.some((l) => l.includes('EA_BAD_TOKEN'))).toBe(true);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});
