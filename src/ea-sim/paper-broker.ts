/**
 * The simulated EA's paper trade server: what `OrderSend` talks to in a real terminal. It fills at
 * the simulator's own quotes (the last good tick of each symbol), with seeded, bounded slippage,
 * keeps pending orders and SL/TP levels that the simulator's ticks trigger (paper-triggers.ts),
 * tracks positions, balance, equity and margin (paper-book.ts, paper-money.ts), and answers with
 * MT5's TRADE_RETCODE_* codes:
 *
 *   request            checks, in this order                                  then
 *   ─────────────────  ───────────────────────────────────────────────────  ─────────────────────
 *   deal (open/close)  symbol 10013 · market closed 10018 · trade mode         fill: 10009, or 10010
 *                      10017/10042-10044 · directive fault · volume 10014 ·    (IOC beyond the book)
 *                      filling 10030 · position 10036/10038 · stops 10016 ·
 *                      margin 10019
 *   pending            ... · volume 10014 · price side 10015 · stops 10016 ·   placed: 10008
 *                      expiration 10022
 *   sltp / modify      position 10036 / order 10035 · stops 10016 · 10025      10009
 *   remove             order 10035                                            10009
 *
 * Directives and seeded fault rates (sim-faults.ts) reach every path on purpose.
 */
import { TRADE_RETCODE, type EaSymbolSpec, type OrderTypeName } from '../shared/protocol.js';
import { MARGIN_MODE_HEDGING, PaperBook, type Fill } from './paper-book.js';
import { lotsRound, type QuoteSource } from './paper-money.js';
import { Rng } from './rng.js';
import { FAULT_RETCODES, type FaultName } from './sim-faults.js';
import { RETCODE_TEXT, pendingPriceProblem, sideOf, stopsProblem, volumeProblem } from './trade-rules.js';

export interface PaperBrokerOptions {
  /** The symbols the broker trades (the hello's specs). */
  specs: readonly EaSymbolSpec[];
  quotes: QuoteSource;
  /** The broker's server clock now, ms. */
  nowMsc: () => number;
  /** ACCOUNT_MARGIN_MODE: 0 netting, 2 hedging (default). */
  marginMode?: number;
  leverage?: number;
  balance?: number;
  /** Largest slippage of a market fill in points (either way); default 2. */
  maxSlippagePoints?: number;
  /** Share of market fills that slip at all; default 0.3. */
  slippageRate?: number;
  seed?: number;
  /** Symbols whose market is closed (10018). */
  closedSymbols?: readonly string[];
}

/** MqlTradeRequest, as much of it as the EA uses. */
export interface TradeRequest {
  action: 'deal' | 'pending' | 'sltp' | 'modify' | 'remove';
  symbol: string;
  /** deal: buy or sell; pending: its type. */
  type: OrderTypeName;
  volume: number;
  /** pending/modify: the order price; deal: the price the EA saw (for requotes in instant execution). */
  price: number;
  sl: number;
  tp: number;
  deviationPoints: number;
  filling: 'fok' | 'ioc' | 'return';
  /** Server clock, 0 = good till cancelled. */
  expirationMsc: number;
  /** deal closing a position (hedging), sltp: the position ticket. */
  position: string;
  /** modify/remove: the order ticket. */
  order: string;
  magic: number;
  comment: string;
}

/** MqlTradeResult. */
export interface TradeResult {
  retcode: number;
  comment: string;
  order: string;
  deal: string;
  /** The position the deal opened or closed, or the order's ticket. */
  position: string;
  volume: number;
  price: number;
  bid: number;
  ask: number;
  /** Server time of the deal, or of the answer. */
  timeMsc: number;
}


export { RETCODE_TEXT } from './trade-rules.js';
export type { AccountNumbers } from './paper-book.js';

export class PaperBroker {
  readonly book: PaperBook;
  readonly leverage: number;
  readonly specs = new Map<string, EaSymbolSpec>();
  readonly quotes: QuoteSource;
  private readonly nowMsc: () => number;
  private readonly rng: Rng;
  private readonly maxSlip: number;
  private readonly slipRate: number;
  private readonly closed: Set<string>;

  constructor(o: PaperBrokerOptions) {
    for (const spec of o.specs) this.specs.set(spec.name, spec);
    this.quotes = o.quotes;
    this.nowMsc = o.nowMsc;
    this.leverage = o.leverage ?? 100;
    this.rng = new Rng(((o.seed ?? 1) ^ 0x51197a6e) >>> 0);
    this.maxSlip = o.maxSlippagePoints ?? 2;
    this.slipRate = o.slippageRate ?? 0.3;
    this.closed = new Set(o.closedSymbols ?? []);
    this.book = new PaperBook(o.marginMode ?? MARGIN_MODE_HEDGING, o.balance ?? 10_000, this.leverage,
      (symbol) => this.specs.get(symbol)?.contract_size ?? 100_000, o.quotes);
  }

  /** The filling modes the server takes for a market order of this symbol (SYMBOL_FILLING_MODE). */
  fillingModes(symbol: string, fault: FaultName | null): number {
    if (fault === 'partial') return 2; // IOC only
    return this.specs.get(symbol)?.filling_modes ?? 0;
  }

  /** OrderSend. `fault` is a directive's (or a seeded roll's) answer to give instead of the real one. */
  send(req: TradeRequest, fault: FaultName | null = null): TradeResult {
    const spec = this.specs.get(req.symbol);
    const q = this.quotes.quote(req.symbol);
    const now = this.nowMsc();
    const answer = (retcode: number, extra: Partial<TradeResult> = {}): TradeResult => ({
      retcode, comment: RETCODE_TEXT[retcode] ?? '', order: '', deal: '', position: '', volume: 0, price: 0,
      bid: q?.bid ?? 0, ask: q?.ask ?? 0, timeMsc: now, ...extra,
    });
    if (spec === undefined || q === undefined) return answer(TRADE_RETCODE.INVALID);
    if (this.closed.has(req.symbol) || fault === 'market_closed') return answer(TRADE_RETCODE.MARKET_CLOSED);
    const opening = req.action === 'pending' || (req.action === 'deal' && req.position === '' && this.opensExposure(req));
    const modeProblem = this.tradeModeProblem(spec, sideOf(req.type), opening, req.action);
    if (modeProblem !== 0) return answer(modeProblem);
    if (fault !== null && fault !== 'partial' && fault !== 'invalid_fill') return answer(FAULT_RETCODES[fault]);
    switch (req.action) {
      case 'deal': return this.deal(req, spec, q, now, fault, answer);
      case 'pending': return this.pending(req, spec, q, now, answer);
      case 'sltp': return this.sltp(req, spec, q, answer);
      case 'modify': return this.modify(req, spec, q, answer);
      case 'remove': {
        const order = this.book.removeOrder(req.order);
        return order === undefined ? answer(TRADE_RETCODE.INVALID_ORDER) : answer(TRADE_RETCODE.DONE, { order: req.order, position: req.order });
      }
    }
  }

  private deal(req: TradeRequest, spec: EaSymbolSpec, q: { bid: number; ask: number }, now: number,
    fault: FaultName | null, answer: (code: number, extra?: Partial<TradeResult>) => TradeResult): TradeResult {
    if (volumeProblem(req.volume, spec) !== '') return answer(TRADE_RETCODE.INVALID_VOLUME);
    const modes = this.fillingModes(req.symbol, fault);
    const fillBit = req.filling === 'fok' ? 1 : req.filling === 'ioc' ? 2 : 0;
    if (fault === 'invalid_fill' || (modes & fillBit) === 0) return answer(TRADE_RETCODE.INVALID_FILL);
    const side = sideOf(req.type);
    const closing = req.position !== '' ? this.book.positions.get(req.position) : undefined;
    if (req.position !== '') {
      if (closing === undefined) return answer(TRADE_RETCODE.POSITION_CLOSED);
      if (closing.type === side) return answer(TRADE_RETCODE.INVALID);
      if (req.volume > closing.volume + 1e-9) return answer(TRADE_RETCODE.INVALID_CLOSE_VOLUME);
    }
    const price = this.marketPrice(side, q, spec);
    // Request and instant execution requote beyond the deviation; market execution ignores it.
    const exe = spec.execution_mode ?? 2;
    if (exe <= 1 && req.price > 0 && Math.abs(price - req.price) > req.deviationPoints * spec.point + spec.point / 1000) {
      return answer(TRADE_RETCODE.REQUOTE);
    }
    if (closing === undefined && stopsProblem(side, price, side === 'buy' ? q.bid : q.ask, req.sl, req.tp, spec) !== '') {
      return answer(TRADE_RETCODE.INVALID_STOPS);
    }
    let volume = req.volume;
    let retcode: number = TRADE_RETCODE.DONE;
    if (fault === 'partial') {
      // The book holds half the volume (rounded down to a step, at least one): IOC takes what there is.
      const half = Math.max(spec.volume_step, Math.floor(req.volume / 2 / spec.volume_step + 1e-7) * spec.volume_step);
      if (half < req.volume - 1e-9) {
        volume = lotsRound(half);
        retcode = TRADE_RETCODE.DONE_PARTIAL;
      }
    }
    if (closing === undefined && this.opensExposure(req) && !this.book.affordable(req.symbol, side, volume, price)) {
      return answer(TRADE_RETCODE.NO_MONEY);
    }
    const order = this.book.newTicket();
    const deal = this.book.apply(this.fill(req, side, volume, price, now, order, 'expert'));
    return answer(retcode, { order, deal: deal.ticket, position: deal.position, volume, price, timeMsc: deal.time_msc });
  }

  private pending(req: TradeRequest, spec: EaSymbolSpec, q: { bid: number; ask: number }, now: number,
    answer: (code: number, extra?: Partial<TradeResult>) => TradeResult): TradeResult {
    if (volumeProblem(req.volume, spec) !== '') return answer(TRADE_RETCODE.INVALID_VOLUME);
    if (pendingPriceProblem(req.type, req.price, q.bid, q.ask, spec) !== '') return answer(TRADE_RETCODE.INVALID_PRICE);
    if (stopsProblem(sideOf(req.type), req.price, req.price, req.sl, req.tp, spec) !== '') return answer(TRADE_RETCODE.INVALID_STOPS);
    if (req.expirationMsc !== 0 && (req.expirationMsc <= now || ((spec.expiration_modes ?? 7) & 4) === 0)) {
      return answer(TRADE_RETCODE.INVALID_EXPIRATION);
    }
    const ticket = this.book.newTicket();
    this.book.addOrder({
      ticket, symbol: req.symbol, type: req.type, volume: req.volume, price: req.price, sl: req.sl, tp: req.tp,
      time_setup_msc: now, expiration_msc: req.expirationMsc, magic: req.magic, comment: req.comment,
    });
    return answer(TRADE_RETCODE.PLACED, { order: ticket, position: ticket, volume: req.volume, price: req.price });
  }

  private sltp(req: TradeRequest, spec: EaSymbolSpec, q: { bid: number; ask: number },
    answer: (code: number, extra?: Partial<TradeResult>) => TradeResult): TradeResult {
    const p = this.book.positions.get(req.position);
    if (p === undefined) return answer(TRADE_RETCODE.POSITION_CLOSED);
    // A position's levels are judged against the price it would close at now.
    const close = p.type === 'buy' ? q.bid : q.ask;
    if (stopsProblem(p.type, close, close, req.sl, req.tp, spec) !== '') return answer(TRADE_RETCODE.INVALID_STOPS);
    if (p.sl === req.sl && p.tp === req.tp) return answer(TRADE_RETCODE.NO_CHANGES);
    p.sl = req.sl;
    p.tp = req.tp;
    this.book.touched();
    return answer(TRADE_RETCODE.DONE, { position: p.ticket });
  }

  private modify(req: TradeRequest, spec: EaSymbolSpec, q: { bid: number; ask: number },
    answer: (code: number, extra?: Partial<TradeResult>) => TradeResult): TradeResult {
    const o = this.book.orders.get(req.order);
    if (o === undefined) return answer(TRADE_RETCODE.INVALID_ORDER);
    const price = req.price === 0 ? o.price : req.price;
    if (price !== o.price && pendingPriceProblem(o.type as OrderTypeName, price, q.bid, q.ask, spec) !== '') return answer(TRADE_RETCODE.INVALID_PRICE);
    if (stopsProblem(sideOf(o.type as OrderTypeName), price, price, req.sl, req.tp, spec) !== '') return answer(TRADE_RETCODE.INVALID_STOPS);
    if (o.price === price && o.sl === req.sl && o.tp === req.tp) return answer(TRADE_RETCODE.NO_CHANGES);
    Object.assign(o, { price, sl: req.sl, tp: req.tp });
    this.book.touched();
    return answer(TRADE_RETCODE.DONE, { order: o.ticket, position: o.ticket, price });
  }

  /** A deal that adds exposure (not one that reduces a netting position). */
  private opensExposure(req: TradeRequest): boolean {
    if (req.position !== '') return false;
    if (this.book.hedging) return true;
    const p = this.book.netPosition(req.symbol);
    return p === undefined || p.type === sideOf(req.type) || req.volume > p.volume + 1e-9;
  }

  private tradeModeProblem(spec: EaSymbolSpec, side: 'buy' | 'sell', opening: boolean, action: TradeRequest['action']): number {
    const mode = spec.trade_mode ?? 4;
    if (mode === 0) return TRADE_RETCODE.TRADE_DISABLED;
    if (!opening || action === 'remove' || action === 'sltp' || action === 'modify') return 0;
    if (mode === 3) return TRADE_RETCODE.CLOSE_ONLY;
    if (mode === 1 && side === 'sell') return TRADE_RETCODE.LONG_ONLY;
    if (mode === 2 && side === 'buy') return TRADE_RETCODE.SHORT_ONLY;
    return 0;
  }

  /** Ask (buy) or bid (sell) now, slipped by up to maxSlippagePoints either way. */
  private marketPrice(side: 'buy' | 'sell', q: { bid: number; ask: number }, spec: EaSymbolSpec): number {
    const base = side === 'buy' ? q.ask : q.bid;
    if (this.maxSlip <= 0 || this.rng.next() >= this.slipRate) return base;
    const points = this.rng.int(1, this.maxSlip) * (this.rng.next() < 0.5 ? -1 : 1);
    const scale = 10 ** spec.digits;
    return Math.round((base + points * spec.point) * scale) / scale;
  }

  fill(req: Pick<TradeRequest, 'symbol' | 'sl' | 'tp' | 'magic' | 'comment' | 'position'>, side: 'buy' | 'sell', volume: number,
    price: number, timeMsc: number, order: string, reason: string): Fill {
    return {
      symbol: req.symbol, side, volume, price, timeMsc, order, position: req.position, sl: req.sl, tp: req.tp,
      magic: req.magic, comment: req.comment, reason,
    };
  }
}
