/** The one-line status the demo and `start` print every second, from two stats snapshots. */
import type { BridgeStats } from './bridge-stats.js';

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
    `link ${t.connected ? t.endpoint : 'down'}`,
    extra,
  ].filter(Boolean).join(' | ');
}
