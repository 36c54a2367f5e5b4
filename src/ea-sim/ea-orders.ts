/**
 * How the simulated EA turns a `command` into trade requests, with the EA's own checks first
 * (docs/protocol.md, "How the EA prepares a request"): fields, symbol, trade permission, volume
 * rounded down to the step, prices to tick_size and digits, SL/TP sides and stops_level, filling
 * mode from the symbol's live SYMBOL_FILLING_MODE. A failed check is an EA reason code with the
 * closest MT5 retcode; nothing reaches the trade server then.
 */
import {
  REASON_BAD_COMMAND, REASON_INVALID_STOPS, REASON_INVALID_VOLUME, REASON_NO_FILLING_MODE, REASON_NOT_FOUND,
  REASON_TRADE_DISABLED, REASON_UNKNOWN_SYMBOL, TRADE_RETCODE, type CommandMessage, type EaSymbolSpec, type OrderTypeName,
} from '../shared/protocol.js';
import type { PaperBroker, TradeRequest } from './paper-broker.js';
import type { FaultName } from './sim-faults.js';
import { isPending, normalisePrice, normaliseVolume, pendingPriceProblem, sideOf, stopsProblem, volumeProblem } from './trade-rules.js';

const ORDER_TYPES = new Set(['buy', 'sell', 'buy_limit', 'sell_limit', 'buy_stop', 'sell_stop']);
const KINDS = new Set(['open', 'close', 'modify', 'close_all']);

export interface EaRefusal {
  refused: true;
  reason: string;
  retcode: number;
  text: string;
}

export interface PreparedCommand {
  refused: false;
  /** One request, or one per position and order for close_all (none when nothing matches). */
  requests: TradeRequest[];
  requestedVolume: number;
  requestedPrice: number;
  sl: number;
  tp: number;
}

export interface OrderContext {
  broker: PaperBroker;
  /** The EA's magic (used when the command says 0). */
  magic: number;
  serverOffsetMs: number;
  /** Terminal, EA and account allow trading. */
  tradeAllowed: boolean;
  fault: FaultName | null;
}

const refuse = (reason: string, retcode: number, text: string): EaRefusal => ({ refused: true, reason, retcode, text });

/**
 * The filling mode for a market order or a close, as MT5 allows it (and CTrade sends it): request and
 * instant execution FOK only; market execution FOK if bit 1, else IOC if bit 2 (never RETURN);
 * exchange execution FOK, else IOC, else RETURN. `after`: the next one after that mode (the retry on 10030).
 */
export function pickFilling(modes: number, spec: EaSymbolSpec, after: TradeRequest['filling'] | '' = ''): TradeRequest['filling'] | '' {
  const exe = spec.execution_mode ?? 2;
  const order: Array<[TradeRequest['filling'], boolean]> = [
    ['fok', exe < 2 || (modes & 1) !== 0], ['ioc', exe >= 2 && (modes & 2) !== 0], ['return', exe === 3],
  ];
  const from = after === '' ? 0 : order.findIndex(([f]) => f === after) + 1;
  for (let i = from; i < order.length; i++) if (order[i][1]) return order[i][0];
  return '';
}

export function prepareCommand(cmd: CommandMessage, ctx: OrderContext): EaRefusal | PreparedCommand {
  if (!KINDS.has(cmd.kind) || typeof cmd.symbol !== 'string') return refuse(REASON_BAD_COMMAND, TRADE_RETCODE.INVALID, `unknown kind "${cmd.kind}"`);
  for (const field of ['volume', 'price', 'sl', 'tp'] as const) {
    if (typeof cmd[field] !== 'number' || !Number.isFinite(cmd[field]) || cmd[field] < 0) {
      return refuse(REASON_BAD_COMMAND, TRADE_RETCODE.INVALID, `${field} must be a number >= 0, got ${JSON.stringify(cmd[field])}`);
    }
  }
  if (!ctx.tradeAllowed) return refuse(REASON_TRADE_DISABLED, TRADE_RETCODE.CLIENT_DISABLES_AT, 'algo trading is disabled in the terminal');
  const broker = ctx.broker;
  const magic = cmd.magic || ctx.magic;
  if (cmd.kind === 'close_all') return closeAll(cmd, broker, magic);
  const spec = broker.specs.get(cmd.symbol);
  const q = broker.quotes.quote(cmd.symbol);
  if (spec === undefined || q === undefined) return refuse(REASON_UNKNOWN_SYMBOL, TRADE_RETCODE.INVALID, `no symbol ${cmd.symbol} in the terminal`);
  if ((spec.trade_mode ?? 4) === 0) return refuse(REASON_TRADE_DISABLED, TRADE_RETCODE.TRADE_DISABLED, `trading ${cmd.symbol} is disabled`);
  const sl = normalisePrice(cmd.sl, spec);
  const tp = normalisePrice(cmd.tp, spec);
  const base: TradeRequest = {
    action: 'deal', symbol: cmd.symbol, type: 'buy', volume: 0, price: 0, sl, tp, deviationPoints: cmd.deviation_points || 0,
    filling: 'return', expirationMsc: 0, position: '', order: '', magic, comment: cmd.comment ?? '',
  };
  if (cmd.kind === 'open') {
    if (!ORDER_TYPES.has(cmd.order_type)) return refuse(REASON_BAD_COMMAND, TRADE_RETCODE.INVALID, `unknown order_type "${cmd.order_type}"`);
    const type = cmd.order_type as OrderTypeName;
    const side = sideOf(type);
    const mode = spec.trade_mode ?? 4;
    if (mode === 3 || (mode === 1 && side === 'sell') || (mode === 2 && side === 'buy')) {
      return refuse(REASON_TRADE_DISABLED, TRADE_RETCODE.TRADE_DISABLED, `SYMBOL_TRADE_MODE ${mode} forbids opening a ${side}`);
    }
    const volume = normaliseVolume(cmd.volume, spec);
    const vp = volumeProblem(volume, spec);
    if (vp !== '') return refuse(REASON_INVALID_VOLUME, TRADE_RETCODE.INVALID_VOLUME, vp);
    if (isPending(type)) {
      const price = normalisePrice(cmd.price, spec);
      if (!(price > 0)) return refuse(REASON_BAD_COMMAND, TRADE_RETCODE.INVALID, `a ${type} order needs a price`);
      const pp = pendingPriceProblem(type, price, q.bid, q.ask, spec) || stopsProblem(side, price, price, sl, tp, spec);
      if (pp !== '') return refuse(REASON_INVALID_STOPS, TRADE_RETCODE.INVALID_STOPS, pp);
      // ORDER_TIME_SPECIFIED is whole seconds on the server clock.
      const exp = cmd.order_expiration_ms > 0 ? Math.floor((cmd.order_expiration_ms + ctx.serverOffsetMs) / 1000) * 1000 : 0;
      return prepared([{ ...base, action: 'pending', type, volume, price, expirationMsc: exp }], volume, price, sl, tp);
    }
    const open = side === 'buy' ? q.ask : q.bid;
    const sp = stopsProblem(side, open, side === 'buy' ? q.bid : q.ask, sl, tp, spec);
    if (sp !== '') return refuse(REASON_INVALID_STOPS, TRADE_RETCODE.INVALID_STOPS, sp);
    const filling = pickFilling(broker.fillingModes(cmd.symbol, ctx.fault), spec);
    if (filling === '') return refuse(REASON_NO_FILLING_MODE, TRADE_RETCODE.INVALID_FILL, `${cmd.symbol} allows no filling mode for market orders`);
    return prepared([{ ...base, type, volume, price: open, filling }], volume, open, sl, tp);
  }
  if (typeof cmd.ticket !== 'string' || cmd.ticket === '') return refuse(REASON_BAD_COMMAND, TRADE_RETCODE.INVALID, `${cmd.kind} needs a ticket`);
  const position = broker.book.positions.get(cmd.ticket);
  const order = broker.book.orders.get(cmd.ticket);
  if (position !== undefined && position.symbol === cmd.symbol) {
    const closePrice = position.type === 'buy' ? q.bid : q.ask;
    if (cmd.kind === 'modify') {
      const sp = stopsProblem(position.type, closePrice, closePrice, sl, tp, spec);
      if (sp !== '') return refuse(REASON_INVALID_STOPS, TRADE_RETCODE.INVALID_STOPS, sp);
      return prepared([{ ...base, action: 'sltp', type: position.type, position: position.ticket }], 0, 0, sl, tp);
    }
    const volume = cmd.volume === 0 ? position.volume : normaliseVolume(cmd.volume, spec);
    const vp = volumeProblem(volume, spec) || (volume > position.volume + 1e-9 ? `volume ${volume} above the position's ${position.volume}` : '');
    if (vp !== '') return refuse(REASON_INVALID_VOLUME, TRADE_RETCODE.INVALID_VOLUME, vp);
    const filling = pickFilling(broker.fillingModes(cmd.symbol, ctx.fault), spec);
    if (filling === '') return refuse(REASON_NO_FILLING_MODE, TRADE_RETCODE.INVALID_FILL, `${cmd.symbol} allows no filling mode for market orders`);
    const type = position.type === 'buy' ? 'sell' : 'buy';
    return prepared([{ ...base, sl: 0, tp: 0, type, volume, price: closePrice, filling, position: position.ticket }], volume, closePrice, 0, 0);
  }
  if (order !== undefined && order.symbol === cmd.symbol) {
    const type = order.type as OrderTypeName;
    if (cmd.kind === 'close') return prepared([{ ...base, action: 'remove', type, sl: 0, tp: 0, order: order.ticket }], 0, 0, 0, 0);
    const price = normalisePrice(cmd.price, spec);
    const at = price === 0 ? order.price : price;
    const pp = (price === 0 ? '' : pendingPriceProblem(type, at, q.bid, q.ask, spec)) || stopsProblem(sideOf(type), at, at, sl, tp, spec);
    if (pp !== '') return refuse(REASON_INVALID_STOPS, TRADE_RETCODE.INVALID_STOPS, pp);
    return prepared([{ ...base, action: 'modify', type, price, order: order.ticket }], 0, price, sl, tp);
  }
  return refuse(REASON_NOT_FOUND, TRADE_RETCODE.POSITION_CLOSED, `no position or pending order ${cmd.ticket} of ${cmd.symbol}`);
}

function closeAll(cmd: CommandMessage, broker: PaperBroker, magic: number): EaRefusal | PreparedCommand {
  const requests: TradeRequest[] = [];
  const mine = (m: { symbol: string; magic: number }) => m.magic === magic && (cmd.symbol === '' || m.symbol === cmd.symbol);
  for (const p of broker.book.positions.values()) {
    if (!mine(p)) continue;
    const spec = broker.specs.get(p.symbol);
    const q = broker.quotes.quote(p.symbol);
    if (spec === undefined || q === undefined) continue;
    const filling = pickFilling(broker.fillingModes(p.symbol, null), spec) || 'fok';
    requests.push({
      action: 'deal', symbol: p.symbol, type: p.type === 'buy' ? 'sell' : 'buy', volume: p.volume, price: p.type === 'buy' ? q.bid : q.ask,
      sl: 0, tp: 0, deviationPoints: cmd.deviation_points || 0, filling, expirationMsc: 0, position: p.ticket, order: '',
      magic, comment: cmd.comment ?? '',
    });
  }
  for (const o of broker.book.orders.values()) {
    if (!mine(o)) continue;
    requests.push({
      action: 'remove', symbol: o.symbol, type: o.type as OrderTypeName, volume: 0, price: 0, sl: 0, tp: 0, deviationPoints: 0,
      filling: 'return', expirationMsc: 0, position: '', order: o.ticket, magic, comment: cmd.comment ?? '',
    });
  }
  return prepared(requests, 0, 0, 0, 0);
}

function prepared(requests: TradeRequest[], requestedVolume: number, requestedPrice: number, sl: number, tp: number): PreparedCommand {
  return { refused: false, requests, requestedVolume, requestedPrice, sl, tp };
}
