/**
 * Execution reports: what each stage of a command tells the backend (docs/protocol.md, section 2,
 * "ExecutionReport"), and the Reporter that numbers them (report_sequence), stores them durably
 * before they go out, and hands them to the transport worker.
 */
import type { ExecutionMessage } from '../../shared/protocol.js';
import {
  REPORT_SOURCE_BRIDGE, STATUS_ACCEPTED, STATUS_EXPIRED, STATUS_FILLED, STATUS_PARTIALLY_FILLED, STATUS_REJECTED,
  STATUS_SENT, STATUS_UNKNOWN, isFinalStatus, type ExecutionReportData,
} from '../../shared/trading.js';
import type { CommandStats } from './command-stats.js';
import type { CommandRecord, CommandStore } from './command-store.js';

export type ReportDraft = Omit<ExecutionReportData, 'report_sequence'>;

/** A report of `status` for the record with what the bridge knows of the command. */
export function draft(rec: CommandRecord, status: number, nowMs: number, fields: Partial<ReportDraft> = {}): ReportDraft {
  const sent = rec.sent;
  return {
    command_id: rec.id, status, final: isFinalStatus(status), ticket: sent?.ticket ?? rec.command.ticket,
    symbol: sent?.symbol ?? rec.command.symbol, volume: 0, price: 0,
    requested_price: sent?.price ?? rec.command.entry_price, requested_volume: sent?.volume ?? rec.command.lot_size,
    slippage_points: 0, retcode: 0, reason: '', message: '', source: REPORT_SOURCE_BRIDGE, order: '', deal: '',
    stop_loss: sent?.sl ?? rec.command.stop_loss, take_profit: sent?.tp ?? rec.command.take_profit,
    price_adjustment: rec.priceAdjustment, adjustment_reason: rec.adjustmentReason, correction: false, repeat: false,
    time_msc: nowMs, ...fields,
  };
}

/**
 * The report an EA `execution` stage makes, or null for `received` (the backend hears ACCEPTED
 * from the bridge instead). EA_EXPIRED becomes EXPIRED. `offsetMs` turns the EA's server clock into UTC.
 */
export function fromExecution(rec: CommandRecord, e: ExecutionMessage, offsetMs: number, point: number): ReportDraft | null {
  const status = e.stage === 'sent' ? STATUS_SENT : e.stage === 'filled' ? STATUS_FILLED
    : e.stage === 'partially_filled' ? STATUS_PARTIALLY_FILLED
      : e.stage === 'rejected' ? (e.reason === 'EA_EXPIRED' ? STATUS_EXPIRED : STATUS_REJECTED) : 0;
  if (status === 0) return null;
  const filled = status === STATUS_FILLED || status === STATUS_PARTIALLY_FILLED;
  let slippage = 0;
  const market = rec.sent?.kind === 'close' || rec.sent?.order_type === 'buy' || rec.sent?.order_type === 'sell';
  if (filled && market && rec.side !== '' && e.requested_price > 0 && e.price > 0 && point > 0) {
    const raw = rec.side === 'buy' ? e.price - e.requested_price : e.requested_price - e.price;
    slippage = Math.round((raw / point) * 10) / 10 || 0;
  }
  return draft(rec, status, e.time_msc > 0 ? e.time_msc - offsetMs : Date.now(), {
    ticket: e.ticket, volume: filled ? e.volume : 0, price: filled ? e.price : 0,
    requested_price: e.requested_price, requested_volume: e.requested_volume, slippage_points: slippage,
    retcode: e.retcode, reason: e.reason, message: e.retcode_text, source: e.source, order: e.order, deal: e.deal,
    stop_loss: e.sl, take_profit: e.tp,
  });
}

export class Reporter {
  constructor(
    private readonly store: CommandStore,
    private readonly stats: CommandStats,
    private readonly send: (reports: ExecutionReportData[]) => void,
  ) {}

  /** Numbers, stores (durably, with the record's new state) and sends one report; counts it. */
  emit(rec: CommandRecord, d: ReportDraft): ExecutionReportData {
    const report: ExecutionReportData = { ...d, report_sequence: this.store.takeReportSequence() };
    if (!d.repeat) {
      rec.status = d.status;
      rec.final = rec.final || d.final;
      rec.lastReport = report;
      this.count(d);
    }
    this.store.saveCommand(rec);
    this.store.saveReport(report);
    this.stats.reports_unacked = this.store.outbox.length;
    this.send([report]);
    return report;
  }

  /** Every unacked report again, in order (a new transport, or after a restart). */
  resendAll(): void {
    if (this.store.outbox.length > 0) this.send([...this.store.outbox]);
  }

  acked(through: number): void {
    this.store.ackReports(through);
    this.stats.reports_unacked = this.store.outbox.length;
  }

  private count(d: ReportDraft): void {
    const s = this.stats;
    if (d.correction) s.reconciled++;
    switch (d.status) {
      case STATUS_ACCEPTED: s.accepted++; break;
      case STATUS_SENT: s.sent++; break;
      case STATUS_FILLED: s.filled++; break;
      case STATUS_PARTIALLY_FILLED: s.partially_filled++; break;
      case STATUS_EXPIRED: s.expired++; break;
      case STATUS_UNKNOWN: s.unknown++; break;
      case STATUS_REJECTED: {
        s.rejected++;
        const key = d.reason !== '' ? d.reason : `retcode_${d.retcode}`;
        s.rejected_by_reason[key] = (s.rejected_by_reason[key] ?? 0) + 1;
        break;
      }
    }
  }
}
