// The paper trade server on its own, with quotes the test sets: fills and slippage, each retcode
// path, pending orders and their triggers and expiration, SL/TP, and balance, equity and margin
// under hedging and netting.
import { describe, expect, it } from 'vitest';
import { PaperBroker, type TradeRequest } from '../../../src/ea-sim/paper-broker.js';
import { PaperTriggers } from '../../../src/ea-sim/paper-triggers.js';
import { buildSymbolProfiles, symbolSpec } from '../../../src/ea-sim/symbols.js';
import type { EaDeal, EaSymbolSpec } from '../../../src/shared/protocol.js';

const SPECS = buildSymbolProfiles(3).map(symbolSpec); // EURUSD, GBPUSD, USDJPY
const NOW = 1_718_013_600_000;

class Quotes {
  readonly q = new Map<string, { bid: number; ask: number }>([
    ['EURUSD', { bid: 1.085, ask: 1.0851 }], ['GBPUSD', { bid: 1.27, ask: 1.2701 }], ['USDJPY', { bid: 150, ask: 150.01 }],
  ]);

  quote(symbol: string) {
    return this.q.get(symbol);
  }

  set(symbol: string, bid: number, ask: number): void {
    this.q.set(symbol, { bid, ask });
  }
}

function setup(o: Partial<ConstructorParameters<typeof PaperBroker>[0]> = {}) {
  const quotes = new Quotes();
  const broker = new PaperBroker({ specs: SPECS, quotes, nowMsc: () => NOW, maxSlippagePoints: 0, ...o });
  const deals: EaDeal[] = [];
  const triggers = new PaperTriggers(broker, SPECS.map((s) => s.name), (d) => deals.push(d));
  const tick = (symbol: string, bid: number, ask: number) => {
    quotes.set(symbol, bid, ask);
    triggers.onQuote(SPECS.findIndex((s) => s.name === symbol), NOW, bid, ask);
  };
  return { quotes, broker, deals, triggers, tick };
}

function req(over: Partial<TradeRequest>): TradeRequest {
  return {
    action: 'deal', symbol: 'EURUSD', type: 'buy', volume: 0.1, price: 0, sl: 0, tp: 0, deviationPoints: 10, filling: 'fok',
    expirationMsc: 0, position: '', order: '', magic: 5350001, comment: 'cm5:1', ...over,
  };
}

describe('paper broker: market fills', () => {
  it('fills a buy at the ask and a sell at the bid, opening hedged positions whose ticket is the order', () => {
    const { broker } = setup();
    const buy = broker.send(req({}));
    expect(buy).toMatchObject({ retcode: 10009, volume: 0.1, price: 1.0851, comment: 'Request executed' });
    expect(broker.book.positions.get(buy.order)).toMatchObject({ type: 'buy', volume: 0.1, price_open: 1.0851, identifier: buy.order });
    const sell = broker.send(req({ type: 'sell', volume: 0.2 }));
    expect(sell).toMatchObject({ retcode: 10009, price: 1.085, volume: 0.2 });
    expect(broker.book.positions.size).toBe(2);
    expect(broker.book.deals.map((d) => [d.type, d.entry, d.order])).toEqual([['buy', 'in', buy.order], ['sell', 'in', sell.order]]);
  });

  it('slips by at most maxSlippagePoints whole points, either way, the same for the same seed', () => {
    const prices = (seed: number) => {
      const { broker } = setup({ maxSlippagePoints: 3, slippageRate: 0.5, seed, balance: 1e9 });
      return Array.from({ length: 300 }, () => broker.send(req({ volume: 0.01 })).price);
    };
    const a = prices(7);
    expect(prices(7)).toEqual(a);
    const slips = a.map((p) => Math.round((p - 1.0851) * 1e5));
    for (let i = 0; i < a.length; i++) {
      expect(Math.abs(slips[i])).toBeLessThanOrEqual(3);
      expect(a[i]).toBe(Math.round(a[i] * 1e5) / 1e5); // a price of the symbol's digits
    }
    expect(new Set(slips).size).toBeGreaterThan(4); // -3..3 seen, not just 0
    expect(slips.filter((s) => s === 0).length).toBeGreaterThan(100);
  });
});

describe('paper broker: every retcode', () => {
  it('10004 requote: instant execution beyond the deviation, and the sim:requote fault', () => {
    const instant: EaSymbolSpec[] = SPECS.map((s) => ({ ...s, execution_mode: 1 }));
    const { broker } = setup({ specs: instant });
    expect(broker.send(req({ price: 1.0848, deviationPoints: 2 })).retcode).toBe(10004);
    expect(broker.send(req({ price: 1.08509, deviationPoints: 2 })).retcode).toBe(10009);
    expect(setup().broker.send(req({}), 'requote')).toMatchObject({ retcode: 10004, comment: 'Requote', volume: 0, deal: '' });
  });

  it('10020 price changed, 10006 rejected: as faults, with nothing executed', () => {
    const { broker } = setup();
    expect(broker.send(req({}), 'price_changed').retcode).toBe(10020);
    expect(broker.send(req({}), 'reject').retcode).toBe(10006);
    expect(broker.book.positions.size + broker.book.deals.length).toBe(0);
  });

  it('10019 no money: a volume the free margin cannot carry', () => {
    const { broker } = setup();
    // 10 lots of EURUSD at 1:100 need 10 × 100000 / 100 × 1.08505 = 10850.5 USD of margin; the balance is 10000.
    expect(broker.send(req({ volume: 10 })).retcode).toBe(10019);
    expect(broker.send(req({ volume: 9 })).retcode).toBe(10009);
    expect(broker.send(req({ volume: 1 })).retcode).toBe(10019);
    // A hedge of an existing position adds no net exposure on a hedging account: affordable.
    expect(broker.send(req({ type: 'sell', volume: 1 })).retcode).toBe(10009);
  });

  it('10016 invalid stops: SL or TP on the wrong side or inside stops_level', () => {
    const { broker } = setup();
    expect(broker.send(req({ sl: 1.0852 })).retcode).toBe(10016); // SL above the price of a buy
    expect(broker.send(req({ tp: 1.0849 })).retcode).toBe(10016);
    expect(broker.send(req({ type: 'sell', sl: 1.0849 })).retcode).toBe(10016);
    // USDJPY has stops_level 10 points: an SL 5 points from the bid is too near, 20 is fine.
    expect(broker.send(req({ symbol: 'USDJPY', sl: 149.995 })).retcode).toBe(10016);
    expect(broker.send(req({ symbol: 'USDJPY', sl: 149.98, tp: 150.1 })).retcode).toBe(10009);
  });

  it('10014 invalid volume: below the minimum, above the maximum, off the step', () => {
    const { broker } = setup();
    for (const volume of [0.001, 0.015, 101, 0]) expect(broker.send(req({ volume })).retcode).toBe(10014);
    expect(broker.send(req({}), 'invalid_volume').retcode).toBe(10014);
  });

  it('10018 market closed: a closed symbol, and the fault', () => {
    const { broker } = setup({ closedSymbols: ['GBPUSD'] });
    expect(broker.send(req({ symbol: 'GBPUSD' }))).toMatchObject({ retcode: 10018, comment: 'Market is closed' });
    expect(broker.send(req({}), 'market_closed').retcode).toBe(10018);
    expect(broker.send(req({})).retcode).toBe(10009);
  });

  it('10030 unsupported filling: RETURN for a market order, a mode the symbol lacks, and the fault', () => {
    const { broker } = setup({ specs: SPECS.map((s) => (s.name === 'GBPUSD' ? { ...s, filling_modes: 2 } : s)) });
    expect(broker.send(req({ filling: 'return' })).retcode).toBe(10030);
    expect(broker.send(req({ symbol: 'GBPUSD', filling: 'fok' })).retcode).toBe(10030);
    expect(broker.send(req({ symbol: 'GBPUSD', filling: 'ioc' })).retcode).toBe(10009);
    expect(broker.send(req({ filling: 'ioc' }), 'invalid_fill').retcode).toBe(10030);
  });

  it('10010 done partially: IOC against a book of half the volume (the partial fault)', () => {
    const { broker } = setup();
    expect(broker.fillingModes('EURUSD', 'partial')).toBe(2);
    expect(broker.send(req({ volume: 0.3, filling: 'fok' }), 'partial').retcode).toBe(10030);
    const r = broker.send(req({ volume: 0.3, filling: 'ioc' }), 'partial');
    expect(r).toMatchObject({ retcode: 10010, volume: 0.15 });
    expect(broker.book.positions.get(r.position)?.volume).toBe(0.15);
  });

  it('10008 placed, 10015 invalid price, 10022 invalid expiration for pending orders', () => {
    const { broker } = setup();
    const placed = broker.send(req({ action: 'pending', type: 'buy_limit', price: 1.084, sl: 1.083, tp: 1.086, filling: 'return' }));
    expect(placed).toMatchObject({ retcode: 10008, volume: 0.1, price: 1.084 });
    expect(broker.book.orders.get(placed.order)).toMatchObject({ type: 'buy_limit', price: 1.084, sl: 1.083, tp: 1.086 });
    expect(broker.send(req({ action: 'pending', type: 'buy_limit', price: 1.0855 })).retcode).toBe(10015); // above the ask
    expect(broker.send(req({ action: 'pending', type: 'sell_stop', price: 1.0851 })).retcode).toBe(10015); // above the bid
    expect(broker.send(req({ action: 'pending', type: 'buy_stop', price: 1.086, expirationMsc: NOW - 1 })).retcode).toBe(10022);
  });

  it('close, modify and remove: 10036 / 10038 / 10035 for what is not there, 10025 for no change', () => {
    const { broker } = setup();
    const open = broker.send(req({ volume: 0.2 }));
    expect(broker.send(req({ type: 'sell', position: '999' })).retcode).toBe(10036);
    expect(broker.send(req({ type: 'sell', volume: 0.3, position: open.position })).retcode).toBe(10038);
    expect(broker.send(req({ action: 'sltp', position: open.position, sl: 1.08, tp: 1.09 })).retcode).toBe(10009);
    expect(broker.send(req({ action: 'sltp', position: open.position, sl: 1.08, tp: 1.09 })).retcode).toBe(10025);
    expect(broker.send(req({ action: 'sltp', position: open.position, sl: 1.0855 })).retcode).toBe(10016);
    expect(broker.send(req({ action: 'remove', order: '42' })).retcode).toBe(10035);
    const part = broker.send(req({ type: 'sell', volume: 0.05, position: open.position }));
    expect(part).toMatchObject({ retcode: 10009, volume: 0.05, price: 1.085 });
    expect(broker.book.positions.get(open.position)?.volume).toBe(0.15);
    expect(broker.book.deals.at(-1)).toMatchObject({ entry: 'out', position: open.position, profit: -0.5 }); // the spread on 0.05 lots
  });
});

describe('paper broker: pending orders, SL and TP on the simulator\'s ticks', () => {
  it('a buy limit fills at its price once the ask comes down to it; a sell stop at the bid once it goes through', () => {
    const { broker, deals, tick } = setup();
    const limit = broker.send(req({ action: 'pending', type: 'buy_limit', price: 1.0845, sl: 1.083, tp: 1.087, filling: 'return' }));
    const stop = broker.send(req({ action: 'pending', type: 'sell_stop', price: 1.0845, filling: 'return' }));
    tick('EURUSD', 1.0847, 1.0848);
    expect(deals).toHaveLength(0);
    tick('EURUSD', 1.0844, 1.0845);
    expect(deals.map((d) => [d.order, d.type, d.entry, d.price, d.reason])).toEqual([
      [limit.order, 'buy', 'in', 1.0845, 'expert'], [stop.order, 'sell', 'in', 1.0844, 'expert'],
    ]);
    expect(broker.book.orders.size).toBe(0);
    expect(broker.book.positions.get(limit.order)).toMatchObject({ type: 'buy', volume: 0.1, sl: 1.083, tp: 1.087, comment: 'cm5:1' });
  });

  it('removes pending orders at their expiration', () => {
    const { broker, triggers } = setup();
    broker.send(req({ action: 'pending', type: 'buy_stop', price: 1.087, expirationMsc: NOW + 60_000, filling: 'return' }));
    broker.send(req({ action: 'pending', type: 'sell_limit', price: 1.087, filling: 'return' }));
    expect(triggers.expire(NOW + 59_999)).toBe(0);
    expect(triggers.expire(NOW + 60_000)).toBe(1);
    expect([...broker.book.orders.values()].map((o) => o.type)).toEqual(['sell_limit']);
  });

  it('closes a buy at its SL (a loss) and a sell at its TP (a gain), with the balance moved by each deal\'s profit', () => {
    const { broker, deals, tick } = setup();
    const buy = broker.send(req({ volume: 1, sl: 1.084, tp: 1.09 }));
    const sell = broker.send(req({ type: 'sell', volume: 0.5, tp: 1.083 }));
    tick('EURUSD', 1.0841, 1.0842);
    expect(deals).toHaveLength(0);
    tick('EURUSD', 1.0839, 1.084);
    expect(deals).toHaveLength(1);
    // (1.0839 − 1.0851) × 1 lot × 100000 = −120 USD.
    expect(deals[0]).toMatchObject({ position: buy.position, type: 'sell', entry: 'out', reason: 'sl', price: 1.0839, profit: -120, comment: '[sl 1.084]' });
    tick('EURUSD', 1.0829, 1.083);
    // (1.085 − 1.083) × 0.5 × 100000 = +100 USD.
    expect(deals[1]).toMatchObject({ position: sell.position, type: 'buy', reason: 'tp', price: 1.083, profit: 100 });
    expect(broker.book.positions.size).toBe(0);
    expect(broker.book.balance).toBe(10_000 - 120 + 100);
  });
});

describe('paper broker: balance, equity, margin', () => {
  it('margin is lots × contract / leverage in the base currency; equity moves with the quotes', () => {
    const { broker, quotes } = setup();
    broker.send(req({ volume: 1 }));
    let a = broker.book.account();
    // 1000 EUR of margin at the EURUSD mid 1.08505.
    expect(a.margin).toBeCloseTo(1085.05, 2);
    expect(a).toMatchObject({ balance: 10000, profit: -10, equity: 9990 }); // the spread: bid 1.0850 vs open 1.0851
    expect(a.margin_free).toBeCloseTo(9990 - 1085.05, 2);
    expect(a.margin_level).toBeCloseTo((9990 / 1085.05) * 100, 2);
    quotes.set('EURUSD', 1.0871, 1.0872);
    a = broker.book.account();
    expect(a.profit).toBe(200);
    expect(a.equity).toBe(10200);
  });

  it('converts USDJPY profit from yen at the current rate', () => {
    const { broker, quotes } = setup();
    const r = broker.send(req({ symbol: 'USDJPY', type: 'sell', volume: 1 }));
    expect(r.price).toBe(150);
    quotes.set('USDJPY', 148.99, 149);
    // (150 − 149) × 100000 JPY = 100000 JPY at 1 / 148.995 USD.
    expect(broker.book.account().profit).toBeCloseTo(100000 / 148.995, 2);
    expect(broker.book.account().margin).toBe(1000); // base currency USD
  });

  it('hedging charges an overlapped buy and sell as one lot; netting nets, closes and reverses one position', () => {
    const hedge = setup().broker;
    hedge.send(req({ volume: 1 }));
    hedge.send(req({ type: 'sell', volume: 1 }));
    expect(hedge.book.positions.size).toBe(2);
    expect(hedge.book.account().margin).toBeCloseTo(1085.05, 2);

    const net = setup({ marginMode: 0 }).broker;
    const first = net.send(req({ volume: 1 }));
    net.send(req({ type: 'sell', volume: 0.4 }));
    expect([...net.book.positions.values()].map((p) => [p.ticket, p.type, p.volume])).toEqual([[first.position, 'buy', 0.6]]);
    net.send(req({ type: 'sell', volume: 1 }));
    expect([...net.book.positions.values()].map((p) => [p.ticket, p.type, p.volume])).toEqual([[first.position, 'sell', 0.4]]);
    expect(net.book.deals.map((d) => d.entry)).toEqual(['in', 'out', 'inout']);
    expect(net.book.account().margin).toBeCloseTo(0.4 * 1085.05, 2);
  });

  it('stops out the worst position when the margin level falls below 50%', () => {
    const { broker, quotes, triggers, deals } = setup({ balance: 1200 });
    broker.send(req({ volume: 1 }));
    quotes.set('EURUSD', 1.0800, 1.0801); // −510 USD: equity 690 of 1085 margin → 63%
    expect(triggers.stopOut(NOW)).toBe(0);
    quotes.set('EURUSD', 1.0780, 1.0781); // −710: equity 490 → 45%
    expect(triggers.stopOut(NOW)).toBe(1);
    expect(deals[0]).toMatchObject({ reason: 'so', profit: -710 });
    expect(broker.book.balance).toBe(490);
  });
});
