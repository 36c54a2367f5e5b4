//+------------------------------------------------------------------+
//| ClientMT5/Filling.mqh                                            |
//| The filling mode of a request, as MT5 allows it and as the       |
//| standard library's CTrade (Include/Trade/Trade.mqh) really sends |
//| it — CTrade::FillingCheck overrides SetTypeFilling:              |
//|                                                                  |
//|   SYMBOL_TRADE_EXEMODE  market orders and closes       retry on  |
//|   request, instant      FOK (CTrade leaves it 0 = FOK)  10030    |
//|   market                FOK if bit 1, else IOC if bit 2   IOC    |
//|                         (no RETURN for market orders)            |
//|   exchange              FOK, else IOC, else RETURN      the next |
//|   pending orders        RETURN                                   |
//|                                                                  |
//| A 10030 from the server is retried once with the next allowed    |
//| mode (docs/protocol.md); CTrade's own calls would put FOK back,  |
//| so CM5Trade resends its last request with the mode given.        |
//+------------------------------------------------------------------+
#ifndef CM5_FILLING_MQH
#define CM5_FILLING_MQH

#include <Trade\Trade.mqh>
#include <ClientMT5\Protocol.mqh>

#define CM5_TRIED_FOK    1
#define CM5_TRIED_IOC    2
#define CM5_TRIED_RETURN 4

//--- CTrade with two requests its public methods cannot make
class CM5Trade : public CTrade
  {
public:
   //--- the last request again with another filling mode (the one retry after 10030)
   bool              ResendWithFilling(const ENUM_ORDER_TYPE_FILLING filling)
     {
      m_type_filling = filling;
      m_request.type_filling = filling;
      ZeroMemory(m_result);
      return OrderSend(m_request, m_result);
     }

   //--- part of a position closed by its ticket, netting accounts included (CTrade's
   //--- PositionClosePartial refuses netting; an opposite deal naming the position does it)
   bool              ClosePart(const ulong ticket, const double volume, const ulong deviation, const ENUM_ORDER_TYPE_FILLING filling)
     {
      if(!PositionSelectByTicket(ticket))
         return false;
      string symbol = PositionGetString(POSITION_SYMBOL);
      bool isBuy = PositionGetInteger(POSITION_TYPE) == POSITION_TYPE_BUY;
      ClearStructures();
      m_request.action = TRADE_ACTION_DEAL;
      m_request.position = ticket;
      m_request.symbol = symbol;
      m_request.volume = volume;
      m_request.type = isBuy ? ORDER_TYPE_SELL : ORDER_TYPE_BUY;
      m_request.price = SymbolInfoDouble(symbol, isBuy ? SYMBOL_BID : SYMBOL_ASK);
      m_request.magic = m_magic;
      m_request.deviation = deviation;
      m_request.type_filling = filling;
      return OrderSend(m_request, m_result);
     }
  };

//--- the filling mode of a request, skipping the modes in `tried` (CM5_TRIED_* bits)
bool CM5ChooseFilling(const string sym, const bool pending, const int tried, ENUM_ORDER_TYPE_FILLING &mode, string &name)
  {
   if(pending)
     {
      if((tried & CM5_TRIED_RETURN) != 0)
         return false;
      mode = ORDER_FILLING_RETURN;
      name = CM5_FILL_RETURN;
      return true;
     }
   long flags = SymbolInfoInteger(sym, SYMBOL_FILLING_MODE);
   long exe = SymbolInfoInteger(sym, SYMBOL_TRADE_EXEMODE);
   bool requestOrInstant = exe == SYMBOL_TRADE_EXECUTION_REQUEST || exe == SYMBOL_TRADE_EXECUTION_INSTANT;
   if((requestOrInstant || (flags & SYMBOL_FILLING_FOK) != 0) && (tried & CM5_TRIED_FOK) == 0)
     {
      mode = ORDER_FILLING_FOK;
      name = CM5_FILL_FOK;
      return true;
     }
   if(requestOrInstant)
      return false;
   if((flags & SYMBOL_FILLING_IOC) != 0 && (tried & CM5_TRIED_IOC) == 0)
     {
      mode = ORDER_FILLING_IOC;
      name = CM5_FILL_IOC;
      return true;
     }
   if(exe == SYMBOL_TRADE_EXECUTION_EXCHANGE && (tried & CM5_TRIED_RETURN) == 0)
     {
      mode = ORDER_FILLING_RETURN;
      name = CM5_FILL_RETURN;
      return true;
     }
   return false;
  }

int CM5FillingBit(const string name)
  {
   return name == CM5_FILL_FOK ? CM5_TRIED_FOK : (name == CM5_FILL_IOC ? CM5_TRIED_IOC : CM5_TRIED_RETURN);
  }

#endif
