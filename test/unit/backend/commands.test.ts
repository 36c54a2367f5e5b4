// The reference backend's trading side against a real `ws` client that follows docs/protocol.md
// section 2: the RSI signal rule, POST /commands (202 and the command on the client's link; 400
// naming what is wrong), report_sequence acks and duplicates, final-state counting with a
// correction after UNKNOWN, and fills checked against the AccountProfile's limits.
import { afterEach, describe, expect, it } from 'vitest';
import { startBackend, type BackendHandle } from '../../../src/backend/reference-backend.js';
import { SignalRule } from '../../../src/backend/signal-rule.js';
import { Envelope } from '../../../src/backend/wire.js';
import type { clientmt5 } from '../../../src/gen/clientmt5.js';
import { signJwt } from '../../../src/shared/jwt.js';
import { encodeBatch, type TickProps } from './stream-builder.js';
import { TestClient } from './ws-client.js';

const SECRET = 'test-secret-0123456789';
const token = (sub: string) => signJwt({ sub, exp: Math.floor(Date.now() / 1000) + 3600 }, SECRET);

let backend: BackendHandle | undefined;
const clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await backend?.close();
  backend = undefined;
});

async function start(signals: boolean | object = false): Promise<BackendHandle> {
  backend = await startBackend({ port: 0, jwtSecret: SECRET, signals: signals as never, heartbeatIntervalMs: 0 });
  return backend;
}

async function connect(b: BackendHandle, sub = 'client-a'): Promise<TestClient> {
  const c = await TestClient.connect(b.url, token(sub));
  clients.push(c);
  return c;
}

async function post(b: BackendHandle, body: unknown): Promise<{ status: number; json: Record<string, string> }> {
  const res = await fetch(`http://127.0.0.1:${b.port}/commands`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, string> };
}

type Report = clientmt5.v1.ExecutionReport.$Properties;
const report = (r: Report) => Envelope.encode({ protocol_version: 1, execution_report: r }).finish();
const profile = (p: clientmt5.v1.AccountProfile.$Properties) => Envelope.encode({ protocol_version: 1, account_profile: p }).finish();

/** Mid prices that rise for 20 ticks, then fall for 40: RSI(14) goes to 100, then down through 30. */
function risingThenFalling(symbol: string, start = 1.085): TickProps[] {
  const out: TickProps[] = [];
  let bid = start;
  for (let i = 0; i < 60; i++) {
    bid = Math.round((bid + (i < 20 ? 0.0001 : -0.0001)) * 1e5) / 1e5;
    out.push({ symbol, bid, ask: Math.round((bid + 0.0001) * 1e5) / 1e5, time_msc: 1767225600000 + i * 100, sequence_number: i + 1 });
  }
  return out;
}

describe('signal rule', () => {
  it('buys when RSI(14) crosses below 30, with SL/TP at their distances from the backend\'s ask, an expiry, reason and confidence', () => {
    const rule = new SignalRule({ slPoints: 100, tpPoints: 200, expiryMs: 30_000 });
    const fired = risingThenFalling('EURUSD').map((t) => rule.onTick(t.symbol!, t.time_msc!, t.bid!, t.ask!, () => 0)).filter((c) => c !== null);
    expect(fired).toHaveLength(1);
    const c = fired[0]!;
    expect(c).toMatchObject({ type: 0, order_type: 0, symbol: 'EURUSD', lot_size: 0.1, entry_price: 0 });
    expect(c.stop_loss).toBeCloseTo(c.original_entry! - 0.001, 10);
    expect(c.take_profit).toBeCloseTo(c.original_entry! + 0.002, 10);
    expect(c.reason).toMatch(/^RSI\(14\) crossed below 30 \(\d+\.\d\)$/);
    expect(c.confidence_score).toBeGreaterThanOrEqual(0.5);
    expect(c.command_id).toMatch(/^sig-/);
  });

  it('sells on a cross above 70 (yen points for JPY), and keeps its brakes: interval, per-symbol cooldown, commands in flight', () => {
    const rule = new SignalRule({ minIntervalMs: 0, cooldownMs: 0 });
    // The mirror image in yen prices: falling, then rising 0.01 a tick.
    const yen = (x: number) => Math.round(x * 1000) / 1000;
    const falling = risingThenFalling('EURUSD').map((t) => ({ ...t, bid: yen(150 + (1.085 - t.bid!) * 100), ask: yen(150.01 + (1.085 - t.bid!) * 100) }));
    const sells = falling.map((t) => rule.onTick('USDJPY', t.time_msc!, t.bid, t.ask, () => 0)).filter((c) => c !== null);
    expect(sells).toHaveLength(1);
    expect(sells[0]).toMatchObject({ order_type: 1 });
    expect(sells[0]!.stop_loss! - sells[0]!.original_entry!).toBeCloseTo(0.08, 9); // 80 points of 0.001

    const held = new SignalRule({ maxInFlight: 2 });
    expect(risingThenFalling('EURUSD').map((t) => held.onTick('EURUSD', t.time_msc!, t.bid!, t.ask!, () => 2)).filter(Boolean)).toHaveLength(0);
    expect(held.crossings).toBe(1);
  });
});

describe('reference backend: commands', () => {
  it('issues a signal command on the client\'s link when its ticks cross, and counts it issued', async () => {
    const b = await start({ minIntervalMs: 0 });
    const c = await connect(b);
    c.send(encodeBatch(1, risingThenFalling('EURUSD')));
    expect((await c.next()).ack?.batch_sequence).toBe(1);
    const env = await c.next();
    expect(env.trading_command).toMatchObject({ symbol: 'EURUSD', order_type: 0, type: 0 });
    expect(b.stats().commands).toMatchObject({ issued: 1, in_flight: 1, by_origin: { signal: 1 } });
  });

  it('POST /commands: 202 and the command reaches the client; 409 without a client; 400 naming what is wrong', async () => {
    const b = await start();
    expect(await post(b, { symbol: 'EURUSD', order_type: 'BUY', lot_size: 0.1 })).toEqual({ status: 409, json: { error: 'no client is connected to this backend' } });
    const c = await connect(b);
    const ok = await post(b, { symbol: 'EURUSD', order_type: 'buy', lot_size: 0.1, stop_loss: 1.08, take_profit: 1.09, command_id: 'by-hand-1', reason: 'test' });
    expect(ok).toEqual({ status: 202, json: { command_id: 'by-hand-1', client_id: 'client-a' } });
    const env = await c.next();
    expect(env.trading_command).toMatchObject({ command_id: 'by-hand-1', symbol: 'EURUSD', order_type: 0, lot_size: 0.1, stop_loss: 1.08, take_profit: 1.09, reason: 'test' });
    expect(env.trading_command!.expires_at).toBeGreaterThan(Date.now());
    const where = await fetch(`http://127.0.0.1:${b.port}/commands/by-hand-1`);
    expect(where.status).toBe(200);
    expect(await where.json()).toMatchObject({ command_id: 'by-hand-1', client_id: 'client-a', origin: 'http', state: 'issued' });
    expect((await fetch(`http://127.0.0.1:${b.port}/commands/nope`)).status).toBe(404);
    const closing = await post(b, { type: 'CLOSE_POSITION', symbol: 'EURUSD', ticket: '5012345678901' });
    expect(closing.status).toBe(202);
    expect((await c.next()).trading_command).toMatchObject({ type: 1, ticket: '5012345678901' });

    const bad = async (body: unknown) => (await post(b, body)).json.error;
    expect((await post(b, '{"symbol":')).status).toBe(400);
    expect(await bad('{"symbol":')).toMatch(/^the body is not JSON/);
    expect(await bad([1])).toBe('the body must be a JSON object');
    expect(await bad({ symbol: 'EURUSD', order_type: 'BUY', lot_size: 0.1, colour: 'red' })).toBe('unknown field(s) colour');
    expect(await bad({ symbol: 'EURUSD', order_type: 'HOLD', lot_size: 0.1 })).toBe('order_type must be one of BUY, SELL, BUY_LIMIT, SELL_LIMIT, BUY_STOP, SELL_STOP, got "HOLD"');
    expect(await bad({ symbol: 'EURUSD', order_type: 'BUY' })).toBe('lot_size must be > 0 for OPEN_POSITION');
    expect(await bad({ symbol: 'EURUSD', order_type: 'BUY', lot_size: -1 })).toBe('lot_size must be >= 0');
    expect(await bad({ symbol: 'EURUSD', order_type: 'BUY_LIMIT', lot_size: 0.1 })).toBe('entry_price is required for a pending order');
    expect(await bad({ type: 'MODIFY_POSITION', symbol: 'EURUSD' })).toBe('ticket is required for MODIFY_POSITION');
    expect(await bad({ order_type: 'BUY', lot_size: 0.1 })).toMatch(/^symbol/);
    expect(await bad({ symbol: 'EURUSD', order_type: 'BUY', lot_size: 0.1, confidence_score: 2 })).toBe('confidence_score must be from 0 to 1');
    expect((await post(b, { symbol: 'EURUSD', order_type: 'BUY', lot_size: 0.1, command_id: 'by-hand-1' })).status).toBe(409);
    expect((await post(b, { symbol: 'EURUSD', order_type: 'BUY', lot_size: 0.1, client_id: 'nobody' })).status).toBe(404);
    expect(c.pending).toBe(0); // nothing of the refused ones went out
    expect(b.stats().commands).toMatchObject({ issued: 2, by_origin: { http: 2 } });
  });

  it('acks reports by report_sequence, drops resends, counts each command\'s final once and a correction after UNKNOWN as reconciled', async () => {
    const b = await start();
    const c = await connect(b);
    for (const id of ['a', 'b']) {
      expect((await post(b, { command_id: id, symbol: 'EURUSD', order_type: 'BUY', lot_size: 0.1 })).status).toBe(202);
      await c.next();
    }
    const acks: number[] = [];
    const send = async (r: Report) => {
      c.send(report(r));
      acks.push((await c.next()).ack!.report_sequence);
    };
    await send({ report_sequence: 1, command_id: 'a', status: 1, symbol: 'EURUSD' });
    await send({ report_sequence: 2, command_id: 'a', status: 2, symbol: 'EURUSD' });
    await send({ report_sequence: 3, command_id: 'a', status: 3, final: true, symbol: 'EURUSD', volume: 0.1, price: 1.085, retcode: 10009 });
    await send({ report_sequence: 2, command_id: 'a', status: 2, symbol: 'EURUSD' }); // a resend after a lost ack
    await send({ report_sequence: 4, command_id: 'b', status: 7, final: true, symbol: 'EURUSD', reason: 'EA_LINK_LOST' });
    await send({ report_sequence: 5, command_id: 'b', status: 3, final: true, correction: true, symbol: 'EURUSD', volume: 0.1, retcode: 10009 });
    await send({ report_sequence: 6, command_id: 'a', status: 3, final: true, repeat: true, symbol: 'EURUSD', volume: 0.1 });
    expect(acks).toEqual([1, 2, 3, 3, 4, 5, 6]);
    expect(b.commandOutcome('b')).toMatchObject({ state: 'filled', retcode: 10009, finals: 2 });
    expect(b.stats().commands).toMatchObject({
      issued: 2, filled: 2, unknown: 0, reconciled: 1, in_flight: 0, reports: 6, reports_duplicate: 1, reports_repeat: 1,
      retcodes: { 10009: 2 }, limit_violations: 0,
    });
  });

  it('counts a fill that breaks the AccountProfile\'s limits (max lot, allowed symbols, open positions, daily loss) as a violation', async () => {
    const b = await start();
    const c = await connect(b);
    c.send(profile({
      balance: 10000, equity: 9400, day_start_balance: 10000, open_positions: 2,
      risk_profile: { max_lot: 0.5, allowed_symbols: ['EURUSD', 'GBPUSD'], max_daily_loss: 500 },
      preferences: { max_open_positions: 3 },
    }));
    for (const [id, symbol, lot] of [['big', 'EURUSD', 1], ['other', 'USDJPY', 0.1]] as const) {
      expect((await post(b, { command_id: id, symbol, order_type: 'SELL', lot_size: lot })).status).toBe(202);
      await c.next();
    }
    let seq = 0;
    const send = async (r: Report) => {
      c.send(report({ report_sequence: ++seq, ...r }));
      await c.next();
    };
    await send({ command_id: 'big', status: 1, symbol: 'EURUSD' });
    await send({ command_id: 'big', status: 3, final: true, symbol: 'EURUSD', volume: 1 });
    await send({ command_id: 'other', status: 1, symbol: 'USDJPY' });
    await send({ command_id: 'other', status: 3, final: true, symbol: 'USDJPY', volume: 0.1 });
    const s = b.stats().commands!;
    expect(s.violation_examples.map((v) => v.limit).sort()).toEqual(
      ['allowed_symbols', 'max_daily_loss', 'max_daily_loss', 'max_lot', 'max_open_positions'].sort(),
    );
    expect(s.limit_violations).toBe(5);
    expect(s.account_profiles).toBe(1);
  });
});
