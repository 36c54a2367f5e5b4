/** The one-line status the demo and `start` print every second, from two stats snapshots. */
import { endpointRole } from '../shared/link-events.js';
import type { BridgeStats } from './bridge-stats.js';
import { commandStatus } from './commands/command-stats.js';

export function statusLine(now: BridgeStats, prev: BridgeStats, intervalMs: number, extra = ''): string {
  const rate = (a: number, b: number) => Math.round(((a - b) * 1000) / intervalMs);
  const t = now.transport;
  const ea = now.ea_connected ? (now.ea_paused ? 'paused' : 'on') : 'off';
  return [
    `ea ${ea}`,
    `in ${rate(now.ingest.ticks, prev.ingest.ticks)}/s`,
    `ok ${rate(now.ticks_accepted, prev.ticks_accepted)}/s`,
    `bad ${rate(now.ticks_rejected, prev.ticks_rejected)}/s`,
    `sent ${rate(t.ticks_sent, prev.transport.ticks_sent)}/s in ${rate(t.batches_sent, prev.transport.batches_sent)} batch/s`,
    `acked ${t.ticks_acked}`,
    `unacked ${t.unacked_batches}`,
    linkStatus(now),
    spoolStatus(now),
    commandStatus(now.commands),
    extra,
  ].filter(Boolean).join(' | ');
}

/** `link primary ws://…`, `link backup 1 ws://… (failovers 1)`, `link down 2.3s (was primary ws://…)`. */
export function linkStatus(s: BridgeStats, nowMs = Date.now()): string {
  const t = s.transport;
  const where = `${endpointRole(t.endpoint_index)} ${t.endpoint}`;
  const counts = [t.failovers > 0 ? `failovers ${t.failovers}, longest ${t.longest_failover_ms} ms` : '', t.failbacks > 0 ? `failbacks ${t.failbacks}` : '']
    .filter(Boolean).join(', ');
  if (t.connected) return `link ${where}${counts ? ` (${counts})` : ''}`;
  const down = t.down_since > 0 ? ` ${((nowMs - t.down_since) / 1000).toFixed(1)}s` : '';
  return `link down${down}${t.down_since > 0 ? ` (was ${where})` : ''}`;
}

/** `spool 12 batches 1.4 MB (max 3.1 MB, replayed 40)`; '' while empty and nothing happened. */
export function spoolStatus(s: BridgeStats): string {
  const p = s.spool;
  if (!p.enabled) return '';
  const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;
  const notes = [
    p.failing ? 'WRITES FAILING' : '',
    p.replayed_batches > 0 ? `replayed ${p.replayed_batches}` : '',
    p.corrupt_records > 0 ? `corrupt ${p.corrupt_records}` : '',
    p.dropped_batches > 0 ? `dropped ${p.dropped_batches}` : '',
  ].filter(Boolean);
  if (p.batches === 0 && notes.length === 0) return '';
  return `spool ${p.batches} batches ${mb(p.bytes)} (max ${mb(p.max_bytes)}${notes.length > 0 ? `, ${notes.join(', ')}` : ''})`;
}

/**
 * Prints the status line every `intervalMs` until SIGINT, SIGTERM, `stopAfterMs` or `stopWhen()`
 * (polled every 100 ms); then stops printing, releases the signal handlers and resolves.
 */
export async function runWithStatus(
  stats: () => BridgeStats,
  intervalMs: number,
  options: { stopAfterMs?: number; stopWhen?: () => boolean } = {},
): Promise<void> {
  let prev = stats();
  const timers: NodeJS.Timeout[] = [setInterval(() => {
    const now = stats();
    process.stdout.write(`${statusLine(now, prev, intervalMs)}\n`);
    prev = now;
  }, intervalMs)];
  await new Promise<void>((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
    if (options.stopAfterMs !== undefined) timers.push(setTimeout(done, options.stopAfterMs));
    const stopWhen = options.stopWhen;
    if (stopWhen) timers.push(setInterval(() => { if (stopWhen()) done(); }, 100));
  });
  for (const t of timers) clearTimeout(t);
}
