//+------------------------------------------------------------------+
//| ClientMT5/Trader.mqh                                             |
//| Executes the bridge's `command`s with CTrade and reports every   |
//| stage as an `execution` (docs/protocol.md, section 1, Trading):  |
//|                                                                  |
//|   command ─► received ─► checks ─► sent ─► OrderSend ─► final    |
//|                            │                   │  deal 0: wait   |
//|                            └► rejected (ea)    └► OnTradeTrans-  |
//|                                                   action / 10 s  |
//|                                                   history lookup |
//|                                                                  |
//| One command at a time, in order; every received command ends in  |
//| exactly one final stage. The last stage of the last 1024         |
//| commands is kept for `sync` replays.                             |
//+------------------------------------------------------------------+
#ifndef CM5_TRADER_MQH
#define CM5_TRADER_MQH

#include <Trade/Trade.mqh>
#include <ClientMT5/Protocol.mqh>
#include <ClientMT5/Json.mqh>
#include <ClientMT5/Clock.mqh>
#include <ClientMT5/Account.mqh>

struct CM5Command
  {
   string            id;
   string            kind;
   string            symbol;
   string            orderType;
   double            volume;
   double            price;
   double            sl;
   double            tp;
   int               deviation;
   long              expiresAtMs;
   long              orderExpirationMs;
   ulong             ticket;
   ulong             magic;
   string            comment;
  };

struct CM5Exec
  {
   string            commandId;
   string            stage;
   string            source;
   uint              retcode;
   string            retcodeText;
   string            reason;
   string            symbol;
   ulong             ticket;
   ulong             order;
   ulong             deal;
   double            volume;
   double            price;
   double            reqVolume;
   double            reqPrice;
   double            sl;
   double            tp;
   string            filling;
   long              timeMsc;
   int               digits;
  };

class CTrader
  {
private:
   CTrade            m_trade;
   CAccountReporter *m_account;
   ulong             m_magic;
   CM5Command        m_queue[];
   int               m_queueLen;
   string            m_memIds[];
   string            m_memLast[];
   int               m_memNext;
   string            m_out[];
   int               m_outLen;
   CM5Exec           m_wait[];        // filled orders whose deal has not been seen yet
   ulong             m_waitDeadline[];
   int               m_waitLen;
   ulong             m_reported[];    // orders whose deals an execution reports (not sent as unsolicited deals)
   int               m_reportedNext;

   //--- execution JSON, replay false (a replay rewrites that one field)
   string            ExecJson(const CM5Exec &e) const
     {
      int d = e.digits > 0 ? e.digits : 8;
      CJsonWriter w;
      w.BeginObject();
      w.KStr("type", CM5_MSG_EXECUTION);
      w.KStr("command_id", e.commandId);
      w.KStr("stage", e.stage);
      w.KStr("source", e.source);
      w.KInt("retcode", e.retcode);
      w.KStr("retcode_text", e.retcodeText);
      w.KStr("reason", e.reason);
      w.KStr("symbol", e.symbol);
      w.KTicket("ticket", e.ticket);
      w.KTicket("order", e.order);
      w.KTicket("deal", e.deal);
      w.KNum("volume", e.volume);
      w.KNum("price", e.price, d);
      w.KNum("requested_volume", e.reqVolume);
      w.KNum("requested_price", e.reqPrice, d);
      w.KNum("sl", e.sl, d);
      w.KNum("tp", e.tp, d);
      w.KStr("filling", e.filling);
      w.KInt("time_msc", e.timeMsc);
      w.KBool("replay", false);
      w.EndObject();
      return w.Text();
     }

   void              Push(const string json)
     {
      if(m_outLen >= ArraySize(m_out))
         ArrayResize(m_out, MathMax(16, m_outLen * 2));
      m_out[m_outLen++] = json;
     }

   int               MemIndex(const string id) const
     {
      for(int i = 0; i < ArraySize(m_memIds); i++)
         if(m_memIds[i] == id && id != "")
            return i;
      return -1;
     }

   void              Emit(CM5Exec &e, const string stage)
     {
      e.stage = stage;
      if(e.timeMsc == 0 || (stage != CM5_STAGE_FILLED && stage != CM5_STAGE_PARTIALLY_FILLED))
         e.timeMsc = CM5ServerNowMs();
      string json = ExecJson(e);
      int slot = MemIndex(e.commandId);
      if(slot < 0)
        {
         slot = m_memNext;
         m_memNext = (m_memNext + 1) % CM5_EA_COMMAND_MEMORY;
         m_memIds[slot] = e.commandId;
        }
      m_memLast[slot] = json;
      Push(json);
     }

   void              Reject(CM5Exec &e, const string reason, const uint retcode, const string text)
     {
      e.source = CM5_SOURCE_EA;
      e.reason = reason;
      e.retcode = retcode;
      e.retcodeText = text;
      Emit(e, CM5_STAGE_REJECTED);
     }

   void              Remember(const ulong order)
     {
      if(order == 0)
         return;
      m_reported[m_reportedNext] = order;
      m_reportedNext = (m_reportedNext + 1) % ArraySize(m_reported);
     }

   //--- volume rounded down to the step; false when outside [min, max]
   bool              NormalizeVolume(const string sym, const double v, double &out, string &why) const
     {
      double step = SymbolInfoDouble(sym, SYMBOL_VOLUME_STEP);
      double vmin = SymbolInfoDouble(sym, SYMBOL_VOLUME_MIN);
      double vmax = SymbolInfoDouble(sym, SYMBOL_VOLUME_MAX);
      if(step <= 0)
         step = vmin > 0 ? vmin : 0.01;
      out = MathFloor(v / step + 1e-9) * step;
      int stepDigits = (int)MathMax(0, MathCeil(-MathLog10(step) - 1e-9));
      out = NormalizeDouble(out, stepDigits);
      if(out < vmin - 1e-12)
        {
         why = StringFormat("volume %s below SYMBOL_VOLUME_MIN %s", CM5JsonNumber(v), CM5JsonNumber(vmin));
         return false;
        }
      if(out > vmax + 1e-12)
        {
         why = StringFormat("volume %s above SYMBOL_VOLUME_MAX %s", CM5JsonNumber(v), CM5JsonNumber(vmax));
         return false;
        }
      return true;
     }

   //--- a price on the symbol's tick grid and digits; 0 stays 0
   double            NormalizePrice(const string sym, const double p) const
     {
      if(p <= 0)
         return 0;
      double tick = SymbolInfoDouble(sym, SYMBOL_TRADE_TICK_SIZE);
      int digits = (int)SymbolInfoInteger(sym, SYMBOL_DIGITS);
      double q = tick > 0 ? MathRound(p / tick) * tick : p;
      return NormalizeDouble(q, digits);
     }

   //--- SL/TP on the right side of `price` and at least stops_level points from it
   bool              StopsOk(const string sym, const bool isBuy, const double price, const double sl, const double tp, string &why) const
     {
      double point = SymbolInfoDouble(sym, SYMBOL_POINT);
      double minDist = (double)SymbolInfoInteger(sym, SYMBOL_TRADE_STOPS_LEVEL) * point;
      if(sl > 0 && (isBuy ? sl > price - minDist : sl < price + minDist))
        {
         why = StringFormat("SL %s on the wrong side of or within %d points of %s", CM5JsonNumber(sl),
                            (int)SymbolInfoInteger(sym, SYMBOL_TRADE_STOPS_LEVEL), CM5JsonNumber(price));
         return false;
        }
      if(tp > 0 && (isBuy ? tp < price + minDist : tp > price - minDist))
        {
         why = StringFormat("TP %s on the wrong side of or within %d points of %s", CM5JsonNumber(tp),
                            (int)SymbolInfoInteger(sym, SYMBOL_TRADE_STOPS_LEVEL), CM5JsonNumber(price));
         return false;
        }
      return true;
     }

   //--- the first filling mode the symbol allows, skipping those in `tried` (bit 1 FOK, 2 IOC, 4 RETURN)
   bool              ChooseFilling(const string sym, const bool pending, const int tried, ENUM_ORDER_TYPE_FILLING &mode, string &name) const
     {
      long flags = SymbolInfoInteger(sym, SYMBOL_FILLING_MODE);
      long exe = SymbolInfoInteger(sym, SYMBOL_TRADE_EXEMODE);
      if(pending && (tried & 4) == 0)
        {
         mode = ORDER_FILLING_RETURN;
         name = CM5_FILL_RETURN;
         return true;
        }
      // request and instant execution fill market orders FOK whatever the flags say
      bool fok = (flags & SYMBOL_FILLING_FOK) != 0 || exe == SYMBOL_TRADE_EXECUTION_REQUEST || exe == SYMBOL_TRADE_EXECUTION_INSTANT;
      if(fok && (tried & 1) == 0)
        {
         mode = ORDER_FILLING_FOK;
         name = CM5_FILL_FOK;
         return true;
        }
      if((flags & SYMBOL_FILLING_IOC) != 0 && (tried & 2) == 0)
        {
         mode = ORDER_FILLING_IOC;
         name = CM5_FILL_IOC;
         return true;
        }
      // market execution has no RETURN for market orders
      if(exe != SYMBOL_TRADE_EXECUTION_MARKET && (tried & 4) == 0)
        {
         mode = ORDER_FILLING_RETURN;
         name = CM5_FILL_RETURN;
         return true;
        }
      return false;
     }

   static int        FillingBit(const string name)
     {
      return name == CM5_FILL_FOK ? 1 : (name == CM5_FILL_IOC ? 2 : 4);
     }

   //--- after OrderSend: the final stage, or a wait for the deal
   void              Conclude(CM5Exec &e, const bool pendingOrder)
     {
      uint rc = m_trade.ResultRetcode();
      e.source = CM5_SOURCE_SERVER;
      e.retcode = rc;
      e.retcodeText = m_trade.ResultComment();
      if(e.retcodeText == "")
         e.retcodeText = m_trade.ResultRetcodeDescription();
      e.order = m_trade.ResultOrder();
      e.deal = m_trade.ResultDeal();
      if(rc == 0)
        {
         // refused by the terminal before it reached the server
         Reject(e, CM5_REASON_BAD_COMMAND, TRADE_RETCODE_INVALID, "OrderSend failed, error " + IntegerToString(GetLastError()));
         return;
        }
      if(rc != TRADE_RETCODE_DONE && rc != TRADE_RETCODE_DONE_PARTIAL && rc != TRADE_RETCODE_PLACED)
        {
         Emit(e, CM5_STAGE_REJECTED);
         return;
        }
      Remember(e.order);
      if(pendingOrder)
        {
         e.ticket = e.order;
         e.volume = e.reqVolume;
         e.price = e.reqPrice;
         Emit(e, CM5_STAGE_FILLED);
         return;
        }
      if(e.deal != 0 && m_trade.ResultPrice() > 0)
        {
         e.volume = m_trade.ResultVolume();
         e.price = m_trade.ResultPrice();
         if(HistoryDealSelect(e.deal))
           {
            e.ticket = (ulong)HistoryDealGetInteger(e.deal, DEAL_POSITION_ID);
            e.timeMsc = HistoryDealGetInteger(e.deal, DEAL_TIME_MSC);
           }
         Emit(e, (rc == TRADE_RETCODE_DONE_PARTIAL || e.volume < e.reqVolume - 1e-9) ? CM5_STAGE_PARTIALLY_FILLED : CM5_STAGE_FILLED);
         return;
        }
      // market and exchange execution answer 10009 with deal 0: the deal comes as a transaction
      e.volume = 0;
      e.price = 0;
      if(m_waitLen >= ArraySize(m_wait))
        {
         ArrayResize(m_wait, m_waitLen + 8);
         ArrayResize(m_waitDeadline, m_waitLen + 8);
        }
      m_wait[m_waitLen] = e;
      m_waitDeadline[m_waitLen] = GetTickCount64() + CM5_EA_FILL_WAIT_MS;
      m_waitLen++;
     }

   void              FinishWait(const int i, const string note)
     {
      CM5Exec e = m_wait[i];
      if(note != "")
         e.retcodeText = note;
      string stage = (e.volume > 0 && e.volume < e.reqVolume - 1e-9) ? CM5_STAGE_PARTIALLY_FILLED : CM5_STAGE_FILLED;
      if(e.volume == 0)
         e.volume = e.reqVolume; // 10009 said done; the deal was not seen (see note)
      Emit(e, stage);
      for(int k = i; k < m_waitLen - 1; k++)
        {
         m_wait[k] = m_wait[k + 1];
         m_waitDeadline[k] = m_waitDeadline[k + 1];
        }
      m_waitLen--;
     }

   //--- adds a deal's volume and price to a waiting execution
   void              AddDeal(CM5Exec &e, const ulong deal)
     {
      double v = HistoryDealGetDouble(deal, DEAL_VOLUME);
      double p = HistoryDealGetDouble(deal, DEAL_PRICE);
      if(e.volume + v > 0)
         e.price = (e.price * e.volume + p * v) / (e.volume + v);
      e.volume += v;
      e.deal = deal;
      e.ticket = (ulong)HistoryDealGetInteger(deal, DEAL_POSITION_ID);
      e.timeMsc = HistoryDealGetInteger(deal, DEAL_TIME_MSC);
     }

   void              ExecuteOpen(const CM5Command &c, CM5Exec &e)
     {
      ENUM_ORDER_TYPE type = ORDER_TYPE_BUY;
      bool pending = true;
      if(c.orderType == CM5_ORDER_BUY) { type = ORDER_TYPE_BUY; pending = false; }
      else if(c.orderType == CM5_ORDER_SELL) { type = ORDER_TYPE_SELL; pending = false; }
      else if(c.orderType == CM5_ORDER_BUY_LIMIT) type = ORDER_TYPE_BUY_LIMIT;
      else if(c.orderType == CM5_ORDER_SELL_LIMIT) type = ORDER_TYPE_SELL_LIMIT;
      else if(c.orderType == CM5_ORDER_BUY_STOP) type = ORDER_TYPE_BUY_STOP;
      else if(c.orderType == CM5_ORDER_SELL_STOP) type = ORDER_TYPE_SELL_STOP;
      else
        {
         Reject(e, CM5_REASON_BAD_COMMAND, TRADE_RETCODE_INVALID, "unknown order_type \"" + c.orderType + "\"");
         return;
        }
      bool isBuy = (type == ORDER_TYPE_BUY || type == ORDER_TYPE_BUY_LIMIT || type == ORDER_TYPE_BUY_STOP);
      long tradeMode = SymbolInfoInteger(c.symbol, SYMBOL_TRADE_MODE);
      if(tradeMode == SYMBOL_TRADE_MODE_DISABLED || tradeMode == SYMBOL_TRADE_MODE_CLOSEONLY
         || (tradeMode == SYMBOL_TRADE_MODE_LONGONLY && !isBuy) || (tradeMode == SYMBOL_TRADE_MODE_SHORTONLY && isBuy))
        {
         Reject(e, CM5_REASON_TRADE_DISABLED, TRADE_RETCODE_TRADE_DISABLED, "SYMBOL_TRADE_MODE " + IntegerToString(tradeMode) + " forbids this order");
         return;
        }
      string why = "";
      double volume;
      if(!NormalizeVolume(c.symbol, c.volume, volume, why))
        {
         e.reqVolume = c.volume;
         Reject(e, CM5_REASON_INVALID_VOLUME, TRADE_RETCODE_INVALID_VOLUME, why);
         return;
        }
      e.reqVolume = volume;
      MqlTick tick;
      if(!SymbolInfoTick(c.symbol, tick) || tick.bid <= 0 || tick.ask <= 0)
        {
         Reject(e, CM5_REASON_TRADE_DISABLED, TRADE_RETCODE_PRICE_OFF, "no current price for " + c.symbol);
         return;
        }
      double price = pending ? NormalizePrice(c.symbol, c.price) : (isBuy ? tick.ask : tick.bid);
      if(pending && price <= 0)
        {
         Reject(e, CM5_REASON_BAD_COMMAND, TRADE_RETCODE_INVALID, "a pending order needs a price");
         return;
        }
      e.reqPrice = price;
      e.sl = NormalizePrice(c.symbol, c.sl);
      e.tp = NormalizePrice(c.symbol, c.tp);
      if(!StopsOk(c.symbol, isBuy, price, e.sl, e.tp, why))
        {
         Reject(e, CM5_REASON_INVALID_STOPS, TRADE_RETCODE_INVALID_STOPS, why);
         return;
        }
      if(pending)
        {
         double minDist = (double)SymbolInfoInteger(c.symbol, SYMBOL_TRADE_STOPS_LEVEL) * SymbolInfoDouble(c.symbol, SYMBOL_POINT);
         bool ok = true;
         if(type == ORDER_TYPE_BUY_LIMIT) ok = price <= tick.ask - minDist;
         else if(type == ORDER_TYPE_SELL_LIMIT) ok = price >= tick.bid + minDist;
         else if(type == ORDER_TYPE_BUY_STOP) ok = price >= tick.ask + minDist;
         else if(type == ORDER_TYPE_SELL_STOP) ok = price <= tick.bid - minDist;
         if(!ok)
           {
            Reject(e, CM5_REASON_INVALID_STOPS, TRADE_RETCODE_INVALID_STOPS, StringFormat("%s price %s on the wrong side of or too near the market (bid %s, ask %s)",
                   c.orderType, CM5JsonNumber(price), CM5JsonNumber(tick.bid), CM5JsonNumber(tick.ask)));
            return;
           }
        }
      ENUM_ORDER_TYPE_TIME typeTime = ORDER_TIME_GTC;
      datetime expiration = 0;
      if(pending && c.orderExpirationMs > 0)
        {
         typeTime = ORDER_TIME_SPECIFIED;
         expiration = (datetime)(c.orderExpirationMs / 1000 + CM5ServerOffsetS());
        }
      int tried = 0;
      for(int attempt = 0; attempt < 2; attempt++)
        {
         ENUM_ORDER_TYPE_FILLING mode;
         string modeName;
         if(!ChooseFilling(c.symbol, pending, tried, mode, modeName))
           {
            if(attempt == 0)
               Reject(e, CM5_REASON_NO_FILLING_MODE, TRADE_RETCODE_INVALID_FILL, "SYMBOL_FILLING_MODE " + IntegerToString(SymbolInfoInteger(c.symbol, SYMBOL_FILLING_MODE)) + " allows no usable filling mode");
            else
               Emit(e, CM5_STAGE_REJECTED); // the server's 10030 of the first attempt stands
            return;
           }
         tried |= FillingBit(modeName);
         e.filling = modeName;
         m_trade.SetExpertMagicNumber(c.magic != 0 ? c.magic : m_magic);
         m_trade.SetDeviationInPoints((ulong)MathMax(0, c.deviation));
         m_trade.SetTypeFilling(mode);
         if(attempt == 0)
            Emit(e, CM5_STAGE_SENT);
         switch(type)
           {
            case ORDER_TYPE_BUY:        m_trade.Buy(volume, c.symbol, price, e.sl, e.tp, c.comment); break;
            case ORDER_TYPE_SELL:       m_trade.Sell(volume, c.symbol, price, e.sl, e.tp, c.comment); break;
            case ORDER_TYPE_BUY_LIMIT:  m_trade.BuyLimit(volume, price, c.symbol, e.sl, e.tp, typeTime, expiration, c.comment); break;
            case ORDER_TYPE_SELL_LIMIT: m_trade.SellLimit(volume, price, c.symbol, e.sl, e.tp, typeTime, expiration, c.comment); break;
            case ORDER_TYPE_BUY_STOP:   m_trade.BuyStop(volume, price, c.symbol, e.sl, e.tp, typeTime, expiration, c.comment); break;
            default:                    m_trade.SellStop(volume, price, c.symbol, e.sl, e.tp, typeTime, expiration, c.comment); break;
           }
         if(m_trade.ResultRetcode() == TRADE_RETCODE_INVALID_FILL && attempt == 0)
           {
            e.source = CM5_SOURCE_SERVER;
            e.retcode = TRADE_RETCODE_INVALID_FILL;
            e.retcodeText = m_trade.ResultComment();
            continue; // once more with the next allowed mode
           }
         Conclude(e, pending);
         return;
        }
     }

   void              ExecuteClose(const CM5Command &c, CM5Exec &e)
     {
      if(PositionSelectByTicket(c.ticket))
        {
         string sym = PositionGetString(POSITION_SYMBOL);
         bool isBuy = PositionGetInteger(POSITION_TYPE) == POSITION_TYPE_BUY;
         double posVolume = PositionGetDouble(POSITION_VOLUME);
         e.symbol = sym;
         e.digits = (int)SymbolInfoInteger(sym, SYMBOL_DIGITS);
         MqlTick tick;
         SymbolInfoTick(sym, tick);
         e.reqPrice = isBuy ? tick.bid : tick.ask;
         double freeze = (double)SymbolInfoInteger(sym, SYMBOL_TRADE_FREEZE_LEVEL) * SymbolInfoDouble(sym, SYMBOL_POINT);
         double sl = PositionGetDouble(POSITION_SL), tp = PositionGetDouble(POSITION_TP);
         if(freeze > 0 && ((sl > 0 && MathAbs(e.reqPrice - sl) < freeze) || (tp > 0 && MathAbs(e.reqPrice - tp) < freeze)))
           {
            Reject(e, CM5_REASON_FROZEN, TRADE_RETCODE_FROZEN, "the position's SL or TP is within the freeze level");
            return;
           }
         double volume = posVolume;
         string why = "";
         if(c.volume > 0 && c.volume < posVolume - 1e-9)
           {
            if(!NormalizeVolume(sym, c.volume, volume, why))
              {
               e.reqVolume = c.volume;
               Reject(e, CM5_REASON_INVALID_VOLUME, TRADE_RETCODE_INVALID_VOLUME, why);
               return;
              }
           }
         e.reqVolume = volume;
         e.ticket = c.ticket;
         ENUM_ORDER_TYPE_FILLING mode;
         string modeName;
         if(!ChooseFilling(sym, false, 0, mode, modeName))
           {
            Reject(e, CM5_REASON_NO_FILLING_MODE, TRADE_RETCODE_INVALID_FILL, "no usable filling mode for " + sym);
            return;
           }
         e.filling = modeName;
         m_trade.SetTypeFilling(mode);
         m_trade.SetExpertMagicNumber(c.magic != 0 ? c.magic : m_magic);
         Emit(e, CM5_STAGE_SENT);
         m_trade.SetDeviationInPoints((ulong)MathMax(0, c.deviation));
         if(volume >= posVolume - 1e-9)
            m_trade.PositionClose(c.ticket, (ulong)MathMax(0, c.deviation));
         else if(AccountInfoInteger(ACCOUNT_MARGIN_MODE) == ACCOUNT_MARGIN_MODE_RETAIL_HEDGING)
            m_trade.PositionClosePartial(c.ticket, volume, (ulong)MathMax(0, c.deviation));
         else if(isBuy) // netting: an opposite deal of that volume reduces the symbol's one position
            m_trade.Sell(volume, sym, e.reqPrice, sl, tp, c.comment); // keep the position's levels
         else
            m_trade.Buy(volume, sym, e.reqPrice, sl, tp, c.comment);
         Conclude(e, false);
         return;
        }
      if(OrderSelect(c.ticket))
        {
         e.symbol = OrderGetString(ORDER_SYMBOL);
         e.reqVolume = OrderGetDouble(ORDER_VOLUME_CURRENT);
         e.reqPrice = OrderGetDouble(ORDER_PRICE_OPEN);
         Emit(e, CM5_STAGE_SENT);
         m_trade.OrderDelete(c.ticket);
         CloseResult(e, c.ticket);
         return;
        }
      Reject(e, CM5_REASON_NOT_FOUND, TRADE_RETCODE_POSITION_CLOSED, "no open position or pending order " + StringFormat("%I64u", c.ticket));
     }

   //--- final stage of a request that fills nothing (delete, modify): 10009 is `filled`
   void              CloseResult(CM5Exec &e, const ulong ticket)
     {
      uint rc = m_trade.ResultRetcode();
      e.source = CM5_SOURCE_SERVER;
      e.retcode = rc;
      e.retcodeText = m_trade.ResultComment() != "" ? m_trade.ResultComment() : m_trade.ResultRetcodeDescription();
      e.ticket = ticket;
      if(rc == TRADE_RETCODE_DONE || rc == TRADE_RETCODE_PLACED)
         Emit(e, CM5_STAGE_FILLED);
      else if(rc == 0)
         Reject(e, CM5_REASON_BAD_COMMAND, TRADE_RETCODE_INVALID, "OrderSend failed, error " + IntegerToString(GetLastError()));
      else
         Emit(e, CM5_STAGE_REJECTED);
     }

   void              ExecuteModify(const CM5Command &c, CM5Exec &e)
     {
      string why = "";
      if(PositionSelectByTicket(c.ticket))
        {
         string sym = PositionGetString(POSITION_SYMBOL);
         bool isBuy = PositionGetInteger(POSITION_TYPE) == POSITION_TYPE_BUY;
         e.symbol = sym;
         e.digits = (int)SymbolInfoInteger(sym, SYMBOL_DIGITS);
         e.sl = NormalizePrice(sym, c.sl);
         e.tp = NormalizePrice(sym, c.tp);
         MqlTick tick;
         SymbolInfoTick(sym, tick);
         double closeAt = isBuy ? tick.bid : tick.ask;
         if(!StopsOk(sym, isBuy, closeAt, e.sl, e.tp, why))
           {
            Reject(e, CM5_REASON_INVALID_STOPS, TRADE_RETCODE_INVALID_STOPS, why);
            return;
           }
         Emit(e, CM5_STAGE_SENT);
         m_trade.PositionModify(c.ticket, e.sl, e.tp);
         CloseResult(e, c.ticket);
         return;
        }
      if(OrderSelect(c.ticket))
        {
         string sym = OrderGetString(ORDER_SYMBOL);
         long type = OrderGetInteger(ORDER_TYPE);
         bool isBuy = (type == ORDER_TYPE_BUY_LIMIT || type == ORDER_TYPE_BUY_STOP || type == ORDER_TYPE_BUY_STOP_LIMIT);
         e.symbol = sym;
         e.digits = (int)SymbolInfoInteger(sym, SYMBOL_DIGITS);
         double price = c.price > 0 ? NormalizePrice(sym, c.price) : OrderGetDouble(ORDER_PRICE_OPEN);
         e.reqPrice = price;
         e.reqVolume = OrderGetDouble(ORDER_VOLUME_CURRENT);
         e.sl = NormalizePrice(sym, c.sl);
         e.tp = NormalizePrice(sym, c.tp);
         if(!StopsOk(sym, isBuy, price, e.sl, e.tp, why))
           {
            Reject(e, CM5_REASON_INVALID_STOPS, TRADE_RETCODE_INVALID_STOPS, why);
            return;
           }
         ENUM_ORDER_TYPE_TIME typeTime = (ENUM_ORDER_TYPE_TIME)OrderGetInteger(ORDER_TYPE_TIME);
         datetime expiration = (datetime)OrderGetInteger(ORDER_TIME_EXPIRATION);
         if(c.orderExpirationMs > 0)
           {
            typeTime = ORDER_TIME_SPECIFIED;
            expiration = (datetime)(c.orderExpirationMs / 1000 + CM5ServerOffsetS());
           }
         Emit(e, CM5_STAGE_SENT);
         m_trade.OrderModify(c.ticket, price, e.sl, e.tp, typeTime, expiration);
         CloseResult(e, c.ticket);
         return;
        }
      Reject(e, CM5_REASON_NOT_FOUND, TRADE_RETCODE_POSITION_CLOSED, "no open position or pending order " + StringFormat("%I64u", c.ticket));
     }

   void              ExecuteCloseAll(const CM5Command &c, CM5Exec &e)
     {
      ulong magic = c.magic != 0 ? c.magic : m_magic;
      m_trade.SetExpertMagicNumber(magic);
      Emit(e, CM5_STAGE_SENT);
      int done = 0, failed = 0;
      uint firstFailure = 0;
      string firstText = "";
      double closed = 0;
      for(int i = PositionsTotal() - 1; i >= 0; i--)
        {
         ulong t = PositionGetTicket(i);
         if(t == 0 || (ulong)PositionGetInteger(POSITION_MAGIC) != magic)
            continue;
         string sym = PositionGetString(POSITION_SYMBOL);
         if(c.symbol != "" && sym != c.symbol)
            continue;
         double v = PositionGetDouble(POSITION_VOLUME);
         ENUM_ORDER_TYPE_FILLING mode;
         string modeName;
         if(ChooseFilling(sym, false, 0, mode, modeName))
            m_trade.SetTypeFilling(mode);
         if(m_trade.PositionClose(t, (ulong)MathMax(0, c.deviation)) &&
            (m_trade.ResultRetcode() == TRADE_RETCODE_DONE || m_trade.ResultRetcode() == TRADE_RETCODE_DONE_PARTIAL))
           {
            done++;
            closed += v;
            Remember(m_trade.ResultOrder());
           }
         else
           {
            failed++;
            if(firstFailure == 0)
              {
               firstFailure = m_trade.ResultRetcode();
               firstText = m_trade.ResultComment();
              }
           }
        }
      for(int i = OrdersTotal() - 1; i >= 0; i--)
        {
         ulong t = OrderGetTicket(i);
         if(t == 0 || (ulong)OrderGetInteger(ORDER_MAGIC) != magic)
            continue;
         if(c.symbol != "" && OrderGetString(ORDER_SYMBOL) != c.symbol)
            continue;
         if(m_trade.OrderDelete(t) && m_trade.ResultRetcode() == TRADE_RETCODE_DONE)
            done++;
         else
           {
            failed++;
            if(firstFailure == 0)
              {
               firstFailure = m_trade.ResultRetcode();
               firstText = m_trade.ResultComment();
              }
           }
        }
      e.source = CM5_SOURCE_SERVER;
      e.volume = closed;
      e.reqVolume = closed;
      if(failed == 0)
        {
         e.retcode = TRADE_RETCODE_DONE;
         e.retcodeText = StringFormat("%d closed or deleted", done);
         Emit(e, CM5_STAGE_FILLED);
        }
      else
        {
         e.retcode = firstFailure;
         e.retcodeText = StringFormat("%d closed or deleted, %d refused: %s", done, failed, firstText);
         Emit(e, done > 0 ? CM5_STAGE_PARTIALLY_FILLED : CM5_STAGE_REJECTED);
        }
     }

public:
                     CTrader(void) : m_account(NULL), m_magic(0), m_queueLen(0), m_memNext(0), m_outLen(0), m_waitLen(0), m_reportedNext(0) {}

   void              Init(const ulong magic, CAccountReporter *account)
     {
      m_magic = magic;
      m_account = account;
      ArrayResize(m_memIds, CM5_EA_COMMAND_MEMORY);
      ArrayResize(m_memLast, CM5_EA_COMMAND_MEMORY);
      ArrayResize(m_reported, 256);
      ArrayInitialize(m_reported, 0);
      m_trade.SetExpertMagicNumber(magic);
      m_trade.SetAsyncMode(false);
      m_trade.LogLevel(LOG_LEVEL_ERRORS);
     }

   //--- a `command` from the bridge: `received` at once, then queued (or answered from memory)
   void              OnCommand(CJsonReader &r, const int root)
     {
      CM5Command c;
      c.id = r.GetStr(root, "command_id");
      c.kind = r.GetStr(root, "kind");
      c.symbol = r.GetStr(root, "symbol");
      c.orderType = r.GetStr(root, "order_type");
      c.volume = r.GetNum(root, "volume");
      c.price = r.GetNum(root, "price");
      c.sl = r.GetNum(root, "sl");
      c.tp = r.GetNum(root, "tp");
      c.deviation = (int)r.GetLong(root, "deviation_points");
      c.expiresAtMs = r.GetLong(root, "expires_at_ms");
      c.orderExpirationMs = r.GetLong(root, "order_expiration_ms");
      c.ticket = (ulong)StringToInteger(r.GetStr(root, "ticket"));
      c.magic = (ulong)r.GetLong(root, "magic");
      c.comment = StringSubstr(r.GetStr(root, "comment"), 0, CM5_COMMENT_MAX_CHARS);
      // symbol_id is informational (-1: not streamed); the name is authoritative
      if(r.GetLong(root, "symbol_id", -1) < 0 && c.kind == CM5_CMD_OPEN)
         Print("ClientMT5: command ", c.id, " for ", c.symbol, ", a symbol this EA does not stream");
      if(c.id == "")
        {
         Print("ClientMT5: ignoring a command without command_id");
         return;
        }
      int slot = MemIndex(c.id);
      if(slot >= 0)
        {
         // a command_id seen before: not executed again; its latest stage, as a replay
         string json = m_memLast[slot];
         StringReplace(json, "\"replay\":false", "\"replay\":true");
         Push(json);
         return;
        }
      CM5Exec e;
      ZeroMemory(e);
      e.commandId = c.id;
      e.symbol = c.symbol;
      e.source = CM5_SOURCE_EA;
      e.reqVolume = c.volume;
      e.reqPrice = c.price;
      e.sl = c.sl;
      e.tp = c.tp;
      e.digits = c.symbol != "" ? (int)SymbolInfoInteger(c.symbol, SYMBOL_DIGITS) : 8;
      Emit(e, CM5_STAGE_RECEIVED);
      if(m_queueLen >= CM5_EA_COMMAND_QUEUE)
        {
         Reject(e, CM5_REASON_BUSY, TRADE_RETCODE_TOO_MANY_REQUESTS, "the EA's command queue is full");
         return;
        }
      if(m_queueLen >= ArraySize(m_queue))
         ArrayResize(m_queue, MathMax(16, m_queueLen * 2));
      m_queue[m_queueLen++] = c;
     }

   //--- executes the oldest queued command (blocks for the trade server's answer)
   void              ProcessOne(void)
     {
      if(m_queueLen == 0)
         return;
      CM5Command c = m_queue[0];
      for(int i = 1; i < m_queueLen; i++)
         m_queue[i - 1] = m_queue[i];
      m_queueLen--;

      CM5Exec e;
      ZeroMemory(e);
      e.commandId = c.id;
      e.symbol = c.symbol;
      e.source = CM5_SOURCE_EA;
      e.reqVolume = c.volume;
      e.reqPrice = c.price;
      e.sl = c.sl;
      e.tp = c.tp;
      e.digits = c.symbol != "" ? (int)SymbolInfoInteger(c.symbol, SYMBOL_DIGITS) : 8;
      if(c.expiresAtMs > 0 && CM5UtcNowMs() >= c.expiresAtMs)
        {
         Reject(e, CM5_REASON_EXPIRED, 0, "expires_at_ms passed before the EA started it");
         return;
        }
      if(!CM5TradeAllowed())
        {
         Reject(e, CM5_REASON_TRADE_DISABLED, TRADE_RETCODE_CLIENT_DISABLES_AT, "algo trading is disabled in the terminal, for this EA, or for the account");
         return;
        }
      bool needsSymbol = (c.kind == CM5_CMD_OPEN) || (c.kind == CM5_CMD_CLOSE_ALL && c.symbol != "");
      if(needsSymbol && !SymbolSelect(c.symbol, true))
        {
         Reject(e, CM5_REASON_UNKNOWN_SYMBOL, TRADE_RETCODE_INVALID, "the terminal has no symbol \"" + c.symbol + "\"");
         return;
        }
      if(c.kind == CM5_CMD_OPEN)
        {
         if(c.volume <= 0)
            Reject(e, CM5_REASON_BAD_COMMAND, TRADE_RETCODE_INVALID, "open needs a volume > 0");
         else
            ExecuteOpen(c, e);
        }
      else if(c.kind == CM5_CMD_CLOSE || c.kind == CM5_CMD_MODIFY)
        {
         if(c.ticket == 0)
            Reject(e, CM5_REASON_BAD_COMMAND, TRADE_RETCODE_INVALID, c.kind + " needs a ticket");
         else if(c.kind == CM5_CMD_CLOSE)
            ExecuteClose(c, e);
         else
            ExecuteModify(c, e);
        }
      else if(c.kind == CM5_CMD_CLOSE_ALL)
         ExecuteCloseAll(c, e);
      else
         Reject(e, CM5_REASON_BAD_COMMAND, TRADE_RETCODE_INVALID, "unknown kind \"" + c.kind + "\"");
     }

   //--- OnTradeTransaction: deals of waiting commands; others of the EA as unsolicited `deals`
   void              OnTransaction(const MqlTradeTransaction &trans)
     {
      if(trans.type != TRADE_TRANSACTION_DEAL_ADD || trans.deal == 0)
         return;
      if(!HistoryDealSelect(trans.deal))
         return;
      ulong order = (ulong)HistoryDealGetInteger(trans.deal, DEAL_ORDER);
      for(int i = 0; i < m_waitLen; i++)
        {
         if(m_wait[i].order != order)
            continue;
         AddDeal(m_wait[i], trans.deal);
         if(m_wait[i].volume >= m_wait[i].reqVolume - 1e-9)
            FinishWait(i, "");
         return;
        }
      for(int i = 0; i < ArraySize(m_reported); i++)
         if(m_reported[i] == order)
            return; // an execution reports it
      if(m_account != NULL && m_account.IsEaDeal(trans.deal))
         Push(m_account.OneDealMessage(trans.deal));
     }

   //--- waits past their 10 s: take the order's deals from the history, report what is there
   void              CheckWaits(void)
     {
      ulong now = GetTickCount64();
      for(int i = m_waitLen - 1; i >= 0; i--)
        {
         if(now < m_waitDeadline[i])
            continue;
         if(HistorySelect(TimeCurrent() - 86400, TimeCurrent() + 86400))
           {
            for(int k = 0; k < HistoryDealsTotal(); k++)
              {
               ulong deal = HistoryDealGetTicket(k);
               if(deal != 0 && (ulong)HistoryDealGetInteger(deal, DEAL_ORDER) == m_wait[i].order && deal != m_wait[i].deal)
                  AddDeal(m_wait[i], deal);
              }
           }
         FinishWait(i, m_wait[i].volume > 0 ? "" : "10009 without a deal seen within 10 s");
        }
     }

   //--- `sync`: replays of the listed commands this run knows; the others go to `unknown`
   void              Replay(const string &ids[], string &unknown[])
     {
      ArrayResize(unknown, 0);
      for(int i = 0; i < ArraySize(ids); i++)
        {
         int slot = MemIndex(ids[i]);
         if(slot < 0)
           {
            int n = ArraySize(unknown);
            ArrayResize(unknown, n + 1);
            unknown[n] = ids[i];
            continue;
           }
         string json = m_memLast[slot];
         StringReplace(json, "\"replay\":false", "\"replay\":true");
         Push(json);
        }
     }

   //--- control messages waiting to go out, oldest first; they wait while the link is down
   int               Pending(void) const { return m_outLen; }
   string            Peek(void) const { return m_outLen > 0 ? m_out[0] : ""; }
   void              Pop(void)
     {
      for(int i = 1; i < m_outLen; i++)
         m_out[i - 1] = m_out[i];
      if(m_outLen > 0)
         m_outLen--;
     }
   bool              Busy(void) const { return m_queueLen > 0 || m_waitLen > 0; }
  };

#endif
