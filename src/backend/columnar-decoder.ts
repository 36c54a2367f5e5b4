/**
 * The backend's reader of `Envelope{MarketDataColumns}` (proto/clientmt5/v1/columns.proto,
 * docs/protocol.md section 2): straight from the frame bytes into reusable struct-of-arrays
 * columns, no object per tick. It shares no code with the client's encoder (src/workers/), so the
 * two check each other, as protoc's golden frames check both.
 *
 *   frame ──scan Envelope──► field 22? ──read fields (any order, packed or not)──► raw columns
 *         ──rebuild (deltas, points, presence)──► ColumnarBatch, or BACKEND_BAD_FRAME saying why
 *
 * A columnar-latest batch (indicators_latest_absent, field 25, not empty) comes out with `latest`
 * set, each symbol's values in `latestIndicators`, and per tick only each symbol's last tick
 * holding indicators.
 *
 * Fields this reader does not know are skipped by wire type, as protobuf requires.
 */
import { ClientMt5Error } from '../shared/errors.js';
import { INDICATOR_COUNT } from '../shared/ring-layout.js';
import { ColumnarBatch, INDICATOR_BY_FIELD } from './columnar-batch.js';
import { RawColumn, WireReader } from './wire-reader.js';

export { ColumnarBatch } from './columnar-batch.js';

/** Envelope.market_data_columns. */
export const MARKET_DATA_COLUMNS_FIELD = 22;
/** Batches larger than this are refused before anything is allocated for them. */
export const MAX_COLUMNAR_TICKS = 1 << 20;
const RECEIVED_AT_SCALE = 4096;
const ALL_ABSENT = (1 << INDICATOR_COUNT) - 1;

// MarketDataColumns per-tick fields, and whether each is zigzag (sint64) or double.
const F_SYMBOL_INDEX = 8;
const F_TIME = 9;
const F_SEQUENCE = 10;
const F_BID_POINTS = 11;
const F_ASK_MINUS_BID = 12;
const F_BID = 13;
const F_ASK = 14;
const F_LAST_POINTS = 15;
const F_LAST = 16;
const F_VOLUME = 17;
const F_VOLUME_REAL = 18;
const F_FLAGS = 19;
const F_QUALITY = 20;
const F_RECEIVED_Q12 = 21;
const F_RECEIVED_MS = 22;
const F_ABSENT = 23;
const F_INDICATORS = 24;
const F_LATEST_ABSENT = 25;
const F_INDICATORS_LATEST = 26;
const FIRST_COLUMN = F_SYMBOL_INDEX;
const LAST_COLUMN = F_ABSENT;
const ZIGZAG = new Set([F_TIME, F_SEQUENCE, F_BID_POINTS, F_ASK_MINUS_BID, F_LAST_POINTS, F_RECEIVED_Q12]);
const DOUBLE = new Set([F_BID, F_ASK, F_LAST, F_VOLUME_REAL, F_RECEIVED_MS]);

function bad(message: string): ClientMt5Error {
  return new ClientMt5Error('BACKEND_BAD_FRAME', `market_data_columns: ${message}`);
}

export class ColumnarDecoder {
  /** The last batch decoded; overwritten by the next decode. */
  readonly batch = new ColumnarBatch();
  private readonly r = new WireReader();
  private readonly raw: RawColumn[] = [];
  private readonly indicatorRaw: RawColumn[] = [];
  private readonly priceScale = new RawColumn('double');
  /** columnar-latest: indicators_latest_absent (per symbol) and indicators_latest's columns. */
  private readonly latestAbsent = new RawColumn('varint');
  private readonly latestRaw: RawColumn[] = [];
  /** Per batch symbol index: the running value of a per-symbol delta chain. */
  private symbolPrev = new Float64Array(64);

  constructor() {
    for (let f = 0; f <= LAST_COLUMN; f++) this.raw.push(new RawColumn(ZIGZAG.has(f) ? 'zigzag' : DOUBLE.has(f) ? 'double' : 'varint'));
    for (let f = 0; f < INDICATOR_COUNT; f++) this.indicatorRaw.push(new RawColumn('double'));
    for (let f = 0; f < INDICATOR_COUNT; f++) this.latestRaw.push(new RawColumn('double'));
  }

  /**
   * If `frame` is an Envelope whose payload is market_data_columns, decodes it into `batch` and
   * returns its protocol_version (0 when absent); otherwise (another payload, or not an Envelope
   * at all) returns -1 and the caller decodes the frame as any other Envelope. Throws
   * BACKEND_BAD_FRAME for a malformed columnar payload.
   */
  decodeEnvelope(frame: Uint8Array): number {
    const r = this.r;
    r.reset(frame, 0, frame.length);
    let version = 0;
    let payloadField = 0;
    let payloadStart = 0;
    let payloadEnd = 0;
    try {
      while (r.pos < r.end) {
        const tag = r.uint32();
        const field = tag >>> 3;
        if (field === 1 && (tag & 7) === 0) version = r.uint32();
        else if (field >= 10 && (tag & 7) === 2) {
          // A oneof member: the last one on the wire wins.
          const len = r.uint32();
          payloadField = field;
          payloadStart = r.pos;
          payloadEnd = r.pos + len;
          if (payloadEnd > r.end) return -1;
          r.pos = payloadEnd;
        } else r.skip(tag & 7);
      }
    } catch {
      return -1; // not a well-formed Envelope: the generated decoder says why
    }
    if (payloadField !== MARKET_DATA_COLUMNS_FIELD) return -1;
    this.decodeColumns(frame, payloadStart, payloadEnd);
    return version;
  }

  /** Decodes a MarketDataColumns message occupying bytes[start, end). */
  decodeColumns(bytes: Uint8Array, start: number, end: number): ColumnarBatch {
    const b = this.batch;
    b.clear();
    for (const c of this.raw) c.length = 0;
    for (const c of this.indicatorRaw) c.length = 0;
    for (const c of this.latestRaw) c.length = 0;
    this.latestAbsent.length = 0;
    this.priceScale.length = 0;
    const r = this.r;
    r.reset(bytes, start, end);
    let tickCount = 0;
    while (r.pos < r.end) {
      const tag = r.uint32();
      const field = tag >>> 3;
      const wt = tag & 7;
      if (field >= FIRST_COLUMN && field <= LAST_COLUMN) r.column(this.raw[field], wt, field);
      else if (field === 1 && wt === 0) b.batchSequence = r.uint64();
      else if (field === 2 && wt === 0) b.batchTimeMsc = r.uint64();
      else if (field === 3 && wt === 2) b.source = r.string();
      else if (field === 4 && wt === 2) b.tenantId = r.string();
      else if (field === 5 && wt === 0) tickCount = r.uint64();
      else if (field === 6 && wt === 2) b.symbols.push(r.string());
      else if (field === 7) r.column(this.priceScale, wt, field, 'varint');
      else if (field === F_INDICATORS && wt === 2) this.readIndicators(this.indicatorRaw);
      else if (field === F_LATEST_ABSENT) r.column(this.latestAbsent, wt, field, 'varint');
      else if (field === F_INDICATORS_LATEST && wt === 2) this.readIndicators(this.latestRaw);
      else r.skip(wt);
    }
    if (tickCount > MAX_COLUMNAR_TICKS) throw bad(`tick_count ${tickCount} is above this backend's limit of ${MAX_COLUMNAR_TICKS}`);
    b.reserve(tickCount);
    b.count = tickCount;
    this.rebuild();
    return b;
  }

  private readIndicators(columns: RawColumn[]): void {
    const r = this.r;
    const len = r.uint32();
    const outerEnd = r.end;
    const end = r.pos + len;
    if (end > outerEnd) throw bad('indicators run past the message');
    r.end = end;
    while (r.pos < end) {
      const tag = r.uint32();
      const field = tag >>> 3;
      if (field >= 1 && field <= INDICATOR_COUNT) r.column(columns[field - 1], tag & 7, field);
      else r.skip(tag & 7);
    }
    r.end = outerEnd;
  }

  /** From raw columns to values, checking every rule of columns.proto on the way. */
  private rebuild(): void {
    const b = this.batch;
    const n = b.count;
    const raw = this.raw;
    for (let f = FIRST_COLUMN; f <= LAST_COLUMN; f++) {
      const len = raw[f].length;
      if (len !== 0 && len !== n) throw bad(`column ${f} has ${len} entries for ${n} ticks (must be ${n}, or none for all 0)`);
    }
    const symbols = b.symbols.length;
    if (this.priceScale.length !== 0 && this.priceScale.length !== symbols) {
      throw bad(`price_scale has ${this.priceScale.length} entries for ${symbols} symbols`);
    }
    for (let s = 0; s < symbols; s++) b.priceScale[s] = this.priceScale.length === 0 ? 0 : this.priceScale.values[s];
    b.latest = this.latestAbsent.length > 0;
    if (n === 0) {
      if (b.latest) throw bad('indicators_latest_absent in a batch without ticks');
      return;
    }
    if (symbols === 0) throw bad(`${n} ticks and an empty symbol table`);
    if (this.symbolPrev.length < symbols) this.symbolPrev = new Float64Array(symbols * 2);
    const sym = b.symbolIndex;
    const symRaw = raw[F_SYMBOL_INDEX];
    for (let i = 0; i < n; i++) {
      const s = symRaw.length === 0 ? 0 : symRaw.values[i];
      if (s >= symbols) throw bad(`tick ${i} has symbol_index ${s}, beyond the ${symbols} symbols of the batch`);
      sym[i] = s;
    }
    runningSum(raw[F_TIME], b.timeMsc, n, 1);
    this.perSymbolSum(raw[F_SEQUENCE], b.sequenceNumber, n);
    this.prices(n);
    copyOrZero(raw[F_VOLUME], b.volume, n);
    copyOrZero(raw[F_VOLUME_REAL], b.volumeReal, n);
    const flags = raw[F_FLAGS];
    const quality = raw[F_QUALITY];
    for (let i = 0; i < n; i++) {
      b.flags[i] = flags.length === 0 ? 0 : flags.values[i] | 0; // TickData.flags is an int32
      b.quality[i] = quality.length === 0 ? 0 : quality.values[i];
    }
    if (raw[F_RECEIVED_MS].length > 0) copyOrZero(raw[F_RECEIVED_MS], b.receivedAtMs, n);
    else runningSum(raw[F_RECEIVED_Q12], b.receivedAtMs, n, RECEIVED_AT_SCALE);
    b.reserveSymbols(symbols);
    const lastRow = b.lastRow;
    lastRow.fill(-1, 0, symbols);
    for (let i = 0; i < n; i++) lastRow[sym[i]] = i;
    if (b.latest) this.latestIndicators(n, symbols);
    else {
      for (const c of this.latestRaw) if (c.length > 0) throw bad('indicators_latest without indicators_latest_absent');
      this.indicators(n);
    }
  }

  /**
   * columnar-latest: each symbol's values as at its last tick, into `latestIndicators`, and onto
   * that tick of the per-tick columns (every other tick: NaN, nothing travelled for it).
   */
  private latestIndicators(n: number, symbols: number): void {
    const b = this.batch;
    const absent = this.latestAbsent;
    if (absent.length !== symbols) throw bad(`indicators_latest_absent has ${absent.length} entries for ${symbols} symbols`);
    if (this.raw[F_ABSENT].length > 0) throw bad('indicators_absent in a columnar-latest batch (it has indicators_latest_absent)');
    for (let s = 0; s < symbols; s++) {
      if (absent.values[s] > ALL_ABSENT) throw bad(`symbol ${s}: indicators_latest_absent ${absent.values[s]} has bits beyond the ${INDICATOR_COUNT} indicators`);
      if (b.lastRow[s] < 0) throw bad(`symbol ${s} (${b.symbols[s]}) has no tick, so no latest indicators`);
    }
    for (let f = 0; f < INDICATOR_COUNT; f++) {
      if (this.indicatorRaw[f].length > 0) throw bad(`indicators field ${f + 1} has per-tick values in a columnar-latest batch`);
      const col = this.latestRaw[f];
      const k = INDICATOR_BY_FIELD[f];
      const latest = b.latestIndicators[k];
      const out = b.indicators[k];
      out.fill(NaN, 0, n);
      const bit = 1 << f;
      let used = 0;
      for (let s = 0; s < symbols; s++) {
        if ((absent.values[s] & bit) !== 0) latest[s] = NaN;
        else if (used < col.length) latest[s] = col.values[used++];
        else throw bad(`indicators_latest field ${f + 1} has ${col.length} values, fewer than the symbols that say they have one`);
        out[b.lastRow[s]] = latest[s];
      }
      if (used !== col.length) throw bad(`indicators_latest field ${f + 1} has ${col.length} values for ${used} symbols that have one`);
    }
  }

  private perSymbolSum(col: RawColumn, out: Float64Array, n: number): void {
    const prev = this.symbolPrev;
    prev.fill(0, 0, this.batch.symbols.length);
    if (col.length === 0) {
      out.fill(0, 0, n);
      return;
    }
    const sym = this.batch.symbolIndex;
    const values = col.values;
    for (let i = 0; i < n; i++) {
      const s = sym[i];
      const v = prev[s] + values[i];
      prev[s] = v;
      out[i] = v;
    }
  }

  private prices(n: number): void {
    const b = this.batch;
    const raw = this.raw;
    const bidD = raw[F_BID];
    const askD = raw[F_ASK];
    if (bidD.length > 0 || askD.length > 0) {
      if (bidD.length !== n || askD.length !== n) throw bad('bid and ask travel as doubles together: both columns need every tick');
      copyOrZero(bidD, b.bid, n);
      copyOrZero(askD, b.ask, n);
    } else {
      this.perSymbolSum(raw[F_BID_POINTS], b.bid, n); // points, made prices below
      const spread = raw[F_ASK_MINUS_BID];
      for (let i = 0; i < n; i++) {
        const s = b.symbolIndex[i];
        const bid = b.bid[i];
        const ask = bid + (spread.length === 0 ? 0 : spread.values[i]);
        b.bid[i] = this.price(bid, s, i, 'bid');
        b.ask[i] = this.price(ask, s, i, 'ask');
      }
    }
    if (raw[F_LAST].length > 0) copyOrZero(raw[F_LAST], b.last, n);
    else {
      this.perSymbolSum(raw[F_LAST_POINTS], b.last, n);
      for (let i = 0; i < n; i++) b.last[i] = this.price(b.last[i], b.symbolIndex[i], i, 'last');
    }
  }

  /** points / price_scale; 0 points is 0 whatever the scale. */
  private price(points: number, s: number, i: number, what: string): number {
    if (points === 0) return 0;
    const scale = this.batch.priceScale[s];
    if (!(scale > 0)) throw bad(`tick ${i}: ${what} in points for ${this.batch.symbols[s]}, whose price_scale is 0`);
    return points / scale;
  }

  private indicators(n: number): void {
    const b = this.batch;
    const absentRaw = this.raw[F_ABSENT];
    for (let f = 0; f < INDICATOR_COUNT; f++) {
      const col = this.indicatorRaw[f];
      const out = b.indicators[INDICATOR_BY_FIELD[f]];
      if (absentRaw.length === 0) { // every tick has every indicator: the column as it is
        if (col.length !== n) throw bad(`indicators field ${f + 1} has ${col.length} values for ${n} ticks that have one`);
        out.set(col.values.subarray(0, n));
        continue;
      }
      const bit = 1 << f;
      let used = 0;
      for (let i = 0; i < n; i++) {
        if ((absentRaw.values[i] & bit) !== 0) out[i] = NaN;
        else if (used < col.length) out[i] = col.values[used++];
        else throw bad(`indicators field ${f + 1} has ${col.length} values, fewer than the ticks that say they have one`);
      }
      if (used !== col.length) throw bad(`indicators field ${f + 1} has ${col.length} values for ${used} ticks that have one`);
    }
    if (absentRaw.length > 0) {
      for (let i = 0; i < n; i++) {
        if (absentRaw.values[i] > ALL_ABSENT) throw bad(`tick ${i}: indicators_absent ${absentRaw.values[i]} has bits beyond the ${INDICATOR_COUNT} indicators`);
      }
    }
  }
}

function runningSum(col: RawColumn, out: Float64Array, n: number, divisor: number): void {
  if (col.length === 0) {
    out.fill(0, 0, n);
    return;
  }
  const values = col.values;
  let v = 0;
  for (let i = 0; i < n; i++) {
    v += values[i];
    out[i] = v / divisor;
  }
}

function copyOrZero(col: RawColumn, out: Float64Array, n: number): void {
  if (col.length === 0) out.fill(0, 0, n);
  else for (let i = 0; i < n; i++) out[i] = col.values[i];
}
