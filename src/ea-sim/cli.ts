/**
 * `client-mt5 ea-sim`: the simulated EA as a process. Forked with an IPC channel (the demo does
 * that) it reports `{type:'connected'}` after the welcome, answers `{type:'stats'}` with
 * `{type:'stats', stats}`, `{type:'trading'}` with `{type:'trading', trading}` (the paper broker's
 * account and the trading half's counters), `{type:'restart-ea'}` by restarting the EA program (a
 * new run_id, its command memory gone) and `{type:'ea-restarted', restarted}`, answers `{type:'drop-link'}` by dropping the link abruptly (it then
 * reconnects) and `{type:'link-dropped', dropped}`, and on `{type:'stop'}` (or SIGINT/SIGTERM, or the end of a bounded run)
 * stops cleanly, sends `{type:'stopped', stats}` and lets the process exit 0. The final stats are
 * also printed as one JSON line on stdout.
 */
import { parseArgs } from 'node:util';
import { ClientMt5Error } from '../shared/errors.js';
import { EA_SIM_DEFAULTS, startEaSim, type EaSimHandle, type EaSimOptions } from './ea-sim.js';
import { FAULT_NAMES, parseFaultRates } from './sim-faults.js';
import { MAX_SIM_SYMBOLS } from './symbols.js';

export const EA_SIM_USAGE = `client-mt5 ea-sim [options]   the simulated EA (a real client of the EA link)
  --url URL              EA link (default ${EA_SIM_DEFAULTS.url})
  --token T              the bridge's eaLink.token (or env CLIENT_MT5_EA_TOKEN)
  --rate N               average ticks/s over all symbols (default ${EA_SIM_DEFAULTS.ratePerS})
  --symbols N            symbols: the ten majors, then crosses (default ${EA_SIM_DEFAULTS.symbols})
  --invalid-rate F       fraction of bad ticks the bridge must reject (default ${EA_SIM_DEFAULTS.invalidRate})
  --duration S           stop S seconds after the bridge's welcome
  --ticks N              stop after N ticks
  --seed N               seed of the quote stream (default ${EA_SIM_DEFAULTS.seed})
  --server-offset-s S    broker server clock minus UTC (default ${EA_SIM_DEFAULTS.serverOffsetS})
  --timer-ms MS          period of the EA's timer (default ${EA_SIM_DEFAULTS.timerMs})
  --trade-faults SPEC    seeded trade-server answers for market orders, e.g. requote=0.05,price_changed=0.02
                         (names: ${FAULT_NAMES.join(', ')}; per command: a sim:<name> in its command_id)
  --balance N            the paper account's starting balance, USD (default ${EA_SIM_DEFAULTS.balance})
  --margin-mode N        ACCOUNT_MARGIN_MODE: 0 netting, 2 hedging (default 2)
`;

type Env = Record<string, string | undefined>;

/** Command-line arguments (and CLIENT_MT5_EA_TOKEN) to startEaSim options; throws CLI_USAGE. */
export function parseEaSimArgs(argv: string[], env: Env = process.env): EaSimOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      url: { type: 'string' }, token: { type: 'string' }, rate: { type: 'string' }, symbols: { type: 'string' },
      'invalid-rate': { type: 'string' }, duration: { type: 'string' }, ticks: { type: 'string' },
      seed: { type: 'string' }, 'server-offset-s': { type: 'string' }, 'timer-ms': { type: 'string' },
      'trade-faults': { type: 'string' }, balance: { type: 'string' }, 'margin-mode': { type: 'string' },
    },
  });
  const token = values.token ?? env.CLIENT_MT5_EA_TOKEN;
  if (!token) throw new ClientMt5Error('CLI_USAGE', 'ea-sim needs the EA link token: --token T or CLIENT_MT5_EA_TOKEN');
  const url = values.url ?? EA_SIM_DEFAULTS.url;
  if (!/^wss?:\/\/[^\s/]+/.test(url)) throw new ClientMt5Error('CLI_USAGE', `--url must be a ws:// URL, got "${url}"`);
  return {
    url,
    token,
    ratePerS: flag('rate', values.rate, 0.001, 10_000_000, false),
    symbols: flag('symbols', values.symbols, 1, MAX_SIM_SYMBOLS, true),
    invalidRate: flag('invalid-rate', values['invalid-rate'], 0, 1, false),
    durationS: flag('duration', values.duration, 0.001, 1e9, false),
    ticks: flag('ticks', values.ticks, 1, Number.MAX_SAFE_INTEGER, true),
    seed: flag('seed', values.seed, 0, 2 ** 32 - 1, true),
    serverOffsetS: flag('server-offset-s', values['server-offset-s'], -86400, 86400, true),
    timerMs: flag('timer-ms', values['timer-ms'], 1, 1000, true),
    tradeFaults: faults(values['trade-faults']),
    balance: flag('balance', values.balance, 0, 1e12, false),
    account: marginMode(values['margin-mode']),
  };
}

function faults(value: string | undefined): EaSimOptions['tradeFaults'] {
  if (value === undefined) return undefined;
  try {
    return parseFaultRates(value);
  } catch (err) {
    throw new ClientMt5Error('CLI_USAGE', `--trade-faults: ${(err as Error).message}`);
  }
}

function marginMode(value: string | undefined): EaSimOptions['account'] {
  if (value === undefined) return undefined;
  if (value !== '0' && value !== '2') throw new ClientMt5Error('CLI_USAGE', `--margin-mode must be 0 (netting) or 2 (hedging), got "${value}"`);
  return { margin_mode: Number(value) };
}

function flag(name: string, value: string | undefined, min: number, max: number, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new ClientMt5Error('CLI_USAGE', `--${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

/** Runs the simulated EA until its bounded run ends, it is told to stop, or the link fails for good. */
export async function runEaSimCommand(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(EA_SIM_USAGE);
    return;
  }
  const options = parseEaSimArgs(argv);
  const abort = new AbortController();
  let handle: EaSimHandle | null = null;
  const stop = () => {
    if (handle) void handle.stop();
    else abort.abort();
  };
  const onIpc = (msg: { type?: string }) => {
    if (msg?.type === 'stats' && handle) process.send?.({ type: 'stats', stats: handle.stats() });
    else if (msg?.type === 'trading' && handle) process.send?.({ type: 'trading', trading: handle.trading() });
    else if (msg?.type === 'restart-ea') process.send?.({ type: 'ea-restarted', restarted: handle?.restartEa() ?? false });
    else if (msg?.type === 'drop-link') process.send?.({ type: 'link-dropped', dropped: handle?.dropLink() ?? false });
    else if (msg?.type === 'stop') stop();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  if (process.send) {
    process.on('message', onIpc);
    // The parent that runs us (the demo, a benchmark) is gone: stop rather than stream on for nobody.
    process.once('disconnect', stop);
  }
  try {
    try {
      handle = await startEaSim({ ...options, signal: abort.signal });
    } catch (err) {
      if (abort.signal.aborted) return; // stopped before the bridge answered: nothing to report
      throw err;
    }
    process.send?.({ type: 'connected' });
    await handle.done;
    const stats = handle.stats();
    process.stdout.write(`${JSON.stringify(stats)}\n`);
    if (process.send) {
      await new Promise<void>((resolve) => process.send?.({ type: 'stopped', stats }, undefined, {}, () => resolve()));
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    if (process.send) {
      process.off('message', onIpc);
      process.off('disconnect', stop);
      if (process.connected) process.disconnect();
    }
  }
}
