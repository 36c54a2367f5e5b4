/**
 * The paper broker's books: open positions, pending orders, the deal history and the balance, and
 * how a deal changes them under the account's position accounting (ACCOUNT_MARGIN_MODE):
 *
 *   hedging (2)   every opening deal is a new position (ticket = the order's); a deal that names a
 *                 position closes (part of) that one: entry `out`
 *   netting (0)   one position per symbol: a deal the same way adds to it (volume-weighted price,
 *                 entry `in`), the other way reduces or closes it (`out`) or reverses it (`inout`)
 *
 * Positions and orders are kept in the shape the EA reports them (EaPosition, EaPendingOrder), so
 * a `positions` message is a copy of the books; `price_current` and `profit` are filled in when a
 * snapshot is taken. `version` moves on every change (the EA reports positions when it moved).
 */
import type { AccountMessage, EaDeal, EaPendingOrder, EaPosition } from '../shared/protocol.js';
import { cents, hedgedMargin, lotsRound, marginUsd, profitUsd, type QuoteSource } from './paper-money.js';

export const MARGIN_MODE_NETTING = 0;
export const MARGIN_MODE_EXCHANGE = 1;
export const MARGIN_MODE_HEDGING = 2;

/** Deals kept for `sync` (HistorySelect); the oldest go first beyond this. */
export const DEAL_HISTORY_LIMIT = 100_000;

/** The figures of the EA's `account` message the book computes. */
export type AccountNumbers = Pick<AccountMessage, 'balance' | 'equity' | 'profit' | 'margin' | 'margin_free' | 'margin_level'>;

/** One execution against the books. */
export interface Fill {
  symbol: string;
  side: 'buy' | 'sell';
  volume: number;
  price: number;
  /** Server clock. */
  timeMsc: number;
  /** The order this deal executes (its ticket). */
  order: string;
  /** Hedging: the position this deal closes ('' opens a new one). Netting: ignored. */
  position: string;
  sl: number;
  tp: number;
  magic: number;
  comment: string;
  /** DEAL_REASON: expert, sl, tp, so. */
  reason: string;
}

export class PaperBook {
  balance: number;
  version = 0;
  readonly positions = new Map<string, EaPosition>();
  readonly orders = new Map<string, EaPendingOrder>();
  readonly deals: EaDeal[] = [];
  private nextTicket: number;
  private nextDealTicket: number;

  constructor(
    readonly marginMode: number,
    balance: number,
    readonly leverage: number,
    private readonly contractSize: (symbol: string) => number,
    private readonly quotes: QuoteSource,
    firstTicket = 5_012_345_000_001,
  ) {
    this.balance = balance;
    this.nextTicket = firstTicket;
    this.nextDealTicket = firstTicket - 1_000_000_000_000;
  }

  get hedging(): boolean {
    return this.marginMode === MARGIN_MODE_HEDGING;
  }

  /** A new order (and position) ticket, as MT5 numbers them: one counter, decimal strings. */
  newTicket(): string {
    return String(this.nextTicket++);
  }

  /** The position a netting account holds in `symbol`, if any. */
  netPosition(symbol: string): EaPosition | undefined {
    for (const p of this.positions.values()) if (p.symbol === symbol) return p;
    return undefined;
  }

  /** Applies one deal to the positions and balance; returns the deal as history records it. */
  apply(fill: Fill): EaDeal {
    const target = this.hedging
      ? (fill.position === '' ? undefined : this.positions.get(fill.position))
      : this.netPosition(fill.symbol);
    let entry: EaDeal['entry'] = 'in';
    let profit = 0;
    let positionId = fill.order;
    if (target === undefined || target.type === fill.side) {
      if (target === undefined) {
        this.positions.set(fill.order, {
          ticket: fill.order, identifier: fill.order, symbol: fill.symbol, type: fill.side, volume: fill.volume,
          price_open: fill.price, price_current: fill.price, sl: fill.sl, tp: fill.tp, profit: 0, swap: 0,
          time_msc: fill.timeMsc, magic: fill.magic, comment: fill.comment,
        });
      } else {
        const volume = lotsRound(target.volume + fill.volume);
        target.price_open = (target.price_open * target.volume + fill.price * fill.volume) / volume;
        target.volume = volume;
        if (fill.sl !== 0) target.sl = fill.sl;
        if (fill.tp !== 0) target.tp = fill.tp;
        positionId = target.ticket;
      }
    } else {
      positionId = target.ticket;
      const closing = Math.min(fill.volume, target.volume);
      const dir = target.type === 'buy' ? 1 : -1;
      profit = cents(profitUsd(target.symbol, dir, closing, target.price_open, fill.price, this.contractSize(target.symbol), this.quotes));
      this.balance = cents(this.balance + profit);
      const left = lotsRound(target.volume - fill.volume);
      entry = 'out';
      if (left > 0) {
        target.volume = left;
      } else if (left === 0) {
        this.positions.delete(target.ticket);
      } else {
        // Netting reversal: the position turns round with the rest of the deal's volume.
        entry = 'inout';
        Object.assign(target, {
          type: fill.side, volume: -left, price_open: fill.price, sl: fill.sl, tp: fill.tp, time_msc: fill.timeMsc,
        });
      }
    }
    const deal: EaDeal = {
      ticket: String(this.nextDealTicket++), order: fill.order, position: positionId, symbol: fill.symbol,
      type: fill.side, entry, volume: fill.volume, price: fill.price, profit, swap: 0, commission: 0,
      time_msc: fill.timeMsc, magic: fill.magic, comment: fill.comment, reason: fill.reason,
    };
    this.deals.push(deal);
    if (this.deals.length > DEAL_HISTORY_LIMIT) this.deals.splice(0, this.deals.length - DEAL_HISTORY_LIMIT);
    this.version++;
    return deal;
  }

  addOrder(order: EaPendingOrder): void {
    this.orders.set(order.ticket, order);
    this.version++;
  }

  removeOrder(ticket: string): EaPendingOrder | undefined {
    const order = this.orders.get(ticket);
    if (order !== undefined) {
      this.orders.delete(ticket);
      this.version++;
    }
    return order;
  }

  /** Call after changing a position's or order's levels in place. */
  touched(): void {
    this.version++;
  }

  /** Floating profit of a position at the current quote (closing side: bid for a buy, ask for a sell). */
  floating(p: EaPosition): { priceCurrent: number; profit: number } {
    const q = this.quotes.quote(p.symbol);
    if (q === undefined) return { priceCurrent: p.price_current, profit: p.profit };
    const priceCurrent = p.type === 'buy' ? q.bid : q.ask;
    const profit = cents(profitUsd(p.symbol, p.type === 'buy' ? 1 : -1, p.volume, p.price_open, priceCurrent, this.contractSize(p.symbol), this.quotes));
    return { priceCurrent, profit };
  }

  /** Positions as the EA reports them now (current prices and floating profit). */
  positionsNow(): EaPosition[] {
    const out: EaPosition[] = [];
    for (const p of this.positions.values()) {
      const { priceCurrent, profit } = this.floating(p);
      p.price_current = priceCurrent;
      p.profit = profit;
      out.push({ ...p });
    }
    return out;
  }

  ordersNow(): EaPendingOrder[] {
    return [...this.orders.values()].map((o) => ({ ...o }));
  }

  /** Deals with time_msc in [fromMsc, toMsc] (server clock), oldest first. */
  dealsBetween(fromMsc: number, toMsc: number): EaDeal[] {
    return this.deals.filter((d) => d.time_msc >= fromMsc && d.time_msc <= toMsc).map((d) => ({ ...d }));
  }

  /** Whether the account keeps free margin ≥ 0 after adding this exposure. */
  affordable(symbol: string, side: 'buy' | 'sell', volume: number, price: number): boolean {
    const before = this.marginTotal();
    const after = this.marginTotal({ symbol, side, volume, price });
    return after <= before || this.account().equity - after >= 0;
  }

  /** ACCOUNT_MARGIN, optionally with one more position. */
  marginTotal(extra?: { symbol: string; side: 'buy' | 'sell'; volume: number; price: number }): number {
    const legs = new Map<string, { buy: number; sell: number; price: number }>();
    const add = (symbol: string, side: 'buy' | 'sell', volume: number, price: number): void => {
      const leg = legs.get(symbol) ?? { buy: 0, sell: 0, price };
      leg[side] += volume;
      legs.set(symbol, leg);
    };
    for (const p of this.positions.values()) add(p.symbol, p.type, p.volume, p.price_open);
    if (extra) add(extra.symbol, extra.side, extra.volume, extra.price);
    let total = 0;
    for (const [symbol, leg] of legs) {
      const perLot = marginUsd(symbol, 1, leg.price, this.contractSize(symbol), this.leverage, this.quotes);
      total += this.hedging ? hedgedMargin(leg.buy, leg.sell, perLot) : Math.abs(leg.buy - leg.sell) * perLot;
    }
    return cents(total);
  }

  /** Balance, equity, floating profit, margin, free margin and margin level now. */
  account(): AccountNumbers {
    let profit = 0;
    for (const p of this.positions.values()) profit += this.floating(p).profit;
    profit = cents(profit);
    const equity = cents(this.balance + profit);
    const margin = this.marginTotal();
    return {
      balance: this.balance, equity, profit, margin, margin_free: cents(equity - margin),
      margin_level: margin > 0 ? Math.round((equity / margin) * 10000) / 100 : 0,
    };
  }
}
