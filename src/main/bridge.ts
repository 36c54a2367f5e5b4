/**
 * The bridge: wires the tick pipeline in one process.
 *
 *  EA (MQL5) ──ws /ea──► EaLink ─► Ingest ──► input ring[lane] ──► compute worker[lane] (WASM)
 *     ▲   (main thread, uWS)         │ backlog+pause              │ validate, indicators
 *     └──── welcome/pause/resume ◄───┘                            ▼
 *                                                    output ring[lane] ──doorbell──► transport
 *                                                                                     worker
 *                                              backend ◄── Envelope{MarketDataStream} ──┘
 *                                                      ──► Ack (cumulative)
 *
 * Main owns the sockets the EA talks to and every shared table; workers own the computation and
 * the backend link. Symbols are sharded to lanes so each symbol's ticks stay in order.
 *
 * Trading commands go the other way (src/main/commands/command-desk.ts): the transport decodes
 * Envelope{TradingCommand} and posts it to main; the CommandDesk checks it and sends the EA a
 * `command`; the EA's `execution`s become ExecutionReports that main stores durably and posts to
 * the transport, which sends them until the backend acks their report_sequence.
 */
import { Worker } from 'node:worker_threads';
import type { Config } from '../shared/config.js';
import { compileEngineModule } from '../shared/engine-module.js';
import { ClientMt5Error, fromWire, type WireError } from '../shared/errors.js';
import { createLaneStats, createSymbolNames, createSymbolTable, createTransportStats } from '../shared/lanes.js';
import { describeLinkEvent, type FailoverEvent, type LinkEvent } from '../shared/link-events.js';
import { INPUT_RING_LAYOUT, OUTPUT_RING_LAYOUT } from '../shared/ring-layout.js';
import type { ResumeCursor } from '../shared/protocol.js';
import { Doorbell, SpscRing } from '../shared/ring.js';
import { collectStats, type BridgeStats } from './bridge-stats.js';
import { EaLink } from './ea-link.js';
import { Ingest } from './ingest.js';
import type { Logger } from './log.js';
import { openRunMarker, type RunMarker } from './run-marker.js';
import { SymbolRegistry } from './symbol-registry.js';
import { readSpoolState, type SpoolCursor } from '../shared/spool-format.js';
import { workerFile } from './worker-paths.js';
import { tradingStateDir } from '../shared/config.js';
import type { TradingFromTransport, TradingToTransport } from '../shared/trading.js';
import { CommandDesk } from './commands/command-desk.js';
import { CommandStore } from './commands/command-store.js';
import { eaTradingSession } from './commands/ea-session.js';

/**
 * Young-generation bounds of the workers' V8 heaps. By default V8 lets each isolate's nursery grow
 * to tens of MB under allocation; the compute workers allocate nothing per tick (bench:indicators
 * counts no GC) and the transport allocates per batch, so small nurseries cost them little and
 * keep the bridge's memory down: peak RSS of the demo at 100k ticks/s fell from 177 MB to 143 MB
 * (anonymous memory 128 -> 94 MB) with 1 MB / 2 MB, measured by sampling /proc/<pid>/status.
 */
const COMPUTE_YOUNG_GENERATION_MB = 1;
const TRANSPORT_YOUNG_GENERATION_MB = 2;

export interface BridgeEvents {
  /** A worker died or the backend link reported something the operator must see. */
  onFatal?(err: ClientMt5Error): void;
}

export class Bridge {
  readonly startedAt = performance.now();
  readyMs = 0;
  readonly inputs: SpscRing[];
  readonly outputs: SpscRing[];
  readonly laneStats: Float64Array[];
  readonly transportStats = createTransportStats();
  readonly registry: SymbolRegistry;
  readonly ingest: Ingest;
  readonly eaLink: EaLink;
  linkState = { open: false, endpoint: '', lastError: '' };
  private readonly doorbell = new Doorbell();
  private readonly runMarker: RunMarker | null;
  private readonly computeWorkers: Worker[] = [];
  private transport: Worker | null = null;
  private stopping = false;
  private drainedResolve: (() => void) | null = null;
  readonly commands: CommandDesk;
  private readonly commandStore: CommandStore;
  /** What main posted for the transport before it existed. */
  private readonly toTransport: TradingToTransport[] = [];
  private commandTimer: NodeJS.Timeout | null = null;
  private linkOpened!: () => void;
  /** Resolves when the backend link first opens. */
  readonly backendLinkOpen = new Promise<void>((resolve) => { this.linkOpened = resolve; });

  private constructor(readonly config: Readonly<Config>, private readonly log: Logger, private readonly events: BridgeEvents) {
    const lanes = config.workers;
    this.inputs = Array.from({ length: lanes }, () => SpscRing.create(config.ringCapacityTicks, INPUT_RING_LAYOUT));
    this.outputs = Array.from({ length: lanes }, () => SpscRing.create(config.ringCapacityTicks, OUTPUT_RING_LAYOUT));
    this.laneStats = Array.from({ length: lanes }, () => createLaneStats());
    const symbolTable = createSymbolTable();
    const symbolNames = createSymbolNames();
    // What an earlier run holds durably: its symbols resume from there (docs/protocol.md, "Resume
    // cursors"), read before the EA link listens so that the first welcome carries it.
    const durable = config.spool.enabled ? readDurableCursors(config.spool.dir, log) : new Map<string, SpoolCursor>();
    this.registry = new SymbolRegistry(config, symbolTable, symbolNames, durable);
    this.runMarker = config.spool.enabled ? openRunMarker(config.spool.dir, log) : null;
    this.registry.onDefine = (entry, d) => {
      if (d !== undefined) this.ingest.seedCursor(entry.id, { time_msc: d.timeMsc, count_at_msc: d.countAtMsc });
    };
    this.commandStore = new CommandStore(tradingStateDir(config), config.trading.commandMemoryMs).open();
    this.commands = new CommandDesk({
      config: config.trading,
      store: this.commandStore,
      sendToEa: (message) => this.eaLink.send(message),
      post: (message) => { if (this.transport) this.transport.postMessage(message); else this.toTransport.push(message); },
      log: (level, message) => log(level, message),
    });
    this.eaLink = new EaLink({
      ...config.eaLink,
      registry: this.registry,
      cursorOf: (id, serverOffsetMs) => this.resumeCursor(id, serverOffsetMs),
      onSession: (info) => this.commands.onEaSession(info === null ? null : eaTradingSession(info, this.registry)),
      onTrading: (message) => this.commands.onEaMessage(message),
      log: (level, message) => log(level, message),
    });
    this.ingest = new Ingest(this.inputs, this.registry, {
      pause: (reason) => { this.eaLink.send({ type: 'pause', reason }); log('warn', `EA paused: ${reason}`); },
      // Nothing was dropped while paused (the backlog kept every frame): the EA continues where it stopped.
      resume: () => { this.eaLink.send({ type: 'resume', symbols: [] }); log('info', 'EA resumed'); },
    });
    this.eaLink.ingest = this.ingest;
    this.ingest.quotes = this.commands.prices.quotes;
    this.tables = { symbolTable, symbolNames };
  }

  private readonly tables: { symbolTable: Float64Array; symbolNames: Uint8Array };

  /** Compiles the engine, starts the workers and the EA link; resolves when ready for the EA. */
  static async start(config: Readonly<Config>, log: Logger, events: BridgeEvents = {}): Promise<Bridge> {
    const bridge = new Bridge(config, log, events);
    // Workers boot while the EA link binds: ticks that arrive before a worker is online wait in
    // its ring.
    await Promise.all([bridge.startWorkers(), bridge.eaLink.listen()]);
    bridge.commandTimer = setInterval(() => bridge.commands.tick(), config.trading.priceStreamIntervalMs);
    bridge.commandTimer.unref();
    bridge.readyMs = performance.now() - bridge.startedAt;
    log('info', `bridge ready in ${bridge.readyMs.toFixed(0)} ms: EA link ws://${config.eaLink.host}:${bridge.eaLink.port}${config.eaLink.path}, ` +
      `${config.workers} compute worker(s), backend ${config.backend.endpoints.join(' then ')}`);
    return bridge;
  }

  /** True if the backend link opened within `timeoutMs` (ticks that arrive before are kept, not lost). */
  waitForBackend(timeoutMs: number): Promise<boolean> {
    return within(this.backendLinkOpen, timeoutMs);
  }

  get eaPort(): number {
    return this.eaLink.port;
  }

  stats(): BridgeStats {
    return collectStats(this);
  }

  /**
   * Graceful end: stop taking frames, publish what is held, let the workers finish what the rings
   * hold, and wait (up to `timeoutMs`) until the backend has acked every batch.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    this.stopping = true;
    this.eaLink.close();
    const deadline = performance.now() + timeoutMs;
    while (!this.ingest.idle && performance.now() < deadline) await sleep(5);
    this.ingest.stop();
    for (const ring of this.inputs) ring.close();
    const drained = new Promise<void>((resolve) => { this.drainedResolve = resolve; });
    this.transport?.postMessage({ type: 'drain' });
    const ok = await within(drained, Math.max(0, deadline - performance.now()));
    if (!ok) this.log('warn', `drain timed out after ${timeoutMs} ms with ${this.transportStats[5]} unacked batch(es)`);
    return ok;
  }

  /**
   * The cursor a welcome gives for a symbol: what this run took in, else what the spool holds
   * durably (seeded at start), else — after a run that died — the floor of run-marker.ts, so that
   * the EA re-sends what that run held of the symbol only in memory.
   */
  private resumeCursor(id: number, serverOffsetMs: number): ResumeCursor {
    const cursor = this.ingest.cursorOf(id);
    const floor = this.runMarker?.floorUtcMs ?? 0;
    if (cursor.time_msc !== 0 || floor === 0) return cursor;
    return { time_msc: floor + serverOffsetMs, count_at_msc: 0 };
  }

  /** After a drain that left nothing unacked: the next run starts symbols new to it live. */
  markCleanStop(): void {
    this.runMarker?.markCleanStop();
  }

  /** Ends workers and sockets. Call drain() first for a graceful stop. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.commandTimer) clearInterval(this.commandTimer);
    this.commandTimer = null;
    this.eaLink.close();
    this.ingest.stop();
    for (const ring of this.inputs) ring.close();
    const transport = this.transport;
    if (transport) {
      const exited = new Promise<void>((resolve) => transport.once('exit', () => resolve()));
      transport.postMessage({ type: 'stop' });
      await within(exited, 2000);
      await transport.terminate();
    }
    await Promise.all(this.computeWorkers.map((w) => w.terminate()));
    this.commandStore.close();
  }

  private async startWorkers(): Promise<void> {
    const module = compileEngineModule();
    const online: Promise<void>[] = [];
    for (let lane = 0; lane < this.config.workers; lane++) {
      const w = new Worker(workerFile('compute.worker'), {
        name: `compute-${lane}`,
        resourceLimits: { maxYoungGenerationSizeMb: COMPUTE_YOUNG_GENERATION_MB },
        workerData: {
          lane, module, input: this.inputs[lane].handle, output: this.outputs[lane].handle,
          doorbell: this.doorbell.buffer, symbolTable: this.tables.symbolTable, laneStats: this.laneStats[lane],
        },
      });
      this.watch(w, `compute worker ${lane}`);
      online.push(new Promise((resolve) => w.once('online', () => resolve())));
      this.computeWorkers.push(w);
    }
    const t = new Worker(workerFile('transport.worker'), {
      name: 'transport',
      resourceLimits: { maxYoungGenerationSizeMb: TRANSPORT_YOUNG_GENERATION_MB },
      workerData: {
        outputs: this.outputs.map((r) => r.handle), doorbell: this.doorbell.buffer,
        symbolNames: this.tables.symbolNames, symbolTable: this.tables.symbolTable, stats: this.transportStats,
        config: { transport: this.config.transport, backend: this.config.backend, spool: this.config.spool },
      },
    });
    this.watch(t, 'transport worker');
    t.on('message', (msg: { type: string; state?: string; endpoint?: string; reason?: string; code?: string; message?: string; error?: WireError }) => {
      if (msg.type === 'link' || msg.type === 'failover') {
        const event = msg as unknown as LinkEvent | FailoverEvent;
        if (event.type === 'link') {
          this.linkState = { open: event.state === 'open', endpoint: event.endpoint, lastError: event.reason ?? this.linkState.lastError };
          if (event.state === 'open') this.linkOpened();
        }
        const { level, message, fields } = describeLinkEvent(event, this.stopping);
        this.log(level, message, fields);
      } else if (msg.type === 'backend-error') {
        this.linkState.lastError = `${msg.code}: ${msg.message}`;
        this.log('warn', `backend error ${msg.code}: ${msg.message}`);
      } else if (msg.type === 'drained') {
        this.drainedResolve?.();
      } else if (msg.type === 'log') {
        const { level, message } = msg as unknown as { level: 'info' | 'warn' | 'error'; message: string };
        this.log(level, message);
      } else if (msg.type === 'error' && msg.error) {
        this.fatal(fromWire(msg.error), 'transport worker');
      } else if (msg.type === 'trading-command' || msg.type === 'reports-acked') {
        const m = msg as unknown as TradingFromTransport;
        if (m.type === 'trading-command') this.commands.onBackendCommand(m.command);
        else this.commands.onReportsAcked(m.through);
      }
    });
    online.push(new Promise((resolve) => t.on('message', (m: { type: string }) => { if (m.type === 'ready') resolve(); })));
    this.transport = t;
    for (const m of this.toTransport.splice(0)) t.postMessage(m);
    await Promise.all(online);
  }

  private watch(w: Worker, name: string): void {
    w.on('error', (err) => this.fatal(err instanceof ClientMt5Error ? err : new ClientMt5Error('WORKER_CRASHED', `${name} crashed: ${err.stack ?? err.message}`), name));
    w.on('exit', (code) => {
      if (!this.stopping && code !== 0) this.fatal(new ClientMt5Error('WORKER_CRASHED', `${name} exited with code ${code}`), name);
    });
  }

  private fatal(err: ClientMt5Error, name: string): void {
    this.log('error', `${name}: ${err.code}: ${err.message}`);
    if (this.events.onFatal) this.events.onFatal(err);
    else throw err;
  }
}

/** The spool's durable cursor table (empty when there is no spool yet); a damaged spool is fatal. */
function readDurableCursors(dir: string, log: Logger): Map<string, SpoolCursor> {
  let state;
  try {
    state = readSpoolState(dir);
  } catch (err) {
    throw new ClientMt5Error('SPOOL_UNREADABLE', `spool.dir ${dir}: ${(err as Error).message}`, { cause: err });
  }
  if (state.cursors.size > 0) {
    log('info', `spool ${dir}: resuming ${state.cursors.size} symbol(s) from what an earlier run holds durably, batches continue after ${state.lastSequence}`);
  }
  return state.cursors;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** True if `promise` settles within `ms`; the timer does not outlive it (it would hold the process). */
function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void promise.then(() => { clearTimeout(timer); resolve(true); });
  });
}
