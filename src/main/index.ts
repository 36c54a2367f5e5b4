/**
 * client-mt5 command line: parse arguments, load configuration, start. The pipeline itself is
 * wired in bridge.ts (its diagram is at the top of that file).
 */
import { parseArgs } from 'node:util';
import { ClientMt5Error } from '../shared/errors.js';
import { loadConfig } from './config-load.js';

const USAGE = `client-mt5 <command> [options]

  demo         reference backend + bridge + simulated EA (what \`npm start\` runs)
                 --duration S  stop by itself after S seconds, drain, print a summary
                 --json        end the summary with one JSON line
                 --rate N      ticks/s offered by the simulated EA (default 2000)
                 --symbols N   symbols to stream (default 10: the majors)
                 --workers N   compute workers (default 2)
                 --invalid-rate F  fraction of deliberately bad ticks (default 0.01)
                 --record FILE the backend records every frame it receives
                 --port N      EA link port (default 9000; 0 = any free port)
                 --seed N      seed of the simulated quotes
                 --encoding E  tick encoding to the backend: auto (default), columnar or row
                 --chaos       every part a process, with faults: the primary backend killed and
                               restarted, the bridge SIGKILLed and restarted, the EA link dropped
  start        the bridge: --config FILE [--workers N]   (what pm2 runs)
  backend      the reference backend: [--host H] [--port N] [--jwt-secret S] [--record FILE]
                 [--ledger FILE] [--ledger-fsync always|never] [--heartbeat-ms N]
                 (backends given the same --ledger are one platform's endpoints)
  ea-sim       the simulated EA (\`client-mt5 ea-sim --help\` lists every option):
                 [--url U] [--token T] [--rate N] [--symbols N] [--invalid-rate F]
                 [--duration S | --ticks N] [--seed N] [--server-offset-s S] [--timer-ms N]
  indicators   --in FILE.csv --out OUT.csv [--in ... --out ...] [--threads N]
  config check --config FILE   validate a configuration file and print the result
`;

function num(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new ClientMt5Error('CLI_USAGE', `--${name} must be a number, got "${value}"`);
  return n;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'demo': {
      const { values } = parseArgs({
        args: rest, strict: true,
        options: {
          duration: { type: 'string' }, json: { type: 'boolean', default: false }, rate: { type: 'string' },
          symbols: { type: 'string' }, workers: { type: 'string' }, 'invalid-rate': { type: 'string' },
          record: { type: 'string' }, port: { type: 'string' }, seed: { type: 'string' }, encoding: { type: 'string' },
          chaos: { type: 'boolean', default: false },
        },
      });
      const run = values.chaos ? (await import('./chaos.js')).runChaosDemo : (await import('./demo.js')).runDemo;
      return run({
        durationS: values.duration === undefined ? undefined : num('duration', values.duration, 0),
        json: values.json ?? false,
        rate: num('rate', values.rate, 2000),
        symbols: num('symbols', values.symbols, 10),
        workers: num('workers', values.workers, 2),
        invalidRate: num('invalid-rate', values['invalid-rate'], 0.01),
        record: values.record,
        port: num('port', values.port, 9000),
        seed: values.seed === undefined ? undefined : num('seed', values.seed, 1),
        encoding: values.encoding,
      });
    }
    case 'start': {
      const { values } = parseArgs({ args: rest, strict: true, options: { config: { type: 'string' }, workers: { type: 'string' } } });
      const { runStart } = await import('./start-command.js');
      const overrides: Record<string, unknown> = {};
      if (values.workers !== undefined) overrides.workers = num('workers', values.workers, 0);
      return runStart({ file: values.config, overrides });
    }
    case 'backend': {
      const { runBackendCommand } = await import('../backend/cli.js');
      await runBackendCommand(rest);
      return 0;
    }
    case 'ea-sim': {
      const { runEaSimCommand } = await import('../ea-sim/cli.js');
      await runEaSimCommand(rest);
      return 0;
    }
    case 'indicators': {
      const { values } = parseArgs({
        args: rest, strict: true,
        options: { in: { type: 'string', multiple: true }, out: { type: 'string', multiple: true }, threads: { type: 'string' } },
      });
      const inputs = values.in ?? [];
      const outputs = values.out ?? [];
      if (inputs.length === 0 || inputs.length !== outputs.length) {
        throw new ClientMt5Error('CLI_USAGE', `indicators needs one --out per --in, got ${inputs.length} --in and ${outputs.length} --out`);
      }
      const { runIndicators } = await import('./indicators-command.js');
      const result = await runIndicators({ inputs, outputs, threads: values.threads ? num('threads', values.threads, 1) : undefined });
      for (const f of result.files) {
        process.stdout.write(`${f.in} -> ${f.out}: ${f.rows} rows, indicators on the ${f.priceSource === 'mid' ? 'bid/ask mid' : 'price column'}\n`);
        if (f.shadowedColumns.length > 0) {
          process.stdout.write(`  note: the input already had ${f.shadowedColumns.join(', ')}; they are kept, and this engine's values are the last ${13} columns\n`);
        }
      }
      return 0;
    }
    case 'config': {
      const [sub, ...args] = rest;
      const { values } = parseArgs({ args, strict: true, options: { config: { type: 'string' } } });
      if (sub !== 'check' || !values.config) throw new ClientMt5Error('CLI_USAGE', 'usage: client-mt5 config check --config FILE');
      const config = loadConfig({ file: values.config });
      const shown = { ...config, eaLink: { ...config.eaLink, token: '***' }, backend: { ...config.backend, jwt: '***' } };
      process.stdout.write(`${values.config}: valid\n${JSON.stringify(shown, null, 2)}\n`);
      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 1 : 0;
    default:
      throw new ClientMt5Error('CLI_USAGE', `unknown command "${command}"\n\n${USAGE}`);
  }
}
