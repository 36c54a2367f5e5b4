//+------------------------------------------------------------------+
//| ClientMT5/CommandMemory.mqh                                      |
//| Every stage the EA reports goes through here: the latest stage   |
//| of the last CM5_EA_COMMAND_MEMORY commands of this run is kept   |
//| for `sync` and repeated command_ids (replay: true), and the      |
//| JSON waits in the outbox until the link takes it.                |
//|                                                                  |
//|   Emit(e, stage) ─► memory[command_id] = json ─► outbox          |
//|   Replay(ids)    ─► outbox (replay: true) + the unknown ids      |
//|                                                                  |
//| The outbox keeps its messages while the link is down; they go    |
//| out after the next welcome (docs/protocol.md, `sync`).           |
//+------------------------------------------------------------------+
#ifndef CM5_COMMAND_MEMORY_MQH
#define CM5_COMMAND_MEMORY_MQH

#include <ClientMT5\Protocol.mqh>
#include <ClientMT5\Clock.mqh>
#include <ClientMT5\TradeTypes.mqh>

class CCommandMemory
  {
private:
   string            m_ids[];
   string            m_last[];
   int               m_next;
   string            m_out[];
   int               m_outLen;

   int               IndexOf(const string id) const
     {
      if(id == "")
         return -1;
      for(int i = 0; i < ArraySize(m_ids); i++)
         if(m_ids[i] == id)
            return i;
      return -1;
     }

   void              Push(const string json)
     {
      if(m_outLen >= ArraySize(m_out))
         ArrayResize(m_out, MathMax(16, m_outLen * 2));
      m_out[m_outLen++] = json;
     }

   static string     AsReplay(const string json)
     {
      string r = json;
      StringReplace(r, "\"replay\":false", "\"replay\":true");
      return r;
     }

public:
                     CCommandMemory(void) : m_next(0), m_outLen(0)
     {
      ArrayResize(m_ids, CM5_EA_COMMAND_MEMORY);
      ArrayResize(m_last, CM5_EA_COMMAND_MEMORY);
     }

   //--- reports stage `stage` of e, remembers it as the command's latest
   void              Emit(CM5Exec &e, const string stage)
     {
      e.stage = stage;
      if(e.timeMsc == 0 || !CM5IsFillStage(stage))
         e.timeMsc = CM5ServerNowMs();
      string json = CM5ExecJson(e);
      int slot = IndexOf(e.commandId);
      if(slot < 0)
        {
         slot = m_next;
         m_next = (m_next + 1) % CM5_EA_COMMAND_MEMORY;
         m_ids[slot] = e.commandId;
        }
      m_last[slot] = json;
      Push(json);
     }

   //--- the EA's own refusal: rejected, source ea, an EA reason code and its closest retcode
   void              Reject(CM5Exec &e, const string reason, const uint retcode, const string text)
     {
      e.source = CM5_SOURCE_EA;
      e.reason = reason;
      e.retcode = retcode;
      e.retcodeText = text;
      Emit(e, CM5_STAGE_REJECTED);
     }

   //--- a command_id seen in this run: its latest stage again, as a replay
   bool              ReplayIfKnown(const string id)
     {
      int slot = IndexOf(id);
      if(slot < 0)
         return false;
      Push(AsReplay(m_last[slot]));
      return true;
     }

   //--- `sync`: replays of the listed commands this run knows; the others go to `unknown`
   void              Replay(const string &ids[], string &unknown[])
     {
      ArrayResize(unknown, 0);
      for(int i = 0; i < ArraySize(ids); i++)
        {
         if(ReplayIfKnown(ids[i]))
            continue;
         int n = ArraySize(unknown);
         ArrayResize(unknown, n + 1);
         unknown[n] = ids[i];
        }
     }

   //--- the outbox, oldest first
   int               Pending(void) const { return m_outLen; }
   string            Peek(void) const { return m_outLen > 0 ? m_out[0] : ""; }
   void              Pop(void)
     {
      for(int i = 1; i < m_outLen; i++)
         m_out[i - 1] = m_out[i];
      if(m_outLen > 0)
         m_outLen--;
     }
  };

#endif
