/**
 * The simulated EA's trading half (docs/protocol.md section 1, "Trading"): commands in, stages
 * out, one command at a time, against the paper trade server.
 *
 *   command ──► received (at once; a known id replays its latest stage instead)
 *            └► queue (256; beyond: rejected EA_BUSY) ──► EA checks (ea-orders.ts) ──► rejected (source ea)
 *                                                       └► sent ──► OrderSend (paper-broker.ts)
 *                                                                   10030 → retried once with the next filling mode
 *                                                                   └► filled | partially_filled | rejected (source server)
 *   sync ──► latest stage of each known id (replay: true), then deals {sync_id, unknown_command_ids}
 *   pass ──► account (welcome; on change ≤ 1/s; every 60 s), positions (welcome; on change; every 60 s),
 *            deals {sync_id: ""} for what the server did on its own (pending fills, SL, TP, stop-out)
 *
 * It remembers the latest stage of the last COMMAND_MEMORY commands of its run (a restart of the
 * EA program forgets them and takes a new run_id).
 */
import {
  ACCOUNT_MIN_INTERVAL_MS, ACCOUNT_REPORT_INTERVAL_MS, COMMENT_PREFIX, EA_COMMAND_MEMORY, EA_COMMAND_QUEUE,
  REASON_BUSY, REASON_EXPIRED, TRADE_RETCODE, type CommandMessage, type EaDeal, type EaTradingMessage,
  type ExecutionMessage, type ExecutionStage, type HelloMessage, type SyncMessage,
} from '../shared/protocol.js';
import { pickFilling, prepareCommand } from './ea-orders.js';
import type { PaperBroker, TradeRequest, TradeResult } from './paper-broker.js';
import { PaperTriggers } from './paper-triggers.js';
import { parseDirectives, type Directives, type FaultDice } from './sim-faults.js';
import { RETCODE_TEXT } from './trade-rules.js';

/** Commands whose latest stage the EA keeps for `sync` (the protocol asks for at least 1024). */
export const COMMAND_MEMORY = Math.max(EA_COMMAND_MEMORY, 4096);

export interface TradeDeskOptions {
  broker: PaperBroker;
  hello: HelloMessage;
  /**
   * Sends on the EA link; false when the link is down. The message is then lost (the MQL5 EA keeps
   * stages for the next welcome instead; protocol.md allows both: `sync` settles the command).
   */
  send: (msg: EaTradingMessage) => boolean;
  /** Drops the link abruptly (directive sim:drop). */
  dropLink: () => void;
  serverOffsetMs: number;
  dice: FaultDice;
  /** The trade server's answer time, ms. */
  tradeLatencyMs: number;
  tradeAllowed: boolean;
  log: (line: string) => void;
}

export interface TradeDeskStats {
  commands_received: number;
  commands_replayed: number;
  finals: Record<string, number>;
  retcodes: Record<string, number>;
  unsolicited_deals: number;
  syncs: number;
}

export class TradeDesk {
  readonly counters: TradeDeskStats = { commands_received: 0, commands_replayed: 0, finals: {}, retcodes: {}, unsolicited_deals: 0, syncs: 0 };
  /** The trade server's own moves; the terminal feeds it every good tick (onQuote). */
  readonly triggers: PaperTriggers;
  private readonly o: TradeDeskOptions;
  private readonly memory = new Map<string, ExecutionMessage>();
  private readonly magics = new Set<number>();
  private readonly queue: Array<{ cmd: CommandMessage; directives: Directives }> = [];
  private readonly pendingDeals: EaDeal[] = [];
  private busy = false;
  /** Moves on restart: work of the previous EA run reports nothing more. */
  private run = 0;
  private positionsVersion = -1;
  private lastAccount = '';
  private lastAccountMs = 0;
  private lastFullReportMs = 0;

  constructor(o: TradeDeskOptions) {
    this.o = o;
    this.magics.add(o.hello.ea.magic ?? 0);
    this.triggers = new PaperTriggers(o.broker, o.hello.symbols.map((x) => x.name), (deal) => this.onServerDeal(deal));
  }

  private get serverNow(): number {
    return Date.now() + this.o.serverOffsetMs;
  }

  /** After every welcome: account, then positions, before anything else of the trading half. */
  onWelcome(nowUtc = Date.now()): void {
    this.sendAccount(nowUtc);
    this.sendPositions();
    this.lastFullReportMs = nowUtc;
  }

  /** A deal the trade server made on its own (paper-triggers.ts); reported at the end of the pass. */
  onServerDeal(deal: EaDeal): void {
    if (this.isEaDeal(deal)) this.pendingDeals.push(deal);
  }

  /** The EA program restarts: a new run forgets every command (the trade server keeps its books). */
  restart(): void {
    this.run++;
    this.memory.clear();
    this.queue.length = 0;
    this.busy = false;
  }

  onCommand(cmd: CommandMessage): void {
    if (typeof cmd.command_id !== 'string' || cmd.command_id === '') return this.o.log('ignoring a command without command_id');
    const known = this.memory.get(cmd.command_id);
    if (known !== undefined) {
      this.counters.commands_replayed++;
      this.o.send({ ...known, replay: true });
      return;
    }
    this.counters.commands_received++;
    if (cmd.magic) this.magics.add(cmd.magic);
    this.report(cmd, 'received', {});
    if (this.queue.length >= EA_COMMAND_QUEUE) {
      this.report(cmd, 'rejected', { reason: REASON_BUSY, retcode: TRADE_RETCODE.TOO_MANY_REQUESTS, retcode_text: `the EA's queue holds ${EA_COMMAND_QUEUE} commands` });
      return;
    }
    this.queue.push({ cmd, directives: parseDirectives(cmd.command_id, cmd.comment ?? '') });
    if (!this.busy) void this.drain();
  }

  onSync(msg: SyncMessage): void {
    this.counters.syncs++;
    const unknown: string[] = [];
    for (const id of msg.command_ids ?? []) {
      const latest = this.memory.get(id);
      if (latest === undefined) unknown.push(id);
      else this.o.send({ ...latest, replay: true });
    }
    const from = (msg.deals_from_ms ?? 0) + this.o.serverOffsetMs;
    const to = this.serverNow;
    const deals = this.o.broker.book.dealsBetween(from, to).filter((d) => this.isEaDeal(d));
    this.o.send({ type: 'deals', sync_id: String(msg.sync_id ?? ''), from_msc: from, to_msc: to, unknown_command_ids: unknown, deals });
  }

  /** Every timer pass: expirations, stop-out, and what changed since the last pass. */
  pass(nowUtc: number): void {
    const serverNow = nowUtc + this.o.serverOffsetMs;
    if (this.o.broker.book.orders.size > 0) this.triggers.expire(serverNow);
    if (this.o.broker.book.positions.size > 0) this.triggers.stopOut(serverNow);
    if (this.pendingDeals.length > 0) {
      const deals = this.pendingDeals.splice(0);
      this.counters.unsolicited_deals += deals.length;
      this.o.send({ type: 'deals', sync_id: '', from_msc: 0, to_msc: 0, unknown_command_ids: [], deals });
    }
    const full = nowUtc - this.lastFullReportMs >= ACCOUNT_REPORT_INTERVAL_MS;
    if (full || this.positionsVersion !== this.o.broker.book.version) this.sendPositions();
    if (full || nowUtc - this.lastAccountMs >= ACCOUNT_MIN_INTERVAL_MS) this.sendAccount(nowUtc, !full);
    if (full) this.lastFullReportMs = nowUtc;
  }

  private async drain(): Promise<void> {
    this.busy = true;
    const run = this.run;
    while (this.queue.length > 0 && run === this.run) {
      const { cmd, directives } = this.queue.shift()!;
      try {
        await this.execute(cmd, directives, run);
      } catch (err) {
        this.o.log(`command ${cmd.command_id} failed in the simulator: ${(err as Error).stack ?? String(err)}`);
      }
    }
    if (run === this.run) this.busy = false;
  }

  private async execute(cmd: CommandMessage, directives: Directives, run: number): Promise<void> {
    if (cmd.expires_at_ms > 0 && Date.now() >= cmd.expires_at_ms) {
      this.report(cmd, 'rejected', { reason: REASON_EXPIRED, retcode: 0, retcode_text: `expired at ${new Date(cmd.expires_at_ms).toISOString()}` });
      return;
    }
    const isMarketOpen = cmd.kind === 'open' && (cmd.order_type === 'buy' || cmd.order_type === 'sell');
    const fault = directives.fault ?? (isMarketOpen ? this.o.dice.roll() : null);
    const broker = this.o.broker;
    const prepared = prepareCommand(cmd, { broker, magic: this.o.hello.ea.magic ?? 0, serverOffsetMs: this.o.serverOffsetMs, tradeAllowed: this.o.tradeAllowed, fault });
    if (prepared.refused) {
      this.report(cmd, 'rejected', { reason: prepared.reason, retcode: prepared.retcode, retcode_text: prepared.text, requested_volume: cmd.volume });
      return;
    }
    const requested = { requested_volume: prepared.requestedVolume, requested_price: prepared.requestedPrice, sl: prepared.sl, tp: prepared.tp };
    if (prepared.requests.length === 0) {
      // close_all with nothing to close: done, without the trade server.
      this.report(cmd, 'filled', { ...requested, retcode: TRADE_RETCODE.DONE, retcode_text: 'nothing to close' });
      return;
    }
    const first = prepared.requests[0];
    this.report(cmd, 'sent', { ...requested, filling: fillingOf(first) });
    await sleep(this.o.tradeLatencyMs + directives.delayMs);
    if (run !== this.run) return;
    const results = prepared.requests.map((req) => this.orderSend(req, fault));
    const fields = cmd.kind === 'close_all' ? this.closeAllOutcome(results) : this.outcome(results[0]);
    if (directives.drop) {
      // The trade happened; the link goes before its final stage does (the command is in doubt).
      this.remember(this.stage(cmd, fields.stage, { ...requested, ...fields.extra }));
      this.o.dropLink();
      return;
    }
    this.report(cmd, fields.stage, { ...requested, ...fields.extra });
    if (this.positionsVersion !== broker.book.version) this.sendPositions();
  }

  /** OrderSend, with the one retry on 10030 that the protocol allows (next allowed filling mode). */
  private orderSend(req: TradeRequest, fault: Directives['fault']): { req: TradeRequest; r: TradeResult } {
    let r = this.o.broker.send(req, fault);
    if (r.retcode === TRADE_RETCODE.INVALID_FILL && req.action === 'deal') {
      const spec = this.o.broker.specs.get(req.symbol);
      const next = spec === undefined ? '' : pickFilling(this.o.broker.fillingModes(req.symbol, fault), spec, req.filling);
      if (next !== '') {
        req = { ...req, filling: next };
        r = this.o.broker.send(req, fault);
      }
    }
    const key = String(r.retcode);
    this.counters.retcodes[key] = (this.counters.retcodes[key] ?? 0) + 1;
    return { req, r };
  }

  private outcome({ req, r }: { req: TradeRequest; r: TradeResult }): { stage: ExecutionStage; extra: Partial<ExecutionMessage> } {
    // A modify to the levels already there (10025 no changes) is done: what was asked for is in place.
    const modify = req.action === 'sltp' || req.action === 'modify';
    const unchanged = modify && r.retcode === TRADE_RETCODE.NO_CHANGES;
    const stage: ExecutionStage = r.retcode === TRADE_RETCODE.DONE || r.retcode === TRADE_RETCODE.PLACED || unchanged ? 'filled'
      : r.retcode === TRADE_RETCODE.DONE_PARTIAL ? 'partially_filled' : 'rejected';
    const ok = stage !== 'rejected';
    const ticket = !ok ? '' : unchanged ? req.position || req.order : r.position;
    return {
      stage,
      extra: {
        source: 'server', retcode: r.retcode, retcode_text: r.comment, ticket, order: r.order, deal: r.deal,
        volume: r.volume, price: r.price, filling: fillingOf(req), time_msc: r.timeMsc,
      },
    };
  }

  /** close_all: filled when every request succeeded, partially when some, rejected when none. */
  private closeAllOutcome(results: Array<{ req: TradeRequest; r: TradeResult }>): { stage: ExecutionStage; extra: Partial<ExecutionMessage> } {
    const ok = results.filter(({ r }) => r.retcode === TRADE_RETCODE.DONE);
    const refused = results.find(({ r }) => r.retcode !== TRADE_RETCODE.DONE);
    let volume = 0;
    let notional = 0;
    for (const { r } of ok) {
      volume += r.volume;
      notional += r.volume * r.price;
    }
    const code = refused?.r.retcode ?? TRADE_RETCODE.DONE;
    return {
      stage: refused === undefined ? 'filled' : ok.length > 0 ? 'partially_filled' : 'rejected',
      extra: {
        source: 'server', retcode: code, retcode_text: RETCODE_TEXT[code] ?? '', volume: Math.round(volume * 1e8) / 1e8,
        price: volume > 0 ? notional / volume : 0, time_msc: this.serverNow,
      },
    };
  }

  private stage(cmd: CommandMessage, stage: ExecutionStage, f: Partial<ExecutionMessage>): ExecutionMessage {
    return {
      type: 'execution', command_id: cmd.command_id, stage, source: 'ea', retcode: 0, retcode_text: '', reason: '',
      symbol: cmd.symbol, ticket: '', order: '', deal: '', volume: 0, price: 0, requested_volume: cmd.volume,
      requested_price: cmd.price, sl: cmd.sl, tp: cmd.tp, filling: '', time_msc: this.serverNow, replay: false, ...f,
    };
  }

  private report(cmd: CommandMessage, stage: ExecutionStage, f: Partial<ExecutionMessage>): void {
    const msg = this.stage(cmd, stage, f);
    this.remember(msg);
    if (stage !== 'received' && stage !== 'sent') this.counters.finals[stage] = (this.counters.finals[stage] ?? 0) + 1;
    this.o.send(msg);
  }

  private remember(msg: ExecutionMessage): void {
    this.memory.delete(msg.command_id);
    this.memory.set(msg.command_id, msg);
    if (this.memory.size > COMMAND_MEMORY) this.memory.delete(this.memory.keys().next().value!);
  }

  private isEaDeal(d: EaDeal): boolean {
    return this.magics.has(d.magic) || d.comment.startsWith(COMMENT_PREFIX);
  }

  private sendPositions(): void {
    const book = this.o.broker.book;
    this.positionsVersion = book.version;
    this.o.send({ type: 'positions', time_msc: this.serverNow, positions: book.positionsNow(), orders: book.ordersNow() });
  }

  /** `onlyIfChanged`: skip when balance, equity, margin and free margin are as last sent. */
  private sendAccount(nowUtc: number, onlyIfChanged = false): void {
    const a = this.o.broker.book.account();
    const key = `${a.balance}|${a.equity}|${a.margin}|${a.margin_free}`;
    if (onlyIfChanged && key === this.lastAccount) return;
    const acc = this.o.hello.account;
    const sent = this.o.send({
      type: 'account', time_msc: nowUtc + this.o.serverOffsetMs, login: acc.login, server: acc.server, company: acc.company,
      currency: acc.currency, leverage: acc.leverage, trade_mode: acc.trade_mode, margin_mode: this.o.broker.book.marginMode,
      ...a, trade_allowed: this.o.tradeAllowed,
    });
    if (sent) {
      this.lastAccount = key;
      this.lastAccountMs = nowUtc;
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve)));
}

/** The filling mode a request used: market deals their FOK/IOC, pending orders RETURN, the rest none. */
function fillingOf(req: TradeRequest): ExecutionMessage['filling'] {
  return req.action === 'deal' || req.action === 'pending' ? req.filling : '';
}
