/**
 * `client-mt5 start --config FILE`: the bridge for real (what pm2 runs). Runs until SIGINT or
 * SIGTERM, then stops ingest, drains the rings, waits for the backend's acks (bounded), and ends
 * the workers — in that order.
 */
import { Bridge } from './bridge.js';
import { loadConfig } from './config-load.js';
import { createLogger } from './log.js';
import { runWithStatus } from './status-line.js';

export async function runStart(options: { file?: string; overrides: Record<string, unknown>; drainTimeoutMs?: number }): Promise<number> {
  const log = createLogger('bridge');
  const config = loadConfig({ file: options.file, overrides: options.overrides });
  let fatal = false;
  const bridge = await Bridge.start(config, log, {
    onFatal: () => { fatal = true; },
  });
  // Run as a child with an IPC channel (tests, a supervising demo): say where the EA link listens.
  process.send?.({ type: 'ready', eaPort: bridge.eaPort });
  await runWithStatus(() => bridge.stats(), config.statusIntervalMs, { stopWhen: () => fatal });
  log('info', 'stopping: draining rings and waiting for the backend to ack');
  const drained = await bridge.drain(options.drainTimeoutMs ?? 10000);
  const final = bridge.stats();
  await bridge.stop();
  log(drained ? 'info' : 'warn', `stopped: ${final.ticks_accepted} ticks accepted, ${final.transport.ticks_acked} acked, ` +
    `${final.transport.unacked_batches} batch(es) unacked`);
  return fatal ? 1 : 0;
}
