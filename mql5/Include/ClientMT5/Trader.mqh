//+------------------------------------------------------------------+
//| ClientMT5/Trader.mqh                                             |
//| Executes the bridge's `command`s and reports every stage as an   |
//| `execution` (docs/protocol.md, section 1, Trading):              |
//|                                                                  |
//|   command ─► received ─► queue (256) ─► checks ─► sent ─► CTrade |
//|                 │                          │              │      |
//|     known id: replay             rejected (ea)   FillTracker:    |
//|                                                  final stage,    |
//|                                                  or the deal via |
//|                                                  OnTradeTrans-   |
//|                                                  action / 10 s   |
//|                                                  history lookup  |
//|                                                                  |
//| One command at a time, in order; every received command ends in  |
//| exactly one final stage. The pieces:                             |
//|   CommandMemory  stages, replays for `sync`, the outbox          |
//|   TradeChecks    volume, prices, stops, pending price, freeze    |
//|   Filling        filling mode; CTrade with a resend              |
//|   ExecuteOpen / ExecuteClose / ExecuteModify / CloseAll          |
//|   FillTracker    final stages after OrderSend, unsolicited deals |
//+------------------------------------------------------------------+
#ifndef CM5_TRADER_MQH
#define CM5_TRADER_MQH

#include <ClientMT5\Protocol.mqh>
#include <ClientMT5\Json.mqh>
#include <ClientMT5\Clock.mqh>
#include <ClientMT5\Account.mqh>
#include <ClientMT5\TradeTypes.mqh>
#include <ClientMT5\TradeContext.mqh>
#include <ClientMT5\ExecuteOpen.mqh>
#include <ClientMT5\ExecuteClose.mqh>
#include <ClientMT5\ExecuteModify.mqh>
#include <ClientMT5\CloseAll.mqh>

class CTrader
  {
private:
   CTradeContext     m_x;
   CM5Command        m_queue[];
   int               m_queueLen;

   static void       Parse(CJsonReader &r, const int root, CM5Command &c)
     {
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
      // the bridge's "cm5:<ref>"; command_id is the only text of the backend's that gets here
      c.comment = StringSubstr(r.GetStr(root, "comment"), 0, CM5_COMMENT_MAX_CHARS);
     }

public:
                     CTrader(void) : m_queueLen(0) {}

   void              Init(const ulong magic, CAccountReporter *account) { m_x.Init(magic, account); }

   //--- a `command` from the bridge: `received` at once, then queued (or answered from memory)
   void              OnCommand(CJsonReader &r, const int root)
     {
      CM5Command c;
      Parse(r, root, c);
      // symbol_id is informational (-1: not streamed); the name is authoritative
      if(r.GetLong(root, "symbol_id", -1) < 0 && c.kind == CM5_CMD_OPEN)
         Print("ClientMT5: command ", c.id, " for ", c.symbol, ", a symbol this EA does not stream");
      if(c.id == "")
        {
         Print("ClientMT5: ignoring a command without command_id");
         return;
        }
      if(m_x.memory.ReplayIfKnown(c.id))
         return; // a command_id seen before: not executed again
      CM5Exec e;
      CM5NewExec(c, e);
      m_x.memory.Emit(e, CM5_STAGE_RECEIVED);
      if(m_queueLen >= CM5_EA_COMMAND_QUEUE)
        {
         m_x.memory.Reject(e, CM5_REASON_BUSY, TRADE_RETCODE_TOO_MANY_REQUESTS, "the EA's command queue is full");
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
      CM5NewExec(c, e);
      if(c.expiresAtMs > 0 && CM5UtcNowMs() >= c.expiresAtMs)
        {
         m_x.memory.Reject(e, CM5_REASON_EXPIRED, 0, "expires_at_ms passed before the EA started it");
         return;
        }
      if(!CM5TradeAllowed())
        {
         m_x.memory.Reject(e, CM5_REASON_TRADE_DISABLED, TRADE_RETCODE_CLIENT_DISABLES_AT, "algo trading is disabled in the terminal, for this EA, or for the account");
         return;
        }
      bool needsSymbol = (c.kind == CM5_CMD_OPEN) || (c.kind == CM5_CMD_CLOSE_ALL && c.symbol != "");
      if(needsSymbol && !SymbolSelect(c.symbol, true))
        {
         m_x.memory.Reject(e, CM5_REASON_UNKNOWN_SYMBOL, TRADE_RETCODE_INVALID, "the terminal has no symbol \"" + c.symbol + "\"");
         return;
        }
      if(c.kind == CM5_CMD_OPEN)
        {
         if(c.volume <= 0)
            m_x.memory.Reject(e, CM5_REASON_BAD_COMMAND, TRADE_RETCODE_INVALID, "open needs a volume > 0");
         else
            CM5ExecuteOpen(m_x, c, e);
        }
      else if(c.kind == CM5_CMD_CLOSE || c.kind == CM5_CMD_MODIFY)
        {
         if(c.ticket == 0)
            m_x.memory.Reject(e, CM5_REASON_BAD_COMMAND, TRADE_RETCODE_INVALID, c.kind + " needs a ticket");
         else if(c.kind == CM5_CMD_CLOSE)
            CM5ExecuteClose(m_x, c, e);
         else
            CM5ExecuteModify(m_x, c, e);
        }
      else if(c.kind == CM5_CMD_CLOSE_ALL)
         CM5ExecuteCloseAll(m_x, c, e);
      else
         m_x.memory.Reject(e, CM5_REASON_BAD_COMMAND, TRADE_RETCODE_INVALID, "unknown kind \"" + c.kind + "\"");
     }

   //--- OnTradeTransaction: fills of waiting commands; the unsolicited `deals` of another deal of
   //--- the EA's, or "" (the caller sends it only while the link is up: it is never sent later)
   string            OnTransaction(const MqlTradeTransaction &trans) { return m_x.fills.OnTransaction(trans); }

   //--- waits past their 10 s
   void              CheckWaits(void) { m_x.fills.CheckWaits(); }

   //--- `sync`: replays of the listed commands this run knows; the others go to `unknown`
   void              Replay(const string &ids[], string &unknown[]) { m_x.memory.Replay(ids, unknown); }

   //--- stages waiting to go out, oldest first; they wait while the link is down
   int               Pending(void) const { return m_x.memory.Pending(); }
   string            Peek(void) const { return m_x.memory.Peek(); }
   void              Pop(void) { m_x.memory.Pop(); }
   bool              Busy(void) const { return m_queueLen > 0 || m_x.fills.Waiting(); }
  };

#endif
