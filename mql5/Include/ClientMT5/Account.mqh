//+------------------------------------------------------------------+
//| ClientMT5/Account.mqh                                            |
//| The `account`, `positions` and `deals` reports and the `hello`   |
//| account and symbol specs (docs/protocol.md, section 1).          |
//| Account: at each welcome, on change (at most once a second) and  |
//| every 60 s. Positions: at each welcome, on change, every 60 s.   |
//+------------------------------------------------------------------+
#ifndef CM5_ACCOUNT_MQH
#define CM5_ACCOUNT_MQH

#include <ClientMT5\Protocol.mqh>
#include <ClientMT5\Json.mqh>
#include <ClientMT5\Clock.mqh>

string CM5PositionTypeName(const long type)
  {
   return type == POSITION_TYPE_BUY ? CM5_ORDER_BUY : CM5_ORDER_SELL;
  }

string CM5OrderTypeName(const long type)
  {
   switch((int)type)
     {
      case ORDER_TYPE_BUY:        return CM5_ORDER_BUY;
      case ORDER_TYPE_SELL:       return CM5_ORDER_SELL;
      case ORDER_TYPE_BUY_LIMIT:  return CM5_ORDER_BUY_LIMIT;
      case ORDER_TYPE_SELL_LIMIT: return CM5_ORDER_SELL_LIMIT;
      case ORDER_TYPE_BUY_STOP:   return CM5_ORDER_BUY_STOP;
      case ORDER_TYPE_SELL_STOP:  return CM5_ORDER_SELL_STOP;
     }
   return "other";
  }

string CM5DealEntryName(const long entry)
  {
   switch((int)entry)
     {
      case DEAL_ENTRY_IN:    return "in";
      case DEAL_ENTRY_OUT:   return "out";
      case DEAL_ENTRY_INOUT: return "inout";
      case DEAL_ENTRY_OUT_BY: return "out_by";
     }
   return "other";
  }

string CM5DealReasonName(const long reason)
  {
   switch((int)reason)
     {
      case DEAL_REASON_CLIENT:   return "client";
      case DEAL_REASON_MOBILE:   return "mobile";
      case DEAL_REASON_WEB:      return "web";
      case DEAL_REASON_EXPERT:   return "expert";
      case DEAL_REASON_SL:       return "sl";
      case DEAL_REASON_TP:       return "tp";
      case DEAL_REASON_SO:       return "so";
      case DEAL_REASON_ROLLOVER: return "rollover";
      case DEAL_REASON_VMARGIN:  return "vmargin";
      case DEAL_REASON_SPLIT:    return "split";
     }
   return "other";
  }

//--- the EA may trade now (account.trade_allowed)
bool CM5TradeAllowed(void)
  {
   return TerminalInfoInteger(TERMINAL_TRADE_ALLOWED) != 0
          && MQLInfoInteger(MQL_TRADE_ALLOWED) != 0
          && AccountInfoInteger(ACCOUNT_TRADE_ALLOWED) != 0
          && AccountInfoInteger(ACCOUNT_TRADE_EXPERT) != 0;
  }

class CAccountReporter
  {
private:
   ulong             m_magic;
   double            m_lastBalance;
   double            m_lastEquity;
   double            m_lastMargin;
   double            m_lastFree;
   ulong             m_lastAccountTick;
   ulong             m_lastPositionsTick;
   string            m_lastPositionsKey;

   //--- an EA deal: our magic, or a command's comment
   bool              IsOurs(const long magic, const string comment) const
     {
      return (ulong)magic == m_magic || StringFind(comment, CM5_COMMENT_PREFIX) == 0;
     }

   //--- what makes two position/order lists different for the bridge (not the floating profit)
   string            PositionsKey(void) const
     {
      string key = "";
      for(int i = 0; i < PositionsTotal(); i++)
        {
         ulong t = PositionGetTicket(i);
         if(t == 0)
            continue;
         key += StringFormat("p%I64u:%.8f:%.8f:%.8f;", t, PositionGetDouble(POSITION_VOLUME),
                             PositionGetDouble(POSITION_SL), PositionGetDouble(POSITION_TP));
        }
      for(int i = 0; i < OrdersTotal(); i++)
        {
         ulong t = OrderGetTicket(i);
         if(t == 0)
            continue;
         key += StringFormat("o%I64u:%.8f:%.8f:%.8f:%.8f;", t, OrderGetDouble(ORDER_VOLUME_CURRENT),
                             OrderGetDouble(ORDER_PRICE_OPEN), OrderGetDouble(ORDER_SL), OrderGetDouble(ORDER_TP));
        }
      return key;
     }

public:
                     CAccountReporter(void) : m_magic(0), m_lastBalance(-1), m_lastEquity(-1), m_lastMargin(-1), m_lastFree(-1),
                     m_lastAccountTick(0), m_lastPositionsTick(0), m_lastPositionsKey("") {}

   void              Init(const ulong magic) { m_magic = magic; }

   //--- hello.account
   static void       WriteHelloAccount(CJsonWriter &w)
     {
      w.Key("account").BeginObject();
      w.KStr("login", StringFormat("%I64d", AccountInfoInteger(ACCOUNT_LOGIN)));
      w.KStr("server", AccountInfoString(ACCOUNT_SERVER));
      w.KStr("company", AccountInfoString(ACCOUNT_COMPANY));
      w.KStr("currency", AccountInfoString(ACCOUNT_CURRENCY));
      w.KInt("leverage", AccountInfoInteger(ACCOUNT_LEVERAGE));
      w.KInt("trade_mode", AccountInfoInteger(ACCOUNT_TRADE_MODE));
      w.KInt("margin_mode", AccountInfoInteger(ACCOUNT_MARGIN_MODE));
      w.EndObject();
     }

   //--- one hello.symbols[] entry
   static void       WriteSymbolSpec(CJsonWriter &w, const string name)
     {
      w.BeginObject();
      w.KStr("name", name);
      w.KInt("digits", SymbolInfoInteger(name, SYMBOL_DIGITS));
      w.KNum("point", SymbolInfoDouble(name, SYMBOL_POINT), 10);
      w.KNum("contract_size", SymbolInfoDouble(name, SYMBOL_TRADE_CONTRACT_SIZE));
      w.KNum("volume_min", SymbolInfoDouble(name, SYMBOL_VOLUME_MIN));
      w.KNum("volume_step", SymbolInfoDouble(name, SYMBOL_VOLUME_STEP));
      w.KNum("volume_max", SymbolInfoDouble(name, SYMBOL_VOLUME_MAX));
      w.KInt("stops_level", SymbolInfoInteger(name, SYMBOL_TRADE_STOPS_LEVEL));
      w.KInt("freeze_level", SymbolInfoInteger(name, SYMBOL_TRADE_FREEZE_LEVEL));
      w.KInt("filling_modes", SymbolInfoInteger(name, SYMBOL_FILLING_MODE));
      w.KNum("tick_size", SymbolInfoDouble(name, SYMBOL_TRADE_TICK_SIZE), 10);
      w.KInt("trade_mode", SymbolInfoInteger(name, SYMBOL_TRADE_MODE));
      w.KInt("execution_mode", SymbolInfoInteger(name, SYMBOL_TRADE_EXEMODE));
      w.KInt("order_modes", SymbolInfoInteger(name, SYMBOL_ORDER_MODE));
      w.KInt("expiration_modes", SymbolInfoInteger(name, SYMBOL_EXPIRATION_MODE));
      w.EndObject();
     }

   string            AccountMessage(void)
     {
      CJsonWriter w;
      w.BeginObject();
      w.KStr("type", CM5_MSG_ACCOUNT);
      w.KInt("time_msc", CM5ServerNowMs());
      w.KStr("login", StringFormat("%I64d", AccountInfoInteger(ACCOUNT_LOGIN)));
      w.KStr("server", AccountInfoString(ACCOUNT_SERVER));
      w.KStr("company", AccountInfoString(ACCOUNT_COMPANY));
      w.KStr("currency", AccountInfoString(ACCOUNT_CURRENCY));
      w.KInt("leverage", AccountInfoInteger(ACCOUNT_LEVERAGE));
      w.KInt("trade_mode", AccountInfoInteger(ACCOUNT_TRADE_MODE));
      w.KInt("margin_mode", AccountInfoInteger(ACCOUNT_MARGIN_MODE));
      w.KNum("balance", AccountInfoDouble(ACCOUNT_BALANCE), 2);
      w.KNum("equity", AccountInfoDouble(ACCOUNT_EQUITY), 2);
      w.KNum("profit", AccountInfoDouble(ACCOUNT_PROFIT), 2);
      w.KNum("margin", AccountInfoDouble(ACCOUNT_MARGIN), 2);
      w.KNum("margin_free", AccountInfoDouble(ACCOUNT_MARGIN_FREE), 2);
      w.KNum("margin_level", AccountInfoDouble(ACCOUNT_MARGIN_LEVEL), 2);
      w.KBool("trade_allowed", CM5TradeAllowed());
      w.EndObject();
      m_lastBalance = AccountInfoDouble(ACCOUNT_BALANCE);
      m_lastEquity = AccountInfoDouble(ACCOUNT_EQUITY);
      m_lastMargin = AccountInfoDouble(ACCOUNT_MARGIN);
      m_lastFree = AccountInfoDouble(ACCOUNT_MARGIN_FREE);
      m_lastAccountTick = GetTickCount64();
      return w.Text();
     }

   //--- an account report is due: changed (at most 1/s), or 60 s since the last
   bool              AccountDue(void) const
     {
      ulong since = GetTickCount64() - m_lastAccountTick;
      if(since >= CM5_ACCOUNT_REPORT_INTERVAL_MS)
         return true;
      if(since < CM5_ACCOUNT_MIN_INTERVAL_MS)
         return false;
      return AccountInfoDouble(ACCOUNT_BALANCE) != m_lastBalance || AccountInfoDouble(ACCOUNT_EQUITY) != m_lastEquity
             || AccountInfoDouble(ACCOUNT_MARGIN) != m_lastMargin || AccountInfoDouble(ACCOUNT_MARGIN_FREE) != m_lastFree;
     }

   string            PositionsMessage(void)
     {
      CJsonWriter w;
      w.BeginObject();
      w.KStr("type", CM5_MSG_POSITIONS);
      w.KInt("time_msc", CM5ServerNowMs());
      w.Key("positions").BeginArray();
      for(int i = 0; i < PositionsTotal(); i++)
        {
         ulong t = PositionGetTicket(i); // selects it
         if(t == 0)
            continue;
         string sym = PositionGetString(POSITION_SYMBOL);
         int digits = (int)SymbolInfoInteger(sym, SYMBOL_DIGITS);
         w.BeginObject();
         w.KTicket("ticket", t);
         w.KTicket("identifier", (ulong)PositionGetInteger(POSITION_IDENTIFIER));
         w.KStr("symbol", sym);
         w.KStr("type", CM5PositionTypeName(PositionGetInteger(POSITION_TYPE)));
         w.KNum("volume", PositionGetDouble(POSITION_VOLUME));
         w.KNum("price_open", PositionGetDouble(POSITION_PRICE_OPEN), digits);
         w.KNum("price_current", PositionGetDouble(POSITION_PRICE_CURRENT), digits);
         w.KNum("sl", PositionGetDouble(POSITION_SL), digits);
         w.KNum("tp", PositionGetDouble(POSITION_TP), digits);
         w.KNum("profit", PositionGetDouble(POSITION_PROFIT), 2);
         w.KNum("swap", PositionGetDouble(POSITION_SWAP), 2);
         w.KInt("time_msc", PositionGetInteger(POSITION_TIME_MSC));
         w.KInt("magic", PositionGetInteger(POSITION_MAGIC));
         w.KStr("comment", PositionGetString(POSITION_COMMENT));
         w.EndObject();
        }
      w.EndArray();
      w.Key("orders").BeginArray();
      for(int i = 0; i < OrdersTotal(); i++)
        {
         ulong t = OrderGetTicket(i); // selects it
         if(t == 0)
            continue;
         string sym = OrderGetString(ORDER_SYMBOL);
         int digits = (int)SymbolInfoInteger(sym, SYMBOL_DIGITS);
         long expiration = OrderGetInteger(ORDER_TIME_EXPIRATION);
         w.BeginObject();
         w.KTicket("ticket", t);
         w.KStr("symbol", sym);
         w.KStr("type", CM5OrderTypeName(OrderGetInteger(ORDER_TYPE)));
         w.KNum("volume", OrderGetDouble(ORDER_VOLUME_CURRENT));
         w.KNum("price", OrderGetDouble(ORDER_PRICE_OPEN), digits);
         w.KNum("sl", OrderGetDouble(ORDER_SL), digits);
         w.KNum("tp", OrderGetDouble(ORDER_TP), digits);
         w.KInt("time_setup_msc", OrderGetInteger(ORDER_TIME_SETUP_MSC));
         w.KInt("expiration_msc", expiration > 0 ? expiration * 1000 : 0);
         w.KInt("magic", OrderGetInteger(ORDER_MAGIC));
         w.KStr("comment", OrderGetString(ORDER_COMMENT));
         w.EndObject();
        }
      w.EndArray();
      w.EndObject();
      m_lastPositionsKey = PositionsKey();
      m_lastPositionsTick = GetTickCount64();
      return w.Text();
     }

   //--- a positions report is due: the ticket set, a volume or a level changed, or 60 s passed
   bool              PositionsDue(void) const
     {
      if(GetTickCount64() - m_lastPositionsTick >= CM5_ACCOUNT_REPORT_INTERVAL_MS)
         return true;
      return PositionsKey() != m_lastPositionsKey;
     }

   //--- one deals[] entry for a deal already selected in the history
   void              WriteDeal(CJsonWriter &w, const ulong deal) const
     {
      string sym = HistoryDealGetString(deal, DEAL_SYMBOL);
      int digits = (int)SymbolInfoInteger(sym, SYMBOL_DIGITS);
      w.BeginObject();
      w.KTicket("ticket", deal);
      w.KTicket("order", (ulong)HistoryDealGetInteger(deal, DEAL_ORDER));
      w.KTicket("position", (ulong)HistoryDealGetInteger(deal, DEAL_POSITION_ID));
      w.KStr("symbol", sym);
      w.KStr("type", HistoryDealGetInteger(deal, DEAL_TYPE) == DEAL_TYPE_BUY ? CM5_ORDER_BUY : CM5_ORDER_SELL);
      w.KStr("entry", CM5DealEntryName(HistoryDealGetInteger(deal, DEAL_ENTRY)));
      w.KNum("volume", HistoryDealGetDouble(deal, DEAL_VOLUME));
      w.KNum("price", HistoryDealGetDouble(deal, DEAL_PRICE), digits);
      w.KNum("profit", HistoryDealGetDouble(deal, DEAL_PROFIT), 2);
      w.KNum("swap", HistoryDealGetDouble(deal, DEAL_SWAP), 2);
      w.KNum("commission", HistoryDealGetDouble(deal, DEAL_COMMISSION), 2);
      w.KInt("time_msc", HistoryDealGetInteger(deal, DEAL_TIME_MSC));
      w.KInt("magic", HistoryDealGetInteger(deal, DEAL_MAGIC));
      w.KStr("comment", HistoryDealGetString(deal, DEAL_COMMENT));
      w.KStr("reason", CM5DealReasonName(HistoryDealGetInteger(deal, DEAL_REASON)));
      w.EndObject();
     }

   //--- is this history deal a trade of the EA's (buy/sell, our magic or a cm5: comment)?
   bool              IsEaDeal(const ulong deal) const
     {
      long type = HistoryDealGetInteger(deal, DEAL_TYPE);
      if(type != DEAL_TYPE_BUY && type != DEAL_TYPE_SELL)
         return false;
      return IsOurs(HistoryDealGetInteger(deal, DEAL_MAGIC), HistoryDealGetString(deal, DEAL_COMMENT));
     }

   //--- the answer's closing `deals`: our deals in [fromMsc, toMsc] (server clock)
   string            DealsMessage(const string syncId, const long fromMsc, const long toMsc, const string &unknownIds[])
     {
      CJsonWriter w;
      w.BeginObject();
      w.KStr("type", CM5_MSG_DEALS);
      w.KStr("sync_id", syncId);
      w.KInt("from_msc", fromMsc);
      w.KInt("to_msc", toMsc);
      w.Key("unknown_command_ids").BeginArray();
      for(int i = 0; i < ArraySize(unknownIds); i++)
         w.Str(unknownIds[i]);
      w.EndArray();
      w.Key("deals").BeginArray();
      // HistorySelect works in whole seconds; the window is widened to them, then cut to the ms
      if(HistorySelect((datetime)(fromMsc / 1000), (datetime)(toMsc / 1000 + 1)))
        {
         int n = HistoryDealsTotal();
         for(int i = 0; i < n; i++)
           {
            ulong deal = HistoryDealGetTicket(i);
            if(deal == 0 || !IsEaDeal(deal))
               continue;
            long t = HistoryDealGetInteger(deal, DEAL_TIME_MSC);
            if(t < fromMsc || t > toMsc)
               continue;
            WriteDeal(w, deal);
           }
        }
      w.EndArray();
      w.EndObject();
      return w.Text();
     }

   //--- an unsolicited `deals` with one deal (an SL/TP hit, a pending order filled, ...)
   string            OneDealMessage(const ulong deal)
     {
      CJsonWriter w;
      w.BeginObject();
      w.KStr("type", CM5_MSG_DEALS);
      w.KStr("sync_id", "");
      w.KInt("from_msc", 0);
      w.KInt("to_msc", 0);
      w.Key("unknown_command_ids").BeginArray().EndArray();
      w.Key("deals").BeginArray();
      WriteDeal(w, deal);
      w.EndArray();
      w.EndObject();
      return w.Text();
     }
  };

#endif
