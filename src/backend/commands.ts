/**
 * The reference backend's trading side, one object the server hooks into:
 *
 *   accepted tick batches ─► SignalRule per client (signal-rule.ts) ─┐
 *   POST /commands (commands-http.ts) ───────────────────────────────┴► issue ─► Envelope{trading_command} ─► client
 *   client ─► execution_report ─► CommandTracker (command-tracker.ts) ─► Ack{report_sequence}
 *          ─► account_profile  ─► the limits fills are checked against
 *          ─► client_prices    ─► counted
 *
 * The signal rule is off unless BackendOptions.signals asks for it (the demo does; tests of the
 * tick path do not want commands they did not ask for).
 */
import type { ColumnarBatch } from './columnar-batch.js';
import { CommandTracker, type CommandStats } from './command-tracker.js';
import type { IssueHandler } from './commands-http.js';
import { SignalRule, type SignalRuleOptions } from './signal-rule.js';
import { encodeTradingCommand, type AccountProfile, type ExecutionReport, type MarketDataStream, type TickData, type TradingCommand } from './wire.js';

export type { CommandStats } from './command-tracker.js';

export interface BackendCommandsOptions {
  /** The demo's RSI rule; null = off. */
  signals: SignalRuleOptions | null;
  /** Sends a frame to the client's open connection; false when it has none. */
  send: (clientId: string, frame: Uint8Array) => boolean;
  /** Identities of the clients connected now. */
  connected: () => string[];
}

export class BackendCommands {
  readonly tracker = new CommandTracker();
  private readonly rules = new Map<string, SignalRule>();
  private readonly o: BackendCommandsOptions;
  /** Signal commands that could not be sent (the client's link was gone). */
  signalsUnsent = 0;
  /** False holds the signal rule back (the demo stops new commands before it winds down). */
  signalsEnabled = true;

  constructor(o: BackendCommandsOptions) {
    this.o = o;
  }

  private rule(clientId: string): SignalRule | null {
    if (this.o.signals === null || !this.signalsEnabled) return null;
    let r = this.rules.get(clientId);
    if (r === undefined) this.rules.set(clientId, r = new SignalRule(this.o.signals));
    return r;
  }

  /** The ticks of an accepted row batch. */
  onRowBatch(clientId: string, batch: MarketDataStream): void {
    const rule = this.rule(clientId);
    if (rule === null) return;
    const inFlight = () => this.tracker.inFlight(clientId);
    for (const t of batch.ticks as TickData[]) {
      const cmd = rule.onTick(t.symbol, t.time_msc, t.bid, t.ask, inFlight);
      if (cmd !== null) this.issueSignal(clientId, cmd);
    }
  }

  /** The ticks of an accepted column-packed batch. */
  onColumnsBatch(clientId: string, batch: ColumnarBatch): void {
    const rule = this.rule(clientId);
    if (rule === null) return;
    const inFlight = () => this.tracker.inFlight(clientId);
    for (let i = 0; i < batch.count; i++) {
      const cmd = rule.onTick(batch.symbolOf(i), batch.timeMsc[i], batch.bid[i], batch.ask[i], inFlight);
      if (cmd !== null) this.issueSignal(clientId, cmd);
    }
  }

  /** Takes a report; returns the cumulative report_sequence to ack. */
  onReport(clientId: string, report: ExecutionReport): number {
    return this.tracker.onReport(clientId, report);
  }

  onAccountProfile(clientId: string, profile: AccountProfile): void {
    this.tracker.onAccountProfile(clientId, profile);
  }

  onClientPrices(): void {
    this.tracker.onClientPrices();
  }

  lastReport(clientId: string): number {
    return this.tracker.lastReport(clientId);
  }

  /** For POST /commands: the named client, or the only connected one. */
  readonly issueByHand: IssueHandler = (clientId, command) => {
    const connected = this.o.connected();
    let target = clientId;
    if (target === undefined) {
      if (connected.length !== 1) {
        return { ok: false, status: '409 Conflict', message: connected.length === 0
          ? 'no client is connected to this backend'
          : `${connected.length} clients are connected (${connected.join(', ')}): name one with client_id` };
      }
      target = connected[0];
    } else if (!connected.includes(target)) {
      return { ok: false, status: '404 Not Found', message: `client ${JSON.stringify(target)} is not connected` };
    }
    if (this.tracker.has(command.command_id!)) {
      return { ok: false, status: '409 Conflict', message: `command_id ${command.command_id} was issued already` };
    }
    if (!this.send(target, command, 'http')) return { ok: false, status: '409 Conflict', message: `client ${target} went away` };
    return { ok: true, clientId: target };
  };

  stats(): CommandStats & { signals_unsent: number; signal_crossings: number } {
    let crossings = 0;
    for (const r of this.rules.values()) crossings += r.crossings;
    return { ...this.tracker.stats(), signals_unsent: this.signalsUnsent, signal_crossings: crossings };
  }

  private issueSignal(clientId: string, command: TradingCommand): void {
    if (!this.send(clientId, command, 'signal')) this.signalsUnsent++;
  }

  private send(clientId: string, command: TradingCommand, origin: string): boolean {
    if (!this.o.send(clientId, encodeTradingCommand(command))) return false;
    this.tracker.issue(clientId, command, origin);
    return true;
  }
}
