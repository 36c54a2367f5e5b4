/**
 * The simulated EA: a real client of the EA link (docs/protocol.md), standing in for the MQL5 EA
 * in the demo, the tests and the benchmarks.
 *
 *   timer pass (every timerMs)                         control (JSON text frames)
 *   ──────────────────────────                         ──────────────────────────
 *   terminal.advance(now): ticks due at the rate       ◄ welcome: ids, cursors ─► backfill from them
 *     ├─► per-symbol history (kept while paused        ◄ pause: stop sending, keep generating
 *     │   or disconnected)                             ◄ resume: cursors ─► re-send from them
 *     └─► paper trade server: pending, SL/TP triggers  ◄ error: logged
 *   streamer.sendPending(): frames per symbol ──►      close: reconnect with backoff
 *   heartbeat every heartbeatMs ──►                    ◄ command, sync ─► trade desk (trade-desk.ts):
 *   desk.pass(): account, positions, deals ──►            stages against the paper broker (paper-broker.ts)
 *
 * Bounded by durationS or ticks, after which it sends what is left and closes by itself.
 */
import WebSocket from 'ws';
import { ClientMt5Error, type ErrorCode } from '../shared/errors.js';
import {
  CLOSE_BAD_HELLO, CLOSE_BAD_TOKEN, CLOSE_PROTOCOL_VERSION, CLOSE_REPLACED, MAX_TICKS_PER_FRAME, PROTOCOL_VERSION,
  type BridgeToEaMessage, type HelloMessage, type ResumeMessage, type WelcomeMessage,
} from '../shared/protocol.js';
import { helloMessage, newRunId, resolveEaSimOptions, type EaSimOptions, type ResolvedEaSimOptions } from './options.js';
import { PaperBroker } from './paper-broker.js';
import { FaultDice } from './sim-faults.js';
import { TickStreamer, type EaSimStats } from './stream.js';
import { buildSymbolProfiles } from './symbols.js';
import { SimTerminal } from './terminal.js';
import { TradeDesk, type TradeDeskStats } from './trade-desk.js';

export { EA_SIM_DEFAULTS, type EaSimOptions } from './options.js';
export type { EaSimStats } from './stream.js';
export type { TradeDeskStats } from './trade-desk.js';

export interface EaSimHandle {
  /** Counters so far; `ticks_rejected` at the bridge should equal `invalid_injected`. */
  stats(): EaSimStats;
  /** Sends what is due, closes the link cleanly; resolves when closed. */
  stop(): Promise<void>;
  /**
   * Drops the link abruptly (no close handshake, as a terminal losing its network does) and
   * reconnects as after any outage; false when no link was up. The demo's chaos mode uses it.
   */
  dropLink(): boolean;
  /**
   * The EA program restarts (OnDeinit, OnInit): a new run_id, its memory of commands gone, the link
   * re-opened with a new hello; the paper trade server keeps its positions, orders and deals.
   */
  restartEa(): boolean;
  /** What the trading half did: commands, final stages, retcodes, unsolicited deals. */
  trading(): TradeDeskStats & { account: ReturnType<PaperBroker['book']['account']>; positions: number; orders: number };
  /** The paper trade server itself (tests look at its books). */
  readonly broker: PaperBroker;
  /** Resolves when the run ended (bounded run complete, or stop()); rejects on a fatal link error. */
  readonly done: Promise<void>;
}

/** Connects, waits for the first welcome, then streams until bounded out or stopped. */
export async function startEaSim(options: EaSimOptions): Promise<EaSimHandle> {
  const sim = new EaSim(options);
  await sim.start();
  return {
    stats: () => sim.stats(), stop: () => sim.stop(), dropLink: () => sim.dropLink(), restartEa: () => sim.restartEa(),
    trading: () => sim.trading(), broker: sim.broker, done: sim.done,
  };
}

const FATAL_CLOSES: Record<number, ErrorCode> = {
  [CLOSE_BAD_HELLO]: 'EA_BAD_HELLO', [CLOSE_BAD_TOKEN]: 'EA_BAD_TOKEN', [CLOSE_PROTOCOL_VERSION]: 'EA_PROTOCOL_VERSION',
};

class EaSim {
  readonly done: Promise<void>;
  private readonly o: ResolvedEaSimOptions;
  private readonly terminal: SimTerminal;
  private readonly streamer: TickStreamer;
  private hello: HelloMessage;
  readonly broker: PaperBroker;
  private readonly desk: TradeDesk;
  private readonly nameToSymbol = new Map<string, number>();
  private readonly idToSymbol = new Map<number, number>();
  private settleDone!: (err?: Error) => void;
  private startWaiter: { resolve: () => void; reject: (err: Error) => void } | null = null;
  private ws: WebSocket | null = null;
  private ready = false;
  private paused = false;
  private pausedSinceMs = 0;
  private pausedTotalMs = 0;
  private reconnects = 0;
  private attempt = 0;
  private timer: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private lastHeartbeatMs = 0;
  private generationDoneAtMs = Number.NaN;
  private endUtcMs = Number.POSITIVE_INFINITY;
  private finishing: Promise<void> | null = null;
  /** Failed connection attempts are logged once per outage, not once per retry. */
  private outageLogged = false;
  private lastLinkError = '';

  constructor(options: EaSimOptions) {
    this.o = resolveEaSimOptions(options);
    const profiles = buildSymbolProfiles(this.o.symbols);
    profiles.forEach((p, s) => this.nameToSymbol.set(p.name, s));
    this.terminal = new SimTerminal({
      profiles,
      seed: this.o.seed,
      invalidRate: this.o.invalidRate,
      ratePerS: this.o.ratePerS,
      historyTicks: this.o.historyTicks,
      serverOffsetMs: this.o.serverOffsetS * 1000,
    });
    this.streamer = new TickStreamer(this.terminal, this.o.log);
    this.hello = helloMessage(this.o, profiles);
    const generator = this.terminal.generator;
    this.broker = new PaperBroker({
      specs: this.hello.symbols,
      quotes: {
        quote: (name) => {
          const s = this.nameToSymbol.get(name);
          return s === undefined ? undefined : { bid: generator.bidOf(s), ask: generator.askOf(s) };
        },
      },
      nowMsc: () => Date.now() + this.o.serverOffsetS * 1000,
      marginMode: this.hello.account.margin_mode,
      leverage: this.hello.account.leverage,
      balance: this.o.balance,
      maxSlippagePoints: this.o.maxSlippagePoints,
      slippageRate: this.o.slippageRate,
      seed: this.o.seed,
      closedSymbols: this.o.closedSymbols,
    });
    this.desk = new TradeDesk({
      broker: this.broker,
      hello: this.hello,
      send: (msg) => {
        if (!this.ws || !this.ready || this.ws.readyState !== WebSocket.OPEN) return false;
        this.ws.send(JSON.stringify(msg));
        return true;
      },
      dropLink: () => void this.dropLink(),
      serverOffsetMs: this.o.serverOffsetS * 1000,
      dice: new FaultDice(this.o.tradeFaults, this.o.seed),
      tradeLatencyMs: this.o.tradeLatencyMs,
      tradeAllowed: this.o.tradeAllowed,
      log: this.o.log,
    });
    const triggers = this.desk.triggers;
    this.terminal.onQuote = (s, timeMsc, bid, ask) => triggers.onQuote(s, timeMsc, bid, ask);
    this.done = new Promise<void>((resolve, reject) => {
      this.settleDone = (err) => (err ? reject(err) : resolve());
    });
    this.done.catch(() => {}); // observed by whoever awaits it; never an unhandled rejection
  }

  start(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.startWaiter = { resolve, reject };
      const signal = this.o.signal;
      if (signal?.aborted) return void this.finish(new Error('ea-sim aborted before connecting'));
      signal?.addEventListener('abort', () => {
        if (this.startWaiter) void this.finish(new Error('ea-sim aborted before connecting'));
      }, { once: true });
      this.connect();
    });
  }

  stats(): EaSimStats {
    const pausedMs = this.pausedTotalMs + (this.paused ? Date.now() - this.pausedSinceMs : 0);
    return this.streamer.snapshot(pausedMs, this.reconnects);
  }

  async stop(): Promise<void> {
    if (!this.finishing && this.terminal.started && Number.isNaN(this.generationDoneAtMs)) {
      this.pass(); // what is due up to now
      this.generationDoneAtMs = Date.now();
    } else if (!this.finishing) {
      this.flush();
    }
    await this.finish();
  }

  dropLink(): boolean {
    if (!this.ws || !this.ready || this.finishing) return false;
    this.o.log('dropping the EA link (asked to)');
    this.ws.terminate();
    return true;
  }

  restartEa(): boolean {
    if (this.finishing) return false;
    this.desk.restart();
    this.hello = { ...this.hello, ea: { ...this.hello.ea, run_id: newRunId() } };
    this.o.log(`EA restarted (run ${this.hello.ea.run_id})`);
    this.ws?.terminate();
    return true;
  }

  trading(): ReturnType<EaSimHandle['trading']> {
    const book = this.broker.book;
    return { ...this.desk.counters, account: book.account(), positions: book.positions.size, orders: book.orders.size };
  }

  // ── link ─────────────────────────────────────────────────────────────────────────────────────

  private connect(): void {
    this.reconnectTimer = null;
    // No permessage-deflate: ws then masks each frame into a fresh buffer at once, which is what
    // lets the frame writer reuse its buffer (a compressing sender would hold on to it).
    const ws = new WebSocket(this.o.url, { perMessageDeflate: false });
    this.ws = ws;
    ws.on('open', () => ws.send(JSON.stringify(this.hello)));
    ws.on('message', (data, isBinary) => {
      if (isBinary) return this.o.log('ignoring a binary frame from the bridge');
      let msg: BridgeToEaMessage;
      try {
        msg = JSON.parse(String(data)) as BridgeToEaMessage;
      } catch {
        return this.o.log(`ignoring a control message that is not JSON: ${String(data).slice(0, 80)}`);
      }
      this.onControl(msg);
    });
    ws.on('error', (err) => { this.lastLinkError = err.message; });
    ws.on('close', (code, reason) => this.onClose(ws, code, reason.toString()));
  }

  private onControl(msg: BridgeToEaMessage): void {
    if (this.finishing) return;
    switch (msg.type) {
      case 'welcome': return this.onWelcome(msg);
      case 'pause':
        if (!this.paused) {
          this.paused = true;
          this.pausedSinceMs = Date.now();
        }
        return this.o.log(`paused by the bridge: ${msg.reason}`);
      case 'resume': return this.onResume(msg);
      case 'error': return this.o.log(`bridge error ${msg.code}: ${msg.message}`);
      case 'heartbeat': return;
      case 'command': return this.ready ? this.desk.onCommand(msg) : this.o.log('ignoring a command before the welcome');
      case 'sync': return this.ready ? this.desk.onSync(msg) : this.o.log('ignoring a sync before the welcome');
      default: return this.o.log(`ignoring control message of type ${JSON.stringify((msg as { type?: unknown }).type)}`);
    }
  }

  private onWelcome(msg: WelcomeMessage): void {
    if (msg.protocol !== PROTOCOL_VERSION || !Array.isArray(msg.symbols)) {
      return void this.finish(new ClientMt5Error('EA_PROTOCOL_VERSION', `welcome for protocol ${msg.protocol}, this EA speaks ${PROTOCOL_VERSION}`));
    }
    const now = Date.now();
    if (!this.terminal.started) {
      this.terminal.start(now);
      if (this.o.durationS !== undefined) this.endUtcMs = now + this.o.durationS * 1000;
      this.timer = setInterval(() => this.pass(), this.o.timerMs);
    } else {
      this.reconnects++;
      this.o.log(`reconnected (session ${msg.session_id})`);
    }
    this.endPause(now);
    this.streamer.beginSession(Number.isInteger(msg.max_ticks_per_frame) ? msg.max_ticks_per_frame : MAX_TICKS_PER_FRAME);
    this.idToSymbol.clear();
    for (const entry of msg.symbols) {
      const s = this.nameToSymbol.get(entry.name);
      if (s === undefined) {
        this.o.log(`welcome lists unknown symbol ${entry.name}`);
        continue;
      }
      this.streamer.symbolIds[s] = entry.id;
      this.idToSymbol.set(entry.id, s);
      this.streamer.applyCursor(s, entry.cursor ?? { time_msc: 0, count_at_msc: 0 }, true);
    }
    this.ready = true;
    this.attempt = 0;
    this.outageLogged = false;
    this.desk.onWelcome();
    this.flush();
    if (this.startWaiter) {
      this.startWaiter.resolve();
      this.startWaiter = null;
    }
  }

  private onResume(msg: ResumeMessage): void {
    this.streamer.markBacklog();
    for (const entry of msg.symbols ?? []) {
      const s = this.idToSymbol.get(entry.id);
      if (s === undefined) this.o.log(`resume names unknown symbol id ${entry.id}`);
      else this.streamer.applyCursor(s, entry.cursor, false);
    }
    this.endPause(Date.now());
    this.flush();
  }

  private endPause(now: number): void {
    if (!this.paused) return;
    this.pausedTotalMs += now - this.pausedSinceMs;
    this.paused = false;
  }

  private onClose(ws: WebSocket, code: number, reason: string): void {
    if (ws !== this.ws) return;
    const wasReady = this.ready;
    this.ws = null;
    this.ready = false;
    this.endPause(Date.now());
    if (this.finishing) return;
    const fatal = FATAL_CLOSES[code];
    if (fatal) return void this.finish(new ClientMt5Error(fatal, `the bridge closed the EA link: ${code} ${reason}`));
    if (code === CLOSE_REPLACED) {
      this.o.log('another EA replaced this one on the link; stopping');
      return void this.finish();
    }
    const delayMs = Math.min(this.o.reconnectMaxMs, this.o.reconnectMinMs * 2 ** this.attempt) * (0.5 + Math.random() / 2);
    this.attempt = Math.min(this.attempt + 1, 20);
    if (wasReady || !this.outageLogged) {
      const why = wasReady ? `link closed (${code}${reason ? ` ${reason}` : ''})` : `cannot reach ${this.o.url} (${this.lastLinkError || code})`;
      this.o.log(`${why}; reconnecting${wasReady ? '' : ' until it answers'}`);
      this.outageLogged = true;
    }
    this.reconnectTimer = setTimeout(() => this.connect(), delayMs);
  }

  // ── passes ───────────────────────────────────────────────────────────────────────────────────

  private pass(): void {
    const now = Date.now();
    this.streamer.markBacklog(); // what is already in the histories is older than this pass
    if (Number.isNaN(this.generationDoneAtMs)) {
      const until = now < this.endUtcMs ? now : this.endUtcMs;
      const left = this.o.ticks === undefined ? Number.MAX_SAFE_INTEGER : this.o.ticks - this.terminal.generated;
      this.terminal.advance(until, left);
      if (until === this.endUtcMs || this.terminal.generated === this.o.ticks) this.generationDoneAtMs = now;
    }
    this.flush();
    this.desk.pass(now);
    if (this.ready && now - this.lastHeartbeatMs >= this.o.heartbeatMs) {
      this.lastHeartbeatMs = now;
      this.ws?.send(JSON.stringify({ type: 'heartbeat', time_msc: now + this.o.serverOffsetS * 1000, server_time_offset_s: this.o.serverOffsetS }));
    }
    if (!Number.isNaN(this.generationDoneAtMs) && !this.finishing) {
      if (this.ready && !this.paused && this.streamer.pending() === 0) void this.finish();
      else if (now - this.generationDoneAtMs > this.o.drainTimeoutMs) {
        this.o.log(`giving up on ${this.streamer.pending()} unsent ticks after ${this.o.drainTimeoutMs} ms (link paused or down)`);
        void this.finish();
      }
    }
  }

  private flush(): void {
    const ws = this.ws;
    if (!ws || !this.ready || this.paused) return;
    const maxBuffered = this.o.maxBufferedBytes;
    this.streamer.sendPending((frame) => ws.send(frame, { binary: true }), () => ws.bufferedAmount <= maxBuffered, Date.now());
  }

  private finish(err?: Error): Promise<void> {
    if (this.finishing) return this.finishing;
    this.finishing = this.closeLink().then(() => {
      if (this.startWaiter) {
        this.startWaiter.reject(err ?? new Error('ea-sim stopped before the bridge welcomed it'));
        this.startWaiter = null;
      }
      this.settleDone(err);
    });
    return this.finishing;
  }

  private async closeLink(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.timer = null;
    this.reconnectTimer = null;
    const ws = this.ws;
    this.ready = false;
    if (!ws) return;
    if (ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const timeout = setTimeout(() => ws.terminate(), 2000);
      ws.once('close', () => {
        clearTimeout(timeout);
        resolve();
      });
      if (ws.readyState === WebSocket.OPEN) ws.close(1000, 'ea-sim done');
      else ws.terminate();
    });
    this.ws = null;
  }
}
