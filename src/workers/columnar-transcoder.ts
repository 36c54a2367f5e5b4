/**
 * Re-encodes a stored columnar batch as the row form, byte for byte what BatchEncoder would have
 * written from the same ticks. Needed only when a link negotiates row while columnar batches are
 * still unacked (failover to a backend that speaks only row): batches are kept encoded, the ticks
 * themselves are gone from the rings. A backend that speaks columnar also takes row frames
 * (docs/protocol.md), so the other direction never needs re-encoding.
 *
 *   columnar frame ──generated decoder──► rebuild (deltas, points, presence) ──► local output ring
 *                  ──► BatchEncoder.takeFrom + seal(same batch_sequence, same batch_time_msc)
 *
 * A columnar-latest batch (indicators_latest_absent not empty) carries indicators only as of each
 * symbol's last tick of the batch: as rows, that tick has them and the symbol's other ticks have
 * none (an empty `indicators`), the per-tick values having never travelled.
 *
 * Off the hot path (one call per resent batch on such a failover); it allocates freely.
 */
import { clientmt5 } from '../gen/clientmt5.js';
import { createSymbolNames, MAX_SYMBOLS, writeSymbolName } from '../shared/lanes.js';
import {
  INDICATOR_COUNT, OUT_F64_ASK, OUT_F64_BID, OUT_F64_IND0, OUT_F64_LAST, OUT_F64_RECV_MS, OUT_F64_SEQ,
  OUT_F64_TIME_MSC, OUT_F64_VOLUME, OUT_F64_VOLUME_REAL, OUT_I32_FLAGS, OUT_I32_QUALITY, OUT_I32_SYMBOL,
  OUTPUT_RING_LAYOUT,
} from '../shared/ring-layout.js';
import { SpscRing } from '../shared/ring.js';
import { BatchEncoder, INDICATOR_FIELD_NUMBERS, INDICATOR_PROTO_FIELDS } from './batch-encoder.js';
import { RECEIVED_AT_SCALE } from './tick-columns.js';

/** Envelope field of market_data_columns, and the bytes that start such a frame: 08 01 b2 01. */
const COLUMNS_FRAME_PREFIX = [0x08, 0x01, 0xb2, 0x01];

/** True when `frame` is an Envelope{market_data_columns} as ColumnarEncoder writes it. */
export function isColumnarFrame(frame: Uint8Array): boolean {
  return frame.length > 4 && frame[0] === COLUMNS_FRAME_PREFIX[0] && frame[1] === COLUMNS_FRAME_PREFIX[1]
    && frame[2] === COLUMNS_FRAME_PREFIX[2] && frame[3] === COLUMNS_FRAME_PREFIX[3];
}

export class ColumnarToRow {
  private readonly names = createSymbolNames();
  private readonly idOfName = new Map<string, number>();
  private readonly encoder: BatchEncoder;
  private readonly ring: SpscRing;

  constructor(private readonly maxBatchTicks: number, tenantId: string) {
    this.encoder = new BatchEncoder(maxBatchTicks, this.names, tenantId);
    let capacity = 2;
    while (capacity < maxBatchTicks) capacity *= 2;
    this.ring = SpscRing.create(capacity, OUTPUT_RING_LAYOUT);
  }

  /** The row frame for the columnar frame `frame`. */
  transcode(frame: Uint8Array): Uint8Array {
    const md = clientmt5.v1.Envelope.decode(frame).market_data_columns;
    if (!md) throw new Error('not a market_data_columns frame');
    const n = md.tick_count ?? 0;
    if (n > this.maxBatchTicks) throw new Error(`a batch of ${n} ticks is larger than transport.maxBatchTicks (${this.maxBatchTicks})`);
    const ring = this.ring;
    const ids = (md.symbols ?? []).map((name) => this.idOf(name));
    const scale = md.price_scale ?? [];
    const col = (values: number[] | null | undefined, i: number): number => (values && values.length > 0 ? values[i] : 0);
    const price = (points: number, s: number): number => (points === 0 ? 0 : points / scale[s]);
    const bidPoints = new Float64Array(ids.length);
    const lastPoints = new Float64Array(ids.length);
    const seq = new Float64Array(ids.length);
    const indicatorAt = new Int32Array(INDICATOR_COUNT);
    const ind = md.indicators ?? {};
    // columnar-latest: each symbol's indicators, as at its last tick of the batch, go on that tick.
    const latest = (md.indicators_latest_absent ?? []).length > 0 ? latestBySymbol(md, ids.length) : null;
    const lastRow = new Int32Array(ids.length).fill(-1);
    if (latest !== null) for (let i = 0; i < n; i++) lastRow[col(md.symbol_index, i)] = i;
    let time = 0;
    let recvQ = 0;
    for (let i = 0; i < n; i++) {
      const s = col(md.symbol_index, i);
      const slot = (ring.cursor + i) & ring.mask;
      time += col(md.time_msc_delta, i);
      seq[s] += col(md.sequence_number_delta, i);
      recvQ += col(md.received_at_q12_delta, i);
      let bid: number;
      let ask: number;
      if ((md.bid ?? []).length > 0) {
        bid = md.bid![i];
        ask = md.ask![i];
      } else {
        bidPoints[s] += col(md.bid_points_delta, i);
        bid = price(bidPoints[s], s);
        ask = price(bidPoints[s] + col(md.ask_minus_bid_points, i), s);
      }
      let last: number;
      if ((md.last ?? []).length > 0) last = md.last![i];
      else {
        lastPoints[s] += col(md.last_points_delta, i);
        last = price(lastPoints[s], s);
      }
      ring.i32[OUT_I32_SYMBOL][slot] = ids[s];
      ring.i32[OUT_I32_FLAGS][slot] = col(md.flags, i) | 0;
      ring.i32[OUT_I32_QUALITY][slot] = col(md.quality, i);
      ring.f64[OUT_F64_TIME_MSC][slot] = time;
      ring.f64[OUT_F64_BID][slot] = bid;
      ring.f64[OUT_F64_ASK][slot] = ask;
      ring.f64[OUT_F64_LAST][slot] = last;
      ring.f64[OUT_F64_VOLUME][slot] = col(md.volume, i);
      ring.f64[OUT_F64_VOLUME_REAL][slot] = col(md.volume_real, i);
      ring.f64[OUT_F64_RECV_MS][slot] = (md.received_at_ms ?? []).length > 0 ? md.received_at_ms![i] : recvQ / RECEIVED_AT_SCALE;
      ring.f64[OUT_F64_SEQ][slot] = seq[s];
      if (latest !== null) {
        for (let k = 0; k < INDICATOR_COUNT; k++) ring.f64[OUT_F64_IND0 + k][slot] = lastRow[s] === i ? latest[s][k] : Number.NaN;
        continue;
      }
      const absent = col(md.indicators_absent, i);
      for (let k = 0; k < INDICATOR_COUNT; k++) {
        const f = INDICATOR_FIELD_NUMBERS[k] - 1;
        const values = (ind as Record<string, number[] | undefined>)[INDICATOR_PROTO_FIELDS[k]] ?? [];
        ring.f64[OUT_F64_IND0 + k][slot] = (absent & (1 << f)) !== 0 ? Number.NaN : values[indicatorAt[f]++];
      }
    }
    ring.publish(n);
    this.encoder.takeFrom(ring, n);
    return this.encoder.seal(md.batch_sequence ?? 0, md.batch_time_msc ?? 0);
  }

  private idOf(name: string): number {
    let id = this.idOfName.get(name);
    if (id === undefined) {
      id = this.idOfName.size;
      if (id >= MAX_SYMBOLS) throw new Error(`more than ${MAX_SYMBOLS} symbols`);
      writeSymbolName(this.names, id, name);
      this.idOfName.set(name, id);
    }
    return id;
  }
}

/** Per symbol of a columnar-latest batch, its latest indicators in INDICATOR_NAMES order (NaN: absent). */
function latestBySymbol(md: clientmt5.v1.MarketDataColumns.$Properties, symbols: number): Float64Array[] {
  const absent = md.indicators_latest_absent ?? [];
  if (absent.length !== symbols) throw new Error(`indicators_latest_absent has ${absent.length} entries for ${symbols} symbols`);
  const columns = (md.indicators_latest ?? {}) as Record<string, number[] | undefined>;
  const out = Array.from({ length: symbols }, () => new Float64Array(INDICATOR_COUNT).fill(Number.NaN));
  for (let k = 0; k < INDICATOR_COUNT; k++) {
    const bit = 1 << (INDICATOR_FIELD_NUMBERS[k] - 1);
    const values = columns[INDICATOR_PROTO_FIELDS[k]] ?? [];
    let at = 0;
    for (let s = 0; s < symbols; s++) if ((absent[s] & bit) === 0) out[s][k] = values[at++];
  }
  return out;
}
