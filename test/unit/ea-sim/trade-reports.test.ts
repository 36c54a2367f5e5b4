// When the simulated EA reports its account and positions (docs/protocol.md section 1, `account`
// and `positions`): at welcome; the account on change at most once a second; positions after
// every change; both every 60 s regardless; and how the directive and fault-rate knobs parse.
import { describe, expect, it } from 'vitest';
import { helloMessage, resolveEaSimOptions } from '../../../src/ea-sim/options.js';
import { PaperBroker } from '../../../src/ea-sim/paper-broker.js';
import { FaultDice, parseDirectives, parseFaultRates } from '../../../src/ea-sim/sim-faults.js';
import { buildSymbolProfiles } from '../../../src/ea-sim/symbols.js';
import { TradeDesk } from '../../../src/ea-sim/trade-desk.js';
import type { EaTradingMessage } from '../../../src/shared/protocol.js';

function desk() {
  const profiles = buildSymbolProfiles(2);
  const hello = helloMessage(resolveEaSimOptions({ token: 't', symbols: 2 }), profiles);
  const quotes = new Map([['EURUSD', { bid: 1.085, ask: 1.0851 }], ['GBPUSD', { bid: 1.27, ask: 1.2701 }]]);
  const broker = new PaperBroker({ specs: hello.symbols, quotes: { quote: (s) => quotes.get(s) }, nowMsc: () => 0, maxSlippagePoints: 0 });
  const sent: EaTradingMessage[] = [];
  const d = new TradeDesk({
    broker, hello, send: (m) => { sent.push(m); return true; }, dropLink: () => {}, serverOffsetMs: 0, dice: new FaultDice({}, 1),
    tradeLatencyMs: 0, tradeAllowed: true, log: () => {},
  });
  return { d, broker, quotes, sent, types: () => sent.splice(0).map((m) => m.type) };
}

describe('ea-sim account and positions reports', () => {
  it('account then positions at welcome; the account on change at most once a second; both every 60 s', () => {
    const { d, broker, quotes, types } = desk();
    const t0 = 1_000_000;
    d.onWelcome(t0);
    expect(types()).toEqual(['account', 'positions']);
    d.pass(t0 + 500);
    expect(types()).toEqual([]); // nothing changed
    broker.send({
      action: 'deal', symbol: 'EURUSD', type: 'buy', volume: 1, price: 0, sl: 0, tp: 0, deviationPoints: 0, filling: 'fok',
      expirationMsc: 0, position: '', order: '', magic: 5350001, comment: 'cm5:1',
    });
    d.pass(t0 + 600);
    expect(types()).toEqual(['positions']); // a new position at once; the account went 600 ms ago
    d.pass(t0 + 1000);
    expect(types()).toEqual(['account']); // its margin and equity changed: a second after the last
    quotes.set('EURUSD', { bid: 1.0855, ask: 1.0856 });
    d.pass(t0 + 1600);
    expect(types()).toEqual([]); // equity moved, but the last account went 600 ms ago
    d.pass(t0 + 2000);
    expect(types()).toEqual(['account']);
    d.pass(t0 + 3500);
    expect(types()).toEqual([]); // no change since
    d.pass(t0 + 61_000);
    expect(types()).toEqual(['positions', 'account']); // the 60 s report
  });
});

describe('sim knobs', () => {
  it('reads sim: directives anywhere in command_id or comment, ignoring unknown names', () => {
    expect(parseDirectives('abc-sim:requote', '')).toEqual({ fault: 'requote', delayMs: 0, drop: false });
    expect(parseDirectives('x', 'sim:partial,sim:delay=250 sim:drop')).toEqual({ fault: 'partial', delayMs: 250, drop: true });
    expect(parseDirectives('sim:teleport', 'cm5:12')).toEqual({ fault: null, delayMs: 0, drop: false });
  });

  it('parses fault rates and rolls them from the seed, the same every time', () => {
    expect(parseFaultRates('requote=0.05, price_changed=0.02')).toEqual({ requote: 0.05, price_changed: 0.02 });
    expect(() => parseFaultRates('requote=2')).toThrow('trade fault requote needs a rate from 0 to 1, got "2"');
    expect(() => parseFaultRates('teleport=0.1')).toThrow(/unknown trade fault "teleport"/);
    expect(() => parseFaultRates('requote=0.6,reject=0.6')).toThrow(/add up to 1.2/);
    const dice = new FaultDice({ requote: 0.1, price_changed: 0.05 }, 3);
    const rolls = Array.from({ length: 4000 }, () => dice.roll());
    const again = new FaultDice({ requote: 0.1, price_changed: 0.05 }, 3);
    expect(Array.from({ length: 4000 }, () => again.roll())).toEqual(rolls);
    expect(rolls.filter((r) => r === 'requote').length).toBeGreaterThan(300);
    expect(rolls.filter((r) => r === 'requote').length).toBeLessThan(500);
    expect(rolls.filter((r) => r === 'price_changed').length).toBeGreaterThan(130);
  });
});
