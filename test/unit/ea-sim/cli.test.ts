// `client-mt5 ea-sim` arguments: defaults, the token from the environment, and messages that name
// the flag and the bad value.
import { describe, expect, it } from 'vitest';
import { parseEaSimArgs } from '../../../src/ea-sim/cli.js';

describe('parseEaSimArgs', () => {
  it('takes every flag, leaving the rest to the defaults', () => {
    expect(parseEaSimArgs([
      '--url', 'ws://127.0.0.1:9100/ea', '--token', 'secret-token', '--rate', '50000', '--symbols', '12',
      '--invalid-rate', '0.02', '--duration', '30', '--seed', '9', '--server-offset-s', '10800', '--timer-ms', '16',
    ], {})).toEqual({
      url: 'ws://127.0.0.1:9100/ea', token: 'secret-token', ratePerS: 50000, symbols: 12, invalidRate: 0.02, durationS: 30,
      ticks: undefined, seed: 9, serverOffsetS: 10800, timerMs: 16,
    });
    expect(parseEaSimArgs(['--ticks', '1000'], { CLIENT_MT5_EA_TOKEN: 'from-env-token' })).toMatchObject({
      url: 'ws://127.0.0.1:9000/ea', token: 'from-env-token', ticks: 1000, ratePerS: undefined,
    });
  });

  it('refuses a missing token, bad numbers and unknown flags with CLI_USAGE', () => {
    expect(() => parseEaSimArgs([], {})).toThrow(expect.objectContaining({ code: 'CLI_USAGE', message: expect.stringMatching(/--token/) }));
    expect(() => parseEaSimArgs(['--token', 't', '--invalid-rate', '1.5'], {}))
      .toThrow('--invalid-rate must be a number from 0 to 1, got "1.5"');
    expect(() => parseEaSimArgs(['--token', 't', '--symbols', '2.5'], {}))
      .toThrow('--symbols must be an integer from 1 to 1000, got "2.5"');
    expect(() => parseEaSimArgs(['--token', 't', '--rate', 'fast'], {})).toThrow(/--rate must be a number/);
    expect(() => parseEaSimArgs(['--token', 't', '--url', 'http://x'], {})).toThrow('--url must be a ws:// URL, got "http://x"');
    expect(() => parseEaSimArgs(['--token', 't', '--speed', '1'], {})).toThrow(/speed/);
  });

  it('takes the paper broker\'s knobs: seeded trade faults, balance, margin mode', () => {
    expect(parseEaSimArgs(['--token', 't', '--trade-faults', 'requote=0.05,price_changed=0.02', '--balance', '5000', '--margin-mode', '0'], {}))
      .toMatchObject({ tradeFaults: { requote: 0.05, price_changed: 0.02 }, balance: 5000, account: { margin_mode: 0 } });
    expect(() => parseEaSimArgs(['--token', 't', '--trade-faults', 'requote=lots'], {}))
      .toThrow('--trade-faults: trade fault requote needs a rate from 0 to 1, got "lots"');
    expect(() => parseEaSimArgs(['--token', 't', '--margin-mode', '1'], {})).toThrow('--margin-mode must be 0 (netting) or 2 (hedging), got "1"');
  });
});
