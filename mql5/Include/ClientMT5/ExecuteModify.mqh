//+------------------------------------------------------------------+
//| ClientMT5/ExecuteModify.mqh                                      |
//| `modify` of one ticket: a position's SL/TP (TRADE_ACTION_SLTP,   |
//| both set as given, judged against the price it would close at:   |
//| the bid for a buy, the ask for a sell), or a pending order's     |
//| price, SL/TP and expiration (TRADE_ACTION_MODIFY, judged against |
//| its price). 10025 "no changes" means the levels asked for are    |
//| already there: `filled` (docs/protocol.md, `execution`).         |
//+------------------------------------------------------------------+
#ifndef CM5_EXECUTE_MODIFY_MQH
#define CM5_EXECUTE_MODIFY_MQH

#include <ClientMT5\Protocol.mqh>
#include <ClientMT5\Clock.mqh>
#include <ClientMT5\TradeTypes.mqh>
#include <ClientMT5\TradeChecks.mqh>
#include <ClientMT5\TradeContext.mqh>

void CM5ModifyPosition(CTradeContext &x, const CM5Command &c, CM5Exec &e)
  {
   string sym = PositionGetString(POSITION_SYMBOL);
   bool isBuy = PositionGetInteger(POSITION_TYPE) == POSITION_TYPE_BUY;
   e.symbol = sym;
   e.digits = (int)SymbolInfoInteger(sym, SYMBOL_DIGITS);
   e.reqVolume = 0;
   e.reqPrice = 0;
   e.sl = CM5NormalizePrice(sym, c.sl);
   e.tp = CM5NormalizePrice(sym, c.tp);
   MqlTick tick;
   SymbolInfoTick(sym, tick);
   double closeAt = isBuy ? tick.bid : tick.ask;
   string why = CM5StopsProblem(sym, isBuy, closeAt, closeAt, e.sl, e.tp);
   if(why != "")
     {
      x.memory.Reject(e, CM5_REASON_INVALID_STOPS, TRADE_RETCODE_INVALID_STOPS, why);
      return;
     }
   x.trade.SetExpertMagicNumber(x.MagicOf(c));
   x.memory.Emit(e, CM5_STAGE_SENT);
   x.trade.PositionModify(c.ticket, e.sl, e.tp);
   x.fills.ConcludeNoFill(x.trade, e, c.ticket, true);
  }

void CM5ModifyOrder(CTradeContext &x, const CM5Command &c, CM5Exec &e)
  {
   string sym = OrderGetString(ORDER_SYMBOL);
   ENUM_ORDER_TYPE type = (ENUM_ORDER_TYPE)OrderGetInteger(ORDER_TYPE);
   bool isBuy = (type == ORDER_TYPE_BUY_LIMIT || type == ORDER_TYPE_BUY_STOP || type == ORDER_TYPE_BUY_STOP_LIMIT);
   e.symbol = sym;
   e.digits = (int)SymbolInfoInteger(sym, SYMBOL_DIGITS);
   double newPrice = CM5NormalizePrice(sym, c.price);
   double price = newPrice > 0 ? newPrice : OrderGetDouble(ORDER_PRICE_OPEN);
   e.reqPrice = newPrice;
   e.reqVolume = 0;
   e.sl = CM5NormalizePrice(sym, c.sl);
   e.tp = CM5NormalizePrice(sym, c.tp);
   string why = "";
   if(newPrice > 0)
     {
      MqlTick tick;
      SymbolInfoTick(sym, tick);
      why = CM5PendingPriceProblem(sym, type, price, tick.bid, tick.ask);
     }
   if(why == "")
      why = CM5StopsProblem(sym, isBuy, price, price, e.sl, e.tp);
   if(why != "")
     {
      x.memory.Reject(e, CM5_REASON_INVALID_STOPS, TRADE_RETCODE_INVALID_STOPS, why);
      return;
     }
   ENUM_ORDER_TYPE_TIME typeTime = (ENUM_ORDER_TYPE_TIME)OrderGetInteger(ORDER_TYPE_TIME);
   datetime expiration = (datetime)OrderGetInteger(ORDER_TIME_EXPIRATION);
   if(c.orderExpirationMs > 0)
     {
      typeTime = ORDER_TIME_SPECIFIED;
      expiration = (datetime)(c.orderExpirationMs / 1000 + CM5ServerOffsetS());
     }
   x.trade.SetExpertMagicNumber(x.MagicOf(c));
   x.memory.Emit(e, CM5_STAGE_SENT);
   x.trade.OrderModify(c.ticket, price, e.sl, e.tp, typeTime, expiration);
   x.fills.ConcludeNoFill(x.trade, e, c.ticket, true);
  }

void CM5ExecuteModify(CTradeContext &x, const CM5Command &c, CM5Exec &e)
  {
   if(PositionSelectByTicket(c.ticket))
      CM5ModifyPosition(x, c, e);
   else if(OrderSelect(c.ticket))
      CM5ModifyOrder(x, c, e);
   else
      x.memory.Reject(e, CM5_REASON_NOT_FOUND, TRADE_RETCODE_POSITION_CLOSED, StringFormat("no open position or pending order %I64u", c.ticket));
  }

#endif
