//+------------------------------------------------------------------+
//| ClientMT5/TradeContext.mqh                                       |
//| What every command executor works with: the CTrade that sends,   |
//| the memory that reports stages, the tracker that concludes them, |
//| and the EA's magic number.                                       |
//+------------------------------------------------------------------+
#ifndef CM5_TRADE_CONTEXT_MQH
#define CM5_TRADE_CONTEXT_MQH

#include <ClientMT5\Account.mqh>
#include <ClientMT5\TradeTypes.mqh>
#include <ClientMT5\CommandMemory.mqh>
#include <ClientMT5\Filling.mqh>
#include <ClientMT5\FillTracker.mqh>

class CTradeContext
  {
public:
   CM5Trade          trade;
   CCommandMemory    memory;
   CFillTracker      fills;
   ulong             magic;

                     CTradeContext(void) : magic(0) {}

   void              Init(const ulong eaMagic, CAccountReporter *account)
     {
      magic = eaMagic;
      fills.Init(GetPointer(memory), account);
      trade.SetExpertMagicNumber(eaMagic);
      trade.SetAsyncMode(false);
      trade.LogLevel(LOG_LEVEL_ERRORS);
     }

   //--- the request's magic: the command's, or the EA's when it says 0
   ulong             MagicOf(const CM5Command &c) const { return c.magic != 0 ? c.magic : magic; }
  };

#endif
