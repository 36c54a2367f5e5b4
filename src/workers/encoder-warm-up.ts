/**
 * Warm-up for the batch encoders: full batches of made-up ticks through a ring of their own, so
 * that an encoder is compiled before real ticks wait on it (cold code made the first batches of a
 * run take tens of milliseconds). Prices are exact points on even rounds; odd rounds add 1e-9 to
 * the bid, so that a columnar encoder runs both its points and its doubles path. Indicators are
 * absent for the first 50 ticks of a batch, then present.
 */
import { MAX_SYMBOLS } from '../shared/lanes.js';
import {
  INDICATOR_COUNT, OUT_F64_ASK, OUT_F64_BID, OUT_F64_IND0, OUT_F64_LAST, OUT_F64_RECV_MS, OUT_F64_SEQ,
  OUT_F64_TIME_MSC, OUT_F64_VOLUME, OUT_F64_VOLUME_REAL, OUT_I32_FLAGS, OUT_I32_QUALITY, OUT_I32_SYMBOL,
  OUTPUT_RING_LAYOUT,
} from '../shared/ring-layout.js';
import { SpscRing } from '../shared/ring.js';

/** Symbol id of the made-up symbol (real ids are 0..MAX_SYMBOLS-1); its point is 0.00001. */
export const WARM_UP_ID = MAX_SYMBOLS;
export const WARM_UP_NAME = new TextEncoder().encode('WARMUP');
export const WARM_UP_PRICE_SCALE = 100000;

/** What warmUpEncoder drives: the part of an encoder that batches go through. */
export interface WarmableEncoder {
  readonly capacity: number;
  takeFrom(ring: SpscRing, max: number): number;
  seal(sequence: number): Uint8Array;
}

/** Encodes `rounds` full batches of made-up ticks and discards them; leaves the batch empty. */
export function warmUpEncoder(encoder: WarmableEncoder, rounds: number): void {
  let capacity = 2;
  while (capacity < encoder.capacity) capacity *= 2;
  const ring = SpscRing.create(capacity, OUTPUT_RING_LAYOUT);
  for (let r = 0; r < rounds; r++) {
    const odd = (r & 1) === 1;
    for (let i = 0; i < encoder.capacity; i++) {
      const slot = (ring.cursor + i) & ring.mask;
      ring.i32[OUT_I32_SYMBOL][slot] = WARM_UP_ID;
      ring.i32[OUT_I32_FLAGS][slot] = 6;
      ring.i32[OUT_I32_QUALITY][slot] = 100;
      ring.f64[OUT_F64_TIME_MSC][slot] = 1_700_000_000_000 + i;
      ring.f64[OUT_F64_BID][slot] = (100000 + (i % 17)) / 100000 + (odd ? 1e-9 : 0);
      ring.f64[OUT_F64_ASK][slot] = (100012 + (i % 13)) / 100000;
      ring.f64[OUT_F64_LAST][slot] = 0;
      ring.f64[OUT_F64_VOLUME][slot] = i & 3;
      ring.f64[OUT_F64_VOLUME_REAL][slot] = 0;
      ring.f64[OUT_F64_RECV_MS][slot] = 1_700_000_000_000.5 + i;
      ring.f64[OUT_F64_SEQ][slot] = i + 1;
      for (let k = 0; k < INDICATOR_COUNT; k++) ring.f64[OUT_F64_IND0 + k][slot] = i < 50 ? Number.NaN : 1 + i * 1e-7;
    }
    ring.publish(encoder.capacity);
    encoder.takeFrom(ring, encoder.capacity);
    encoder.seal(0);
  }
}
