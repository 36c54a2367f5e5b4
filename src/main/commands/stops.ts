/**
 * Price levels against a symbol's specs: rounding to the tick size and digits, and the stops rules
 * MT5 applies (SL and TP on the correct side, at least SYMBOL_TRADE_STOPS_LEVEL points away; a
 * pending order's price on its correct side of the market, as far).
 */
import type { EaSymbolSpec, OrderTypeName } from '../../shared/protocol.js';

/** Rounds to the nearest multiple of the tick size (the point without one), then to `digits`. */
export function roundPrice(price: number, spec: EaSymbolSpec, signed = false): number {
  if (!signed && price <= 0) return 0;
  const tick = spec.tick_size !== undefined && spec.tick_size > 0 ? spec.tick_size : spec.point;
  const rounded = Math.round(price / tick) * tick;
  return Number(rounded.toFixed(Math.max(0, Math.min(15, spec.digits))));
}

export interface StopsQuery {
  side: 'buy' | 'sell';
  /** The order type (or the side, for a position). */
  orderType: OrderTypeName;
  /** The order price (pending orders, modify of one); 0 for a market order or a position. */
  price: number;
  sl: number;
  tp: number;
  /** `price` is a pending order's price to check against the market too. */
  pendingPrice: boolean;
  /** A position's new levels: judged against the price it would close at (bid for a buy, ask for a sell). */
  modify?: boolean;
}

/**
 * What breaks the stops rules, '' when nothing does, or 'no-price' when a market order (or a
 * position) has levels and there is no quote to judge them by. Levels of 0 are not set.
 */
export function checkStops(spec: EaSymbolSpec, quote: { bid: number; ask: number } | null, q: StopsQuery): string {
  const point = spec.point;
  const level = Math.max(0, spec.stops_level) * point;
  // At least the stops level away and strictly on the side, within half a point of rounding.
  const far = (distance: number) => distance >= level - point / 2 && distance > point / 2;
  const what = `${q.sl > 0 ? ` SL ${q.sl}` : ''}${q.tp > 0 ? ` TP ${q.tp}` : ''}`;
  const atLeast = spec.stops_level > 0 ? ` at least ${spec.stops_level} points` : '';
  if (q.price > 0 && !q.modify) {
    const p = q.price;
    if (q.side === 'buy' ? (q.sl > 0 && !far(p - q.sl)) || (q.tp > 0 && !far(q.tp - p)) : (q.sl > 0 && !far(q.sl - p)) || (q.tp > 0 && !far(p - q.tp))) {
      return `${q.side} at ${p}:${what} must be${atLeast} ${q.side === 'buy' ? 'below / above' : 'above / below'} the price (SL / TP)`;
    }
    if (q.pendingPrice && quote !== null) {
      const wrong = q.orderType === 'buy_limit' ? !far(quote.ask - p)
        : q.orderType === 'sell_limit' ? !far(p - quote.bid)
          : q.orderType === 'buy_stop' ? !far(p - quote.ask)
            : q.orderType === 'sell_stop' ? !far(quote.bid - p) : false;
      if (wrong) return `${q.orderType} at ${p} must be${atLeast} ${q.orderType.endsWith('limit') === (q.side === 'buy') ? 'below' : 'above'} the market (bid ${quote.bid}, ask ${quote.ask})`;
    }
    return '';
  }
  if (q.sl === 0 && q.tp === 0) return '';
  if (quote === null) return 'no-price';
  const { bid, ask } = quote;
  // Opening: SL against the price the position would close at, TP beyond the price it opens at
  // (the stricter of MT5's rule and the EA's). A position's levels: against its close price.
  const slRef = q.side === 'buy' ? bid : ask;
  const tpRef = q.modify ? slRef : q.side === 'buy' ? ask : bid;
  const bad = q.side === 'buy'
    ? (q.sl > 0 && !far(slRef - q.sl)) || (q.tp > 0 && !far(q.tp - tpRef))
    : (q.sl > 0 && !far(q.sl - slRef)) || (q.tp > 0 && !far(tpRef - q.tp));
  if (bad) return `${q.side} with bid ${bid}, ask ${ask}:${what} must be${atLeast} ${q.side === 'buy' ? 'below / above' : 'above / below'} the market (SL / TP)`;
  return '';
}
