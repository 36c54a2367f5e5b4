/**
 * Turns accepted ticks from the output rings into `Envelope{MarketDataStream}` bytes.
 *
 * TickData and TechnicalIndicators objects are pooled (one per batch slot) and overwritten in
 * place, so filling a batch allocates nothing per tick; protobufjs static code then encodes the
 * whole envelope once per batch. An indicator without a value yet is `null`, which the static
 * encoder skips (the field is `optional`, so absence is visible on the wire).
 */
import { clientmt5 } from '../gen/clientmt5.js';
import {
  INDICATOR_COUNT, OUT_F64_ASK, OUT_F64_BID, OUT_F64_IND0, OUT_F64_LAST, OUT_F64_RECV_MS, OUT_F64_SEQ,
  OUT_F64_TIME_MSC, OUT_F64_VOLUME, OUT_F64_VOLUME_REAL, OUT_I32_FLAGS, OUT_I32_QUALITY, OUT_I32_SYMBOL,
} from '../shared/ring-layout.js';
import type { SpscRing } from '../shared/ring.js';
import { readSymbolName } from '../shared/lanes.js';

/** Proto field names of the indicators, in INDICATOR_NAMES order. */
export const INDICATOR_PROTO_FIELDS = [
  'sma_20', 'sma_50', 'ema_12', 'ema_26', 'ema_20', 'ema_50', 'rsi',
  'macd_line', 'macd_signal', 'macd_hist', 'bollinger_upper', 'bollinger_middle', 'bollinger_lower',
] as const;

type IndicatorsSlot = Record<(typeof INDICATOR_PROTO_FIELDS)[number], number | null>;

interface TickSlot {
  symbol: string;
  bid: number;
  ask: number;
  last: number;
  volume: number;
  time: number;
  time_msc: number;
  flags: number;
  volume_real: number;
  tenant_id: string;
  sequence_number: number;
  source: string;
  spread: number;
  indicators: IndicatorsSlot;
  received_at_ms: number;
  quality: number;
}

function newTickSlot(tenantId: string): TickSlot {
  const indicators = {} as IndicatorsSlot;
  for (const f of INDICATOR_PROTO_FIELDS) indicators[f] = null;
  return {
    symbol: '', bid: 0, ask: 0, last: 0, volume: 0, time: 0, time_msc: 0, flags: 0, volume_real: 0,
    tenant_id: tenantId, sequence_number: 0, source: 'MT5', spread: 0, indicators, received_at_ms: 0, quality: 0,
  };
}

export class BatchEncoder {
  /** Ticks in the batch being filled. */
  count = 0;
  /** performance.now() when the first tick of the open batch arrived. */
  openedAt = 0;
  private readonly pool: TickSlot[] = [];
  private readonly ticks: TickSlot[] = [];
  private readonly stream: { ticks: TickSlot[]; source: string; batch_sequence: number; batch_time: number; batch_time_msc: number; tenant_id: string };
  private readonly envelope: { protocol_version: number; market_data: unknown };

  private readonly names: string[] = [];

  constructor(readonly capacity: number, private readonly symbolNames: Uint8Array, tenantId: string) {
    for (let i = 0; i < capacity; i++) this.pool.push(newTickSlot(tenantId));
    this.stream = { ticks: this.ticks, source: 'MT5', batch_sequence: 0, batch_time: 0, batch_time_msc: 0, tenant_id: tenantId };
    this.envelope = { protocol_version: 1, market_data: this.stream };
  }

  get full(): boolean {
    return this.count >= this.capacity;
  }

  /** Moves up to `max` entries from `ring` into the open batch; returns how many it took. */
  takeFrom(ring: SpscRing, max: number): number {
    let n = ring.available();
    if (n > max) n = max;
    if (n > this.capacity - this.count) n = this.capacity - this.count;
    if (n <= 0) return 0;
    if (this.count === 0) this.openedAt = performance.now();
    const mask = ring.mask;
    const time = ring.f64[OUT_F64_TIME_MSC];
    const bid = ring.f64[OUT_F64_BID];
    const ask = ring.f64[OUT_F64_ASK];
    const last = ring.f64[OUT_F64_LAST];
    const volume = ring.f64[OUT_F64_VOLUME];
    const volumeReal = ring.f64[OUT_F64_VOLUME_REAL];
    const recv = ring.f64[OUT_F64_RECV_MS];
    const seqCol = ring.f64[OUT_F64_SEQ];
    const symbol = ring.i32[OUT_I32_SYMBOL];
    const flags = ring.i32[OUT_I32_FLAGS];
    const quality = ring.i32[OUT_I32_QUALITY];
    let seq = ring.readSequence;
    for (let i = 0; i < n; i++, seq++) {
      const slot = seq & mask;
      const t = this.pool[this.count++];
      const id = symbol[slot];
      t.symbol = this.names[id] ?? (this.names[id] = readSymbolName(this.symbolNames, id));
      t.bid = bid[slot];
      t.ask = ask[slot];
      t.last = last[slot];
      t.volume = volume[slot];
      t.time_msc = time[slot];
      t.time = Math.floor(time[slot] / 1000);
      t.flags = flags[slot];
      t.volume_real = volumeReal[slot];
      t.sequence_number = seqCol[slot];
      t.spread = ask[slot] - bid[slot];
      t.received_at_ms = recv[slot];
      t.quality = quality[slot];
      const ind = t.indicators;
      for (let k = 0; k < INDICATOR_COUNT; k++) {
        const v = ring.f64[OUT_F64_IND0 + k][slot];
        ind[INDICATOR_PROTO_FIELDS[k]] = v === v ? v : null;
      }
    }
    ring.release(n);
    return n;
  }

  /** Encodes the open batch as batch `sequence`, sealed at `nowMs` (UTC), and empties it. */
  seal(sequence: number, nowMs: number = Date.now()): Uint8Array {
    const ticks = this.ticks;
    ticks.length = this.count;
    for (let i = 0; i < this.count; i++) ticks[i] = this.pool[i];
    this.stream.batch_sequence = sequence;
    this.stream.batch_time = Math.floor(nowMs / 1000);
    this.stream.batch_time_msc = nowMs;
    const bytes = clientmt5.v1.Envelope.encode(this.envelope as clientmt5.v1.Envelope.$Properties).finish();
    this.count = 0;
    return bytes;
  }
}
