//+------------------------------------------------------------------+
//| ClientMT5/CloseAll.mqh                                           |
//| `close_all`: every position with the command's magic (the EA's   |
//| when it says 0) closed and every such pending order deleted, of  |
//| `symbol` or of all symbols when it is "".                        |
//|                                                                  |
//|   nothing matches ─► filled (source ea, 10009, volume 0), no sent|
//|   else sent ─► one request each ─► filled when all succeeded,    |
//|        partially_filled when some, rejected when none (the first |
//|        refusal's retcode)                                        |
//+------------------------------------------------------------------+
#ifndef CM5_CLOSE_ALL_MQH
#define CM5_CLOSE_ALL_MQH

#include <ClientMT5\Protocol.mqh>
#include <ClientMT5\TradeTypes.mqh>
#include <ClientMT5\Filling.mqh>
#include <ClientMT5\TradeContext.mqh>

//--- the selected position or order is one close_all c takes
bool CM5CloseAllTakes(const CM5Command &c, const ulong magic, const long itemMagic, const string itemSymbol)
  {
   return (ulong)itemMagic == magic && (c.symbol == "" || itemSymbol == c.symbol);
  }

void CM5ExecuteCloseAll(CTradeContext &x, const CM5Command &c, CM5Exec &e)
  {
   ulong magic = x.MagicOf(c);
   // what matches, and the filling mode of the first close (the `sent` stage shows it)
   int matching = 0;
   e.filling = "";
   for(int i = PositionsTotal() - 1; i >= 0; i--)
     {
      if(PositionGetTicket(i) == 0 || !CM5CloseAllTakes(c, magic, PositionGetInteger(POSITION_MAGIC), PositionGetString(POSITION_SYMBOL)))
         continue;
      ENUM_ORDER_TYPE_FILLING mode;
      string modeName;
      if(matching == 0 && CM5ChooseFilling(PositionGetString(POSITION_SYMBOL), false, 0, mode, modeName))
         e.filling = modeName;
      matching++;
     }
   for(int i = OrdersTotal() - 1; i >= 0; i--)
      if(OrderGetTicket(i) != 0 && CM5CloseAllTakes(c, magic, OrderGetInteger(ORDER_MAGIC), OrderGetString(ORDER_SYMBOL)))
         matching++;
   e.reqVolume = 0;
   e.reqPrice = 0;
   e.sl = 0;
   e.tp = 0;
   if(matching == 0)
     {
      e.source = CM5_SOURCE_EA;
      e.retcode = TRADE_RETCODE_DONE;
      e.retcodeText = "nothing to close";
      x.memory.Emit(e, CM5_STAGE_FILLED);
      return;
     }
   x.trade.SetExpertMagicNumber(magic);
   x.trade.SetDeviationInPoints((ulong)MathMax(0, c.deviation));
   x.memory.Emit(e, CM5_STAGE_SENT);
   int done = 0, failed = 0;
   uint firstFailure = 0;
   string firstText = "";
   double closed = 0, priced = 0, notional = 0;
   for(int i = PositionsTotal() - 1; i >= 0; i--)
     {
      ulong t = PositionGetTicket(i);
      if(t == 0 || !CM5CloseAllTakes(c, magic, PositionGetInteger(POSITION_MAGIC), PositionGetString(POSITION_SYMBOL)))
         continue;
      double v = PositionGetDouble(POSITION_VOLUME);
      ENUM_ORDER_TYPE_FILLING mode;
      string modeName;
      if(CM5ChooseFilling(PositionGetString(POSITION_SYMBOL), false, 0, mode, modeName))
         x.trade.SetTypeFilling(mode);
      uint rc = 0;
      if(x.trade.PositionClose(t, (ulong)MathMax(0, c.deviation)))
         rc = x.trade.ResultRetcode();
      if(rc == TRADE_RETCODE_DONE || rc == TRADE_RETCODE_DONE_PARTIAL)
        {
         done++;
         closed += v;
         if(x.trade.ResultPrice() > 0)
           {
            priced += v;
            notional += v * x.trade.ResultPrice();
           }
         x.fills.Remember(x.trade.ResultOrder());
        }
      else
        {
         failed++;
         if(firstFailure == 0)
           {
            firstFailure = x.trade.ResultRetcode();
            firstText = x.trade.ResultComment();
           }
        }
     }
   for(int i = OrdersTotal() - 1; i >= 0; i--)
     {
      ulong t = OrderGetTicket(i);
      if(t == 0 || !CM5CloseAllTakes(c, magic, OrderGetInteger(ORDER_MAGIC), OrderGetString(ORDER_SYMBOL)))
         continue;
      if(x.trade.OrderDelete(t) && x.trade.ResultRetcode() == TRADE_RETCODE_DONE)
         done++;
      else
        {
         failed++;
         if(firstFailure == 0)
           {
            firstFailure = x.trade.ResultRetcode();
            firstText = x.trade.ResultComment();
           }
        }
     }
   e.source = CM5_SOURCE_SERVER;
   e.volume = closed;
   e.price = priced > 0 ? notional / priced : 0; // over the closes whose result carried a price
   if(failed == 0)
     {
      e.retcode = TRADE_RETCODE_DONE;
      e.retcodeText = StringFormat("%d closed or deleted", done);
      x.memory.Emit(e, CM5_STAGE_FILLED);
     }
   else
     {
      e.retcode = firstFailure;
      e.retcodeText = StringFormat("%d closed or deleted, %d refused: %s", done, failed, firstText);
      x.memory.Emit(e, done > 0 ? CM5_STAGE_PARTIALLY_FILLED : CM5_STAGE_REJECTED);
     }
  }

#endif
