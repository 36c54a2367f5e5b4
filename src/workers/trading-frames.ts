/**
 * The transport's half of the trading link (docs/protocol.md, section 2, "Commands, execution
 * reports, account and prices"): decodes TradingCommand for main, and sends what main hands over —
 * execution reports, kept until the backend acks their report_sequence and sent again, in order,
 * on every link open; the latest AccountProfile, again on every open; price streams, only while
 * the link is open. Main holds the reports durably; this is the in-flight copy.
 */
import { clientmt5 } from '../gen/clientmt5.js';
import type {
  AccountProfileData, ClientPriceStreamData, ExecutionReportData, TradingCommandData, TradingToTransport,
} from '../shared/trading.js';

interface LinkLike {
  readonly isOpen: boolean;
  send(bytes: Uint8Array): void;
}

// protobufjs writes every field present in the object, zeros too; proto3 leaves defaults out.
// Dropping them first makes these frames byte for byte what protoc writes (the golden fixtures).
export function encodeExecutionReport(r: ExecutionReportData): Uint8Array {
  return clientmt5.v1.Envelope.encode({ protocol_version: 1, execution_report: withoutDefaults(r) }).finish();
}

export function encodeAccountProfile(p: AccountProfileData): Uint8Array {
  return clientmt5.v1.Envelope.encode({ protocol_version: 1, account_profile: withoutDefaults(p) }).finish();
}

export function encodeClientPrices(p: ClientPriceStreamData): Uint8Array {
  return clientmt5.v1.Envelope.encode({ protocol_version: 1, client_prices: withoutDefaults(p) }).finish();
}

/** A copy without proto3 default values (0, '', false, []), nested messages included. */
function withoutDefaults<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === 0 || v === '' || v === false || v === null || v === undefined || (Array.isArray(v) && v.length === 0)) continue;
    if (Array.isArray(v)) out[k] = v.map((x: unknown) => (x !== null && typeof x === 'object' ? withoutDefaults(x) : x));
    else out[k] = typeof v === 'object' ? withoutDefaults(v as object) : v;
  }
  return out as T;
}

/** A decoded TradingCommand as plain data (absent fields at their proto3 defaults). */
export function commandData(c: clientmt5.v1.ITradingCommand): TradingCommandData {
  return {
    command_id: c.command_id ?? '', user_id: c.user_id ?? '', type: c.type ?? 0, symbol: c.symbol ?? '',
    order_type: c.order_type ?? 0, lot_size: c.lot_size ?? 0, entry_price: c.entry_price ?? 0, stop_loss: c.stop_loss ?? 0,
    take_profit: c.take_profit ?? 0, reason: c.reason ?? '', confidence_score: c.confidence_score ?? 0,
    expires_at: Number(c.expires_at ?? 0), original_entry: c.original_entry ?? 0, price_adjustment: c.price_adjustment ?? 0,
    adjustment_reason: c.adjustment_reason ?? '', ticket: c.ticket ?? '', deviation_points: c.deviation_points ?? 0,
    order_expiration: Number(c.order_expiration ?? 0), magic: Number(c.magic ?? 0),
  };
}

export class TradingOutbox {
  /** Unacked reports in report_sequence order, encoded. */
  private readonly reports: Array<{ sequence: number; bytes: Uint8Array }> = [];
  private lastQueued = 0;
  private ackedThrough = 0;
  private profile: Uint8Array | null = null;
  reportsSent = 0;

  constructor(private readonly link: LinkLike) {}

  get unacked(): number {
    return this.reports.length;
  }

  /** Something main sent. */
  take(msg: TradingToTransport): void {
    if (msg.type === 'reports') {
      for (const r of msg.reports) {
        // Main re-sends what is unacked after a restart; a report already held is not queued twice.
        if (r.report_sequence <= this.lastQueued || r.report_sequence <= this.ackedThrough) continue;
        const entry = { sequence: r.report_sequence, bytes: encodeExecutionReport(r) };
        this.reports.push(entry);
        this.lastQueued = r.report_sequence;
        if (this.link.isOpen) this.sendReport(entry.bytes);
      }
    } else if (msg.type === 'account-profile') {
      this.profile = encodeAccountProfile(msg.profile);
      if (this.link.isOpen) this.link.send(this.profile);
    } else if (this.link.isOpen) {
      this.link.send(encodeClientPrices(msg.prices));
    }
  }

  /** A link opened: the latest profile, then every unacked report in order. */
  onOpen(): void {
    if (this.profile !== null) this.link.send(this.profile);
    for (const r of this.reports) this.sendReport(r.bytes);
  }

  /** Ack.report_sequence: true when it acknowledged something new. */
  ackThrough(sequence: number): boolean {
    if (sequence <= this.ackedThrough) return false;
    this.ackedThrough = sequence;
    let n = 0;
    while (n < this.reports.length && this.reports[n].sequence <= sequence) n++;
    this.reports.splice(0, n);
    return true;
  }

  private sendReport(bytes: Uint8Array): void {
    this.link.send(bytes);
    this.reportsSent++;
  }
}
