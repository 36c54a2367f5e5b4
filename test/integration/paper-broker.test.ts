/**
 * The whole trading path with the real pieces: the reference backend (POST /commands), the bridge
 * (gate, EA link, reports), and the simulated EA's paper broker. A command posted by hand reaches
 * the paper broker, and its final report — with the trade server's retcode — reaches the backend,
 * for every retcode the paper broker gives; a link dropped mid-trade ends `unknown`, then is
 * corrected once the bridge reconciles with the returning EA.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startBackend, type BackendHandle } from '../../src/backend/reference-backend.js';
import { startEaSim, type EaSimHandle } from '../../src/ea-sim/ea-sim.js';
import { Bridge } from '../../src/main/bridge.js';
import { parseConfig } from '../../src/shared/config.js';
import { signJwt } from '../../src/shared/jwt.js';

const SECRET = 'paper-broker-secret-0123';
const TOKEN = 'paper-broker-token';

let dir: string;
let backend: BackendHandle;
let bridge: Bridge;
let sim: EaSimHandle;

async function until(what: string, cond: () => unknown, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function post(body: Record<string, unknown>): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${backend.port}/commands`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  await res.body?.cancel();
  return res.status;
}

/** Posts a command and waits for its final report at the backend. */
async function outcome(body: Record<string, unknown>) {
  expect(await post(body)).toBe(202);
  const id = body.command_id as string;
  await until(`the final report of ${id}`, () => backend.commandOutcome(id)?.state !== 'issued');
  return backend.commandOutcome(id)!;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'client-mt5-paper-'));
  backend = await startBackend({ port: 0, jwtSecret: SECRET });
  const config = parseConfig({
    workers: 1,
    eaLink: { port: 0, token: TOKEN },
    backend: { endpoints: [backend.url], jwt: signJwt({ sub: 'paper-client', exp: Math.floor(Date.now() / 1000) + 3600 }, SECRET) },
    spool: { enabled: false },
    trading: { stateDir: join(dir, 'trading'), maxLot: 5, maxOpenPositions: 100, userId: 'paper-user' },
  });
  bridge = await Bridge.start(config, () => {});
  await bridge.waitForBackend(10_000);
  sim = await startEaSim({
    url: `ws://127.0.0.1:${bridge.eaPort}${config.eaLink.path}`, token: TOKEN, log: () => {}, symbols: 3, ratePerS: 500,
    invalidRate: 0, tradeLatencyMs: 1,
  });
  // The bridge knows the account (AccountProfile) and a price of each symbol before the first command.
  await until('an AccountProfile at the backend', () => (backend.stats().commands?.account_profiles ?? 0) > 0);
});

afterAll(async () => {
  await sim?.stop();
  await bridge?.stop();
  await backend?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('POSTed commands through the bridge to the paper broker and back', () => {
  test('each paper-broker retcode reaches the backend as the command\'s final report', async () => {
    const market = { symbol: 'EURUSD', order_type: 'BUY', lot_size: 0.2 };
    const cases: Array<[string, string, number]> = [
      ['done', 'filled', 10009], ['sim:requote', 'rejected', 10004], ['sim:price_changed', 'rejected', 10020],
      ['sim:no_money', 'rejected', 10019], ['sim:invalid_stops', 'rejected', 10016], ['sim:invalid_volume', 'rejected', 10014],
      ['sim:market_closed', 'rejected', 10018], ['sim:invalid_fill', 'rejected', 10030], ['sim:partial', 'partially_filled', 10010],
    ];
    for (const [name, state, retcode] of cases) {
      const o = await outcome({ ...market, command_id: `e2e-${name}` });
      expect(o, name).toMatchObject({ state, retcode, finals: 1 });
      if (state === 'rejected') expect(o, name).toMatchObject({ source: 'server', volume: 0 });
    }
    expect(backend.commandOutcome('e2e-sim:partial')).toMatchObject({ volume: 0.1 });
    const done = backend.commandOutcome('e2e-done')!;
    // The backend's fill is the paper broker's position; slippage is the move from the ask the EA
    // saw when it sent (the market moves during the trade server's latency, and the fill slips).
    expect(sim.broker.book.positions.get(done.ticket)).toMatchObject({ volume: 0.2, symbol: 'EURUSD', type: 'buy', price_open: done.price });
    expect(Number.isFinite(done.slippage_points)).toBe(true);

    const bid = sim.broker.quotes.quote('USDJPY')!.bid;
    const placed = await outcome({
      command_id: 'e2e-pending', symbol: 'USDJPY', order_type: 'SELL_LIMIT', lot_size: 0.1, entry_price: Math.round((bid + 0.5) * 1000) / 1000,
    });
    expect(placed).toMatchObject({ state: 'filled', retcode: 10008 });
    expect(sim.broker.book.orders.get(placed.ticket)).toMatchObject({ type: 'sell_limit', symbol: 'USDJPY' });

    const closed = await outcome({ command_id: 'e2e-close', type: 'CLOSE_POSITION', symbol: 'EURUSD', ticket: done.ticket });
    expect(closed).toMatchObject({ state: 'filled', retcode: 10009, volume: 0.2 });
    expect(sim.broker.book.positions.has(done.ticket)).toBe(false);

    const stats = backend.stats().commands!;
    expect(stats.issued).toBe(stats.filled + stats.partially_filled + stats.rejected + stats.expired + stats.unknown);
    expect(stats.limit_violations).toBe(0);
    expect(stats.fills_unchecked).toBe(0);
  });

  test('a link dropped mid-trade: unknown at once, then the reconciled outcome as a correction', async () => {
    const o = await outcome({ command_id: 'e2e-sim:drop', symbol: 'GBPUSD', order_type: 'SELL', lot_size: 0.1 });
    expect(o.state).toBe('unknown');
    await until('the correction', () => backend.commandOutcome('e2e-sim:drop')!.finals === 2);
    expect(backend.commandOutcome('e2e-sim:drop')).toMatchObject({ state: 'filled', volume: 0.1 });
    expect(backend.stats().commands).toMatchObject({ unknown: 0, limit_violations: 0 });
    expect(backend.stats().commands!.reconciled).toBeGreaterThanOrEqual(1);
    expect([...sim.broker.book.positions.values()].filter((p) => p.symbol === 'GBPUSD' && p.type === 'sell')).toHaveLength(1);
  });
});
