/**
 * The EA link with a hand-driven EA client over a real socket: handshake rules, malformed frames,
 * and that a bad frame costs nothing that was already accepted.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { Bridge } from '../../src/main/bridge.js';
import { parseConfig } from '../../src/shared/config.js';
import { FRAME_TICKS, FRAME_TICKS_BACKFILL, MQLTICK_BYTES, PROTOCOL_VERSION, type HelloMessage } from '../../src/shared/protocol.js';

const TOKEN = 'integration-token';
let bridge: Bridge;
const logs: string[] = [];

beforeAll(async () => {
  const config = parseConfig({
    workers: 1,
    eaLink: { port: 0, token: TOKEN },
    // Nothing listens there: the transport keeps reconnecting in the background, which is fine here.
    backend: { endpoints: ['ws://127.0.0.1:9/api/v1/ws/mt5'], jwt: 'x' },
    spool: { enabled: false }, // nothing here is about durability
  });
  bridge = await Bridge.start(config, (level, message) => { logs.push(`${level} ${message}`); });
});

afterAll(async () => {
  await bridge.stop();
});

function hello(overrides: Partial<HelloMessage> = {}): HelloMessage {
  return {
    type: 'hello', protocol: PROTOCOL_VERSION, token: TOKEN, ea: { name: 'test', version: '0' },
    account: { login: '123456789012', server: 'Demo-Server', company: 'Broker', currency: 'USD', leverage: 100, trade_mode: 0 },
    server_time_offset_s: 7200,
    symbols: [{ name: 'EURUSD', digits: 5, point: 0.00001, contract_size: 100000, volume_min: 0.01, volume_step: 0.01, volume_max: 100, stops_level: 0, freeze_level: 0, filling_modes: 3 }],
    ...overrides,
  };
}

interface Client { ws: WebSocket; messages: Array<Record<string, unknown>>; closed: Promise<number> }

async function connect(): Promise<Client> {
  const ws = new WebSocket(`ws://127.0.0.1:${bridge.eaPort}/ea`);
  const messages: Array<Record<string, unknown>> = [];
  ws.on('message', (data, isBinary) => { if (!isBinary) messages.push(JSON.parse(String(data)) as Record<string, unknown>); });
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  return { ws, messages, closed };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function tickFrame(symbolId: number, ticks: Array<{ timeMsc: number; bid: number; ask: number }>, capturedAtMs?: number): Buffer {
  const extra = capturedAtMs === undefined ? 0 : 8;
  const buf = Buffer.alloc(8 + extra + ticks.length * MQLTICK_BYTES);
  buf.writeUInt8(capturedAtMs === undefined ? FRAME_TICKS : FRAME_TICKS_BACKFILL, 0);
  if (capturedAtMs !== undefined) buf.writeDoubleLE(capturedAtMs, 8);
  buf.writeUInt8(PROTOCOL_VERSION, 1);
  buf.writeUInt16LE(symbolId, 2);
  buf.writeUInt32LE(ticks.length, 4);
  ticks.forEach((t, i) => {
    const p = 8 + extra + i * MQLTICK_BYTES;
    buf.writeBigInt64LE(BigInt(Math.floor(t.timeMsc / 1000)), p);
    buf.writeDoubleLE(t.bid, p + 8);
    buf.writeDoubleLE(t.ask, p + 16);
    buf.writeDoubleLE(0, p + 24);
    buf.writeBigUInt64LE(1n, p + 32);
    buf.writeBigInt64LE(BigInt(t.timeMsc), p + 40);
    buf.writeUInt32LE(6, p + 48);
    buf.writeDoubleLE(0, p + 52);
  });
  return buf;
}

describe('EA link', () => {
  test('a wrong token is refused with an error message and a close', async () => {
    const c = await connect();
    c.ws.send(JSON.stringify(hello({ token: 'wrong-token' })));
    expect(await c.closed).toBe(4001);
    expect(c.messages[0]).toMatchObject({ type: 'error', code: 'EA_BAD_TOKEN' });
  });

  test('another protocol version is refused', async () => {
    const c = await connect();
    c.ws.send(JSON.stringify(hello({ protocol: 99 })));
    expect(await c.closed).toBe(4002);
    expect(c.messages[0]).toMatchObject({ type: 'error', code: 'EA_PROTOCOL_VERSION' });
  });

  test('a hello without symbol specs is refused and says what is missing', async () => {
    const c = await connect();
    c.ws.send(JSON.stringify(hello({ symbols: [] })));
    expect(await c.closed).toBe(4000);
    expect(String(c.messages[0].message)).toContain('symbols must be a non-empty array');
  });

  test('malformed frames get an error, the session stays, and ticks before and after are kept', async () => {
    const c = await connect();
    c.ws.send(JSON.stringify(hello()));
    await until(() => c.messages.some((m) => m.type === 'welcome'), 'welcome');
    const welcome = c.messages.find((m) => m.type === 'welcome') as { symbols: Array<{ name: string; id: number; cursor: unknown }> };
    expect(welcome.symbols[0]).toMatchObject({ name: 'EURUSD', cursor: { time_msc: 0, count_at_msc: 0 } });
    const id = welcome.symbols[0].id;
    const serverNow = Date.now() + 7200_000;
    const before = bridge.stats();

    c.ws.send(tickFrame(id, [{ timeMsc: serverNow, bid: 1.08, ask: 1.0801 }]));
    c.ws.send(tickFrame(id, [{ timeMsc: serverNow + 1, bid: 1.08001, ask: 1.08011 }]).subarray(0, 8 + 30)); // truncated record
    c.ws.send(tickFrame(id + 50, [{ timeMsc: serverNow + 2, bid: 1.08, ask: 1.0801 }])); // symbol never assigned
    // A backfill frame claiming to be captured a minute in our future would let stale ticks pass.
    c.ws.send(tickFrame(id, [{ timeMsc: serverNow + 2, bid: 1.08, ask: 1.0801 }], Date.now() + 60_000));
    c.ws.send(tickFrame(id, [{ timeMsc: serverNow + 3, bid: 1.08002, ask: 1.08012 }, { timeMsc: serverNow + 3, bid: 1.08003, ask: 1.08013 }]));

    await until(() => bridge.stats().ticks_processed - before.ticks_processed >= 3, 'three ticks processed');
    await until(() => c.messages.filter((m) => m.type === 'error').length >= 3, 'three errors');
    const errors = c.messages.filter((m) => m.type === 'error');
    expect(errors.map((e) => e.code)).toEqual(['EA_BAD_FRAME', 'EA_UNKNOWN_SYMBOL', 'EA_BAD_FRAME']);
    expect(String(errors[0].message)).toMatch(/38 bytes for 1 ticks, expected 68/);
    expect(String(errors[2].message)).toMatch(/captured_at_ms .* ahead of the bridge's clock/);
    const after = bridge.stats();
    expect(after.ingest.badFrames - before.ingest.badFrames).toBe(2);
    expect(after.ingest.unknownSymbolFrames - before.ingest.unknownSymbolFrames).toBe(1);
    // The three good ticks were all accepted: the bad frames in between cost nothing.
    expect(after.ticks_accepted - before.ticks_accepted).toBe(3);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);

    // A reconnecting EA gets a resume cursor on its own server clock: the last tick it has sent,
    // and how many ticks the bridge holds at that millisecond (two, CopyTicks' start is inclusive).
    c.ws.close();
    await c.closed;
    const again = await connect();
    again.ws.send(JSON.stringify(hello()));
    await until(() => again.messages.some((m) => m.type === 'welcome'), 'second welcome');
    const w2 = again.messages.find((m) => m.type === 'welcome') as typeof welcome;
    expect(w2.symbols[0]).toEqual({ name: 'EURUSD', id, cursor: { time_msc: serverNow + 3, count_at_msc: 2 } });
    again.ws.close();
    await again.closed;
  });

  test('a tick frame before hello is refused', async () => {
    const c = await connect();
    c.ws.send(tickFrame(0, [{ timeMsc: Date.now(), bid: 1, ask: 1 }]));
    await until(() => c.messages.length > 0, 'error');
    expect(c.messages[0]).toMatchObject({ type: 'error', code: 'EA_NOT_READY' });
    c.ws.close();
  });
});
