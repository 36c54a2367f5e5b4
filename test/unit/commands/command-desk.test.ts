/**
 * The command desk and its durable store, driven as the bridge drives them (EA messages in,
 * EA commands and transport messages out), with a real store in a temporary directory.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { CommandDesk, type EaTradingSession } from '../../../src/main/commands/command-desk.js';
import { CommandStore } from '../../../src/main/commands/command-store.js';
import { parseConfig } from '../../../src/shared/config.js';
import type { BridgeToEaMessage, CommandMessage, ExecutionMessage, PositionsMessage } from '../../../src/shared/protocol.js';
import type { ExecutionReportData, TradingCommandData, TradingToTransport } from '../../../src/shared/trading.js';

const SPEC = {
  name: 'EURUSD', digits: 5, point: 0.00001, contract_size: 100000, volume_min: 0.01, volume_step: 0.01, volume_max: 100,
  stops_level: 0, freeze_level: 0, filling_modes: 3, tick_size: 0.00001, trade_mode: 4, execution_mode: 2, order_modes: 127, expiration_modes: 7,
};

let dir: string;
let now = 1_718_006_400_000;

class Harness {
  readonly toEa: BridgeToEaMessage[] = [];
  readonly reports: ExecutionReportData[] = [];
  readonly posted: TradingToTransport[] = [];
  readonly store: CommandStore;
  readonly desk: CommandDesk;

  constructor(trading: Record<string, unknown> = {}) {
    const config = parseConfig({ eaLink: { token: 'xxxxxxxx' }, backend: { endpoints: ['ws://x'], jwt: 'j' }, trading: { stateDir: dir, ...trading } });
    this.store = new CommandStore(dir, config.trading.commandMemoryMs, () => now).open();
    this.desk = new CommandDesk({
      config: config.trading, store: this.store, now: () => now, log: () => {},
      sendToEa: (m) => this.toEa.push(m),
      post: (m) => { this.posted.push(m); if (m.type === 'reports') this.reports.push(...m.reports); },
    });
  }

  ea(runId: string, positions: PositionsMessage['positions'] = [], orders: PositionsMessage['orders'] = []): void {
    const session: EaTradingSession = { runId, magic: 42, offsetMs: 0, server: 'S', symbols: new Map([['EURUSD', { id: 0, spec: SPEC }]]) };
    this.desk.onEaSession(session);
    this.desk.prices.set(0, 1.085, 1.08512, now);
    this.desk.onEaMessage({ type: 'account', time_msc: now, login: '1', server: 'S', company: 'C', currency: 'USD', leverage: 100, trade_mode: 0, margin_mode: 2, balance: 10000, equity: 10000, profit: 0, margin: 0, margin_free: 10000, margin_level: 0, trade_allowed: true });
    this.desk.onEaMessage({ type: 'positions', time_msc: now, positions, orders });
  }

  commands(): CommandMessage[] {
    return this.toEa.filter((m): m is CommandMessage => m.type === 'command');
  }

  exec(c: CommandMessage, stage: ExecutionMessage['stage'], over: Partial<ExecutionMessage> = {}): void {
    this.desk.onEaMessage({
      type: 'execution', command_id: c.command_id, stage, source: 'server', retcode: 0, retcode_text: '', reason: '', symbol: c.symbol,
      ticket: '', order: '', deal: '', volume: 0, price: 0, requested_volume: c.volume, requested_price: 0, sl: c.sl, tp: c.tp,
      filling: '', time_msc: now, replay: false, ...over,
    });
  }

  statuses(id: string): number[] {
    return this.reports.filter((r) => r.command_id === id && !r.repeat).map((r) => r.status);
  }
}

function cmd(id: string, over: Partial<TradingCommandData> = {}): TradingCommandData {
  return {
    command_id: id, user_id: '', type: 0, symbol: 'EURUSD', order_type: 0, lot_size: 0.1, entry_price: 0, stop_loss: 0, take_profit: 0,
    reason: '', confidence_score: 0, expires_at: 0, original_entry: 0, price_adjustment: 0, adjustment_reason: '', ticket: '',
    deviation_points: 0, order_expiration: 0, magic: 0, ...over,
  };
}

beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'client-mt5-desk-')); });
afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

describe('duplicates and expiry', () => {
  test('a duplicate is answered with its latest report (repeat) and never reaches the EA twice, also after a restart', () => {
    const a = new Harness();
    a.ea('r1');
    a.desk.onBackendCommand(cmd('c1'));
    a.desk.onBackendCommand(cmd('c1'));
    expect(a.commands()).toHaveLength(1);
    expect(a.reports.at(-1)).toMatchObject({ command_id: 'c1', status: 1, repeat: true });
    a.store.close();
    const b = new Harness(); // same directory: a restarted bridge
    b.ea('r2');
    b.desk.onBackendCommand(cmd('c1'));
    expect(b.commands()).toHaveLength(0);
    expect(b.desk.stats.duplicates).toBe(1);
  });

  test('expired on arrival is EXPIRED BRIDGE_EXPIRED; a malformed one is REJECTED BRIDGE_BAD_COMMAND', () => {
    const h = new Harness();
    h.ea('r1');
    h.desk.onBackendCommand(cmd('old', { expires_at: now - 1 }));
    h.desk.onBackendCommand(cmd('bad', { lot_size: -1 }));
    expect(h.reports.map((r) => [r.command_id, r.status, r.reason])).toEqual([['old', 6, 'BRIDGE_EXPIRED'], ['bad', 5, 'BRIDGE_BAD_COMMAND']]);
    expect(h.commands()).toHaveLength(0);
  });

  test('trading.enabled false refuses everything', () => {
    const h = new Harness({ enabled: false });
    h.ea('r1');
    h.desk.onBackendCommand(cmd('x'));
    expect(h.reports[0]).toMatchObject({ status: 5, reason: 'BRIDGE_TRADING_DISABLED' });
  });
});

describe('the offline queue', () => {
  test('waits for account and positions of a trading EA, in order; a bounded queue refuses beyond it', () => {
    const h = new Harness({ offlineQueueMax: 2 });
    h.desk.onBackendCommand(cmd('q1'));
    h.desk.onBackendCommand(cmd('q2'));
    h.desk.onBackendCommand(cmd('q3'));
    expect(h.reports.map((r) => [r.command_id, r.reason])).toEqual([['q3', 'BRIDGE_QUEUE_FULL']]);
    expect(h.desk.stats.queued).toBe(2);
    h.ea('r1');
    expect(h.commands().map((c) => c.command_id)).toEqual(['q1', 'q2']);
  });

  test('queued commands survive a restart and expire there if their time passes', () => {
    const a = new Harness();
    a.desk.onBackendCommand(cmd('keep'));
    a.desk.onBackendCommand(cmd('expire', { expires_at: now + 1000 }));
    a.store.close();
    now += 2000;
    const b = new Harness();
    b.desk.tick();
    expect(b.statuses('expire')).toEqual([6]);
    b.ea('r1');
    expect(b.commands().map((c) => c.command_id)).toEqual(['keep']);
  });
});

describe('reports', () => {
  test('every command ends in exactly one final report; slippage is positive when worse for the trader', () => {
    const h = new Harness();
    h.ea('r1');
    h.desk.onBackendCommand(cmd('sell', { order_type: 1 }));
    const c = h.commands()[0];
    h.exec(c, 'received');
    h.exec(c, 'sent', { requested_price: 1.085 });
    h.exec(c, 'filled', { volume: 0.1, price: 1.08497, requested_price: 1.085, ticket: '9', retcode: 10009 });
    h.exec(c, 'filled', { volume: 0.1, price: 1.08497, requested_price: 1.085, ticket: '9', retcode: 10009 }); // a stray repeat
    expect(h.statuses('sell')).toEqual([1, 2, 3]);
    expect(h.reports.at(-1)).toMatchObject({ slippage_points: 3, ticket: '9', final: true });
    expect(h.reports.map((r) => r.report_sequence)).toEqual([1, 2, 3]);
  });

  test('unacked reports are durable: a restarted desk hands them to the transport again, in order; acked ones are gone', () => {
    const a = new Harness();
    a.ea('r1');
    a.desk.onBackendCommand(cmd('c1'));
    a.desk.onBackendCommand(cmd('c2'));
    a.desk.onReportsAcked(1);
    a.store.close();
    const b = new Harness();
    const resent = b.posted.filter((m) => m.type === 'reports').flatMap((m) => (m.type === 'reports' ? m.reports : []));
    expect(resent.map((r) => r.report_sequence)).toEqual([2, 3, 4]); // 2 from before, then the new ones
    // The process stopped with c1 and c2 in the EA's hands: both are in doubt now (UNKNOWN), numbered on.
    expect(b.reports.filter((r) => r.status === 7).map((r) => [r.command_id, r.report_sequence])).toEqual([['c1', 3], ['c2', 4]]);
  });

  test('a torn last line (a crash mid-write) is skipped; compaction keeps the live state', () => {
    const a = new Harness();
    a.ea('r1');
    a.desk.onBackendCommand(cmd('c1'));
    a.store.close();
    appendFileSync(join(dir, 'commands.jsonl'), '{"t":"cmd","c":{"id":"tor');
    const b = new Harness();
    expect(b.store.damagedLines).toBe(0);
    expect(b.store.commands.has('c1')).toBe(true);
    const lines = readFileSync(join(dir, 'commands.jsonl'), 'utf8').trim().split('\n');
    expect(lines.every((l) => JSON.parse(l) !== null)).toBe(true);
  });
});

describe('commands in doubt (section 1, rules 1-5)', () => {
  function inDoubt(kind: Partial<TradingCommandData>, positions: PositionsMessage['positions'] = []): { h: Harness; sent: CommandMessage } {
    const h = new Harness();
    h.ea('r1', positions);
    h.desk.onBackendCommand(cmd('d', kind));
    const sent = h.commands()[0];
    h.exec(sent, 'sent');
    h.desk.onEaSession(null);
    expect(h.statuses('d')).toEqual([1, 2, 7]);
    return { h, sent };
  }

  test('a replayed final execution settles it (rule 3); a replayed `sent` waits for the final', () => {
    const { h, sent } = inDoubt({});
    h.ea('r1');
    const sync = h.toEa.find((m) => m.type === 'sync');
    expect(sync).toMatchObject({ command_ids: ['d'] });
    h.exec(sent, 'sent', { replay: true });
    expect(h.statuses('d')).toEqual([1, 2, 7]);
    h.exec(sent, 'filled', { volume: 0.1, price: 1.08514, replay: true });
    expect(h.reports.at(-1)).toMatchObject({ status: 3, correction: true });
    expect(h.desk.stats.in_doubt).toBe(0);
  });

  test('close: the position gone with an out deal is FILLED; still whole is REJECTED EA_NOT_EXECUTED', () => {
    const position = { ticket: '55', identifier: '55', symbol: 'EURUSD', type: 'buy' as const, volume: 0.1, price_open: 1.08, price_current: 1.085, sl: 0, tp: 0, profit: 0, swap: 0, time_msc: 0, magic: 42, comment: '' };
    const a = inDoubt({ type: 1, ticket: '55' }, [position]);
    a.h.ea('r2');
    const syncA = a.h.toEa.filter((m) => m.type === 'sync').at(-1)!;
    a.h.desk.onEaMessage({ type: 'deals', sync_id: (syncA as { sync_id: string }).sync_id, from_msc: 0, to_msc: 0, unknown_command_ids: ['d'],
      deals: [{ ticket: '90', order: '91', position: '55', symbol: 'EURUSD', type: 'sell', entry: 'out', volume: 0.1, price: 1.0851, profit: 5, swap: 0, commission: 0, time_msc: 0, magic: 42, comment: a.sent.comment, reason: 'expert' }] });
    expect(a.h.reports.at(-1)).toMatchObject({ status: 3, correction: true, volume: 0.1, price: 1.0851 });
    rmSync(dir, { recursive: true, force: true });
    dir = mkdtempSync(join(tmpdir(), 'client-mt5-desk-'));
    const b = inDoubt({ type: 1, ticket: '55' }, [position]);
    b.h.ea('r2', [position]);
    const syncB = b.h.toEa.filter((m) => m.type === 'sync').at(-1)!;
    b.h.desk.onEaMessage({ type: 'deals', sync_id: (syncB as { sync_id: string }).sync_id, from_msc: 0, to_msc: 0, unknown_command_ids: ['d'], deals: [] });
    expect(b.h.reports.at(-1)).toMatchObject({ status: 5, reason: 'EA_NOT_EXECUTED', correction: true });
  });

  test('an open with no trace at all stays UNKNOWN', () => {
    const { h } = inDoubt({});
    h.ea('r2');
    const sync = h.toEa.filter((m) => m.type === 'sync').at(-1)! as { sync_id: string };
    h.desk.onEaMessage({ type: 'deals', sync_id: sync.sync_id, from_msc: 0, to_msc: 0, unknown_command_ids: ['d'], deals: [] });
    expect(h.statuses('d')).toEqual([1, 2, 7]);
    expect(h.desk.stats.in_doubt).toBe(1);
  });
});
