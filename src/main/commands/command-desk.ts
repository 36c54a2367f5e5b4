/**
 * The command path on the main thread (docs/protocol.md: section 2 towards the backend, section 1
 * towards the EA):
 *
 *   transport worker ──TradingCommand──► receive: malformed? duplicate? expired? ──► offline queue
 *        ▲                                                                           │ EA ready
 *        │ ExecutionReport (numbered, durable first)                                 ▼
 *   Reporter ◄── ACCEPTED ◄── gate (limits, specs, re-basing) ──► EaLink `command` (cm5:<ref>)
 *        ▲                                                                           │
 *        └── SENT / FILLED / REJECTED … ◄── EA `execution` ◄─────────────────────────┘
 *            UNKNOWN when the link drops; a correction when `sync` settles it (Reconciler)
 *
 * The EA is ready for commands once its hello says it trades (`ea.magic`) and it has sent
 * `account` and `positions` after the welcome; until then commands wait in a bounded queue.
 */
import type { TradingConfig } from '../../shared/config.js';
import type { BridgeToEaMessage, EaSymbolSpec, EaTradingMessage, ExecutionMessage } from '../../shared/protocol.js';
import {
  BRIDGE_EXPIRED, BRIDGE_QUEUE_FULL, BRIDGE_TRADING_DISABLED, EA_LINK_LOST, EA_OFFLINE_EXPIRED, STATUS_ACCEPTED,
  STATUS_EXPIRED, STATUS_FILLED, STATUS_PARTIALLY_FILLED, STATUS_REJECTED, STATUS_SENT, STATUS_UNKNOWN,
  type TradingCommandData, type TradingToTransport,
} from '../../shared/trading.js';
import { AccountBook } from './account-book.js';
import { createCommandStats } from './command-stats.js';
import type { CommandRecord, CommandStore } from './command-store.js';
import { admit, malformed } from './gate.js';
import { PriceTable } from './price-table.js';
import { buildPriceStream } from './price-stream.js';
import { Reconciler } from './reconciler.js';
import { draft, fromExecution, Reporter } from './reports.js';

export interface EaTradingSession {
  runId: string;
  /** Undefined: the EA streams only; commands wait for one that trades. */
  magic: number | undefined;
  offsetMs: number;
  server: string;
  /** The hello's specs and the welcome's ids, by symbol name. */
  symbols: Map<string, { id: number; spec: EaSymbolSpec }>;
}

export interface CommandDeskOptions {
  config: TradingConfig;
  store: CommandStore;
  prices?: PriceTable;
  sendToEa(message: BridgeToEaMessage): void;
  post(message: TradingToTransport): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
  now?: () => number;
}

export class CommandDesk {
  readonly stats = createCommandStats();
  readonly prices: PriceTable;
  readonly book: AccountBook;
  private readonly reporter: Reporter;
  private readonly reconciler: Reconciler;
  private readonly queue: CommandRecord[] = [];
  /** Sent to the EA of this session and not final yet. */
  private readonly inEa = new Map<string, CommandRecord>();
  private session: (EaTradingSession & { account: boolean; positions: boolean }) | null = null;
  private profileDirty = false;
  private profileSentAt = 0;
  private readonly now: () => number;

  constructor(private readonly o: CommandDeskOptions) {
    this.now = o.now ?? Date.now;
    this.prices = o.prices ?? new PriceTable();
    this.book = new AccountBook(o.config, o.store);
    this.reporter = new Reporter(o.store, this.stats, (reports) => o.post({ type: 'reports', reports }));
    this.reconciler = new Reconciler(o.store, this.reporter);
    // What an earlier run left: unacked reports go again first (the transport keeps them in
    // report_sequence order); queued commands wait again; commands that were in the EA's hands
    // when it stopped are in doubt (UNKNOWN, settled by the next sync).
    this.reporter.resendAll();
    for (const rec of o.store.commands.values()) {
      if (rec.final) continue;
      if (rec.sent === null) this.queue.push(rec);
      else this.toDoubt(rec);
    }
    this.refreshGauges();
  }

  /** A TradingCommand from the backend. */
  onBackendCommand(c: TradingCommandData): void {
    const nowMs = this.now();
    this.stats.received++;
    const known = this.o.store.commands.get(c.command_id);
    if (known) {
      this.stats.duplicates++;
      if (known.lastReport) this.reporter.emit(known, { ...known.lastReport, repeat: true });
      this.o.log('info', `command ${c.command_id}: duplicate dropped`);
      return;
    }
    const rec: CommandRecord = {
      id: c.command_id, receivedAtMs: nowMs, command: c, status: 0, final: false, ref: 0, sent: null, runId: '', sentAtMs: 0,
      inDoubt: false, side: '', positionVolume: 0, priceAdjustment: 0, adjustmentReason: '', lastReport: null,
    };
    const bad = malformed(c);
    if (bad) return this.finish(rec, STATUS_REJECTED, bad.reason, bad.text);
    if (!this.o.config.enabled) return this.finish(rec, STATUS_REJECTED, BRIDGE_TRADING_DISABLED, 'trading.enabled is false');
    if (c.expires_at > 0 && c.expires_at <= nowMs) {
      return this.finish(rec, STATUS_EXPIRED, BRIDGE_EXPIRED, `expired ${nowMs - c.expires_at} ms before it arrived`);
    }
    if (this.queue.length >= this.o.config.offlineQueueMax) {
      return this.finish(rec, STATUS_REJECTED, BRIDGE_QUEUE_FULL, `${this.queue.length} commands already wait for the EA (trading.offlineQueueMax)`);
    }
    this.o.log('info', `command ${c.command_id}: type ${c.type} ${c.symbol} ${c.lot_size} lots (${c.reason})`);
    this.o.store.saveCommand(rec);
    this.queue.push(rec);
    this.pump();
    this.refreshGauges();
  }

  /** The backend acked reports up to `through`. */
  onReportsAcked(through: number): void {
    this.reporter.acked(through);
  }

  /** An EA session began (after its welcome) or ended (null). */
  onEaSession(session: EaTradingSession | null): void {
    // The session closed or a newer one replaced it: what it held without a final stage is in doubt.
    for (const rec of this.inEa.values()) this.toDoubt(rec);
    this.inEa.clear();
    this.session = session === null ? null : { ...session, account: false, positions: false };
    this.refreshGauges();
  }

  /** An EA `execution`, `account`, `positions` or `deals`. */
  onEaMessage(msg: EaTradingMessage): void {
    const s = this.session;
    const nowMs = this.now();
    if (msg.type === 'account') {
      if (this.book.onAccount(msg, s?.offsetMs ?? 0, nowMs)) this.profileDirty = true;
      if (s) s.account = true;
      this.flushProfile(nowMs);
    } else if (msg.type === 'positions') {
      if (this.book.onPositions(msg)) this.profileDirty = true;
      if (s && !s.positions) {
        s.positions = true;
        const sync = this.reconciler.startSync();
        if (sync) {
          this.o.log('info', `sync ${sync.sync_id}: ${sync.command_ids.length} command(s) in doubt`);
          this.o.sendToEa(sync);
        }
      }
      this.flushProfile(nowMs);
      this.pump();
    } else if (msg.type === 'deals') {
      if (s) this.reconciler.onDeals(msg, s.runId, this.book.positions, nowMs);
      this.refreshGauges();
    } else if (msg.type === 'execution') {
      this.onExecution(msg);
    }
  }

  /** Every second: commands that expired waiting, the price stream, a profile held back. */
  tick(): void {
    const nowMs = this.now();
    for (let i = 0; i < this.queue.length; i++) {
      const rec = this.queue[i];
      if (rec.command.expires_at > 0 && rec.command.expires_at <= nowMs) {
        this.queue.splice(i--, 1);
        this.finish(rec, STATUS_EXPIRED, EA_OFFLINE_EXPIRED, 'expired while waiting for the EA');
      }
    }
    this.refreshGauges();
    this.flushProfile(nowMs);
    const account = this.book.account;
    if (this.session && account) {
      const prices = buildPriceStream(this.prices, this.session.symbols, this.o.config.userId, account, nowMs);
      if (prices.prices.length > 0) this.o.post({ type: 'client-prices', prices });
    }
  }

  /** Sends what waits once the EA is ready. */
  private pump(): void {
    const s = this.session;
    if (!s || s.magic === undefined || !s.account || !s.positions) return;
    while (this.queue.length > 0) this.dispatch(this.queue.shift()!, s);
    this.refreshGauges();
  }

  private dispatch(rec: CommandRecord, s: EaTradingSession): void {
    const c = rec.command;
    const nowMs = this.now();
    if (c.expires_at > 0 && c.expires_at <= nowMs) return this.finish(rec, STATUS_EXPIRED, EA_OFFLINE_EXPIRED, 'expired while waiting for the EA');
    const sym = s.symbols.get(c.symbol);
    const opensInFlight = [...this.inEa.values()].filter((r) => r.sent?.kind === 'open').length + this.book.filledSincePositions;
    const verdict = admit(c, {
      config: this.o.config, spec: sym?.spec, symbolId: sym?.id ?? -1, quote: sym ? this.prices.quote(sym.id) : null,
      positions: this.book.positions, equity: this.book.equity, baselines: this.book.baselines, opensInFlight,
    });
    if (!verdict.ok) {
      this.o.log('info', `command ${rec.id} rejected: ${verdict.reason}: ${verdict.text}`);
      return this.finish(rec, STATUS_REJECTED, verdict.reason, verdict.text);
    }
    rec.ref = this.o.store.takeRef();
    rec.sent = { ...verdict.message, comment: `cm5:${rec.ref}`, magic: verdict.message.magic || (s.magic ?? 0) };
    rec.runId = s.runId;
    rec.sentAtMs = nowMs;
    rec.side = verdict.side;
    rec.positionVolume = verdict.positionVolume;
    rec.priceAdjustment = verdict.priceAdjustment;
    rec.adjustmentReason = verdict.adjustmentReason;
    // Durable (ACCEPTED, with what goes to the EA) before it goes: a crash after this is "in doubt".
    this.reporter.emit(rec, draft(rec, STATUS_ACCEPTED, nowMs, { message: verdict.adjustmentReason }));
    this.inEa.set(rec.id, rec);
    this.o.sendToEa(rec.sent);
  }

  private onExecution(e: ExecutionMessage): void {
    const rec = this.o.store.commands.get(e.command_id);
    if (!rec || rec.sent === null) {
      this.o.log('warn', `EA execution for a command this bridge did not send: ${e.command_id}`);
      return;
    }
    const s = this.session;
    const point = s?.symbols.get(rec.sent.symbol)?.spec.point ?? 0;
    const d = fromExecution(rec, e, s?.offsetMs ?? 0, point);
    if (d === null) return;
    if (rec.inDoubt) {
      if (d.final) this.reconciler.settle(rec, d); // rule 3; a replayed received/sent: its final follows
      this.refreshGauges();
      return;
    }
    if (rec.final || (d.status === STATUS_SENT && rec.status === STATUS_SENT)) return;
    this.reporter.emit(rec, d);
    if (d.final) {
      this.inEa.delete(rec.id);
      if (rec.sent.kind === 'open' && (d.status === STATUS_FILLED || d.status === STATUS_PARTIALLY_FILLED)) this.book.filledSincePositions++;
    }
  }

  /** Rule 1: final UNKNOWN at once, kept for the next sync. */
  private toDoubt(rec: CommandRecord): void {
    rec.inDoubt = true;
    this.reporter.emit(rec, draft(rec, STATUS_UNKNOWN, this.now(), { reason: EA_LINK_LOST, message: 'the EA link closed before the command\'s final stage' }));
  }

  private finish(rec: CommandRecord, status: number, reason: string, message: string): void {
    this.reporter.emit(rec, draft(rec, status, this.now(), { reason, message }));
    this.refreshGauges();
  }

  private flushProfile(nowMs: number): void {
    if (!this.profileDirty || nowMs - this.profileSentAt < 1000) return;
    const profile = this.book.profile();
    if (profile === null) return;
    this.profileDirty = false;
    this.profileSentAt = nowMs;
    this.o.post({ type: 'account-profile', profile });
  }

  private refreshGauges(): void {
    this.stats.queued = this.queue.length;
    this.stats.in_doubt = this.reconciler.inDoubt().length;
  }
}
