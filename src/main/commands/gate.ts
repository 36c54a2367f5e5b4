/**
 * The gate: what a TradingCommand must pass before it reaches the EA (docs/protocol.md, section 2,
 * "The gate"), and the EA `command` it becomes — re-based on the user's own broker price when it
 * was priced on another feed. Pure: everything it judges by is in the context.
 */
import type { TradingConfig } from '../../shared/config.js';
import {
  CMD_CLOSE, CMD_CLOSE_ALL, CMD_MODIFY, CMD_OPEN, COMMAND_ID_MAX_CHARS, type CommandKind, type CommandMessage,
  type EaSymbolSpec, type OrderTypeName, type PositionsMessage,
} from '../../shared/protocol.js';
import {
  BRIDGE_BAD_COMMAND, BRIDGE_UNKNOWN_TICKET, COMMAND_CLOSE, COMMAND_CLOSE_ALL, COMMAND_MODIFY, COMMAND_OPEN,
  ORDER_TYPE_NAMES, RISK_DAILY_LOSS, RISK_DRAWDOWN, RISK_MAX_LOT, RISK_MAX_POSITIONS, RISK_NO_PRICE, RISK_STOPS,
  RISK_SYMBOL_NOT_ALLOWED, RISK_TRADE_MODE, RISK_UNKNOWN_SYMBOL, RISK_VOLUME_RANGE, RISK_VOLUME_STEP,
  type TradingCommandData,
} from '../../shared/trading.js';
import type { AccountBaselines } from './command-store.js';
import { checkStops, roundPrice } from './stops.js';

export interface GateContext {
  config: TradingConfig;
  /** The EA's hello spec of the command's symbol. */
  spec: EaSymbolSpec | undefined;
  /** The welcome's id of the symbol, -1 when the EA does not stream it. */
  symbolId: number;
  /** The user's current broker price, or null when none is known. */
  quote: { bid: number; ask: number } | null;
  positions: PositionsMessage | null;
  equity: number | null;
  baselines: AccountBaselines;
  /** Opens accepted but not final, plus opens filled since the last `positions`. */
  opensInFlight: number;
}

export interface Refusal {
  ok: false;
  reason: string;
  text: string;
}

export interface Accepted {
  ok: true;
  /** The EA command, `comment` still '' (the bridge numbers it when it sends). */
  message: CommandMessage;
  side: 'buy' | 'sell' | '';
  positionVolume: number;
  priceAdjustment: number;
  adjustmentReason: string;
}

const KINDS: Record<number, CommandKind> = {
  [COMMAND_OPEN]: CMD_OPEN, [COMMAND_CLOSE]: CMD_CLOSE, [COMMAND_MODIFY]: CMD_MODIFY, [COMMAND_CLOSE_ALL]: CMD_CLOSE_ALL,
};

const refuse = (reason: string, text: string): Refusal => ({ ok: false, reason, text });

/** What is malformed in the command, or null. Checked on arrival, before duplicates and expiry. */
export function malformed(c: TradingCommandData): Refusal | null {
  if (typeof c.command_id !== 'string' || c.command_id.length === 0 || c.command_id.length > COMMAND_ID_MAX_CHARS) {
    return refuse(BRIDGE_BAD_COMMAND, `command_id must be 1 to ${COMMAND_ID_MAX_CHARS} characters`);
  }
  const kind = KINDS[c.type];
  if (kind === undefined) return refuse(BRIDGE_BAD_COMMAND, `unknown command type ${c.type}`);
  if (kind === CMD_OPEN) {
    if (ORDER_TYPE_NAMES[c.order_type] === undefined) return refuse(BRIDGE_BAD_COMMAND, `unknown order type ${c.order_type}`);
    if (c.symbol === '') return refuse(BRIDGE_BAD_COMMAND, 'an open needs a symbol');
    if (!(c.lot_size > 0) || !Number.isFinite(c.lot_size)) return refuse(BRIDGE_BAD_COMMAND, `lot_size must be above 0, got ${c.lot_size}`);
    if (c.order_type >= 2 && !(c.entry_price > 0)) return refuse(BRIDGE_BAD_COMMAND, 'a pending order needs an entry_price');
  }
  if ((kind === CMD_CLOSE || kind === CMD_MODIFY) && !/^[0-9]+$/.test(c.ticket)) {
    return refuse(BRIDGE_BAD_COMMAND, `${kind} needs a position or order ticket (decimal), got ${JSON.stringify(c.ticket)}`);
  }
  for (const v of [c.entry_price, c.stop_loss, c.take_profit, c.original_entry]) {
    if (!Number.isFinite(v) || v < 0) return refuse(BRIDGE_BAD_COMMAND, 'prices must be finite and not negative');
  }
  return null;
}

/** The risk and spec checks, then the EA command. */
export function admit(c: TradingCommandData, ctx: GateContext): Refusal | Accepted {
  const kind = KINDS[c.type];
  const cfg = ctx.config;
  const base: CommandMessage = {
    type: 'command', command_id: c.command_id, kind, symbol: c.symbol, symbol_id: ctx.symbolId, order_type: '',
    volume: 0, price: 0, sl: 0, tp: 0, deviation_points: c.deviation_points > 0 ? c.deviation_points : cfg.deviationPoints,
    expires_at_ms: c.expires_at, order_expiration_ms: 0, ticket: '', magic: c.magic, comment: '',
  };
  if (kind === CMD_CLOSE_ALL) return { ok: true, message: base, side: '', positionVolume: 0, priceAdjustment: 0, adjustmentReason: '' };
  if (kind === CMD_CLOSE) {
    const position = ctx.positions?.positions.find((p) => p.ticket === c.ticket);
    const order = ctx.positions?.orders.find((o) => o.ticket === c.ticket);
    if (!position && !order) return refuse(BRIDGE_UNKNOWN_TICKET, `no open position or pending order ${c.ticket}`);
    const side = position ? (position.type === 'buy' ? 'sell' : 'buy') : '';
    return {
      ok: true, message: { ...base, symbol: position?.symbol ?? order!.symbol, ticket: c.ticket, volume: c.lot_size > 0 ? c.lot_size : 0 },
      side, positionVolume: position?.volume ?? 0, priceAdjustment: 0, adjustmentReason: '',
    };
  }
  if (cfg.allowedSymbols.length > 0 && !cfg.allowedSymbols.includes(c.symbol)) {
    return refuse(RISK_SYMBOL_NOT_ALLOWED, `${c.symbol} is not in trading.allowedSymbols`);
  }
  const spec = ctx.spec;
  if (!spec) return refuse(RISK_UNKNOWN_SYMBOL, `the EA's hello has no specs for ${c.symbol}`);
  return kind === CMD_OPEN ? admitOpen(c, ctx, spec, base) : admitModify(c, ctx, spec, base);
}

function admitOpen(c: TradingCommandData, ctx: GateContext, spec: EaSymbolSpec, base: CommandMessage): Refusal | Accepted {
  const cfg = ctx.config;
  const orderType = ORDER_TYPE_NAMES[c.order_type] as OrderTypeName;
  const side = orderType.startsWith('buy') ? 'buy' : 'sell';
  const pending = c.order_type >= 2;
  const modeProblem = tradeModeProblem(spec, side, pending ? (orderType.endsWith('limit') ? 2 : 4) : 1);
  if (modeProblem) return refuse(RISK_TRADE_MODE, `${c.symbol}: ${modeProblem}`);
  const v = c.lot_size;
  if (cfg.maxLot > 0 && v > cfg.maxLot + 1e-9) return refuse(RISK_MAX_LOT, `lot_size ${v} above trading.maxLot ${cfg.maxLot}`);
  if (v < spec.volume_min - 1e-9 || v > spec.volume_max + 1e-9) {
    return refuse(RISK_VOLUME_RANGE, `lot_size ${v} outside ${c.symbol}'s volume ${spec.volume_min} to ${spec.volume_max}`);
  }
  if (spec.volume_step > 0 && Math.abs(v / spec.volume_step - Math.round(v / spec.volume_step)) * spec.volume_step > 1e-8) {
    return refuse(RISK_VOLUME_STEP, `lot_size ${v} is not a multiple of ${c.symbol}'s volume step ${spec.volume_step}`);
  }
  const open = (ctx.positions?.positions.length ?? 0) + (ctx.positions?.orders.length ?? 0) + ctx.opensInFlight;
  if (cfg.maxOpenPositions > 0 && open >= cfg.maxOpenPositions) {
    return refuse(RISK_MAX_POSITIONS, `${open} positions and orders open or opening, trading.maxOpenPositions is ${cfg.maxOpenPositions}`);
  }
  const equity = ctx.equity;
  if (cfg.maxDailyLoss > 0 && equity !== null && ctx.baselines.dayStartBalance - equity >= cfg.maxDailyLoss) {
    return refuse(RISK_DAILY_LOSS, `down ${(ctx.baselines.dayStartBalance - equity).toFixed(2)} today (day-start balance ${ctx.baselines.dayStartBalance}), trading.maxDailyLoss is ${cfg.maxDailyLoss}`);
  }
  const peak = ctx.baselines.peakEquity;
  if (cfg.maxDrawdownPercent > 0 && equity !== null && peak > 0 && ((peak - equity) / peak) * 100 >= cfg.maxDrawdownPercent) {
    return refuse(RISK_DRAWDOWN, `equity ${equity} is ${(((peak - equity) / peak) * 100).toFixed(2)}% below its peak ${peak}, trading.maxDrawdownPercent is ${cfg.maxDrawdownPercent}`);
  }
  const rebased = rebase(c, ctx, spec, side, [pending ? c.entry_price : 0, c.stop_loss, c.take_profit]);
  if (!rebased.ok) return rebased;
  const [price, sl, tp] = rebased.levels;
  const problem = checkStops(spec, ctx.quote, { side, orderType, price, sl, tp, pendingPrice: pending });
  if (problem === 'no-price') return refuse(RISK_NO_PRICE, `no current price of ${c.symbol} to check the stops of a market order against`);
  if (problem) return refuse(RISK_STOPS, problem);
  return {
    ok: true,
    message: { ...base, order_type: orderType, volume: v, price, sl, tp, order_expiration_ms: pending ? c.order_expiration : 0 },
    side, positionVolume: 0, priceAdjustment: rebased.adjustment, adjustmentReason: rebased.reason,
  };
}

function admitModify(c: TradingCommandData, ctx: GateContext, spec: EaSymbolSpec, base: CommandMessage): Refusal | Accepted {
  const position = ctx.positions?.positions.find((p) => p.ticket === c.ticket);
  const order = ctx.positions?.orders.find((o) => o.ticket === c.ticket);
  if (!position && !order) return refuse(BRIDGE_UNKNOWN_TICKET, `no open position or pending order ${c.ticket}`);
  const modeProblem = tradeModeProblem(spec, '', 0);
  if (modeProblem) return refuse(RISK_TRADE_MODE, `${c.symbol}: ${modeProblem}`);
  const type = (position?.type ?? order!.type) as OrderTypeName | 'other';
  const side = type.startsWith('buy') ? 'buy' : 'sell';
  const isOrder = !position;
  const rebased = rebase(c, ctx, spec, side, [isOrder ? c.entry_price : 0, c.stop_loss, c.take_profit]);
  if (!rebased.ok) return rebased;
  let [price, sl, tp] = rebased.levels;
  // 0 = unchanged on the backend link; the EA sets both levels as given, so repeat the current one.
  if (sl === 0) sl = position?.sl ?? order!.sl;
  if (tp === 0) tp = position?.tp ?? order!.tp;
  const checkPrice = isOrder ? (price > 0 ? price : order!.price) : 0;
  const problem = checkStops(spec, ctx.quote, {
    side, orderType: isOrder ? (type as OrderTypeName) : side, price: checkPrice, sl, tp, pendingPrice: isOrder && price > 0, modify: !isOrder,
  });
  if (problem === 'no-price') return refuse(RISK_NO_PRICE, `no current price of ${c.symbol} to check the new stops against`);
  if (problem) return refuse(RISK_STOPS, problem);
  return {
    ok: true, message: { ...base, symbol: position?.symbol ?? order!.symbol, ticket: c.ticket, price: isOrder ? price : 0, sl, tp },
    side: '', positionVolume: position?.volume ?? 0, priceAdjustment: rebased.adjustment, adjustmentReason: rebased.reason,
  };
}

/** Why the symbol's trade and order modes forbid this, or ''. orderBit: 1 market, 2 limit, 4 stop, 0 a modify. */
function tradeModeProblem(spec: EaSymbolSpec, side: 'buy' | 'sell' | '', orderBit: number): string {
  const mode = spec.trade_mode;
  if (mode === 0) return 'trading is disabled for the symbol (SYMBOL_TRADE_MODE_DISABLED)';
  if (orderBit !== 0) {
    if (mode === 3) return 'the symbol is close only';
    if (mode === 1 && side === 'sell') return 'the symbol is long only';
    if (mode === 2 && side === 'buy') return 'the symbol is short only';
    if (spec.order_modes !== undefined && (spec.order_modes & orderBit) === 0) {
      return `the symbol does not allow ${orderBit === 1 ? 'market' : orderBit === 2 ? 'limit' : 'stop'} orders (SYMBOL_ORDER_MODE ${spec.order_modes})`;
    }
  }
  return '';
}

/** Shifts the non-zero levels by (the user's price for the side − original_entry), rounded to the tick size. */
function rebase(c: TradingCommandData, ctx: GateContext, spec: EaSymbolSpec, side: 'buy' | 'sell', levels: number[]):
  Refusal | { ok: true; levels: number[]; adjustment: number; reason: string } {
  if (!(c.original_entry > 0)) return { ok: true, levels: levels.map((l) => (l > 0 ? roundPrice(l, spec) : 0)), adjustment: 0, reason: '' };
  if (ctx.quote === null) return refuse(RISK_NO_PRICE, `no current price of ${c.symbol} to re-base the command on`);
  const own = side === 'buy' ? ctx.quote.ask : ctx.quote.bid;
  const adjustment = roundPrice(own - c.original_entry, spec, true);
  const points = adjustment / spec.point;
  const reason = `re-based on the user's ${side === 'buy' ? 'ask' : 'bid'} ${own} (reference ${c.original_entry}): ` +
    `${points >= 0 ? '+' : ''}${points.toFixed(1)} points`;
  return { ok: true, levels: levels.map((l) => (l > 0 ? roundPrice(l + adjustment, spec) : 0)), adjustment, reason };
}
