/**
 * `client-mt5 start --config FILE`: the bridge for real (what pm2 runs). Runs until SIGINT or
 * SIGTERM, then stops ingest, drains the rings, waits for the backend's acks (bounded), and ends
 * the workers — in that order. Forked with an IPC channel it also reports `ready` (with the EA
 * port), answers `stats`, and stops on `stop` with a final `stopped {drained, stats}`.
 */
import { formatAges } from '../shared/age-histogram.js';
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
  // Run as a child with an IPC channel (tests, the chaos demo): say where the EA link listens,
  // answer {type:'stats'}, and stop on {type:'stop'} or when the parent goes away, as on SIGTERM.
  let stopRequested = false;
  const onIpc = (msg: { type?: string } | null): void => {
    if (msg?.type === 'stats') process.send?.({ type: 'stats', stats: bridge.stats() });
    else if (msg?.type === 'stop') stopRequested = true;
  };
  const onDisconnect = (): void => { stopRequested = true; };
  if (process.send) {
    process.on('message', onIpc);
    process.once('disconnect', onDisconnect);
    process.send({ type: 'ready', eaPort: bridge.eaPort, readyMs: bridge.readyMs });
  }
  await runWithStatus(() => bridge.stats(), config.statusIntervalMs, { stopWhen: () => fatal || stopRequested });
  log('info', 'stopping: draining rings and waiting for the backend to ack');
  const drained = await bridge.drain(options.drainTimeoutMs ?? 10000);
  if (drained && !fatal) bridge.markCleanStop();
  const final = bridge.stats();
  await bridge.stop();
  log(drained ? 'info' : 'warn', `stopped: ${final.ticks_accepted} ticks accepted, ${final.transport.ticks_acked} acked, ` +
    `${final.transport.unacked_batches} batch(es) unacked`);
  const l = final.latency_in_bridge;
  log('info', `latency inside the bridge (age of each batch's oldest tick since receipt): compute pickup ${formatAges(l.compute_pickup)}; ` +
    `transport pickup ${formatAges(l.transport_pickup)}; to the socket ${formatAges(l.sent)}`);
  const m = final.memory_peak_mb;
  const isolate = (x: { heap: number; external: number }) => `heap ${x.heap} MB + ${x.external} MB outside`;
  log('info', `memory peaks by thread: main ${isolate(m.main)}; transport ${isolate(m.transport)}; ` +
    m.compute.map((c, i) => `compute ${i} ${isolate(c)}`).join('; '));
  if (process.send && process.connected) {
    process.off('message', onIpc);
    process.off('disconnect', onDisconnect);
    await new Promise<void>((resolve) => process.send?.({ type: 'stopped', drained, stats: final }, undefined, {}, () => resolve()));
    process.disconnect();
  }
  return fatal ? 1 : 0;
}
