/**
 * MT5's rules for a trade request's volume and price levels, shared by the simulated EA (which
 * checks before it sends, docs/protocol.md "How the EA prepares a request") and its paper trade
 * server (which checks again against the price it fills at).
 *
 *   stops      buy:  SL < open < TP, and SL, TP at least stops_level points from the bid (where it closes)
 *              sell: TP < open < SL, and SL, TP at least stops_level points from the ask
 *   pending    buy_limit ≤ ask − L, sell_limit ≥ bid + L, buy_stop ≥ ask + L, sell_stop ≤ bid − L
 *              (L = stops_level points, at least one point: the price must be on its side)
 *   volume     a multiple of volume_step within [volume_min, volume_max]
 */
import type { EaSymbolSpec, OrderTypeName } from '../shared/protocol.js';

/** The side of an order type: buy, buy_limit, buy_stop are buys. */
export function sideOf(type: OrderTypeName): 'buy' | 'sell' {
  return type.startsWith('buy') ? 'buy' : 'sell';
}

export function isPending(type: OrderTypeName | ''): boolean {
  return type.includes('_');
}

/** Rounds to the nearest multiple of tick_size, then to `digits` (NormalizeDouble). */
export function normalisePrice(price: number, spec: EaSymbolSpec): number {
  if (price === 0) return 0;
  const tick = spec.tick_size !== undefined && spec.tick_size > 0 ? spec.tick_size : spec.point;
  const scale = 10 ** spec.digits;
  return Math.round(Math.round(price / tick) * tick * scale) / scale;
}

/** Rounds down to a multiple of volume_step (with a little slack for binary fractions). */
export function normaliseVolume(volume: number, spec: EaSymbolSpec): number {
  const steps = Math.floor(volume / spec.volume_step + 1e-7);
  return Math.round(steps * spec.volume_step * 1e8) / 1e8;
}

/** Why a volume is not acceptable, or '' when it is. */
export function volumeProblem(volume: number, spec: EaSymbolSpec): string {
  if (!(volume > 0)) return `volume ${volume} is not positive`;
  if (volume < spec.volume_min - 1e-9) return `volume ${volume} below SYMBOL_VOLUME_MIN ${spec.volume_min}`;
  if (volume > spec.volume_max + 1e-9) return `volume ${volume} above SYMBOL_VOLUME_MAX ${spec.volume_max}`;
  const steps = volume / spec.volume_step;
  if (Math.abs(steps - Math.round(steps)) > 1e-6) return `volume ${volume} is not a multiple of SYMBOL_VOLUME_STEP ${spec.volume_step}`;
  return '';
}

/**
 * Why SL/TP of a `side` position opening at `open` and closing at `close` are not acceptable, or
 * '' when they are. 0 means no level.
 */
export function stopsProblem(side: 'buy' | 'sell', open: number, close: number, sl: number, tp: number, spec: EaSymbolSpec): string {
  const minDist = Math.max(spec.stops_level, 0) * spec.point;
  const eps = spec.point / 1000;
  const dir = side === 'buy' ? 1 : -1;
  if (sl !== 0) {
    if (dir * (open - sl) <= eps) return `SL ${sl} is not on the loss side of ${open} for a ${side}`;
    if (dir * (close - sl) < minDist - eps || dir * (close - sl) <= eps) {
      return `SL ${sl} is nearer than stops_level ${spec.stops_level} points to ${close}`;
    }
  }
  if (tp !== 0) {
    if (dir * (tp - open) <= eps) return `TP ${tp} is not on the profit side of ${open} for a ${side}`;
    if (dir * (tp - close) < minDist - eps || dir * (tp - close) <= eps) {
      return `TP ${tp} is nearer than stops_level ${spec.stops_level} points to ${close}`;
    }
  }
  return '';
}

/** Why a pending order's price is not acceptable against the market now, or ''. */
export function pendingPriceProblem(type: OrderTypeName, price: number, bid: number, ask: number, spec: EaSymbolSpec): string {
  const minDist = Math.max(spec.stops_level, 1) * spec.point - spec.point / 1000;
  let ok: boolean;
  switch (type) {
    case 'buy_limit': ok = ask - price >= minDist; break;
    case 'sell_limit': ok = price - bid >= minDist; break;
    case 'buy_stop': ok = price - ask >= minDist; break;
    case 'sell_stop': ok = bid - price >= minDist; break;
    default: return `${type} is not a pending order type`;
  }
  return ok ? '' : `${type} price ${price} is not at least ${Math.max(spec.stops_level, 1)} points on its side of the market (bid ${bid}, ask ${ask})`;
}

/** Whether a pending order triggers at this quote. */
export function pendingTriggers(type: OrderTypeName, price: number, bid: number, ask: number): boolean {
  switch (type) {
    case 'buy_limit': return ask <= price;
    case 'sell_limit': return bid >= price;
    case 'buy_stop': return ask >= price;
    case 'sell_stop': return bid <= price;
    default: return false;
  }
}

/** MqlTradeResult.comment of the codes the paper trade server gives. */
export const RETCODE_TEXT: Record<number, string> = {
  10004: 'Requote', 10006: 'Request rejected', 10008: 'Order placed', 10009: 'Request executed',
  10010: 'Only part of the request was completed', 10013: 'Invalid request', 10014: 'Invalid volume in the request',
  10015: 'Invalid price in the request', 10016: 'Invalid stops in the request', 10017: 'Trade is disabled',
  10018: 'Market is closed', 10019: 'There is not enough money to complete the request', 10020: 'Prices changed',
  10022: 'Invalid order expiration date in the request', 10025: 'No changes in request',
  10030: 'Invalid order filling type', 10035: 'Incorrect or prohibited order type', 10036: 'Position with the specified POSITION_IDENTIFIER has already been closed',
  10038: 'A close volume exceeds the current position volume', 10042: 'Only long positions are allowed',
  10043: 'Only short positions are allowed', 10044: 'Only position closing is allowed',
};
