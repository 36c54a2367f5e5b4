/**
 * warm-up.ts's counterpart for the columnar form: made-up `market_data_columns` frames (built with
 * the generated code, prices as points and as doubles) through the hand-written decoder and
 * ClientStream.onColumns before the backend listens, so that the first real batches do not wait
 * on cold code. Fewer ticks than the row warm-up: the decoder is loops over columns, hot after a few batches.
 */
import { IndicatorChecker } from './indicator-check.js';
import { LatencyHistogram } from './latency-histogram.js';
import { ClientStream, newStreamCounters } from './client-stream.js';
import { INDICATOR_BY_FIELD } from './columnar-batch.js';
import { ColumnarDecoder } from './columnar-decoder.js';
import { ReferenceIndicators } from './reference-indicators.js';
import { Envelope } from './wire.js';

const INDICATOR_COLUMN_NAMES = [
  'sma_20', 'sma_50', 'ema_12', 'ema_26', 'macd_line', 'macd_signal', 'rsi',
  'bollinger_upper', 'bollinger_middle', 'bollinger_lower', 'ema_20', 'ema_50', 'macd_hist',
] as const;

export function warmUpColumnar(ticks = 8000, batchTicks = 1000): void {
  const stream = new ClientStream('warm-up', newStreamCounters(), new IndicatorChecker(1e-9), new LatencyHistogram());
  const decoder = new ColumnarDecoder();
  const reference = new ReferenceIndicators();
  let points = 110000;
  let seq = 0;
  for (let batch = 1; seq < ticks; batch++) {
    const asDoubles = (batch & 1) === 0;
    const bidDelta: number[] = [];
    const bid: number[] = [];
    const ask: number[] = [];
    const absent: number[] = [];
    const columns: Record<string, number[]> = Object.fromEntries(INDICATOR_COLUMN_NAMES.map((n) => [n, []]));
    for (let i = 0; i < batchTicks; i++) {
      seq++;
      const step = ((seq * 7919) % 13) - 6;
      points += step;
      bidDelta.push(i === 0 ? points : step);
      bid.push(points / 100000);
      ask.push((points + 10) / 100000);
      reference.push((points / 100000 + (points + 10) / 100000) / 2);
      let mask = 0;
      for (let f = 0; f < INDICATOR_COLUMN_NAMES.length; f++) {
        const v = reference.values[INDICATOR_BY_FIELD[f]];
        if (Number.isNaN(v)) mask |= 1 << f;
        else columns[INDICATOR_COLUMN_NAMES[f]].push(v);
      }
      absent.push(mask);
    }
    const frame = Envelope.encode({
      protocol_version: 1,
      market_data_columns: {
        batch_sequence: batch, batch_time_msc: 1_700_000_000_000 + seq, source: 'MT5', tick_count: batchTicks,
        symbols: ['WARMUP'], price_scale: [100000],
        time_msc_delta: Array.from({ length: batchTicks }, (_, i) => (i === 0 ? 1_700_000_000_000 + seq : 1)),
        sequence_number_delta: Array.from({ length: batchTicks }, (_, i) => (i === 0 ? seq - batchTicks + 1 : 1)),
        ...(asDoubles ? { bid, ask } : { bid_points_delta: bidDelta, ask_minus_bid_points: new Array<number>(batchTicks).fill(10) }),
        flags: new Array<number>(batchTicks).fill(6), quality: new Array<number>(batchTicks).fill(100),
        received_at_q12_delta: Array.from({ length: batchTicks }, (_, i) => (i === 0 ? 4096 * 1_700_000_000_000 : 2048)),
        indicators_absent: absent, indicators: columns,
      },
    }).finish();
    decoder.decodeEnvelope(frame);
    stream.onColumns(decoder.batch, 0);
  }
}
