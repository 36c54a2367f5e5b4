/**
 * The reference backend's statistics: what tests, the demo, benchmarks and `client-mt5 backend`
 * report. Built on demand from the live counters; nothing here runs per tick.
 */
import type { ClientStream, StreamCounters } from './client-stream.js';
import type { BackendCommands } from './commands.js';
import type { IndicatorChecker, MismatchExample } from './indicator-check.js';
import type { LatencyHistogram, LatencySummaryMs } from './latency-histogram.js';
import type { LedgerStats } from './ledger.js';

export interface ClientStats {
  connected: boolean;
  last_acked_batch: number;
  ticks_received: number;
  duplicates_dropped: number;
}

export interface BackendStats extends StreamCounters {
  /** WebSocket connections open now. */
  connections: number;
  /** Connections accepted since start. */
  connections_total: number;
  /** Upgrade requests refused with 401. */
  auth_rejected: number;
  /** Indicator values that disagreed with the reference (a tick can contribute several). */
  indicator_mismatches: number;
  /** The first mismatches, with the values on both sides. */
  mismatch_examples: MismatchExample[];
  /** Frames that were not a usable Envelope (undecodable, text, empty or wrong-direction payload). */
  bad_frames: number;
  heartbeats: number;
  /** Heartbeat envelopes this backend sent unasked (every heartbeatIntervalMs to every client). */
  heartbeats_sent: number;
  /** Well-formed client payloads the reference backend accepts without acting on them, by payload name. */
  other_messages: Record<string, number>;
  /** Bridge receipt (`received_at_ms`) to backend receipt, per distinct tick. */
  latency_ms: LatencySummaryMs;
  /** Per symbol over all clients: distinct ticks, and the highest sequence_number accepted. */
  per_symbol: Record<string, { ticks: number; last_seq: number }>;
  /** batch_sequence of the most recent ack sent to any client. */
  last_acked_batch: number;
  /** Per client identity (JWT sub). */
  clients: Record<string, ClientStats>;
  /** Present when recording: the file and how much went into it. */
  record?: { path: string; frames: number; bytes: number };
  /** Present with a shared ledger: records written here, read from the other endpoints, corrupt ones skipped. */
  ledger?: LedgerStats;
  /** Trading commands issued, their final reports, and fills checked against the client's limits (commands.ts). */
  commands?: ReturnType<BackendCommands['stats']>;
}

/** Counters the server itself keeps (the stream counters live in StreamCounters). */
export interface ServerCounters {
  connections: number;
  connections_total: number;
  auth_rejected: number;
  bad_frames: number;
  heartbeats: number;
  heartbeats_sent: number;
  other_messages: Record<string, number>;
  last_acked_batch: number;
}

export function newServerCounters(): ServerCounters {
  return { connections: 0, connections_total: 0, auth_rejected: 0, bad_frames: 0, heartbeats: 0, heartbeats_sent: 0, other_messages: {}, last_acked_batch: 0 };
}

export function buildStats(
  server: ServerCounters,
  stream: StreamCounters,
  checker: IndicatorChecker,
  latency: LatencyHistogram,
  clients: ReadonlyMap<string, ClientStream>,
  connected: ReadonlySet<string>,
  record: BackendStats['record'],
  ledger?: LedgerStats,
): BackendStats {
  const perSymbol: BackendStats['per_symbol'] = {};
  const perClient: BackendStats['clients'] = {};
  for (const [id, client] of clients) {
    perClient[id] = {
      connected: connected.has(id),
      last_acked_batch: client.lastBatch,
      ticks_received: client.ticksReceived,
      duplicates_dropped: client.duplicatesDropped,
    };
    for (const [symbol, s] of client.symbols) {
      const entry = (perSymbol[symbol] ??= { ticks: 0, last_seq: 0 });
      entry.ticks += s.ticks;
      entry.last_seq = Math.max(entry.last_seq, s.lastSeq);
    }
  }
  const stats: BackendStats = {
    connections: server.connections,
    connections_total: server.connections_total,
    auth_rejected: server.auth_rejected,
    ...stream,
    indicator_mismatches: checker.mismatches,
    mismatch_examples: checker.examples.map((e) => ({ ...e })),
    bad_frames: server.bad_frames,
    heartbeats: server.heartbeats,
    heartbeats_sent: server.heartbeats_sent,
    other_messages: { ...server.other_messages },
    latency_ms: latency.summaryMs(),
    per_symbol: perSymbol,
    last_acked_batch: server.last_acked_batch,
    clients: perClient,
  };
  if (record !== undefined) stats.record = record;
  if (ledger !== undefined) stats.ledger = ledger;
  return stats;
}
