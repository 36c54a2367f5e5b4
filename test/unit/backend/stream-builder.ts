/**
 * Builds the frames a client sends: seeded quote streams per symbol, with per-tick indicators
 * computed the TA-Lib way (the reference implementation stands in for the WASM engine here).
 */
import { INDICATOR_WIRE_FIELDS } from '../../../src/backend/indicator-check.js';
import { ReferenceIndicators } from '../../../src/backend/reference-indicators.js';
import { Envelope } from '../../../src/backend/wire.js';
import type { clientmt5 } from '../../../src/gen/clientmt5.js';

export type TickProps = clientmt5.v1.TickData.$Properties;

/** Deterministic random numbers (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface SymbolState {
  name: string;
  bid: number;
  seq: number;
  indicators: ReferenceIndicators;
}

export class TickSource {
  private readonly symbols: SymbolState[];
  private readonly random: () => number;
  private timeMsc = 1767225600000;
  private turn = 0;

  constructor(names: string[], seed = 1) {
    this.random = rng(seed);
    this.symbols = names.map((name, i) => ({ name, bid: 1.08 + i * 0.1, seq: 0, indicators: new ReferenceIndicators() }));
  }

  /** The next `count` ticks, round-robin over the symbols, with correct indicators. */
  next(count: number): TickProps[] {
    const ticks: TickProps[] = [];
    for (let i = 0; i < count; i++) {
      const s = this.symbols[this.turn++ % this.symbols.length];
      s.bid = Math.round((s.bid + (this.random() - 0.5) * 0.0004) * 1e5) / 1e5;
      const ask = Math.round((s.bid + 0.00012) * 1e5) / 1e5;
      this.timeMsc += 1 + Math.floor(this.random() * 50);
      s.seq++;
      s.indicators.push((s.bid + ask) / 2);
      const indicators: Record<string, number> = {};
      for (let k = 0; k < INDICATOR_WIRE_FIELDS.length; k++) {
        const v = s.indicators.values[k];
        if (!Number.isNaN(v)) indicators[INDICATOR_WIRE_FIELDS[k]] = v;
      }
      ticks.push({
        symbol: s.name, bid: s.bid, ask, time: Math.floor(this.timeMsc / 1000), time_msc: this.timeMsc,
        sequence_number: s.seq, spread: ask - s.bid, indicators, source: 'MT5',
        received_at_ms: performance.timeOrigin + performance.now(), quality: 100,
      });
    }
    return ticks;
  }
}

export function encodeBatch(batchSequence: number, ticks: TickProps[]): Uint8Array {
  return Envelope.encode({
    protocol_version: 1,
    market_data: { ticks, source: 'MT5', batch_sequence: batchSequence, batch_time_msc: Date.now() },
  }).finish();
}

export function encodeHeartbeat(lastBatchSequence = 0): Uint8Array {
  return Envelope.encode({ protocol_version: 1, heartbeat: { time_msc: Date.now(), last_batch_sequence: lastBatchSequence } }).finish();
}
