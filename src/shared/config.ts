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
export const TRANSPORT_ENCODINGS = ['auto', 'row', 'columnar'] as const;
export type TransportEncoding = (typeof TRANSPORT_ENCODINGS)[number];

/** The WebSocket subprotocol that names each tick encoding on the backend link. */
export const ENCODING_SUBPROTOCOLS = {
  columnar: 'clientmt5.v1.columnar',
  row: 'clientmt5.v1.row',
} as const;
export type WireEncoding = keyof typeof ENCODING_SUBPROTOCOLS;

const wsUrl = z.string().refine((s) => /^wss?:\/\/[^\s/]+/.test(s), {
  error: 'backend.endpoints must be ws:// or wss:// URLs',
});

export const configSchema = z.object({
  /** Compute workers, one lane (ring + WASM instance) each. */
  workers: int('workers', 1, 16).default(2),
  /** Entries per lane ring (and per output ring); at least twice the largest EA frame (4096 ticks). */
  ringCapacityTicks: powerOfTwo('ringCapacityTicks', 8192, 1 << 24).default(1 << 16),
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
    heartbeatIntervalMs: int('transport.heartbeatIntervalMs', 100, 600000).default(5000),
    reconnectMinMs: int('transport.reconnectMinMs', 10, 600000).default(200),
    reconnectMaxMs: int('transport.reconnectMaxMs', 10, 600000).default(10000),
    /**
     * Tick encoding on the backend link, negotiated as a WebSocket subprotocol (docs/protocol.md,
     * section 2): `auto` offers columnar then row and takes what the backend picks; `row` offers
     * only the seeds' row form; `columnar` insists on the column-packed form.
     */
    encoding: z.enum(TRANSPORT_ENCODINGS, {
      error: `transport.encoding must be one of ${TRANSPORT_ENCODINGS.join(', ')}`,
    }).default('auto'),
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
