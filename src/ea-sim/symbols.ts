/**
 * The simulated broker's symbols: the ten majors first, then crosses built from the same
 * currencies, then synthetic names when more are asked for. Each profile carries what the EA
 * reports in `hello` (digits, point, volumes, levels, filling modes) and what the quote generator
 * needs (start price, typical spread, volatility, share of the tick flow).
 */
import { FILLING_FOK, FILLING_IOC, type EaSymbolSpec } from '../shared/protocol.js';

export interface SymbolProfile {
  readonly name: string;
  readonly digits: number;
  readonly point: number;
  /** Start bid, in points (an integer). */
  readonly startBidPoints: number;
  /** Spread range of good ticks, in points. */
  readonly minSpreadPoints: number;
  readonly maxSpreadPoints: number;
  /** Largest ordinary mid step, in points (jumps are separate). */
  readonly volatilityPoints: number;
  /** Relative share of the tick flow. */
  readonly weight: number;
}

/** Value of one unit of each currency in USD, roughly mid-2024. */
export const USD_VALUE: Readonly<Record<string, number>> = {
  EUR: 1.085, GBP: 1.27, USD: 1, JPY: 1 / 150, CHF: 1 / 0.88, AUD: 0.66, CAD: 1 / 1.36, NZD: 0.6,
};

interface Seed { name: string; minSpread: number; maxSpread: number; volatility: number; weight: number }

// Typical retail spreads in points (1 pip = 10 points on 5- and 3-digit quotes).
const MAJORS: readonly Seed[] = [
  { name: 'EURUSD', minSpread: 6, maxSpread: 15, volatility: 3, weight: 20 },
  { name: 'GBPUSD', minSpread: 8, maxSpread: 20, volatility: 4, weight: 14 },
  { name: 'USDJPY', minSpread: 8, maxSpread: 20, volatility: 4, weight: 14 },
  { name: 'USDCHF', minSpread: 10, maxSpread: 24, volatility: 3, weight: 8 },
  { name: 'AUDUSD', minSpread: 8, maxSpread: 20, volatility: 3, weight: 10 },
  { name: 'USDCAD', minSpread: 10, maxSpread: 24, volatility: 3, weight: 8 },
  { name: 'NZDUSD', minSpread: 12, maxSpread: 28, volatility: 3, weight: 6 },
  { name: 'EURGBP', minSpread: 10, maxSpread: 24, volatility: 2, weight: 6 },
  { name: 'EURJPY', minSpread: 12, maxSpread: 30, volatility: 5, weight: 8 },
  { name: 'GBPJPY', minSpread: 18, maxSpread: 40, volatility: 6, weight: 6 },
];

const CROSSES = [
  'EURCHF', 'EURAUD', 'EURCAD', 'EURNZD', 'GBPCHF', 'GBPAUD', 'GBPCAD', 'GBPNZD', 'AUDJPY', 'CADJPY',
  'CHFJPY', 'NZDJPY', 'AUDCAD', 'AUDCHF', 'AUDNZD', 'CADCHF', 'NZDCAD', 'NZDCHF',
];

/** Largest symbol count the simulator builds (symbol ids are u16 on the wire). */
export const MAX_SIM_SYMBOLS = 1000;

/** `count` symbol profiles: the ten majors, then crosses, then SIM0029, SIM0030, ... */
export function buildSymbolProfiles(count: number): SymbolProfile[] {
  const out: SymbolProfile[] = [];
  for (let i = 0; i < count; i++) {
    if (i < MAJORS.length) out.push(profile(MAJORS[i]));
    else if (i < MAJORS.length + CROSSES.length) {
      out.push(profile({ name: CROSSES[i - MAJORS.length], minSpread: 15, maxSpread: 40, volatility: 4, weight: 3 }));
    } else {
      out.push(synthetic(i));
    }
  }
  return out;
}

function profile(seed: Seed): SymbolProfile {
  const base = seed.name.slice(0, 3);
  const quote = seed.name.slice(3, 6);
  const digits = quote === 'JPY' ? 3 : 5;
  const price = USD_VALUE[base] / USD_VALUE[quote];
  return {
    name: seed.name,
    digits,
    point: 1 / 10 ** digits,
    startBidPoints: Math.round(price * 10 ** digits),
    minSpreadPoints: seed.minSpread,
    maxSpreadPoints: seed.maxSpread,
    volatilityPoints: seed.volatility,
    weight: seed.weight,
  };
}

function synthetic(index: number): SymbolProfile {
  return {
    name: `SIM${String(index + 1).padStart(4, '0')}`,
    digits: 5,
    point: 1e-5,
    // Spread the synthetic prices over 0.5 .. 2.0 so that they do not all look alike.
    startBidPoints: 50000 + ((index * 7919) % 150000),
    minSpreadPoints: 10,
    maxSpreadPoints: 30,
    volatilityPoints: 3,
    weight: 2,
  };
}

/** What `hello` says about a symbol (SymbolInfo* values of a typical retail FX account). */
export function symbolSpec(p: SymbolProfile): EaSymbolSpec {
  return {
    name: p.name,
    digits: p.digits,
    point: p.point,
    contract_size: 100000,
    volume_min: 0.01,
    volume_step: 0.01,
    volume_max: 100,
    stops_level: p.digits === 3 ? 10 : 0,
    freeze_level: 0,
    filling_modes: FILLING_FOK | FILLING_IOC,
    tick_size: p.point,
    trade_mode: 4, // SYMBOL_TRADE_MODE_FULL
    execution_mode: 2, // SYMBOL_TRADE_EXECUTION_MARKET
    order_modes: 127, // market, limit, stop, stop limit, SL, TP, close by
    expiration_modes: 7, // GTC, day, specified
  };
}
