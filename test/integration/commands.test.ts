/**
 * The command path end to end over real sockets: a test backend that speaks section 2 of
 * docs/protocol.md sends TradingCommands to a real Bridge; a test EA that follows section 1
 * executes them. What a user relies on: every command ends in exactly one final report (plus a
 * correction after UNKNOWN), reports are numbered, survive a backend reconnect and a bridge
 * restart, duplicates never reach the EA twice, offline EAs get their commands when they return.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { Bridge } from '../../src/main/bridge.js';
import { parseConfig } from '../../src/shared/config.js';
import { TradingBackend } from '../helpers/trading-backend.js';
import { TradingEa } from '../helpers/trading-ea.js';

const TOKEN = 'commands-token';
const FILLED = 3;
const ACCEPTED = 1;
const SENT = 2;
const REJECTED = 5;
const EXPIRED = 6;
const UNKNOWN = 7;

let dir: string;
let backend: TradingBackend;
let bridge: Bridge | null = null;
const eas: TradingEa[] = [];

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function startBridge(stateDir = join(dir, 'state')): Promise<Bridge> {
  const config = parseConfig({
    workers: 1,
    eaLink: { port: 0, token: TOKEN },
    backend: { endpoints: [backend.url], jwt: 'x' },
    transport: { encoding: 'row', reconnectMinMs: 10, reconnectMaxMs: 50 },
    spool: { enabled: false },
    trading: { stateDir, maxLot: 5, maxOpenPositions: 20, priceStreamIntervalMs: 100, userId: 'user-42' },
  });
  bridge = await Bridge.start(config, () => {});
  await until(() => backend.connected, 'the bridge to connect to the backend');
  return bridge;
}

async function newEa(runId: string): Promise<TradingEa> {
  const ea = new TradingEa(`ws://127.0.0.1:${bridge!.eaPort}/ea`, TOKEN, runId);
  eas.push(ea);
  await ea.connect();
  await until(() => ea.ready, 'welcome');
  return ea;
}

const open = (id: string, over: Record<string, unknown> = {}) => ({ command_id: id, type: 0, symbol: 'EURUSD', order_type: 0, lot_size: 0.1, ...over });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'client-mt5-commands-'));
});

afterEach(async () => {
  for (const ea of eas.splice(0)) await ea.drop();
  await bridge?.stop();
  bridge = null;
  await backend?.stop();
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('commands through the bridge', () => {
  test('a command is checked, executed by the EA and reported in numbered stages; account and prices flow', async () => {
    backend = new TradingBackend();
    await backend.start();
    await startBridge(join(dir, 'a'));
    const ea = await newEa('run-1');
    ea.tick(0, 1.085, 1.08512);
    await until(() => backend.profiles.length > 0, 'an AccountProfile');
    backend.command(open('cmd-1', { stop_loss: 1.082, take_profit: 1.091, original_entry: 1.085 }));
    await until(() => backend.statuses('cmd-1').includes(FILLED), 'the fill');
    expect(backend.statuses('cmd-1')).toEqual([ACCEPTED, SENT, FILLED]);
    const [accepted, , filled] = backend.reports.filter((r) => r.command_id === 'cmd-1');
    expect(backend.reports.map((r) => Number(r.report_sequence))).toEqual([1, 2, 3]);
    // Re-based by the user's ask (+12 points), distances kept; the EA got those levels.
    expect(accepted.price_adjustment).toBeCloseTo(0.00012, 10);
    expect(ea.commands[0]).toMatchObject({ kind: 'open', order_type: 'buy', volume: 0.1, sl: 1.08212, tp: 1.09112, magic: 5350001 });
    expect(ea.commands[0].comment).toMatch(/^cm5:\d+$/);
    expect(filled).toMatchObject({ final: true, ticket: '70001', deal: '80001', volume: 0.1, price: 1.08514, slippage_points: 2, retcode: 10009 });
    expect(backend.profiles[0]).toMatchObject({ account_number: '51234567', balance: 10000, user_id: 'user-42' });
    await until(() => backend.prices.some((p) => (p.prices ?? []).length > 0), 'a ClientPriceStream');
    const price = backend.prices.find((p) => (p.prices ?? []).length > 0)!.prices![0];
    expect(price).toMatchObject({ symbol: 'EURUSD', bid: 1.085, ask: 1.08512, spread: 12 });
    const stats = bridge!.stats().commands;
    expect(stats).toMatchObject({ received: 1, accepted: 1, sent: 1, filled: 1 });
  });

  test('the trade server\'s refusal and the gate\'s refusal both end the command in one final report', async () => {
    backend = new TradingBackend();
    await backend.start();
    await startBridge(join(dir, 'b'));
    const ea = await newEa('run-1');
    ea.behaviour = 'reject';
    backend.command(open('no-money'));
    backend.command(open('too-big', { lot_size: 6 }));
    await until(() => backend.statuses('no-money').includes(REJECTED) && backend.statuses('too-big').includes(REJECTED), 'two rejections');
    expect(backend.reports.find((r) => r.command_id === 'no-money' && r.final)).toMatchObject({ retcode: 10019, source: 'server' });
    expect(backend.reports.find((r) => r.command_id === 'too-big')).toMatchObject({ status: REJECTED, reason: 'RISK_MAX_LOT', source: 'bridge' });
    expect(ea.commands.map((c) => c.command_id)).toEqual(['no-money']);
    expect(bridge!.stats().commands.rejected_by_reason).toMatchObject({ RISK_MAX_LOT: 1 });
  });

  test('an offline EA: the command waits and runs when it returns; one that expires waiting is EXPIRED', async () => {
    backend = new TradingBackend();
    await backend.start();
    await startBridge(join(dir, 'c'));
    backend.command(open('waits'));
    backend.command(open('expires', { expires_at: Date.now() + 300 }));
    backend.command(open('late', { expires_at: Date.now() - 1 }));
    await until(() => backend.statuses('expires').includes(EXPIRED), 'the expiry in the queue');
    expect(backend.reports.find((r) => r.command_id === 'expires')!.reason).toBe('EA_OFFLINE_EXPIRED');
    expect(backend.reports.find((r) => r.command_id === 'late')!.reason).toBe('BRIDGE_EXPIRED');
    expect(backend.statuses('waits')).toEqual([]);
    const ea = await newEa('run-1');
    await until(() => backend.statuses('waits').includes(FILLED), 'the queued command to fill');
    expect(ea.commands.map((c) => c.command_id)).toEqual(['waits']);
  });

  test('a link drop mid-trade: UNKNOWN at once, then a correcting FILLED from the restarted EA\'s deals', async () => {
    backend = new TradingBackend();
    await backend.start();
    await startBridge(join(dir, 'd'));
    const ea = await newEa('run-1');
    ea.behaviour = 'hang';
    backend.command(open('in-doubt'));
    await until(() => backend.statuses('in-doubt').includes(SENT), 'SENT');
    const comment = ea.commands[0].comment;
    await ea.drop();
    await until(() => backend.statuses('in-doubt').includes(UNKNOWN), 'UNKNOWN');
    expect(bridge!.stats().commands.in_doubt).toBe(1);
    // The EA restarted (a new run): it does not know the command; its deals show it filled.
    const ea2 = new TradingEa(`ws://127.0.0.1:${bridge!.eaPort}/ea`, TOKEN, 'run-2');
    eas.push(ea2);
    ea2.syncAnswer = (sync) => ({
      replay: [],
      deals: {
        from_msc: 0, to_msc: 0, unknown_command_ids: sync.command_ids,
        deals: [{ ticket: '80009', order: '70009', position: '70009', symbol: 'EURUSD', type: 'buy', entry: 'in', volume: 0.1, price: 1.0852,
          profit: 0, swap: 0, commission: 0, time_msc: 0, magic: 5350001, comment, reason: 'expert' }],
      },
    });
    await ea2.connect();
    await until(() => backend.statuses('in-doubt').length === 4, 'the correction');
    expect(ea2.syncs[0].command_ids).toEqual(['in-doubt']);
    expect(backend.statuses('in-doubt')).toEqual([ACCEPTED, SENT, UNKNOWN, FILLED]);
    expect(backend.reports.at(-1)).toMatchObject({ correction: true, final: true, volume: 0.1, price: 1.0852, ticket: '70009' });
    expect(ea2.commands).toEqual([]); // never sent again
    expect(bridge!.stats().commands).toMatchObject({ unknown: 1, reconciled: 1, in_doubt: 0 });
  });

  test('the same EA run that never received the command: a correcting REJECTED EA_NOT_DELIVERED', async () => {
    backend = new TradingBackend();
    await backend.start();
    await startBridge(join(dir, 'e'));
    const ea = await newEa('run-same');
    ea.behaviour = 'hang';
    backend.command(open('lost'));
    await until(() => backend.statuses('lost').includes(SENT), 'SENT');
    await ea.drop();
    await until(() => backend.statuses('lost').includes(UNKNOWN), 'UNKNOWN');
    await newEa('run-same');
    await until(() => backend.statuses('lost').length === 4, 'the correction');
    expect(backend.reports.at(-1)).toMatchObject({ status: REJECTED, reason: 'EA_NOT_DELIVERED', correction: true });
  });

  test('reports survive a backend reconnect: re-sent in order, deduplicated by report_sequence', async () => {
    backend = new TradingBackend();
    await backend.start();
    await startBridge(join(dir, 'f'));
    await newEa('run-1');
    backend.ackReports = false;
    backend.command(open('r-1'));
    backend.command(open('r-2'));
    await until(() => backend.statuses('r-2').includes(FILLED), 'both fills');
    const before = backend.frames.length;
    expect(before).toBe(6);
    backend.ackReports = true;
    backend.dropClient();
    await until(() => backend.frames.length >= before + 6, 'the re-sent reports');
    expect(backend.frames.slice(before, before + 6).map((r) => Number(r.report_sequence))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(backend.reports.length).toBe(6); // processed once each
    await until(() => bridge!.stats().commands.reports_unacked === 0, 'the acks to reach the store');
  });

  test('a bridge restart with the same state dir: a duplicate is not executed again; report numbering continues', async () => {
    backend = new TradingBackend();
    await backend.start();
    const state = join(dir, 'g');
    await startBridge(state);
    const ea = await newEa('run-1');
    backend.command(open('once'));
    await until(() => backend.statuses('once').includes(FILLED), 'the fill');
    await ea.drop();
    await bridge!.stop();
    await backend.stop();
    // A new backend (it lost its state), the same client state directory.
    backend = new TradingBackend();
    await backend.start();
    await startBridge(state);
    const ea2 = await newEa('run-2');
    backend.command(open('once'));
    await until(() => backend.frames.some((r) => r.repeat), 'the repeated report');
    const repeat = backend.frames.find((r) => r.repeat)!;
    expect(repeat).toMatchObject({ command_id: 'once', status: FILLED, final: true });
    expect(Number(repeat.report_sequence)).toBeGreaterThan(3); // numbering continues across restarts
    backend.command(open('next'));
    await until(() => backend.statuses('next').includes(FILLED), 'the next command');
    expect(ea2.commands.map((c) => c.command_id)).toEqual(['next']);
    expect(bridge!.stats().commands.duplicates).toBe(1);
  });
});
