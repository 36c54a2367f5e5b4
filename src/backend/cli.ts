/**
 * `client-mt5 backend [--host 127.0.0.1] [--port 8001] [--jwt-secret S] [--record FILE] [--path P]
 *                     [--ledger FILE [--ledger-fsync always|never]] [--heartbeat-ms N]
 *                     [--signals [--signal-interval-ms N]]`
 *
 * `--signals` turns on the demo's RSI(14) 30/70 signal rule (signal-rule.ts): it issues trading
 * commands to connected clients from their ticks, at most one per N ms (default 2500). Commands
 * can always be posted by hand: `POST /commands` on the same port (commands-http.ts).
 *
 * Backends started with the same `--ledger` file act as the endpoints of one platform: what one
 * stored, the others know (docs/protocol.md, section 2).
 *
 * Runs the reference backend until SIGINT/SIGTERM (or, when forked with an IPC channel, a
 * `{ type: 'stop' }` message or the parent going away), then closes it, flushes the record file
 * and prints the final stats as one JSON line on stdout.
 *
 * IPC (when `process.send` exists), the protocol src/main/child.ts speaks:
 *   child → parent  { type: 'ready', port, url }     once listening
 *   parent → child  { type: 'stats' }                → { type: 'stats', stats: BackendStats }
 *   parent → child  { type: 'ledger', client }       → { type: 'ledger', ...LedgerView } (all zero without one)
 *   parent → child  { type: 'signals', enabled }     → { type: 'signals-set' } (holds the signal rule back, or not)
 *   parent → child  { type: 'stop' }                 → closes, exits 0
 */
import { parseArgs } from 'node:util';
import { ClientMt5Error } from '../shared/errors.js';
import { LEDGER_FSYNC_POLICIES, type LedgerFsync } from './ledger.js';
import { startBackend, type BackendHandle, type BackendOptions } from './reference-backend.js';

export const DEFAULT_BACKEND_PORT = 8001;
export const JWT_SECRET_ENV = 'CLIENT_MT5_JWT_SECRET';
/** After stopping, exit anyway if something still holds the event loop open. */
const EXIT_GRACE_MS = 2000;

const USAGE = 'usage: client-mt5 backend [--host 127.0.0.1] [--port 8001] [--jwt-secret S | env CLIENT_MT5_JWT_SECRET] [--record FILE] [--path /api/v1/ws/mt5] ' +
  '[--ledger FILE [--ledger-fsync always|never]] [--heartbeat-ms 200] [--signals [--signal-interval-ms 2500]]';

/** Parses the command's arguments; throws CLI_USAGE naming the bad option and value. */
export function parseBackendArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): BackendOptions {
  let values: Record<string, string | undefined>;
  let signals = false;
  try {
    const parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        'jwt-secret': { type: 'string' },
        record: { type: 'string' },
        path: { type: 'string' },
        'mismatch-tolerance': { type: 'string' },
        ledger: { type: 'string' },
        'ledger-fsync': { type: 'string' },
        'heartbeat-ms': { type: 'string' },
        signals: { type: 'boolean' },
        'signal-interval-ms': { type: 'string' },
      },
    });
    const { signals: signalsFlag, ...strings } = parsed.values;
    signals = signalsFlag === true;
    values = strings;
  } catch (err) {
    throw new ClientMt5Error('CLI_USAGE', `${(err as Error).message}\n${USAGE}`);
  }
  const port = values.port === undefined ? DEFAULT_BACKEND_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ClientMt5Error('CLI_USAGE', `--port must be an integer from 0 to 65535, got "${values.port}"`);
  }
  const jwtSecret = values['jwt-secret'] ?? env[JWT_SECRET_ENV] ?? '';
  if (jwtSecret === '') {
    throw new ClientMt5Error('CLI_USAGE', `the backend needs a JWT secret: pass --jwt-secret S or set ${JWT_SECRET_ENV}\n${USAGE}`);
  }
  const options: BackendOptions = { host: values.host ?? '127.0.0.1', port, jwtSecret };
  if (values.record !== undefined) options.recordPath = values.record;
  if (values.path !== undefined) {
    if (!values.path.startsWith('/')) throw new ClientMt5Error('CLI_USAGE', `--path must start with "/", got "${values.path}"`);
    options.path = values.path;
  }
  if (values['mismatch-tolerance'] !== undefined) {
    const tolerance = Number(values['mismatch-tolerance']);
    if (!(tolerance >= 0)) {
      throw new ClientMt5Error('CLI_USAGE', `--mismatch-tolerance must be a number >= 0, got "${values['mismatch-tolerance']}"`);
    }
    options.mismatchTolerance = tolerance;
  }
  if (values.ledger !== undefined) {
    if (values.ledger === '') throw new ClientMt5Error('CLI_USAGE', '--ledger must name a file, got ""');
    options.ledgerPath = values.ledger;
  }
  if (values['ledger-fsync'] !== undefined) {
    const policy = values['ledger-fsync'];
    if (!(LEDGER_FSYNC_POLICIES as readonly string[]).includes(policy)) {
      throw new ClientMt5Error('CLI_USAGE', `--ledger-fsync must be one of ${LEDGER_FSYNC_POLICIES.join(', ')}, got "${policy}"`);
    }
    if (values.ledger === undefined) throw new ClientMt5Error('CLI_USAGE', '--ledger-fsync needs --ledger FILE');
    options.ledgerFsync = policy as LedgerFsync;
  }
  if (values['heartbeat-ms'] !== undefined) {
    const ms = Number(values['heartbeat-ms']);
    if (!Number.isInteger(ms) || ms < 0 || ms > 3600000) {
      throw new ClientMt5Error('CLI_USAGE', `--heartbeat-ms must be an integer from 0 (off) to 3600000, got "${values['heartbeat-ms']}"`);
    }
    options.heartbeatIntervalMs = ms;
  }
  if (signals || values['signal-interval-ms'] !== undefined) {
    const raw = values['signal-interval-ms'];
    const ms = raw === undefined ? undefined : Number(raw);
    if (ms !== undefined && (!Number.isInteger(ms) || ms < 0 || ms > 86400000)) {
      throw new ClientMt5Error('CLI_USAGE', `--signal-interval-ms must be an integer from 0 to 86400000, got "${raw}"`);
    }
    options.signals = ms === undefined ? true : { minIntervalMs: ms };
  }
  return options;
}

/** Runs the reference backend; resolves once it has been stopped and its record file flushed. */
export async function runBackendCommand(argv: string[]): Promise<void> {
  const backend = await startBackend(parseBackendArgs(argv));
  process.stdout.write(`client-mt5 backend listening on ${backend.url}\n`);

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      void shutdown(backend).then(resolve);
    };
    const onSignal = (): void => {
      // A second signal while closing means "now".
      if (stopping) process.exit(1);
      stop();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);

    if (typeof process.send === 'function') {
      process.on('message', (message: { type?: string } | null) => {
        if (message?.type === 'stats') process.send?.({ type: 'stats', stats: backend.stats() });
        else if (message?.type === 'ledger') {
          const view = backend.ledgerView(String((message as { client?: unknown }).client ?? ''));
          process.send?.({ type: 'ledger', ...(view ?? { ticks: 0, last_batch: 0, first_batch: 0, per_symbol: {} }) });
        }
        else if (message?.type === 'signals') {
          backend.setSignals((message as { enabled?: boolean }).enabled === true);
          process.send?.({ type: 'signals-set' });
        }
        else if (message?.type === 'stop') stop();
      });
      // The parent is gone: nobody will ask for stats or send stop.
      process.once('disconnect', stop);
      process.send({ type: 'ready', port: backend.port, url: backend.url });
    }
  });
}

async function shutdown(backend: BackendHandle): Promise<void> {
  await backend.close();
  process.stdout.write(`${JSON.stringify(backend.stats())}\n`);
  if (process.connected) process.disconnect();
  process.exitCode = 0;
  setTimeout(() => process.exit(0), EXIT_GRACE_MS).unref();
}
