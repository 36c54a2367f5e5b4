/**
 * Symbol names to small integer ids, assigned once per process and never reused, and the lane
 * each symbol is sharded to (all ticks of a symbol go through one lane, so they stay in order).
 * Defining a symbol writes its validation limits and its name into the shared tables before any
 * tick of it can be published. A symbol an earlier run streamed (the spool's durable table) starts
 * from where that run left it: its per-symbol tick sequence, and its resume cursor (onDefine).
 */
import type { Config } from '../shared/config.js';
import { ClientMt5Error } from '../shared/errors.js';
import {
  MAX_SYMBOLS, SYM_DEFINED, SYM_FIELDS, SYM_FUTURE_TOLERANCE_MS, SYM_MAX_SPREAD_POINTS, SYM_POINT,
  SYM_SPIKE_FACTOR, SYM_SPIKE_MIN_POINTS, SYM_STALE_MS, SYM_TICK_SEQUENCE_BASE, writeSymbolName,
} from '../shared/lanes.js';
import type { EaSymbolSpec } from '../shared/protocol.js';
import type { SpoolCursor } from '../shared/spool-format.js';

export interface SymbolEntry {
  id: number;
  name: string;
  lane: number;
  spec: EaSymbolSpec;
}

export class SymbolRegistry {
  private readonly byName = new Map<string, SymbolEntry>();
  private readonly byId: SymbolEntry[] = [];
  /** Lane of each symbol id, -1 if undefined: read per frame on the socket thread. */
  readonly laneOf = new Int32Array(MAX_SYMBOLS).fill(-1);
  private readonly laneLoad: number[];
  /** Called once per new symbol, after its tables are written and before its id is handed out. */
  onDefine: ((entry: SymbolEntry, durable: SpoolCursor | undefined) => void) | null = null;

  constructor(
    private readonly config: Readonly<Config>,
    private readonly symbolTable: Float64Array,
    private readonly symbolNames: Uint8Array,
    /** What an earlier run holds durably, by symbol name (empty without a spool). */
    private readonly durable: ReadonlyMap<string, SpoolCursor> = new Map(),
  ) {
    this.laneLoad = new Array<number>(config.workers).fill(0);
  }

  get size(): number {
    return this.byId.length;
  }

  get(id: number): SymbolEntry | undefined {
    return this.byId[id];
  }

  all(): readonly SymbolEntry[] {
    return this.byId;
  }

  /** Returns the symbol's id, defining it on first sight. Specs of a known symbol may not change point. */
  define(spec: EaSymbolSpec): SymbolEntry {
    const known = this.byName.get(spec.name);
    if (known) {
      if (known.spec.point !== spec.point) {
        throw new ClientMt5Error('EA_BAD_HELLO', `symbol ${spec.name}: point changed from ${known.spec.point} to ${spec.point} within one bridge run`);
      }
      known.spec = spec;
      return known;
    }
    if (this.byId.length >= MAX_SYMBOLS) {
      throw new ClientMt5Error('EA_BAD_HELLO', `more than ${MAX_SYMBOLS} symbols; this bridge streams at most ${MAX_SYMBOLS}`);
    }
    if (!(spec.point > 0) || !Number.isFinite(spec.point)) {
      throw new ClientMt5Error('EA_BAD_HELLO', `symbol ${spec.name}: point must be a positive number, got ${spec.point}`);
    }
    const id = this.byId.length;
    // Least-loaded lane by symbol count; ties to the lowest lane.
    let lane = 0;
    for (let l = 1; l < this.laneLoad.length; l++) if (this.laneLoad[l] < this.laneLoad[lane]) lane = l;
    this.laneLoad[lane]++;
    const v = this.config.validation;
    const base = id * SYM_FIELDS;
    const t = this.symbolTable;
    t[base + SYM_POINT] = spec.point;
    t[base + SYM_MAX_SPREAD_POINTS] = this.config.symbols[spec.name]?.maxSpreadPoints ?? v.maxSpreadPoints;
    t[base + SYM_STALE_MS] = v.staleMs;
    t[base + SYM_FUTURE_TOLERANCE_MS] = v.futureToleranceMs;
    t[base + SYM_SPIKE_MIN_POINTS] = v.spikeMinPoints;
    t[base + SYM_SPIKE_FACTOR] = v.spikeFactor;
    const durable = this.durable.get(spec.name);
    t[base + SYM_TICK_SEQUENCE_BASE] = durable?.tickSequence ?? 0;
    t[base + SYM_DEFINED] = 1;
    writeSymbolName(this.symbolNames, id, spec.name);
    const entry: SymbolEntry = { id, name: spec.name, lane, spec };
    this.byId.push(entry);
    this.byName.set(spec.name, entry);
    this.laneOf[id] = lane;
    this.onDefine?.(entry, durable);
    return entry;
  }
}
