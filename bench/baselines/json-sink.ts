/**
 * The naive baseline's backend: a uWebSockets.js server that takes one JSON tick per message,
 * parses it, checks per-symbol sequence continuity and records bridge receipt → here latency.
 * uWS (not `ws`) so that the sink is not what limits the baseline.
 *
 *   node --import tsx bench/baselines/json-sink.ts --port 0
 *
 * IPC (forked): → {type:'ready', url}; {type:'stats'} → {type:'stats', stats};
 * {type:'reset'} → latency restarts; {type:'stop'} → exits.
 */
import { parseArgs } from 'node:util';
import { LatencyHistogram } from '../../src/backend/latency-histogram.js';
import { loadUws } from '../../src/shared/uws-native.js';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } } });
const uws = loadUws();
const decoder = new TextDecoder();
const lastSeq = new Map<string, number>();
const counts = { messages: 0, ticks_received: 0, duplicates: 0, gaps: 0, missing_ticks: 0, bad_messages: 0 };
let latency = new LatencyHistogram();

uws.App().ws('/json', {
  maxPayloadLength: 1 << 20,
  maxBackpressure: 1 << 20,
  idleTimeout: 120,
  message: (_ws, message, isBinary) => {
    const now = Date.now();
    counts.messages++;
    let tick: { symbol?: string; sequence_number?: number; received_at_ms?: number };
    try {
      tick = JSON.parse(decoder.decode(message)) as typeof tick;
    } catch {
      counts.bad_messages++;
      return;
    }
    if (isBinary || typeof tick.symbol !== 'string' || typeof tick.sequence_number !== 'number') {
      counts.bad_messages++;
      return;
    }
    const last = lastSeq.get(tick.symbol) ?? 0;
    if (tick.sequence_number <= last) { counts.duplicates++; return; }
    if (tick.sequence_number > last + 1) { counts.gaps++; counts.missing_ticks += tick.sequence_number - last - 1; }
    lastSeq.set(tick.symbol, tick.sequence_number);
    counts.ticks_received++;
    if (typeof tick.received_at_ms === 'number') latency.recordMs(now - tick.received_at_ms);
  },
}).listen('127.0.0.1', Number(values.port), (socket) => {
  if (!socket) throw new Error(`json-sink cannot listen on 127.0.0.1:${values.port}`);
  const port = uws.us_socket_local_port(socket);
  process.on('message', (m: { type?: string }) => {
    if (m?.type === 'stats') process.send?.({ type: 'stats', stats: { mode: 'json-sink', ...counts, latency_ms: latency.summaryMs() } });
    else if (m?.type === 'reset') { latency = new LatencyHistogram(); process.send?.({ type: 'reset' }); }
    else if (m?.type === 'stop') process.exit(0);
  });
  process.once('disconnect', () => process.exit(0));
  process.send?.({ type: 'ready', port, url: `ws://127.0.0.1:${port}/json` });
});
