/**
 * What the reference backend knows about one client's market-data stream (keyed by the JWT `sub`,
 * so it survives reconnects), and the checks it applies to every batch and tick.
 *
 *   batch_sequence  == last+1  accept: check every tick, then ack cumulatively
 *                   <= last    duplicate (a resend after a lost ack): drop, count its ticks, re-ack
 *                   >  last+1  gap: count, answer BACKEND_SEQUENCE_GAP, no ack, nothing processed
 *   per symbol      sequence_number <= last → duplicate tick, dropped; > last+1 → gap, counted
 *                   time_msc going backwards → counted as out of order (the tick is kept)
 *
 * The first batch a backend sees from a client sets the baseline, whatever its number: that is
 * how a backup backend takes over a stream mid-way, and how a restarted backend resumes (the
 * client resends from its oldest unacked batch). Indicators can only be verified for a symbol
 * whose ticks the backend holds from sequence 1 without a gap (EMAs remember all history); other
 * ticks count as `indicator_unverified`.
 */
import type { clientmt5 } from '../gen/clientmt5.js';
import { IndicatorRowView, type ColumnarBatch } from './columnar-batch.js';
import type { IndicatorChecker } from './indicator-check.js';
import type { LatencyHistogram } from './latency-histogram.js';
import type { Ledger } from './ledger.js';
import { ReferenceIndicators } from './reference-indicators.js';

/** Counters shared by every client of one backend (the totals BackendStats reports). */
export interface StreamCounters {
  batches: number;
  batches_duplicate: number;
  batch_gaps: number;
  ticks_received: number;
  duplicates: number;
  gaps: number;
  missing_ticks: number;
  out_of_order: number;
  bad_ticks: number;
  indicator_checked: number;
  indicator_unverified: number;
  /** Of `batches`, how many came column-packed (market_data_columns). */
  batches_columnar: number;
  /**
   * Symbols whose indicators went absent again after having been present: the client restarted
   * and its indicators are warming up from nothing, so the reference started over at that tick.
   */
  indicator_resets: number;
  /** Batches the client announced it will never send (Error SPOOL_DROPPED_BATCHES): skipped, not gaps. */
  batches_skipped: number;
}

export function newStreamCounters(): StreamCounters {
  return {
    batches: 0, batches_duplicate: 0, batch_gaps: 0, ticks_received: 0, duplicates: 0, gaps: 0,
    missing_ticks: 0, out_of_order: 0, bad_ticks: 0, indicator_checked: 0, indicator_unverified: 0,
    batches_columnar: 0, indicator_resets: 0, batches_skipped: 0,
  };
}

type WireIndicators = clientmt5.v1.TechnicalIndicators.$Properties;

export type BatchOutcome = 'accepted' | 'duplicate' | 'gap' | 'invalid';

export class SymbolStream {
  lastSeq = 0;
  lastTimeMsc = -Infinity;
  ticks = 0;
  /** False once the backend lacks part of this symbol's history (joined mid-way, or a gap). */
  verifiable: boolean;
  reference = new ReferenceIndicators();
  /** A tick of this symbol carried indicators (the client's are warm). */
  warm = false;
  /** The batch that last touched this symbol (the ledger records each touched symbol once). */
  touchedBatch = 0;
  /**
   * columnar-latest: mids of this batch's ticks whose indicators did not travel, pushed into the
   * reference at the symbol's last tick of the batch, once it is known whether the client
   * restarted (then they belong to the new reference).
   */
  readonly pendingMids: number[] = [];

  constructor(verifiable: boolean) {
    this.verifiable = verifiable;
  }
}

export class ClientStream {
  /** Last accepted batch_sequence; what every ack carries. 0 before the first batch. */
  lastBatch = 0;
  /** Distinct ticks accepted from this client. */
  ticksReceived = 0;
  /** Ticks dropped as duplicates (whole duplicate batches, and per-symbol sequence regressions). */
  duplicatesDropped = 0;
  /** True when the stream was seen from batch 1, so each symbol must start at sequence 1. */
  private fromStart = false;
  private started = false;
  readonly symbols = new Map<string, SymbolStream>();
  /** Symbols the batch being applied touched (for its ledger record). */
  private readonly touched: string[] = [];
  private ledgerVersion = 0;

  constructor(
    readonly clientId: string,
    private readonly counters: StreamCounters,
    private readonly checker: IndicatorChecker,
    private readonly latency: LatencyHistogram,
    private readonly ledger?: Ledger,
  ) {}

  /**
   * Learns from the shared ledger what other backends stored for this client since we last
   * looked: the last batch and each symbol's position. Called when the client connects and before
   * every batch, so duplicates, gaps and order are judged across endpoints.
   */
  syncFromLedger(): void {
    const ledger = this.ledger;
    if (ledger === undefined) return;
    ledger.catchUp();
    const held = ledger.client(this.clientId);
    if (held === undefined || held.version === this.ledgerVersion) return;
    this.ledgerVersion = held.version;
    if (held.lastBatch > this.lastBatch) {
      if (!this.started) this.fromStart = held.firstBatch === 1;
      this.started = true;
      this.lastBatch = held.lastBatch;
    }
    for (const [symbol, p] of held.symbols) {
      let sym = this.symbols.get(symbol);
      if (sym === undefined) this.symbols.set(symbol, sym = new SymbolStream(false));
      if (p.lastSeq > sym.lastSeq) {
        // Ticks stored elsewhere: this backend's reference lacks them, so it cannot verify
        // indicators of this symbol again until the client's restart (see onTick).
        sym.lastSeq = p.lastSeq;
        sym.verifiable = false;
        sym.warm = p.warm;
      }
      if (p.lastTimeMsc > sym.lastTimeMsc) sym.lastTimeMsc = p.lastTimeMsc;
    }
  }

  /**
   * The client announced that batches up to `through` will never come (its spool dropped them,
   * docs/protocol.md section 2): the stream continues after them, and the ledger records it so
   * the other endpoints agree. Returns how many batches were skipped.
   */
  skipThrough(through: number): number {
    this.syncFromLedger();
    if (!Number.isSafeInteger(through) || through <= this.lastBatch) return 0;
    const skipped = through - this.lastBatch;
    if (!this.started) {
      this.started = true;
      this.fromStart = false;
    }
    this.lastBatch = through;
    this.counters.batches_skipped += skipped;
    this.ledger?.append({ client: this.clientId, batch: through, ticks: 0, symbols: [] });
    return skipped;
  }

  /** The batch number that must come next. */
  get expectedBatch(): number {
    return this.lastBatch + 1;
  }

  /**
   * Applies one decoded MarketDataStream. `receivedAtMs` is the backend's UTC clock (ms, with
   * fraction) when the frame arrived; tick latency is measured against it.
   */
  onBatch(batch: clientmt5.v1.MarketDataStream, receivedAtMs: number): BatchOutcome {
    const ticks = batch.ticks as clientmt5.v1.TickData[];
    this.syncFromLedger();
    const outcome = this.admit(batch.batch_sequence, ticks.length);
    if (outcome !== 'accepted') return outcome;
    const before = this.ticksReceived;
    for (let i = 0; i < ticks.length; i++) {
      const t = ticks[i];
      this.onTick(t.symbol, t.sequence_number, t.time_msc, t.received_at_ms, t.bid, t.ask, t.indicators, receivedAtMs);
    }
    this.accepted(batch.batch_sequence, before);
    return 'accepted';
  }

  /**
   * The same for a decoded market_data_columns batch: the same checks, tick by tick. A
   * columnar-latest batch's indicators are checked at each symbol's last tick of the batch.
   */
  onColumns(batch: ColumnarBatch, receivedAtMs: number): BatchOutcome {
    this.syncFromLedger();
    const outcome = this.admit(batch.batchSequence, batch.count);
    if (outcome !== 'accepted') return outcome;
    const before = this.ticksReceived;
    const view = this.view(batch);
    for (let i = 0; i < batch.count; i++) {
      view.row = i;
      this.onTick(batch.symbolOf(i), batch.sequenceNumber[i], batch.timeMsc[i], batch.receivedAtMs[i],
        batch.bid[i], batch.ask[i], view, receivedAtMs, batch.carriesIndicators(i));
    }
    this.accepted(batch.batchSequence, before);
    this.counters.batches_columnar++;
    return 'accepted';
  }

  private rowView: IndicatorRowView | null = null;

  private view(batch: ColumnarBatch): IndicatorRowView {
    if (this.rowView === null || this.rowView.batch !== batch) this.rowView = new IndicatorRowView(batch);
    return this.rowView;
  }

  /** Batch continuity: whether a batch of `ticks` ticks numbered `seq` is processed. */
  private admit(seq: number, ticks: number): BatchOutcome {
    if (!Number.isSafeInteger(seq) || seq < 1) return 'invalid';
    if (!this.started) {
      this.started = true;
      this.fromStart = seq === 1;
      this.lastBatch = seq - 1;
    }
    if (seq <= this.lastBatch) {
      this.counters.batches_duplicate++;
      this.counters.duplicates += ticks;
      this.duplicatesDropped += ticks;
      return 'duplicate';
    }
    if (seq > this.lastBatch + 1) {
      this.counters.batch_gaps++;
      return 'gap';
    }
    return 'accepted';
  }

  private accepted(seq: number, ticksBefore: number): void {
    this.lastBatch = seq;
    this.counters.batches++;
    if (this.ledger !== undefined) {
      // Stored (and, per the fsync policy, on disk) before the caller acks.
      const symbols = this.touched.map((name) => {
        const sym = this.symbols.get(name)!;
        return { symbol: name, lastSeq: sym.lastSeq, lastTimeMsc: sym.lastTimeMsc, warm: sym.warm };
      });
      this.ledger.append({ client: this.clientId, batch: seq, ticks: this.ticksReceived - ticksBefore, symbols });
    }
    this.touched.length = 0;
  }

  private onTick(symbol: string, seq: number, timeMsc: number, tickReceivedAtMs: number, bid: number, ask: number,
    indicators: WireIndicators | null | undefined, receivedAtMs: number, carried = true): void {
    const c = this.counters;
    if (symbol === '' || !Number.isSafeInteger(seq) || seq < 1) {
      c.bad_ticks++;
      return;
    }
    let sym = this.symbols.get(symbol);
    if (sym === undefined) {
      sym = new SymbolStream(seq === 1);
      // Joined mid-way: the ticks before this one were acked to whoever held the stream before.
      if (!this.fromStart) sym.lastSeq = seq - 1;
      this.symbols.set(symbol, sym);
    }
    if (seq <= sym.lastSeq) {
      c.duplicates++;
      this.duplicatesDropped++;
      return;
    }
    if (seq > sym.lastSeq + 1) {
      c.gaps++;
      c.missing_ticks += seq - sym.lastSeq - 1;
      sym.verifiable = false;
    }
    sym.lastSeq = seq;
    sym.ticks++;
    this.ticksReceived++;
    c.ticks_received++;
    if (this.ledger !== undefined && sym.touchedBatch !== this.lastBatch + 1) {
      sym.touchedBatch = this.lastBatch + 1;
      this.touched.push(symbol);
    }

    if (timeMsc < sym.lastTimeMsc) c.out_of_order++;
    else sym.lastTimeMsc = timeMsc;
    if (tickReceivedAtMs > 0) this.latency.recordMs(receivedAtMs - tickReceivedAtMs);

    if (!carried) {
      // columnar-latest: this tick's indicators did not travel, its symbol's last tick of the
      // batch carries them; the reference takes its price there, and is checked there.
      sym.pendingMids.push((bid + ask) / 2);
      return;
    }
    // The shortest warm-up is EMA(12)'s: a tick without it carries no indicator at all. Absent
    // again after having been present means the client restarted with cold indicators: start the
    // reference over at this tick (it then holds this symbol's whole history again). In a
    // columnar-latest batch that is the symbol's last tick, and the batch's earlier ticks of the
    // symbol start the new reference; a restart whose first batch already brings 12 ticks of a
    // symbol carries warm values there and cannot be told from presence (counted as mismatches).
    const warm = indicators != null && indicators.ema_12 != null;
    if (warm) {
      sym.warm = true;
    } else if (sym.warm) {
      sym.warm = false;
      sym.reference = new ReferenceIndicators();
      sym.verifiable = true;
      c.indicator_resets++;
    }
    if (!sym.verifiable) {
      sym.pendingMids.length = 0;
      c.indicator_unverified++;
      return;
    }
    for (let i = 0; i < sym.pendingMids.length; i++) sym.reference.push(sym.pendingMids[i]);
    sym.pendingMids.length = 0;
    const mid = (bid + ask) / 2;
    sym.reference.push(mid);
    this.checker.check(indicators, sym.reference.values, mid, this.clientId, symbol, seq);
    c.indicator_checked++;
  }
}
