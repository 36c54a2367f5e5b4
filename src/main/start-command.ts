/**
 * `client-mt5 start --config FILE`: the bridge for real (what pm2 runs). Runs until SIGINT or
 * SIGTERM, then stops ingest, drains the rings, waits for the backend's acks (bounded), and ends
 * the workers — in that order.
 */
import { Bridge } from './bridge.js';
import type { BridgeStats } from './bridge-stats.js';
import { loadConfig } from './config-load.js';
import { createLogger } from './log.js';
import { statusLine } from './status-line.js';

export async function runStart(options: { file?: string; overrides: Record<string, unknown>; drainTimeoutMs?: number }): Promise<number> {
  const log = createLogger('bridge');
  const config = loadConfig({ file: options.file, overrides: options.overrides });
  let fatal = false;
  const bridge = await Bridge.start(config, log, {
    onFatal: () => { fatal = true; process.kill(process.pid, 'SIGTERM'); },
  });
  let prev: BridgeStats = bridge.stats();
  const status = setInterval(() => {
    const now = bridge.stats();
    process.stdout.write(`${statusLine(now, prev, config.statusIntervalMs)}\n`);
    prev = now;
  }, config.statusIntervalMs);
  await new Promise<void>((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
  clearInterval(status);
  log('info', 'stopping: draining rings and waiting for the backend to ack');
  const drained = await bridge.drain(options.drainTimeoutMs ?? 10000);
  const final = bridge.stats();
  await bridge.stop();
  log(drained ? 'info' : 'warn', `stopped: ${final.ticks_accepted} ticks accepted, ${final.transport.ticks_acked} acked, ` +
    `${final.transport.unacked_batches} batch(es) unacked`);
  return fatal ? 1 : 0;
}
