/**
 * The gate: every rejection rule of docs/protocol.md section 2 ("The gate"), and re-basing on the
 * user's own price with every distance kept (buy and sell, market and pending).
 */
import { describe, expect, test } from 'vitest';
import { admit, malformed, type GateContext } from '../../../src/main/commands/gate.js';
import { parseConfig } from '../../../src/shared/config.js';
import type { EaSymbolSpec, PositionsMessage } from '../../../src/shared/protocol.js';
import type { TradingCommandData } from '../../../src/shared/trading.js';

const EURUSD: EaSymbolSpec = {
  name: 'EURUSD', digits: 5, point: 0.00001, contract_size: 100000, volume_min: 0.01, volume_step: 0.01, volume_max: 50,
  stops_level: 10, freeze_level: 0, filling_modes: 3, tick_size: 0.00001, trade_mode: 4, execution_mode: 2, order_modes: 127, expiration_modes: 7,
};

function cmd(over: Partial<TradingCommandData> = {}): TradingCommandData {
  return {
    command_id: 'c-1', user_id: 'u', type: 0, symbol: 'EURUSD', order_type: 0, lot_size: 0.1, entry_price: 0,
    stop_loss: 0, take_profit: 0, reason: 'test', confidence_score: 0.5, expires_at: 0, original_entry: 0,
    price_adjustment: 0, adjustment_reason: '', ticket: '', deviation_points: 0, order_expiration: 0, magic: 0, ...over,
  };
}

const POSITIONS: PositionsMessage = {
  type: 'positions', time_msc: 0,
  positions: [{ ticket: '501', identifier: '501', symbol: 'EURUSD', type: 'buy', volume: 0.2, price_open: 1.08, price_current: 1.085, sl: 1.07, tp: 1.1, profit: 0, swap: 0, time_msc: 0, magic: 7, comment: '' }],
  orders: [{ ticket: '601', symbol: 'EURUSD', type: 'buy_limit', volume: 0.1, price: 1.08, sl: 1.075, tp: 1.09, time_setup_msc: 0, expiration_msc: 0, magic: 7, comment: '' }],
};

function ctx(over: Partial<GateContext> = {}, trading: Record<string, unknown> = {}): GateContext {
  const config = parseConfig({ eaLink: { token: 'xxxxxxxx' }, backend: { endpoints: ['ws://x'], jwt: 'j' }, trading: { maxLot: 2, maxOpenPositions: 5, maxDailyLoss: 500, maxDrawdownPercent: 10, ...trading } });
  return {
    config: config.trading, spec: EURUSD, symbolId: 0, quote: { bid: 1.085, ask: 1.08512 }, positions: { ...POSITIONS },
    equity: 10000, baselines: { dayStartMs: 0, dayStartBalance: 10000, peakEquity: 10000 }, opensInFlight: 0, ...over,
  };
}

function reason(c: TradingCommandData, g: GateContext): string {
  const bad = malformed(c);
  if (bad) return bad.reason;
  const v = admit(c, g);
  return v.ok ? 'ok' : v.reason;
}

describe('rejections', () => {
  test.each([
    ['empty command_id', cmd({ command_id: '' }), 'BRIDGE_BAD_COMMAND'],
    ['command_id over 64 characters', cmd({ command_id: 'x'.repeat(65) }), 'BRIDGE_BAD_COMMAND'],
    ['unknown type', cmd({ type: 9 }), 'BRIDGE_BAD_COMMAND'],
    ['zero volume', cmd({ lot_size: 0 }), 'BRIDGE_BAD_COMMAND'],
    ['pending order without a price', cmd({ order_type: 2 }), 'BRIDGE_BAD_COMMAND'],
    ['close without a ticket', cmd({ type: 1 }), 'BRIDGE_BAD_COMMAND'],
    ['negative price', cmd({ stop_loss: -1 }), 'BRIDGE_BAD_COMMAND'],
  ])('%s', (_what, c, expected) => {
    expect(reason(c, ctx())).toBe(expected);
  });

  test('symbol not in allowedSymbols; allowed ones pass', () => {
    expect(reason(cmd(), ctx({}, { allowedSymbols: ['GBPUSD'] }))).toBe('RISK_SYMBOL_NOT_ALLOWED');
    expect(reason(cmd(), ctx({}, { allowedSymbols: ['GBPUSD', 'EURUSD'] }))).toBe('ok');
  });

  test('no specs for the symbol', () => {
    expect(reason(cmd({ symbol: 'XAUUSD' }), ctx({ spec: undefined }))).toBe('RISK_UNKNOWN_SYMBOL');
  });

  test('trade mode: disabled, long only, short only, close only, order mode', () => {
    expect(reason(cmd(), ctx({ spec: { ...EURUSD, trade_mode: 0 } }))).toBe('RISK_TRADE_MODE');
    expect(reason(cmd({ order_type: 1 }), ctx({ spec: { ...EURUSD, trade_mode: 1 } }))).toBe('RISK_TRADE_MODE');
    expect(reason(cmd({ order_type: 0 }), ctx({ spec: { ...EURUSD, trade_mode: 1 } }))).toBe('ok');
    expect(reason(cmd({ order_type: 0 }), ctx({ spec: { ...EURUSD, trade_mode: 2 } }))).toBe('RISK_TRADE_MODE');
    expect(reason(cmd(), ctx({ spec: { ...EURUSD, trade_mode: 3 } }))).toBe('RISK_TRADE_MODE');
    expect(reason(cmd({ order_type: 2, entry_price: 1.08 }), ctx({ spec: { ...EURUSD, order_modes: 1 } }))).toBe('RISK_TRADE_MODE');
    // A close-only symbol still closes.
    expect(reason(cmd({ type: 1, ticket: '501' }), ctx({ spec: { ...EURUSD, trade_mode: 3 } }))).toBe('ok');
  });

  test('max lot, volume range and volume step', () => {
    expect(reason(cmd({ lot_size: 2.01 }), ctx())).toBe('RISK_MAX_LOT');
    expect(reason(cmd({ lot_size: 2 }), ctx())).toBe('ok');
    expect(reason(cmd({ lot_size: 60 }), ctx({}, { maxLot: 0 }))).toBe('RISK_VOLUME_RANGE');
    expect(reason(cmd({ lot_size: 0.005 }), ctx())).toBe('RISK_VOLUME_RANGE');
    expect(reason(cmd({ lot_size: 0.015 }), ctx())).toBe('RISK_VOLUME_STEP');
    expect(reason(cmd({ lot_size: 0.07 }), ctx())).toBe('ok'); // 0.07 / 0.01 is 7.000000000000001
  });

  test('max open positions counts positions, pending orders and opens in flight', () => {
    expect(reason(cmd(), ctx({ opensInFlight: 2 }))).toBe('ok'); // 1 + 1 + 2 = 4 < 5
    expect(reason(cmd(), ctx({ opensInFlight: 3 }))).toBe('RISK_MAX_POSITIONS');
    expect(reason(cmd(), ctx({ opensInFlight: 30 }, { maxOpenPositions: 0 }))).toBe('ok');
    // Closing is never refused by a limit.
    expect(reason(cmd({ type: 1, ticket: '501' }), ctx({ opensInFlight: 30, equity: 1 }))).toBe('ok');
  });

  test('max daily loss (account currency, from the day-start balance)', () => {
    expect(reason(cmd(), ctx({ equity: 9500.01 }, { maxDrawdownPercent: 0 }))).toBe('ok');
    expect(reason(cmd(), ctx({ equity: 9500 }, { maxDrawdownPercent: 0 }))).toBe('RISK_DAILY_LOSS');
  });

  test('max drawdown (percent of the peak equity)', () => {
    const baselines = { dayStartMs: 0, dayStartBalance: 9000, peakEquity: 12000 };
    expect(reason(cmd(), ctx({ equity: 10801, baselines }, { maxDailyLoss: 0 }))).toBe('ok');
    expect(reason(cmd(), ctx({ equity: 10800, baselines }, { maxDailyLoss: 0 }))).toBe('RISK_DRAWDOWN');
  });

  test('stops: wrong side and inside the stops level, for market and pending orders', () => {
    // Buy at ask 1.08512, bid 1.08500, stops level 10 points = 0.0001.
    expect(reason(cmd({ stop_loss: 1.0849, take_profit: 1.0853 }), ctx())).toBe('ok');
    expect(reason(cmd({ stop_loss: 1.08495 }), ctx())).toBe('RISK_STOPS'); // 5 points below bid
    expect(reason(cmd({ take_profit: 1.0852 }), ctx())).toBe('RISK_STOPS'); // 8 points above ask
    expect(reason(cmd({ stop_loss: 1.09 }), ctx())).toBe('RISK_STOPS'); // above the price
    expect(reason(cmd({ order_type: 1, stop_loss: 1.0853, take_profit: 1.0849 }), ctx())).toBe('ok');
    expect(reason(cmd({ order_type: 1, stop_loss: 1.0849 }), ctx())).toBe('RISK_STOPS'); // a sell's SL below
    // Pending: a buy limit must sit at least 10 points under the ask; its SL/TP around its own price.
    expect(reason(cmd({ order_type: 2, entry_price: 1.0840, stop_loss: 1.0830, take_profit: 1.0860 }), ctx())).toBe('ok');
    expect(reason(cmd({ order_type: 2, entry_price: 1.0851 }), ctx())).toBe('RISK_STOPS');
    expect(reason(cmd({ order_type: 4, entry_price: 1.0840 }), ctx())).toBe('RISK_STOPS'); // buy stop under the market
    expect(reason(cmd({ order_type: 5, entry_price: 1.0840, stop_loss: 1.0839 }), ctx())).toBe('RISK_STOPS');
    expect(reason(cmd({ order_type: 3, entry_price: 1.0870, stop_loss: 1.0880, take_profit: 1.0850 }), ctx())).toBe('ok');
  });

  test('a market order with stops, or a command to re-base, needs a price', () => {
    expect(reason(cmd({ stop_loss: 1.08 }), ctx({ quote: null }))).toBe('RISK_NO_PRICE');
    expect(reason(cmd({ original_entry: 1.085 }), ctx({ quote: null }))).toBe('RISK_NO_PRICE');
    expect(reason(cmd(), ctx({ quote: null }))).toBe('ok');
  });

  test('close and modify of a ticket the EA does not hold', () => {
    expect(reason(cmd({ type: 1, ticket: '999' }), ctx())).toBe('BRIDGE_UNKNOWN_TICKET');
    expect(reason(cmd({ type: 2, ticket: '999', stop_loss: 1.07 }), ctx())).toBe('BRIDGE_UNKNOWN_TICKET');
  });

  test('modify: the new levels against the close price; 0 keeps a level', () => {
    expect(reason(cmd({ type: 2, ticket: '501', stop_loss: 1.0849 }), ctx())).toBe('ok');
    expect(reason(cmd({ type: 2, ticket: '501', stop_loss: 1.08495 }), ctx())).toBe('RISK_STOPS');
    const v = admit(cmd({ type: 2, ticket: '501', stop_loss: 1.0849 }), ctx());
    expect(v.ok && [v.message.sl, v.message.tp]).toEqual([1.0849, 1.1]);
  });
});

describe('re-basing on the user\'s price', () => {
  const ok = (c: TradingCommandData, g = ctx()) => {
    const v = admit(c, g);
    if (!v.ok) throw new Error(`${v.reason}: ${v.text}`);
    return v;
  };

  test('market buy: SL and TP shift by (ask - original_entry), distances kept', () => {
    // Reference ask 1.08500; the user's ask 1.08512: +12 points.
    const v = ok(cmd({ original_entry: 1.085, stop_loss: 1.082, take_profit: 1.091 }));
    expect(v.priceAdjustment).toBeCloseTo(0.00012, 10);
    expect(v.message.price).toBe(0);
    expect(v.message.sl).toBe(1.08212);
    expect(v.message.tp).toBe(1.09112);
    expect(v.adjustmentReason).toMatch(/ask 1\.08512.*\+12\.0 points/);
  });

  test('market sell: shift by (bid - original_entry)', () => {
    const v = ok(cmd({ order_type: 1, original_entry: 1.08510, stop_loss: 1.0881, take_profit: 1.0811 }));
    expect(v.priceAdjustment).toBeCloseTo(-0.0001, 10);
    expect([v.message.sl, v.message.tp]).toEqual([1.088, 1.081]);
  });

  test('pending buy limit: entry, SL and TP all shift, distances kept', () => {
    const c = cmd({ order_type: 2, entry_price: 1.0830, stop_loss: 1.0810, take_profit: 1.0870, original_entry: 1.0850 });
    const v = ok(c);
    expect([v.message.price, v.message.sl, v.message.tp]).toEqual([1.08312, 1.08112, 1.08712]);
    expect(Math.round((v.message.price - v.message.sl) / EURUSD.point)).toBe(Math.round((c.entry_price - c.stop_loss) / EURUSD.point));
    expect(Math.round((v.message.tp - v.message.price) / EURUSD.point)).toBe(Math.round((c.take_profit - c.entry_price) / EURUSD.point));
  });

  test('pending sell stop: shift by the bid', () => {
    const v = ok(cmd({ order_type: 5, entry_price: 1.0830, stop_loss: 1.0850, take_profit: 1.0790, original_entry: 1.0852 }));
    expect(v.priceAdjustment).toBeCloseTo(-0.0002, 10);
    expect([v.message.price, v.message.sl, v.message.tp]).toEqual([1.0828, 1.0848, 1.0788]);
  });

  test('no original_entry: nothing shifts; levels rounded to the tick size', () => {
    const v = ok(cmd({ stop_loss: 1.082004, take_profit: 1.091 }));
    expect(v.priceAdjustment).toBe(0);
    expect(v.adjustmentReason).toBe('');
    expect([v.message.sl, v.message.tp]).toEqual([1.082, 1.091]);
  });

  test('a re-based level that lands inside the stops level is refused', () => {
    // 10 points under the reference ask 1.0850 is fine; re-based on the user's ask 1.08512 it is
    // still 10 points under. A reference 5 points lower shifts it to 5 points under the ask.
    expect(reason(cmd({ order_type: 2, entry_price: 1.0849, original_entry: 1.0850 }), ctx())).toBe('ok');
    expect(reason(cmd({ order_type: 2, entry_price: 1.0849, original_entry: 1.08495 }), ctx())).toBe('RISK_STOPS');
  });
});
