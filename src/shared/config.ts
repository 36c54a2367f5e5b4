/**
 * The configuration schema: one place that says what every setting means, its range and default.
 * Main validates once (file + environment + flags, see src/main/config-load.ts), freezes the
 * result and hands it to workers.
 */
import { z } from 'zod';
import { ClientMt5Error } from './errors.js';
import { DEFAULT_EA_HOST, DEFAULT_EA_PATH, DEFAULT_EA_PORT } from './protocol.js';

const int = (name: string, min: number, max: number) =>
  z.number({ error: `${name} must be an integer from ${min} to ${max}` })
    .int({ error: `${name} must be an integer from ${min} to ${max}` })
    .min(min, { error: `${name} must be an integer from ${min} to ${max}` })
    .max(max, { error: `${name} must be an integer from ${min} to ${max}` });

const num = (name: string, min: number, max: number) =>
  z.number({ error: `${name} must be a number from ${min} to ${max}` })
    .min(min, { error: `${name} must be a number from ${min} to ${max}` })
    .max(max, { error: `${name} must be a number from ${min} to ${max}` });

const powerOfTwo = (name: string, min: number, max: number) =>
  int(name, min, max).refine((v) => (v & (v - 1)) === 0, { error: `${name} must be a power of two from ${min} to ${max}` });

/** Values of `transport.encoding`. */
export const TRANSPORT_ENCODINGS = ['auto', 'row', 'columnar', 'columnar-latest'] as const;
export type TransportEncoding = (typeof TRANSPORT_ENCODINGS)[number];

/** The WebSocket subprotocol that names each tick encoding on the backend link. */
export const ENCODING_SUBPROTOCOLS = {
  columnar: 'clientmt5.v1.columnar',
  /** The columnar tick columns, indicators once per symbol per batch (as at its last tick). */
  'columnar-latest': 'clientmt5.v1.columnar-latest',
  row: 'clientmt5.v1.row',
} as const;
export type WireEncoding = keyof typeof ENCODING_SUBPROTOCOLS;

/** Values of `spool.fsync` and `spool.overflow`. */
export const SPOOL_FSYNC_POLICIES = ['always', 'interval', 'never'] as const;
export const SPOOL_OVERFLOW_POLICIES = ['pause', 'drop-oldest'] as const;

/** A URL the WebSocket client can dial: ws:// or wss://, a host, a port in range if one is given. */
function isWsUrl(s: string): boolean {
  if (!/^wss?:\/\/[^\s/]+/.test(s)) return false;
  try {
    return new URL(s).hostname !== '';
  } catch {
    return false;
  }
}

const wsUrl = z.string().refine(isWsUrl, {
  error: 'backend.endpoints must be ws:// or wss:// URLs',
});

export const configSchema = z.object({
  /** Compute workers, one lane (ring + WASM instance) each. */
  workers: int('workers', 1, 16).default(2),
  /**
   * Entries per lane ring (and per output ring); at least twice the largest EA frame (4096 ticks).
   * 16,384 (~16 ms at 1M ticks/s) costs ~4.5 MB of memory per lane once used (input + output
   * ring). More rides out longer stalls of a busy machine before the EA is paused: 65,536 took
   * bench:e2e's highest zero-loss rate (2 workers, durable spool) from 865,385 to 1,057,692
   * ticks/s, for ~30 MB more RSS (~18 MB per lane). Below ~100k ticks/s the default pauses nothing.
   */
  ringCapacityTicks: powerOfTwo('ringCapacityTicks', 8192, 1 << 24).default(1 << 14),
  eaLink: z.object({
    host: z.string().min(1).default(DEFAULT_EA_HOST),
    port: int('eaLink.port', 0, 65535).default(DEFAULT_EA_PORT),
    path: z.string().startsWith('/', { error: 'eaLink.path must start with "/"' }).default(DEFAULT_EA_PATH),
    /** Shared secret the EA sends in hello. */
    token: z.string({ error: 'eaLink.token must be a string of at least 8 characters' })
      .min(8, { error: 'eaLink.token must be a string of at least 8 characters' }),
  }),
  backend: z.object({
    /** Ordered: primary first, then backups. */
    endpoints: z.array(wsUrl).min(1, { error: 'backend.endpoints must list at least one ws:// URL' }),
    /** Bearer token sent in the Authorization header. */
    jwt: z.string().min(1, { error: 'backend.jwt must not be empty' }),
    tenantId: z.string().default(''),
  }),
  transport: z.object({
    maxBatchTicks: int('transport.maxBatchTicks', 1, 65536).default(4096),
    maxBatchDelayMs: int('transport.maxBatchDelayMs', 0, 10000).default(5),
    /** Unacked batches held before the transport stops draining the rings (backpressure). */
    maxUnackedBatches: int('transport.maxUnackedBatches', 1, 1 << 20).default(1024),
    /**
     * Bytes of unacked batches held in memory before the transport stops draining the rings: with
     * batches of up to maxBatchTicks, a count bound alone let ~0.5 GB pile up at 1M ticks/s
     * (bench:e2e RSS, BENCHMARKS.md).
     */
    maxUnackedBytes: int('transport.maxUnackedBytes', 1 << 16, 1 << 30).default(16 << 20),
    /**
     * A batch is sealed at once, without waiting for maxBatchDelayMs, while fewer than this many
     * are unacked: at low rates every tick goes out as it arrives instead of waiting for the
     * previous batch's ack (1 gave p99 2-5 ms at 1k ticks/s in bench:e2e); under load the rings
     * hold many ticks at each pump and batches still grow.
     */
    eagerInFlightBatches: int('transport.eagerInFlightBatches', 1, 1024).default(4),
    /**
     * Liveness (docs/protocol.md, section 2): every heartbeatIntervalMs the client sends a
     * Heartbeat envelope and a ping; a link on which nothing (message, pong, heartbeat) arrived for
     * linkTimeoutMs is dead and the next endpoint is tried. With the defaults a hung backend is
     * seen within 700 ms (timeout + one heartbeat), and with the first backoff (at most
     * reconnectMinMs) the next endpoint acks within a second; a killed one closes TCP and is seen
     * at once.
     */
    heartbeatIntervalMs: int('transport.heartbeatIntervalMs', 20, 600000).default(200),
    linkTimeoutMs: int('transport.linkTimeoutMs', 50, 3600000).default(500),
    /** The WebSocket handshake (TCP, TLS, HTTP upgrade) must complete within this. */
    connectTimeoutMs: int('transport.connectTimeoutMs', 50, 600000).default(2000),
    /** On a backup, fail back to the primary once a side connection to it has been healthy this long. */
    failbackAfterMs: int('transport.failbackAfterMs', 0, 86400000).default(3000),
    reconnectMinMs: int('transport.reconnectMinMs', 10, 600000).default(200),
    reconnectMaxMs: int('transport.reconnectMaxMs', 10, 600000).default(10000),
    /**
     * Tick encoding on the backend link, negotiated as a WebSocket subprotocol (docs/protocol.md,
     * section 2): `auto` offers columnar, columnar-latest, then row and takes what the backend
     * picks; `row` offers only the seeds' row form; `columnar` insists on the column-packed form;
     * `columnar-latest` insists on it with indicators once per symbol per batch (the values at the
     * symbol's last tick), for backends that only need each symbol's current indicator state.
     */
    encoding: z.enum(TRANSPORT_ENCODINGS, {
      error: `transport.encoding must be one of ${TRANSPORT_ENCODINGS.join(', ')}`,
    }).default('auto'),
  }).refine((t) => t.linkTimeoutMs > t.heartbeatIntervalMs, {
    path: ['linkTimeoutMs'],
    error: (issue) => {
      const t = issue.input as { heartbeatIntervalMs: number };
      return `transport.linkTimeoutMs must be greater than transport.heartbeatIntervalMs (${t.heartbeatIntervalMs}): ` +
        'at least one heartbeat must have time to come back';
    },
  }).refine((t) => t.reconnectMaxMs >= t.reconnectMinMs, {
    path: ['reconnectMaxMs'],
    error: 'transport.reconnectMaxMs must be at least transport.reconnectMinMs',
  }).prefault({}),
  /**
   * The durable spool (src/workers/spool/): every batch is on disk before it counts as sent, and
   * stays until acked; a restarted bridge replays what is unacked and resumes the EA from what it
   * holds durably. With `enabled: false` unacked batches live in memory only (lost with the process)
   * and `transport.maxUnackedBatches` bounds them; with the spool its own bounds below do.
   */
  spool: z.object({
    enabled: z.boolean({ error: 'spool.enabled must be true or false' }).default(true),
    /** Relative paths are taken from the working directory. */
    dir: z.string().min(1, { error: 'spool.dir must not be empty' }).default('./data/spool'),
    /** always: fsync every batch (survives power loss, one disk flush a batch); interval: at most every fsyncIntervalMs; never: the OS decides. */
    fsync: z.enum(SPOOL_FSYNC_POLICIES, { error: `spool.fsync must be one of ${SPOOL_FSYNC_POLICIES.join(', ')}` }).default('interval'),
    fsyncIntervalMs: int('spool.fsyncIntervalMs', 1, 60000).default(200),
    /** Bound on unacked bytes (the disk holds at most this plus one segment). */
    maxBytes: int('spool.maxBytes', 1 << 20, 2 ** 48).default(1 << 30),
    /** Bound on unacked batches (each costs ~150 bytes of index in memory). */
    maxBatches: int('spool.maxBatches', 16, 1 << 24).default(1_000_000),
    /** Bound on the age of the oldest unacked batch; 0 = none. */
    maxAgeMs: int('spool.maxAgeMs', 0, 30 * 86400000).default(0),
    /** pause: stop taking ticks (the EA is paused; nothing is lost); drop-oldest: delete the oldest segment, logged and counted. */
    overflow: z.enum(SPOOL_OVERFLOW_POLICIES, { error: `spool.overflow must be one of ${SPOOL_OVERFLOW_POLICIES.join(', ')}` }).default('pause'),
    segmentBytes: int('spool.segmentBytes', 65536, 1 << 30).default(8 << 20),
    /** How often a write that failed (full disk) is tried again. */
    retryMs: int('spool.retryMs', 10, 600000).default(1000),
  }).prefault({}),
  /**
   * Trading commands from the backend (src/main/commands/, docs/protocol.md section 2, "Commands,
   * execution reports, account and prices"). Limits of 0 are off. The state directory holds the
   * durable command store: command ids (duplicates), commands in doubt, unacked execution reports
   * and the daily-loss and drawdown baselines.
   */
  trading: z.object({
    enabled: z.boolean({ error: 'trading.enabled must be true or false' }).default(true),
    /** '' = beside spool.dir (./data/trading by default; see tradingStateDir). */
    stateDir: z.string({ error: 'trading.stateDir must be a path' }).default(''),
    /** Symbols commands may open or modify; empty = every symbol the EA knows. */
    allowedSymbols: z.array(z.string({ error: 'trading.allowedSymbols must be a list of symbol names' }), {
      error: 'trading.allowedSymbols must be a list of symbol names',
    }).default([]),
    /** Largest volume of one order, lots. */
    maxLot: num('trading.maxLot', 0, 1e6).default(1),
    /** Positions plus pending orders of the account plus opens in flight. */
    maxOpenPositions: int('trading.maxOpenPositions', 0, 100000).default(10),
    /** Account currency: no new position once day-start balance minus equity reaches it. */
    maxDailyLoss: num('trading.maxDailyLoss', 0, 1e12).default(0),
    /** Percent of the highest equity seen: no new position once equity is this far below it. */
    maxDrawdownPercent: num('trading.maxDrawdownPercent', 0, 100).default(0),
    /** Informational (AccountProfile.risk_profile.max_risk_per_trade), percent. */
    maxRiskPerTradePercent: num('trading.maxRiskPerTradePercent', 0, 100).default(2),
    allowNewsTrading: z.boolean({ error: 'trading.allowNewsTrading must be true or false' }).default(false),
    /** Market orders' slippage allowance when a command gives none. */
    deviationPoints: int('trading.deviationPoints', 0, 100000).default(10),
    /** The trading day (daily loss) starts at this UTC hour. */
    dayStartUtcHour: int('trading.dayStartUtcHour', 0, 23).default(0),
    /** Commands waiting for an offline EA, at most. */
    offlineQueueMax: int('trading.offlineQueueMax', 1, 100000).default(256),
    /** How long a command id is remembered to drop duplicates (at least the 24 h of commands in doubt). */
    commandMemoryMs: int('trading.commandMemoryMs', 86400000, 365 * 86400000).default(7 * 86400000),
    /** ClientPriceStream period. */
    priceStreamIntervalMs: int('trading.priceStreamIntervalMs', 100, 3600000).default(1000),
    /** AccountProfile.user_id and ClientPriceStream.user_id. */
    userId: z.string({ error: 'trading.userId must be a string' }).default(''),
    preferences: z.object({
      preferredLotSize: num('trading.preferences.preferredLotSize', 0, 1e6).default(0.01),
      autoCloseFriday: z.boolean({ error: 'trading.preferences.autoCloseFriday must be true or false' }).default(false),
      conservativeMode: z.boolean({ error: 'trading.preferences.conservativeMode must be true or false' }).default(false),
    }).prefault({}),
  }).prefault({}),
  validation: z.object({
    maxSpreadPoints: num('validation.maxSpreadPoints', 0, 1e9).default(100),
    staleMs: int('validation.staleMs', 1, 86400000).default(5000),
    futureToleranceMs: int('validation.futureToleranceMs', 0, 86400000).default(1000),
    /** A mid jump is a spike when larger than both of these. */
    spikeMinPoints: num('validation.spikeMinPoints', 0, 1e12).default(500),
    spikeFactor: num('validation.spikeFactor', 1, 1e6).default(50),
  }).prefault({}),
  /** Per-symbol overrides of validation limits, by symbol name. */
  symbols: z.record(z.string(), z.object({
    maxSpreadPoints: num('symbols.*.maxSpreadPoints', 0, 1e9).optional(),
  })).default({}),
  statusIntervalMs: int('statusIntervalMs', 100, 3600000).default(1000),
});

export type Config = z.infer<typeof configSchema>;
export type TradingConfig = Config['trading'];

/**
 * The trading state directory: trading.stateDir, or beside spool.dir — `trading` when the spool's
 * directory is called `spool` (./data/spool -> ./data/trading), else `<its name>-trading`, so that
 * every spool directory (a demo's temporary one) has a state directory of its own.
 */
export function tradingStateDir(config: Pick<Config, 'trading' | 'spool'>): string {
  if (config.trading.stateDir !== '') return config.trading.stateDir;
  const spoolDir = config.spool.dir.replace(/[\\/]+$/, '');
  const cut = Math.max(spoolDir.lastIndexOf('/'), spoolDir.lastIndexOf('\\'));
  const name = spoolDir.slice(cut + 1);
  return `${spoolDir.slice(0, cut + 1)}${name === 'spool' ? 'trading' : `${name}-trading`}`;
}
export type ConfigInput = z.input<typeof configSchema>;

/** Validates and freezes; throws CONFIG_INVALID naming every bad setting and the value given. */
export function parseConfig(input: unknown): Readonly<Config> {
  const result = configSchema.safeParse(input);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const given = valueAt(input, issue.path);
      const where = issue.path.join('.') || '(root)';
      const base = issue.message.includes(where.split('.')[0] ?? '') ? issue.message : `${where}: ${issue.message}`;
      return `${base}, got ${JSON.stringify(given) ?? 'nothing'}`;
    });
    throw new ClientMt5Error('CONFIG_INVALID', `invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return deepFreeze(result.data);
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
