//+------------------------------------------------------------------+
//| ClientMT5/ExecuteOpen.mqh                                        |
//| `open`: a market order (buy, sell) or a pending order (limits,   |
//| stops). Checks, in this order: order type, the symbol's trade    |
//| mode, volume, a current price, a pending order's price, SL/TP,   |
//| the filling mode; then `sent`, CTrade, and one retry with the    |
//| next filling mode after the server's 10030.                      |
//+------------------------------------------------------------------+
#ifndef CM5_EXECUTE_OPEN_MQH
#define CM5_EXECUTE_OPEN_MQH

#include <ClientMT5\Protocol.mqh>
#include <ClientMT5\Clock.mqh>
#include <ClientMT5\TradeTypes.mqh>
#include <ClientMT5\TradeChecks.mqh>
#include <ClientMT5\Filling.mqh>
#include <ClientMT5\TradeContext.mqh>

//--- the order type of command.order_type; false for an unknown name
bool CM5OrderTypeOf(const string name, ENUM_ORDER_TYPE &type)
  {
   if(name == CM5_ORDER_BUY) type = ORDER_TYPE_BUY;
   else if(name == CM5_ORDER_SELL) type = ORDER_TYPE_SELL;
   else if(name == CM5_ORDER_BUY_LIMIT) type = ORDER_TYPE_BUY_LIMIT;
   else if(name == CM5_ORDER_SELL_LIMIT) type = ORDER_TYPE_SELL_LIMIT;
   else if(name == CM5_ORDER_BUY_STOP) type = ORDER_TYPE_BUY_STOP;
   else if(name == CM5_ORDER_SELL_STOP) type = ORDER_TYPE_SELL_STOP;
   else return false;
   return true;
  }

//--- the one request of an open, with CTrade's helpers (they run CTrade's own filling check)
void CM5SendOpen(CM5Trade &trade, const ENUM_ORDER_TYPE type, const CM5Command &c, const double volume, const double price,
                 const double sl, const double tp, const ENUM_ORDER_TYPE_TIME typeTime, const datetime expiration)
  {
   switch(type)
     {
      case ORDER_TYPE_BUY:        trade.Buy(volume, c.symbol, price, sl, tp, c.comment); break;
      case ORDER_TYPE_SELL:       trade.Sell(volume, c.symbol, price, sl, tp, c.comment); break;
      case ORDER_TYPE_BUY_LIMIT:  trade.BuyLimit(volume, price, c.symbol, sl, tp, typeTime, expiration, c.comment); break;
      case ORDER_TYPE_SELL_LIMIT: trade.SellLimit(volume, price, c.symbol, sl, tp, typeTime, expiration, c.comment); break;
      case ORDER_TYPE_BUY_STOP:   trade.BuyStop(volume, price, c.symbol, sl, tp, typeTime, expiration, c.comment); break;
      default:                    trade.SellStop(volume, price, c.symbol, sl, tp, typeTime, expiration, c.comment); break;
     }
  }

void CM5ExecuteOpen(CTradeContext &x, const CM5Command &c, CM5Exec &e)
  {
   ENUM_ORDER_TYPE type = ORDER_TYPE_BUY;
   if(!CM5OrderTypeOf(c.orderType, type))
     {
      x.memory.Reject(e, CM5_REASON_BAD_COMMAND, TRADE_RETCODE_INVALID, "unknown order_type \"" + c.orderType + "\"");
      return;
     }
   bool pending = type != ORDER_TYPE_BUY && type != ORDER_TYPE_SELL;
   bool isBuy = (type == ORDER_TYPE_BUY || type == ORDER_TYPE_BUY_LIMIT || type == ORDER_TYPE_BUY_STOP);
   long tradeMode = SymbolInfoInteger(c.symbol, SYMBOL_TRADE_MODE);
   if(tradeMode == SYMBOL_TRADE_MODE_DISABLED || tradeMode == SYMBOL_TRADE_MODE_CLOSEONLY
      || (tradeMode == SYMBOL_TRADE_MODE_LONGONLY && !isBuy) || (tradeMode == SYMBOL_TRADE_MODE_SHORTONLY && isBuy))
     {
      x.memory.Reject(e, CM5_REASON_TRADE_DISABLED, TRADE_RETCODE_TRADE_DISABLED, "SYMBOL_TRADE_MODE " + IntegerToString(tradeMode) + " forbids this order");
      return;
     }
   string why = "";
   double volume;
   if(!CM5NormalizeVolume(c.symbol, c.volume, volume, why))
     {
      x.memory.Reject(e, CM5_REASON_INVALID_VOLUME, TRADE_RETCODE_INVALID_VOLUME, why);
      return;
     }
   e.reqVolume = volume;
   MqlTick tick;
   if(!SymbolInfoTick(c.symbol, tick) || tick.bid <= 0 || tick.ask <= 0)
     {
      x.memory.Reject(e, CM5_REASON_TRADE_DISABLED, TRADE_RETCODE_PRICE_OFF, "no current price for " + c.symbol);
      return;
     }
   // a market order's requested price is the ask (buy) or bid (sell) seen now: slippage counts from it
   double price = pending ? CM5NormalizePrice(c.symbol, c.price) : (isBuy ? tick.ask : tick.bid);
   if(pending && price <= 0)
     {
      x.memory.Reject(e, CM5_REASON_BAD_COMMAND, TRADE_RETCODE_INVALID, "a pending order needs a price");
      return;
     }
   e.reqPrice = price;
   e.sl = CM5NormalizePrice(c.symbol, c.sl);
   e.tp = CM5NormalizePrice(c.symbol, c.tp);
   if(pending)
      why = CM5PendingPriceProblem(c.symbol, type, price, tick.bid, tick.ask);
   if(why == "")
      why = CM5StopsProblem(c.symbol, isBuy, price, pending ? price : (isBuy ? tick.bid : tick.ask), e.sl, e.tp);
   if(why != "")
     {
      x.memory.Reject(e, CM5_REASON_INVALID_STOPS, TRADE_RETCODE_INVALID_STOPS, why);
      return;
     }
   ENUM_ORDER_TYPE_TIME typeTime = ORDER_TIME_GTC;
   datetime expiration = 0;
   if(pending && c.orderExpirationMs > 0)
     {
      typeTime = ORDER_TIME_SPECIFIED; // server clock, whole seconds
      expiration = (datetime)(c.orderExpirationMs / 1000 + CM5ServerOffsetS());
     }
   ENUM_ORDER_TYPE_FILLING mode;
   string modeName;
   if(!CM5ChooseFilling(c.symbol, pending, 0, mode, modeName))
     {
      x.memory.Reject(e, CM5_REASON_NO_FILLING_MODE, TRADE_RETCODE_INVALID_FILL, "SYMBOL_FILLING_MODE " + IntegerToString(SymbolInfoInteger(c.symbol, SYMBOL_FILLING_MODE)) + " allows no usable filling mode");
      return;
     }
   e.filling = modeName;
   x.trade.SetExpertMagicNumber(x.MagicOf(c));
   x.trade.SetDeviationInPoints((ulong)MathMax(0, c.deviation));
   x.trade.SetTypeFilling(mode);
   x.memory.Emit(e, CM5_STAGE_SENT);
   CM5SendOpen(x.trade, type, c, volume, price, e.sl, e.tp, typeTime, expiration);
   if(x.trade.ResultRetcode() == TRADE_RETCODE_INVALID_FILL
      && CM5ChooseFilling(c.symbol, pending, CM5FillingBit(modeName), mode, modeName))
     {
      e.filling = modeName; // once more with the next allowed mode
      x.trade.ResendWithFilling(mode);
     }
   x.fills.Conclude(x.trade, e, pending);
  }

#endif
