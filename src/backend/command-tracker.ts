/**
 * The reference backend's view of the commands it issued (docs/protocol.md section 2, "Commands,
 * execution reports, account and prices"): each command followed to its final report, reports
 * taken exactly once by `report_sequence`, and every fill checked against the limits the client
 * declared in its AccountProfile.
 *
 *   issue(cmd) ──► issued ──ACCEPTED──► (the profile now is the one the client's gate judged by)
 *                         ──SENT──────► …
 *                         ──final─────► filled | partially_filled | rejected | expired | unknown
 *                                       unknown ──correction──► its real outcome (counted as reconciled)
 *
 *   report_sequence  > last: processed;  ≤ last: a resend, dropped (and acked again);
 *                    the first one seen from a client sets its baseline; `repeat` reports change nothing
 *
 * Limits checked on every FILLED / PARTIALLY_FILLED report of an open: the symbol is in
 * risk_profile.allowed_symbols (when not empty); the filled volume ≤ risk_profile.max_lot (when not
 * 0); the positions open afterwards (the client's last `open_positions` plus the market opens filled
 * since that profile) ≤ preferences.max_open_positions (when not 0); and when the command was
 * accepted the day's loss (day_start_balance − equity) was below risk_profile.max_daily_loss (when
 * not 0). A fill that breaks one is a limit violation: the client's gate should have refused it.
 */
import {
  COMMAND_OPEN, STATUS_ACCEPTED, STATUS_EXPIRED, STATUS_FILLED, STATUS_PARTIALLY_FILLED, STATUS_REJECTED,
  STATUS_UNKNOWN, isFinalStatus,
} from '../shared/trading.js';
import type { AccountProfile, ExecutionReport, TradingCommand } from './wire.js';

const FINAL_KEYS = ['filled', 'partially_filled', 'rejected', 'expired', 'unknown'] as const;
type FinalKey = (typeof FINAL_KEYS)[number];
const VIOLATION_EXAMPLES = 10;

export interface CommandStats {
  /** Commands sent to clients. */
  issued: number;
  by_origin: Record<string, number>;
  filled: number;
  partially_filled: number;
  rejected: number;
  expired: number;
  unknown: number;
  /** Corrections of an `unknown` outcome that the client sent after reconciling with its EA. */
  reconciled: number;
  /** Issued and not final yet. */
  in_flight: number;
  reports: number;
  reports_duplicate: number;
  reports_repeat: number;
  /** Reports for commands this backend did not issue. */
  reports_untracked: number;
  /** A second final report that is not a correction (a protocol breach by the client). */
  double_finals: number;
  rejected_by_reason: Record<string, number>;
  retcodes: Record<string, number>;
  limit_violations: number;
  violation_examples: Array<{ command_id: string; limit: string; detail: string }>;
  /** Fills that arrived before any AccountProfile (nothing to check them against). */
  fills_unchecked: number;
  account_profiles: number;
  client_prices: number;
}

/** A command's latest final report, as GET /commands/<id> and tests see it. */
export interface CommandOutcome {
  command_id: string;
  client_id: string;
  origin: string;
  /** `issued` until a final report arrives, then its state. */
  state: FinalKey | 'issued';
  retcode: number;
  reason: string;
  source: string;
  message: string;
  ticket: string;
  volume: number;
  price: number;
  slippage_points: number;
  /** Final reports received (2 after a correction). */
  finals: number;
}

interface Tracked {
  clientId: string;
  outcome: CommandOutcome;
  command: TradingCommand;
  origin: string;
  final: FinalKey | null;
  /** The client's profile when it accepted the command (what its gate judged by). */
  profileAtAccept: AccountProfile | null;
}

interface ClientState {
  lastReport: number;
  started: boolean;
  profile: AccountProfile | null;
  /** Market opens filled since `profile` arrived. */
  opensSinceProfile: number;
}

export class CommandTracker {
  private readonly commands = new Map<string, Tracked>();
  private readonly clients = new Map<string, ClientState>();
  private readonly s: CommandStats = {
    issued: 0, by_origin: {}, filled: 0, partially_filled: 0, rejected: 0, expired: 0, unknown: 0, reconciled: 0, in_flight: 0,
    reports: 0, reports_duplicate: 0, reports_repeat: 0, reports_untracked: 0, double_finals: 0, rejected_by_reason: {}, retcodes: {},
    limit_violations: 0, violation_examples: [], fills_unchecked: 0, account_profiles: 0, client_prices: 0,
  };

  private client(id: string): ClientState {
    let c = this.clients.get(id);
    if (c === undefined) this.clients.set(id, c = { lastReport: 0, started: false, profile: null, opensSinceProfile: 0 });
    return c;
  }

  /** Whether this command_id was issued already (ids must be unique). */
  has(commandId: string): boolean {
    return this.commands.has(commandId);
  }

  /** Commands of this client that are not final yet. */
  inFlight(clientId: string): number {
    let n = 0;
    for (const t of this.commands.values()) if (t.clientId === clientId && t.final === null) n++;
    return n;
  }

  /** The last report_sequence processed for the client (what an Ack carries). */
  lastReport(clientId: string): number {
    return this.clients.get(clientId)?.lastReport ?? 0;
  }

  latestProfile(clientId: string): AccountProfile | null {
    return this.clients.get(clientId)?.profile ?? null;
  }

  issue(clientId: string, command: TradingCommand, origin: string): void {
    const outcome: CommandOutcome = {
      command_id: command.command_id!, client_id: clientId, origin, state: 'issued', retcode: 0, reason: '', source: '', message: '',
      ticket: '', volume: 0, price: 0, slippage_points: 0, finals: 0,
    };
    this.commands.set(command.command_id!, { clientId, outcome, command, origin, final: null, profileAtAccept: null });
    this.s.issued++;
    this.s.by_origin[origin] = (this.s.by_origin[origin] ?? 0) + 1;
  }

  onAccountProfile(clientId: string, profile: AccountProfile): void {
    this.s.account_profiles++;
    const c = this.client(clientId);
    c.profile = profile;
    c.opensSinceProfile = 0;
  }

  onClientPrices(): void {
    this.s.client_prices++;
  }

  /** Takes one report; returns the report_sequence to ack (cumulative). */
  onReport(clientId: string, r: ExecutionReport): number {
    const c = this.client(clientId);
    const seq = r.report_sequence;
    if (seq > 0) {
      if (c.started && seq <= c.lastReport) {
        this.s.reports_duplicate++;
        return c.lastReport;
      }
      c.started = true;
      c.lastReport = seq;
    }
    this.s.reports++;
    if (r.repeat) {
      this.s.reports_repeat++;
      return c.lastReport;
    }
    const t = this.commands.get(r.command_id);
    if (t === undefined || t.clientId !== clientId) {
      this.s.reports_untracked++;
      return c.lastReport;
    }
    if (r.status === STATUS_ACCEPTED) t.profileAtAccept = c.profile;
    if (!isFinalStatus(r.status)) return c.lastReport;
    const key = finalKey(r.status);
    if (key === null) {
      this.s.reports_untracked++;
      return c.lastReport;
    }
    if (t.final !== null) {
      if (!r.correction) {
        this.s.double_finals++;
        return c.lastReport;
      }
      this.s[t.final]--;
      this.s.reconciled++;
    }
    t.final = key;
    this.s[key]++;
    Object.assign(t.outcome, {
      state: key, retcode: r.retcode, reason: r.reason, source: r.source, message: r.message, ticket: r.ticket, volume: r.volume,
      price: r.price, slippage_points: r.slippage_points, finals: t.outcome.finals + 1,
    });
    if (r.retcode) this.s.retcodes[r.retcode] = (this.s.retcodes[r.retcode] ?? 0) + 1;
    if (key === 'rejected' || key === 'expired') {
      const why = r.reason || (r.retcode ? String(r.retcode) : 'unspecified');
      this.s.rejected_by_reason[why] = (this.s.rejected_by_reason[why] ?? 0) + 1;
    }
    if ((key === 'filled' || key === 'partially_filled') && (t.command.type ?? 0) === COMMAND_OPEN) this.checkFill(t, r, c);
    return c.lastReport;
  }

  private checkFill(t: Tracked, r: ExecutionReport, c: ClientState): void {
    const isMarket = (t.command.order_type ?? 0) <= 1;
    if (isMarket) c.opensSinceProfile++;
    const profile = t.profileAtAccept ?? c.profile;
    if (profile === null) {
      this.s.fills_unchecked++;
      return;
    }
    const risk = profile.risk_profile;
    const allowed = risk?.allowed_symbols ?? [];
    const violate = (limit: string, detail: string): void => {
      this.s.limit_violations++;
      if (this.s.violation_examples.length < VIOLATION_EXAMPLES) this.s.violation_examples.push({ command_id: r.command_id, limit, detail });
    };
    if (allowed.length > 0 && !allowed.includes(r.symbol)) violate('allowed_symbols', `${r.symbol} is not in [${allowed.join(', ')}]`);
    const maxLot = risk?.max_lot ?? 0;
    if (maxLot > 0 && r.volume > maxLot + 1e-9) violate('max_lot', `filled ${r.volume} lots, max_lot ${maxLot}`);
    const maxOpen = c.profile?.preferences?.max_open_positions ?? 0;
    const open = (c.profile?.open_positions ?? 0) + c.opensSinceProfile;
    if (isMarket && maxOpen > 0 && open > maxOpen) violate('max_open_positions', `${open} positions open after the fill, max ${maxOpen}`);
    const maxLoss = risk?.max_daily_loss ?? 0;
    const loss = (profile.day_start_balance ?? 0) - (profile.equity ?? 0);
    if (maxLoss > 0 && profile.day_start_balance > 0 && loss >= maxLoss) {
      violate('max_daily_loss', `accepted with a day's loss of ${loss.toFixed(2)}, max_daily_loss ${maxLoss}`);
    }
  }

  outcome(commandId: string): CommandOutcome | undefined {
    const t = this.commands.get(commandId);
    return t === undefined ? undefined : { ...t.outcome };
  }

  stats(): CommandStats {
    const s = this.s;
    const finals = s.filled + s.partially_filled + s.rejected + s.expired + s.unknown;
    return {
      ...s, in_flight: s.issued - finals, by_origin: { ...s.by_origin }, rejected_by_reason: { ...s.rejected_by_reason },
      retcodes: { ...s.retcodes }, violation_examples: s.violation_examples.map((v) => ({ ...v })),
    };
  }
}

function finalKey(status: number): FinalKey | null {
  switch (status) {
    case STATUS_FILLED: return 'filled';
    case STATUS_PARTIALLY_FILLED: return 'partially_filled';
    case STATUS_REJECTED: return 'rejected';
    case STATUS_EXPIRED: return 'expired';
    case STATUS_UNKNOWN: return 'unknown';
    default: return null; // a status this backend does not know
  }
}
