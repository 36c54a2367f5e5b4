/** A snapshot of the bridge's counters, from the shared statistics the workers write. */
import {
  LS_ACCEPTED, LS_BATCHES, LS_HEADER, LS_REJECTED, LS_SYM_ACCEPTED, LS_SYM_FIELDS, LS_SYM_REASON0,
  LS_SYM_REJECTED, LS_TICKS_IN, TS_BATCHES_ACKED, TS_BATCHES_SENT, TS_BYTES_SENT, TS_CONNECTED,
  TS_ENDPOINT_INDEX, TS_LAST_ACKED_SEQ, TS_PENDING_TICKS, TS_RECONNECTS, TS_TICKS_ACKED, TS_TICKS_SENT,
  TS_UNACKED_BATCHES, TS_FAILBACKS, TS_FAILOVERS, TS_LAST_FAILOVER_MS, TS_LINK_DOWN_SINCE, TS_LINK_TIMEOUTS,
  TS_LONGEST_FAILOVER_MS, TS_REPLAYED_BATCHES, TS_SPOOL_BATCHES, TS_SPOOL_BYTES, TS_SPOOL_CORRUPT_RECORDS,
  TS_SPOOL_DISK_BYTES, TS_SPOOL_DROPPED_BATCHES, TS_SPOOL_DROPPED_TICKS, TS_SPOOL_FAILING, TS_SPOOL_MAX_BYTES,
  TS_SPOOL_RECOVERED_BATCHES, TS_SPOOL_WRITE_ERRORS, LS_PICKUP_AGE, TS_PICKUP_AGE, TS_SENT_AGE, LS_HEAP_PEAK,
  LS_EXTERNAL_PEAK, TS_HEAP_PEAK, TS_EXTERNAL_PEAK,
} from '../shared/lanes.js';
import { notePeakMemory } from '../shared/memory-peak.js';
import { summarizeAges, type AgeSummary } from '../shared/age-histogram.js';
import { REASON_COUNT, REASON_NAMES } from '../shared/ring-layout.js';
import type { Bridge } from './bridge.js';
import type { IngestStats } from './ingest.js';
import type { CommandStats } from './commands/command-stats.js';

export interface SymbolStats {
  accepted: number;
  rejected: number;
  rejected_by_reason: Record<string, number>;
}

export interface ThreadMemory {
  heap: number;
  external: number;
}

/** Main's own peaks (workers keep theirs in the shared statistics). */
const mainMemory = new Float64Array(2);

export interface BridgeStats {
  ready_ms: number;
  ea_connected: boolean;
  /** The EA is told to hold back ticks (a lane's ring was full). */
  ea_paused: boolean;
  ea_sessions: number;
  ea_protocol_errors: number;
  ingest: IngestStats;
  /** Ticks the compute workers have taken from their rings. */
  ticks_processed: number;
  ticks_accepted: number;
  ticks_rejected: number;
  rejected_by_reason: Record<string, number>;
  compute_batches: number;
  /** Ticks received but not yet through validation (in rings or backlog). */
  ticks_in_flight: number;
  per_symbol: Record<string, SymbolStats>;
  /** Trading commands and their outcomes (src/main/commands/). */
  commands: CommandStats;
  transport: {
    connected: boolean;
    endpoint: string;
    batches_sent: number;
    batches_acked: number;
    ticks_sent: number;
    ticks_acked: number;
    bytes_sent: number;
    unacked_batches: number;
    pending_ticks: number;
    last_acked_sequence: number;
    reconnects: number;
    last_error: string;
    /** Position of `endpoint` in backend.endpoints: 0 is the primary. */
    endpoint_index: number;
    /** Links that opened on another endpoint than the one lost. */
    failovers: number;
    /** Clean switches from a backup back to the primary. */
    failbacks: number;
    /** From a link's loss to the first ack on the next endpoint, ms: the last and the longest. */
    last_failover_ms: number;
    longest_failover_ms: number;
    /** Links declared dead because nothing arrived within transport.linkTimeoutMs. */
    link_timeouts: number;
    /** Date.now() when the link went down; 0 while it is open. */
    down_since: number;
  };
  /**
   * Where a tick's time inside the bridge goes (src/shared/age-histogram.ts): the age of each
   * batch's oldest tick, since main received it, when a compute worker takes the batch, when the
   * transport takes it from the output ring, and when its batch goes to the socket. Since start.
   */
  latency_in_bridge: { compute_pickup: AgeSummary; transport_pickup: AgeSummary; sent: AgeSummary };
  /**
   * Peak memory per thread, MB (src/shared/memory-peak.ts): each isolate's V8 heap (resident) and
   * the memory it holds outside the heap (buffers). Main's is sampled when stats are collected.
   */
  memory_peak_mb: { main: ThreadMemory; transport: ThreadMemory; compute: ThreadMemory[] };
  /** The durable spool (src/workers/spool/); zeros when spool.enabled is false. */
  spool: {
    enabled: boolean;
    /** Unacked bytes and batches held. */
    bytes: number;
    batches: number;
    /** Most unacked bytes seen (spool_max_bytes). */
    max_bytes: number;
    disk_bytes: number;
    /** Stored batches sent again after a reconnect or a restart (replayed_batches). */
    replayed_batches: number;
    /** Unacked batches an earlier run left on disk. */
    recovered_batches: number;
    corrupt_records: number;
    dropped_batches: number;
    dropped_ticks: number;
    write_errors: number;
    /** Writes are failing (full disk): batches are held in memory and no ticks are taken. */
    failing: boolean;
  };
}

export function collectStats(bridge: Bridge): BridgeStats {
  let processed = 0;
  let accepted = 0;
  let rejected = 0;
  let batches = 0;
  const byReason: Record<string, number> = {};
  for (const name of REASON_NAMES) byReason[name] = 0;
  const perSymbol: Record<string, SymbolStats> = {};
  for (const s of bridge.laneStats) {
    processed += s[LS_TICKS_IN];
    accepted += s[LS_ACCEPTED];
    rejected += s[LS_REJECTED];
    batches += s[LS_BATCHES];
  }
  for (const entry of bridge.registry.all()) {
    const s = bridge.laneStats[entry.lane];
    const base = LS_HEADER + entry.id * LS_SYM_FIELDS;
    const reasons: Record<string, number> = {};
    for (let r = 0; r < REASON_COUNT; r++) {
      const n = s[base + LS_SYM_REASON0 + r];
      if (n > 0) reasons[REASON_NAMES[r]] = n;
      byReason[REASON_NAMES[r]] += n;
    }
    perSymbol[entry.name] = { accepted: s[base + LS_SYM_ACCEPTED], rejected: s[base + LS_SYM_REJECTED], rejected_by_reason: reasons };
  }
  const t = bridge.transportStats;
  return {
    ready_ms: bridge.readyMs,
    ea_connected: bridge.eaLink.stats.connected,
    ea_paused: bridge.ingest.isPaused,
    ea_sessions: bridge.eaLink.stats.sessions,
    ea_protocol_errors: bridge.eaLink.stats.protocolErrors,
    ingest: { ...bridge.ingest.stats },
    ticks_processed: processed,
    ticks_accepted: accepted,
    ticks_rejected: rejected,
    rejected_by_reason: byReason,
    compute_batches: batches,
    ticks_in_flight: bridge.ingest.stats.ticks - processed,
    per_symbol: perSymbol,
    commands: { ...bridge.commands.stats, rejected_by_reason: { ...bridge.commands.stats.rejected_by_reason } },
    transport: {
      connected: t[TS_CONNECTED] === 1,
      endpoint: bridge.config.backend.endpoints[t[TS_ENDPOINT_INDEX]] ?? '',
      batches_sent: t[TS_BATCHES_SENT],
      batches_acked: t[TS_BATCHES_ACKED],
      ticks_sent: t[TS_TICKS_SENT],
      ticks_acked: t[TS_TICKS_ACKED],
      bytes_sent: t[TS_BYTES_SENT],
      unacked_batches: t[TS_UNACKED_BATCHES],
      pending_ticks: t[TS_PENDING_TICKS],
      last_acked_sequence: t[TS_LAST_ACKED_SEQ],
      reconnects: t[TS_RECONNECTS],
      last_error: bridge.linkState.lastError,
      endpoint_index: t[TS_ENDPOINT_INDEX],
      failovers: t[TS_FAILOVERS],
      failbacks: t[TS_FAILBACKS],
      last_failover_ms: Math.round(t[TS_LAST_FAILOVER_MS]),
      longest_failover_ms: Math.round(t[TS_LONGEST_FAILOVER_MS]),
      link_timeouts: t[TS_LINK_TIMEOUTS],
      down_since: t[TS_LINK_DOWN_SINCE],
    },
    memory_peak_mb: {
      main: (notePeakMemory(mainMemory, 0, 1), { heap: mb(mainMemory[0]), external: mb(mainMemory[1]) }),
      transport: { heap: mb(t[TS_HEAP_PEAK]), external: mb(t[TS_EXTERNAL_PEAK]) },
      compute: bridge.laneStats.map((s) => ({ heap: mb(s[LS_HEAP_PEAK]), external: mb(s[LS_EXTERNAL_PEAK]) })),
    },
    latency_in_bridge: {
      compute_pickup: summarizeAges(bridge.laneStats.map((stats) => ({ stats, offset: LS_PICKUP_AGE }))),
      transport_pickup: summarizeAges([{ stats: t, offset: TS_PICKUP_AGE }]),
      sent: summarizeAges([{ stats: t, offset: TS_SENT_AGE }]),
    },
    spool: {
      enabled: bridge.config.spool.enabled,
      bytes: t[TS_SPOOL_BYTES],
      batches: t[TS_SPOOL_BATCHES],
      max_bytes: t[TS_SPOOL_MAX_BYTES],
      disk_bytes: t[TS_SPOOL_DISK_BYTES],
      replayed_batches: t[TS_REPLAYED_BATCHES],
      recovered_batches: t[TS_SPOOL_RECOVERED_BATCHES],
      corrupt_records: t[TS_SPOOL_CORRUPT_RECORDS],
      dropped_batches: t[TS_SPOOL_DROPPED_BATCHES],
      dropped_ticks: t[TS_SPOOL_DROPPED_TICKS],
      write_errors: t[TS_SPOOL_WRITE_ERRORS],
      failing: t[TS_SPOOL_FAILING] === 1,
    },
  };
}

function mb(bytes: number): number {
  return Math.round(bytes / 1e5) / 10;
}
