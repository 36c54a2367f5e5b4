//+------------------------------------------------------------------+
//| ClientMT5/FillTracker.mqh                                        |
//| The final stage of a request after OrderSend, and the deals      |
//| behind it:                                                       |
//|                                                                  |
//|   result with deal and price ──────────────► filled / partially  |
//|   10009 with deal 0 (market, exchange) ─► wait for the deal:     |
//|     OnTradeTransaction(DEAL_ADD of the request's order) ─► final |
//|     10 s without it ─► the order's deals from HistorySelect      |
//|   10008 placed (pending) ──────────────────► filled              |
//|   anything else ───────────────────────────► rejected (server)   |
//|                                                                  |
//| A deal of the EA that no execution reports (pending order filled,|
//| SL/TP, stop-out, manual close) becomes an unsolicited `deals`.   |
//+------------------------------------------------------------------+
#ifndef CM5_FILL_TRACKER_MQH
#define CM5_FILL_TRACKER_MQH

#include <ClientMT5\Protocol.mqh>
#include <ClientMT5\Account.mqh>
#include <ClientMT5\TradeTypes.mqh>
#include <ClientMT5\CommandMemory.mqh>
#include <ClientMT5\Filling.mqh>

#define CM5_REPORTED_ORDERS 256

class CFillTracker
  {
private:
   CCommandMemory   *m_mem;
   CAccountReporter *m_account;
   CM5Exec           m_wait[];        // filled orders whose deal has not been seen yet
   ulong             m_waitDeadline[];
   int               m_waitLen;
   ulong             m_reported[];    // orders whose deals an execution reports (not sent as unsolicited deals)
   int               m_reportedNext;

   void              FinishWait(const int i, const string note)
     {
      CM5Exec e = m_wait[i];
      if(note != "")
         e.retcodeText = note;
      string stage = (e.volume > 0 && e.volume < e.reqVolume - 1e-9) ? CM5_STAGE_PARTIALLY_FILLED : CM5_STAGE_FILLED;
      if(e.volume == 0)
         e.volume = e.reqVolume; // 10009 said done; the deal was not seen (see note)
      m_mem.Emit(e, stage);
      for(int k = i; k < m_waitLen - 1; k++)
        {
         m_wait[k] = m_wait[k + 1];
         m_waitDeadline[k] = m_waitDeadline[k + 1];
        }
      m_waitLen--;
     }

   //--- adds a deal's volume and price to a waiting execution
   static void       AddDeal(CM5Exec &e, const ulong deal)
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

   //--- the trade server's answer into e
   static void       TakeResult(CM5Trade &trade, CM5Exec &e)
     {
      e.source = CM5_SOURCE_SERVER;
      e.retcode = trade.ResultRetcode();
      e.retcodeText = trade.ResultComment() != "" ? trade.ResultComment() : trade.ResultRetcodeDescription();
      e.order = trade.ResultOrder();
      e.deal = trade.ResultDeal();
     }

public:
                     CFillTracker(void) : m_mem(NULL), m_account(NULL), m_waitLen(0), m_reportedNext(0)
     {
      ArrayResize(m_reported, CM5_REPORTED_ORDERS);
      ArrayInitialize(m_reported, 0);
     }

   void              Init(CCommandMemory *mem, CAccountReporter *account)
     {
      m_mem = mem;
      m_account = account;
     }

   //--- an order whose deals an execution reports
   void              Remember(const ulong order)
     {
      if(order == 0)
         return;
      m_reported[m_reportedNext] = order;
      m_reportedNext = (m_reportedNext + 1) % CM5_REPORTED_ORDERS;
     }

   //--- after a deal or pending request: the final stage, or a wait for the deal
   void              Conclude(CM5Trade &trade, CM5Exec &e, const bool pendingOrder)
     {
      uint rc = trade.ResultRetcode();
      TakeResult(trade, e);
      if(rc == 0)
        {
         // refused by CTrade or the terminal before it reached the server
         m_mem.Reject(e, CM5_REASON_BAD_COMMAND, TRADE_RETCODE_INVALID, "OrderSend failed, error " + IntegerToString(GetLastError()));
         return;
        }
      if(rc != TRADE_RETCODE_DONE && rc != TRADE_RETCODE_DONE_PARTIAL && rc != TRADE_RETCODE_PLACED)
        {
         m_mem.Emit(e, CM5_STAGE_REJECTED);
         return;
        }
      Remember(e.order);
      if(pendingOrder)
        {
         e.ticket = e.order;
         e.volume = e.reqVolume;
         e.price = e.reqPrice;
         m_mem.Emit(e, CM5_STAGE_FILLED);
         return;
        }
      if(e.deal != 0 && trade.ResultPrice() > 0)
        {
         e.volume = trade.ResultVolume();
         e.price = trade.ResultPrice();
         if(HistoryDealSelect(e.deal))
           {
            e.ticket = (ulong)HistoryDealGetInteger(e.deal, DEAL_POSITION_ID);
            e.timeMsc = HistoryDealGetInteger(e.deal, DEAL_TIME_MSC);
           }
         bool partial = rc == TRADE_RETCODE_DONE_PARTIAL || e.volume < e.reqVolume - 1e-9;
         m_mem.Emit(e, partial ? CM5_STAGE_PARTIALLY_FILLED : CM5_STAGE_FILLED);
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

   //--- after a request that fills nothing (delete, modify): 10009 is `filled`, and so is 10025
   //--- "no changes" when `noChangeIsDone` (a modify to the levels already there)
   void              ConcludeNoFill(CM5Trade &trade, CM5Exec &e, const ulong ticket, const bool noChangeIsDone)
     {
      uint rc = trade.ResultRetcode();
      TakeResult(trade, e);
      e.ticket = ticket;
      if(rc == TRADE_RETCODE_DONE || rc == TRADE_RETCODE_PLACED || (noChangeIsDone && rc == TRADE_RETCODE_NO_CHANGES))
         m_mem.Emit(e, CM5_STAGE_FILLED);
      else if(rc == 0)
         m_mem.Reject(e, CM5_REASON_BAD_COMMAND, TRADE_RETCODE_INVALID, "OrderSend failed, error " + IntegerToString(GetLastError()));
      else
         m_mem.Emit(e, CM5_STAGE_REJECTED);
     }

   //--- OnTradeTransaction: deals of waiting commands; for a deal of the EA that no execution
   //--- reports, its unsolicited `deals` message ("" otherwise)
   string            OnTransaction(const MqlTradeTransaction &trans)
     {
      if(trans.type != TRADE_TRANSACTION_DEAL_ADD || trans.deal == 0)
         return "";
      if(!HistoryDealSelect(trans.deal))
         return "";
      ulong order = (ulong)HistoryDealGetInteger(trans.deal, DEAL_ORDER);
      for(int i = 0; i < m_waitLen; i++)
        {
         if(m_wait[i].order != order)
            continue;
         AddDeal(m_wait[i], trans.deal);
         if(m_wait[i].volume >= m_wait[i].reqVolume - 1e-9)
            FinishWait(i, "");
         return "";
        }
      for(int i = 0; i < CM5_REPORTED_ORDERS; i++)
         if(m_reported[i] == order)
            return ""; // an execution reports it
      if(m_account != NULL && m_account.IsEaDeal(trans.deal))
         return m_account.OneDealMessage(trans.deal);
      return "";
     }

   //--- waits past their 10 s: the order's deals from the last day's history, reported as they are
   void              CheckWaits(void)
     {
      ulong now = GetTickCount64();
      for(int i = m_waitLen - 1; i >= 0; i--)
        {
         if(now < m_waitDeadline[i])
            continue;
         if(HistorySelect(TimeCurrent() - 86400, TimeCurrent() + 86400))
           {
            int total = HistoryDealsTotal();
            for(int k = 0; k < total; k++)
              {
               ulong deal = HistoryDealGetTicket(k);
               if(deal != 0 && (ulong)HistoryDealGetInteger(deal, DEAL_ORDER) == m_wait[i].order && deal != m_wait[i].deal)
                  AddDeal(m_wait[i], deal);
              }
           }
         FinishWait(i, m_wait[i].volume > 0 ? "" : "10009 without a deal seen within 10 s");
        }
     }

   bool              Waiting(void) const { return m_waitLen > 0; }
  };

#endif
