//+------------------------------------------------------------------+
//| ClientMT5/ExecuteClose.mqh                                       |
//| `close` of one ticket: a position (all of it, or `volume` of it) |
//| at the bid (buy) or ask (sell) seen before `sent`, or a pending  |
//| order deleted. Checks: the ticket exists, the freeze level, the  |
//| volume, the filling mode.                                        |
//+------------------------------------------------------------------+
#ifndef CM5_EXECUTE_CLOSE_MQH
#define CM5_EXECUTE_CLOSE_MQH

#include <ClientMT5\Protocol.mqh>
#include <ClientMT5\TradeTypes.mqh>
#include <ClientMT5\TradeChecks.mqh>
#include <ClientMT5\Filling.mqh>
#include <ClientMT5\TradeContext.mqh>

void CM5ClosePosition(CTradeContext &x, const CM5Command &c, CM5Exec &e)
  {
   string sym = PositionGetString(POSITION_SYMBOL);
   bool isBuy = PositionGetInteger(POSITION_TYPE) == POSITION_TYPE_BUY;
   double posVolume = PositionGetDouble(POSITION_VOLUME);
   e.symbol = sym;
   e.digits = (int)SymbolInfoInteger(sym, SYMBOL_DIGITS);
   MqlTick tick;
   SymbolInfoTick(sym, tick);
   e.reqPrice = isBuy ? tick.bid : tick.ask; // slippage counts from it
   if(CM5Frozen(sym, e.reqPrice, PositionGetDouble(POSITION_SL), PositionGetDouble(POSITION_TP)))
     {
      x.memory.Reject(e, CM5_REASON_FROZEN, TRADE_RETCODE_FROZEN, "the position's SL or TP is within the freeze level");
      return;
     }
   double volume = posVolume;
   string why = "";
   if(c.volume > 0 && c.volume < posVolume - 1e-9 && !CM5NormalizeVolume(sym, c.volume, volume, why))
     {
      x.memory.Reject(e, CM5_REASON_INVALID_VOLUME, TRADE_RETCODE_INVALID_VOLUME, why);
      return;
     }
   if(c.volume > posVolume + 1e-9)
     {
      x.memory.Reject(e, CM5_REASON_INVALID_VOLUME, TRADE_RETCODE_INVALID_VOLUME,
                      StringFormat("volume %s above the position's %s", CM5JsonNumber(c.volume), CM5JsonNumber(posVolume)));
      return;
     }
   e.reqVolume = volume;
   e.ticket = c.ticket;
   e.sl = 0;
   e.tp = 0;
   ENUM_ORDER_TYPE_FILLING mode;
   string modeName;
   if(!CM5ChooseFilling(sym, false, 0, mode, modeName))
     {
      x.memory.Reject(e, CM5_REASON_NO_FILLING_MODE, TRADE_RETCODE_INVALID_FILL, "no usable filling mode for " + sym);
      return;
     }
   e.filling = modeName;
   ulong deviation = (ulong)MathMax(0, c.deviation);
   x.trade.SetExpertMagicNumber(x.MagicOf(c));
   x.trade.SetDeviationInPoints(deviation);
   x.trade.SetTypeFilling(mode);
   x.memory.Emit(e, CM5_STAGE_SENT);
   if(volume >= posVolume - 1e-9)
      x.trade.PositionClose(c.ticket, deviation);
   else
      x.trade.ClosePart(c.ticket, volume, deviation, mode); // hedging and netting alike
   if(x.trade.ResultRetcode() == TRADE_RETCODE_INVALID_FILL && CM5ChooseFilling(sym, false, CM5FillingBit(modeName), mode, modeName))
     {
      e.filling = modeName;
      x.trade.ResendWithFilling(mode);
     }
   x.fills.Conclude(x.trade, e, false);
  }

void CM5DeleteOrder(CTradeContext &x, const CM5Command &c, CM5Exec &e)
  {
   e.symbol = OrderGetString(ORDER_SYMBOL);
   e.digits = (int)SymbolInfoInteger(e.symbol, SYMBOL_DIGITS);
   e.reqVolume = OrderGetDouble(ORDER_VOLUME_CURRENT);
   e.reqPrice = OrderGetDouble(ORDER_PRICE_OPEN);
   e.sl = 0;
   e.tp = 0;
   x.trade.SetExpertMagicNumber(x.MagicOf(c));
   x.memory.Emit(e, CM5_STAGE_SENT);
   x.trade.OrderDelete(c.ticket);
   x.fills.ConcludeNoFill(x.trade, e, c.ticket, false);
  }

void CM5ExecuteClose(CTradeContext &x, const CM5Command &c, CM5Exec &e)
  {
   if(PositionSelectByTicket(c.ticket))
      CM5ClosePosition(x, c, e);
   else if(OrderSelect(c.ticket))
      CM5DeleteOrder(x, c, e);
   else
      x.memory.Reject(e, CM5_REASON_NOT_FOUND, TRADE_RETCODE_POSITION_CLOSED, StringFormat("no open position or pending order %I64u", c.ticket));
  }

#endif
