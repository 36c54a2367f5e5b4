/**
 * The chaos demo's bookkeeping: what it gathers from processes that may be killed at any moment,
 * and the summary and checks it ends with (docs in chaos.ts).
 */
import type { BridgeStats } from './bridge-stats.js';
import type { DemoOptions } from './demo.js';

/** What the chaos demo reads of a backend's `stats` (src/backend/backend-stats.ts). */
export interface BackendCounters {
  ticks_received: number;
  /** Ticks that arrived again (a batch already stored, here or by another endpoint) and were dropped. */
  duplicates: number;
  batches_duplicate: number;
  gaps: number;
  batch_gaps: number;
  out_of_order: number;
  indicator_mismatches: number;
  indicator_resets: number;
}

/** What the chaos demo reads of the simulated EA's final stats (src/ea-sim/stream.ts). */
export interface SimStats {
  ticks_sent: number;
  good_sent: number;
  invalid_injected: number;
  reconnects: number;
  ticks_resent: number;
  history_overruns: number;
}

export interface ChaosSummary {
  chaos: true;
  duration_s: number;
  rate: number;
  workers: number;
  symbols: number;
  /** Distinct ticks the EA sent, however often some were re-sent from a cursor. */
  ticks_sent: number;
  invalid_injected: number;
  /** Distinct good ticks the EA sent: what the bridges accepted, each counted once. */
  ticks_accepted: number;
  /** Accepted by each bridge process, summed (a tick taken in by a bridge that was then killed before spooling it counts twice). */
  ticks_accepted_all_bridges: number;
  /** Distinct ticks the backends stored (the ledger they share). */
  ticks_delivered: number;
  ticks_lost: number;
  /** Ticks a backend received again and dropped (a replayed batch it, or the other endpoint, already held). */
  duplicates: number;
  out_of_order: number;
  gaps: number;
  indicator_mismatches: number;
  /** Symbols whose indicators the backends saw restart (after the bridge restart). */
  indicator_resets: number;
  failovers: number;
  /** Longest time from losing a backend to the first batch acked by the next one. */
  failover_ms: number;
  failbacks: number;
  bridge_restarts: number;
  ea_reconnects: number;
  ticks_resent: number;
  spool_max_bytes: number;
  replayed_batches: number;
  spool_corrupt_records: number;
  history_overruns: number;
  drained: boolean;
  checks_failed: string[];
}

export class ChaosTally {
  bridgeRestarts = 0;
  /** The latest stats of each bridge process (its counters start at zero). */
  private readonly bridges = new Map<number, BridgeStats>();
  private readonly backends = new Map<string, BackendCounters>();

  bridgeStats(incarnation: number, stats: BridgeStats): void {
    this.bridges.set(incarnation, stats);
  }

  backendStats(name: string, counters: BackendCounters): void {
    this.backends.set(name, counters);
  }

  summarise(input: { o: DemoOptions; durationS: number; sim: SimStats; drained: boolean; ledgerTicks: number }): ChaosSummary {
    const { o, sim } = input;
    const bridges = [...this.bridges.values()];
    const backends = [...this.backends.values()];
    const sumB = (f: (b: BridgeStats) => number) => bridges.reduce((a, b) => a + f(b), 0);
    const maxB = (f: (b: BridgeStats) => number) => bridges.reduce((a, b) => Math.max(a, f(b)), 0);
    const sumE = (f: (b: BackendCounters) => number) => backends.reduce((a, b) => a + (f(b) ?? 0), 0);
    const s: ChaosSummary = {
      chaos: true,
      duration_s: Math.round(input.durationS * 1000) / 1000,
      rate: o.rate,
      workers: o.workers,
      symbols: o.symbols,
      ticks_sent: sim.ticks_sent,
      invalid_injected: sim.invalid_injected,
      ticks_accepted: sim.good_sent,
      ticks_accepted_all_bridges: sumB((b) => b.ticks_accepted),
      ticks_delivered: input.ledgerTicks,
      ticks_lost: sim.good_sent - input.ledgerTicks,
      duplicates: sumE((b) => b.duplicates),
      out_of_order: sumE((b) => b.out_of_order),
      gaps: sumE((b) => b.gaps + b.batch_gaps),
      indicator_mismatches: sumE((b) => b.indicator_mismatches),
      indicator_resets: sumE((b) => b.indicator_resets),
      failovers: sumB((b) => b.transport.failovers),
      failover_ms: Math.round(maxB((b) => b.transport.longest_failover_ms)),
      failbacks: sumB((b) => b.transport.failbacks),
      bridge_restarts: this.bridgeRestarts,
      ea_reconnects: sim.reconnects,
      ticks_resent: sim.ticks_resent,
      spool_max_bytes: maxB((b) => b.spool.max_bytes),
      replayed_batches: sumB((b) => b.spool.replayed_batches),
      spool_corrupt_records: sumB((b) => b.spool.corrupt_records),
      history_overruns: sim.history_overruns,
      drained: input.drained,
      checks_failed: [],
    };
    const fail = (cond: boolean, what: string) => { if (cond) s.checks_failed.push(what); };
    fail(s.ticks_lost !== 0, `ticks_lost ${s.ticks_lost}`);
    fail(s.ticks_delivered !== s.ticks_accepted, `ticks_delivered ${s.ticks_delivered} != ticks_accepted ${s.ticks_accepted}`);
    fail(s.out_of_order !== 0, `out_of_order ${s.out_of_order}`);
    fail(s.gaps !== 0, `gaps ${s.gaps}`);
    fail(s.indicator_mismatches !== 0, `indicator_mismatches ${s.indicator_mismatches}`);
    fail(s.failovers < 1, 'no failover happened');
    fail(s.failover_ms >= 1000, `failover_ms ${s.failover_ms} (limit 1000)`);
    fail(s.bridge_restarts < 1, 'the bridge was not restarted');
    fail(s.ea_reconnects < 1, 'the EA link was not dropped');
    fail(s.history_overruns !== 0, `history_overruns ${s.history_overruns}: the EA's history no longer held ticks a cursor asked for`);
    fail(!s.drained, 'the pipeline did not drain in time');
    return s;
  }
}
