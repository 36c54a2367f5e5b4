/**
 * What the paper trade server does on its own, tick by tick: pending orders that the price reaches
 * become deals, positions whose SL or TP the price reaches are closed, pending orders past their
 * expiration are removed, and a margin level below the stop-out level closes the worst position.
 *
 *   order       triggers when                  fills at
 *   buy_limit   ask ≤ price                    the order price
 *   sell_limit  bid ≥ price                    the order price
 *   buy_stop    ask ≥ price                    the ask (a market order from then on)
 *   sell_stop   bid ≤ price                    the bid
 *   buy  pos.   bid ≤ SL (reason sl), bid ≥ TP (tp)   the bid
 *   sell pos.   ask ≥ SL (sl), ask ≤ TP (tp)          the ask
 *
 * A triggered order the account cannot afford any more is cancelled, as MT5 does. Every deal made
 * here goes to `onDeal`: the EA reports it unasked (`deals` with sync_id "").
 *
 * The terminal calls onQuote for every good tick; a symbol with nothing to watch costs one array
 * read (the watch list is rebuilt only when the books changed).
 */
import type { EaDeal, OrderTypeName } from '../shared/protocol.js';
import type { PaperBroker } from './paper-broker.js';
import { pendingTriggers, sideOf } from './trade-rules.js';

/** ACCOUNT_MARGIN_SO_SO: the margin level (percent) at which positions are closed. */
export const STOP_OUT_LEVEL = 50;

export class PaperTriggers {
  /** Pending orders cancelled at trigger time for want of margin. */
  cancelledNoMoney = 0;
  ordersExpired = 0;
  private readonly index = new Map<string, number>();
  private readonly watched: Uint8Array;
  private watchVersion = -1;

  constructor(
    private readonly broker: PaperBroker,
    private readonly names: readonly string[],
    private readonly onDeal: (deal: EaDeal) => void,
  ) {
    names.forEach((name, i) => this.index.set(name, i));
    this.watched = new Uint8Array(names.length);
  }

  /** A good tick of symbol index `s` at server time `timeMsc`. */
  onQuote(s: number, timeMsc: number, bid: number, ask: number): void {
    const book = this.broker.book;
    if (this.watchVersion !== book.version) this.rebuild();
    if (this.watched[s] === 0) return;
    const symbol = this.names[s];
    for (const o of [...book.orders.values()]) {
      if (o.symbol !== symbol || !pendingTriggers(o.type as OrderTypeName, o.price, bid, ask)) continue;
      const type = o.type as OrderTypeName;
      const side = sideOf(type);
      const price = type.endsWith('_limit') ? o.price : side === 'buy' ? ask : bid;
      book.removeOrder(o.ticket);
      if (!book.affordable(symbol, side, o.volume, price)) {
        this.cancelledNoMoney++;
        continue;
      }
      const fill = this.broker.fill({ ...o, position: '' }, side, o.volume, price, timeMsc, o.ticket, 'expert');
      this.onDeal(book.apply(fill));
    }
    for (const p of [...book.positions.values()]) {
      if (p.symbol !== symbol || (p.sl === 0 && p.tp === 0)) continue;
      const close = p.type === 'buy' ? bid : ask;
      const dir = p.type === 'buy' ? 1 : -1;
      const reason = p.sl !== 0 && dir * (close - p.sl) <= 0 ? 'sl' : p.tp !== 0 && dir * (close - p.tp) >= 0 ? 'tp' : '';
      if (reason === '') continue;
      this.closePosition(p.ticket, close, timeMsc, reason);
    }
  }

  /** Removes pending orders whose expiration (server clock) has come; returns how many. */
  expire(nowMsc: number): number {
    let n = 0;
    for (const o of [...this.broker.book.orders.values()]) {
      if (o.expiration_msc !== 0 && o.expiration_msc <= nowMsc) {
        this.broker.book.removeOrder(o.ticket);
        n++;
      }
    }
    this.ordersExpired += n;
    return n;
  }

  /** Closes the most losing position while the margin level is below STOP_OUT_LEVEL. */
  stopOut(nowMsc: number): number {
    let closed = 0;
    for (let guard = this.broker.book.positions.size; guard > 0; guard--) {
      const a = this.broker.book.account();
      if (a.margin === 0 || a.margin_level >= STOP_OUT_LEVEL) break;
      let worst: { ticket: string; profit: number; price: number } | null = null;
      for (const p of this.broker.book.positions.values()) {
        const f = this.broker.book.floating(p);
        if (worst === null || f.profit < worst.profit) worst = { ticket: p.ticket, profit: f.profit, price: f.priceCurrent };
      }
      if (worst === null) break;
      this.closePosition(worst.ticket, worst.price, nowMsc, 'so');
      closed++;
    }
    return closed;
  }

  private closePosition(ticket: string, price: number, timeMsc: number, reason: string): void {
    const book = this.broker.book;
    const p = book.positions.get(ticket);
    if (p === undefined) return;
    const side = p.type === 'buy' ? 'sell' : 'buy';
    // MT5 comments such deals with the level that fired: "[sl 1.07312]", "[tp 1.07912]", "[so ...]".
    const level = reason === 'sl' ? ` ${p.sl}` : reason === 'tp' ? ` ${p.tp}` : '';
    const fill = this.broker.fill({ ...p, sl: 0, tp: 0, position: p.ticket, comment: `[${reason}${level}]` }, side, p.volume, price,
      timeMsc, book.newTicket(), reason);
    this.onDeal(book.apply(fill));
  }

  private rebuild(): void {
    const book = this.broker.book;
    this.watched.fill(0);
    for (const o of book.orders.values()) this.mark(o.symbol);
    for (const p of book.positions.values()) if (p.sl !== 0 || p.tp !== 0) this.mark(p.symbol);
    this.watchVersion = book.version;
  }

  private mark(symbol: string): void {
    const i = this.index.get(symbol);
    if (i !== undefined) this.watched[i] = 1;
  }
}
