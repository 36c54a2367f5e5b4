/**
 * The paper broker's arithmetic: margin and profit of FX positions in the account currency (USD),
 * as MT5 computes them for SYMBOL_CALC_MODE_FOREX:
 *
 *   margin  = lots × contract_size / leverage            in the base currency, then × base→USD
 *   profit  = (close − open) × lots × contract_size       in the quote currency (sign by side), then × quote→USD
 *
 * Hedging accounts charge the overlapping part of a symbol's buys and sells at the hedged margin
 * (SYMBOL_MARGIN_HEDGED = half a contract per leg, the common retail setting: Buy 1 + Sell 1 cost
 * the margin of 1 lot). Conversions use the simulator's own current quotes (EURUSD for EUR, USDJPY
 * for JPY, ...) and fall back to fixed rates for currencies it does not stream. A name that is not
 * two known currencies (the synthetic SIMnnnn symbols) is a CFD quoted in USD: margin on the price.
 */
import { USD_VALUE } from './symbols.js';

/** The current quote of a symbol by name, or undefined when the simulator does not stream it. */
export interface QuoteSource {
  quote(symbol: string): { bid: number; ask: number } | undefined;
}

export const ACCOUNT_CURRENCY = 'USD';
/** Margin of a hedged (overlapping) lot relative to a plain one, per leg. */
export const HEDGED_MARGIN_FACTOR = 0.5;

interface Currencies {
  /** null: not a currency pair; margin is then on the price, in the quote currency. */
  base: string | null;
  quote: string;
}

export function currenciesOf(symbol: string): Currencies {
  const base = symbol.slice(0, 3);
  const quote = symbol.slice(3, 6);
  if (symbol.length === 6 && base in USD_VALUE && quote in USD_VALUE) return { base, quote };
  return { base: null, quote: ACCOUNT_CURRENCY };
}

/** USD per unit of `currency`, from the simulator's own quotes where it streams a USD pair. */
export function usdPerUnit(currency: string, quotes: QuoteSource): number {
  if (currency === ACCOUNT_CURRENCY) return 1;
  const direct = quotes.quote(`${currency}USD`);
  if (direct) return (direct.bid + direct.ask) / 2;
  const inverse = quotes.quote(`USD${currency}`);
  if (inverse) return 2 / (inverse.bid + inverse.ask);
  return USD_VALUE[currency] ?? 1;
}

/** Margin in USD of `lots` of `symbol` opened at `price`. */
export function marginUsd(symbol: string, lots: number, price: number, contractSize: number, leverage: number, quotes: QuoteSource): number {
  const { base, quote } = currenciesOf(symbol);
  const units = lots * contractSize;
  if (base === null) return (units * price / leverage) * usdPerUnit(quote, quotes);
  return (units / leverage) * usdPerUnit(base, quotes);
}

/** Profit in USD of `lots` bought (`dir` 1) or sold (`dir` −1) at `open` and closed at `close`. */
export function profitUsd(symbol: string, dir: 1 | -1, lots: number, open: number, close: number, contractSize: number, quotes: QuoteSource): number {
  const { quote } = currenciesOf(symbol);
  return dir * (close - open) * lots * contractSize * usdPerUnit(quote, quotes);
}

/** Money as the account shows it: cents. */
export function cents(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Volume arithmetic in whole steps, so that 0.1 + 0.2 lots is 0.3 lots. */
export function lotsRound(x: number): number {
  return Math.round(x * 1e8) / 1e8;
}

/**
 * Margin of one symbol's positions on a hedging account: the net volume at the full rate, the
 * overlapping volume at HEDGED_MARGIN_FACTOR per leg. `perLot` is the margin of one lot.
 */
export function hedgedMargin(buyLots: number, sellLots: number, perLot: number): number {
  const overlap = Math.min(buyLots, sellLots);
  return (Math.abs(buyLots - sellLots) + 2 * overlap * HEDGED_MARGIN_FACTOR) * perLot;
}
