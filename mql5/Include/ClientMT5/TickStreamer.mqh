//+------------------------------------------------------------------+
//| ClientMT5/TickStreamer.mqh                                       |
//| Per symbol, a position in the terminal's tick history; every     |
//| timer pass reads from it with CopyTicks(COPY_TICKS_ALL) and sends |
//| what is new as raw MqlTick frames (docs/protocol.md, tick frames |
//| and resume cursors).                                             |
//|                                                                  |
//|   position = {time_msc, count_at_msc} after the last tick sent   |
//|   CopyTicks(from = time_msc) is inclusive: skip count_at_msc     |
//|   ticks at exactly time_msc, send the rest                       |
//|                                                                  |
//| A tick older than 1 s when it goes out travels in a              |
//| FRAME_TICKS_BACKFILL whose captured_at_ms is the frame's newest  |
//| tick in UTC, each such frame spanning at most 1 s of tick time,  |
//| so the bridge never judges a held-back tick stale.               |
//+------------------------------------------------------------------+
#ifndef CM5_TICK_STREAMER_MQH
#define CM5_TICK_STREAMER_MQH

#include <ClientMT5\Protocol.mqh>
#include <ClientMT5\Clock.mqh>
#include <ClientMT5\WebSocketClient.mqh>

#define CM5_LIVE_MAX_AGE_MS        1000
#define CM5_BACKFILL_SPAN_MS       1000
//--- frames per pass at most, so that a long backfill does not hold the timer for long
#define CM5_MAX_FRAMES_PER_PASS    64

//--- a double's bits (the MQL5 reference's own union example, LongDouble, has this shape)
union CM5DoubleBits
  {
   double            d;
   long              bits;
  };

class CTickStreamer
  {
private:
   string            m_names[];
   int               m_ids[];          // the welcome's id, -1 while not listed
   long              m_posMsc[];
   int               m_posCount[];
   long              m_startMsc[];     // the welcome's position: a zero resume cursor goes back here
   int               m_startCount[];
   int               m_maxTicks;
   uchar             m_frame[];
   MqlTick           m_ticks[];
   long              m_framesSent;
   long              m_ticksSent;
   long              m_backfillFrames;
   string            m_lastError;

   //--- the position just after the newest tick the terminal holds now ("start live")
   void              PositionAtEnd(const int s)
     {
      MqlTick last[];
      if(CopyTicks(m_names[s], last, COPY_TICKS_ALL, 0, 1) == 1)
        {
         long t = last[0].time_msc;
         MqlTick same[];
         int n = CopyTicks(m_names[s], same, COPY_TICKS_ALL, (ulong)t, 100000);
         int count = 0;
         for(int i = 0; i < n; i++)
            if(same[i].time_msc == t)
               count++;
         m_posMsc[s] = t;
         m_posCount[s] = MathMax(count, 1);
        }
      else
        {
         m_posMsc[s] = CM5ServerNowMs();
         m_posCount[s] = 0;
        }
     }

   void              PutU16(const int at, const int v) { m_frame[at] = (uchar)(v & 0xff); m_frame[at + 1] = (uchar)((v >> 8) & 0xff); }
   void              PutU32(const int at, const uint v)
     {
      for(int i = 0; i < 4; i++)
         m_frame[at + i] = (uchar)((v >> (8 * i)) & 0xff);
     }
   void              PutF64(const int at, const double v)
     {
      CM5DoubleBits u;
      u.d = v;
      for(int i = 0; i < 8; i++)
         m_frame[at + i] = (uchar)((u.bits >> (8 * i)) & 0xff); // little-endian, as the frame is
     }

   //--- one frame of ticks [from, to) of symbol s; false when the link broke
   bool              SendFrame(CWebSocketClient &ws, const int s, const int from, const int to, const bool backfill,
                               const long offsetMs, const long nowUtcMs)
     {
      int count = to - from;
      int first = CM5_FRAME_HEADER_BYTES + (backfill ? CM5_BACKFILL_EXTRA_BYTES : 0);
      int len = first + count * CM5_MQLTICK_BYTES;
      if(ArraySize(m_frame) < len)
         ArrayResize(m_frame, len);
      m_frame[CM5_FH_TYPE] = (uchar)(backfill ? CM5_FRAME_TICKS_BACKFILL : CM5_FRAME_TICKS);
      m_frame[CM5_FH_VERSION] = (uchar)CM5_PROTOCOL_VERSION;
      PutU16(CM5_FH_SYMBOL_ID, m_ids[s]);
      PutU32(CM5_FH_COUNT, (uint)count);
      if(backfill)
        {
         // the terminal's receipt time of the newest tick is not known: its own time in UTC,
         // never ahead of our clock (the bridge refuses capture times from the future)
         long captured = m_ticks[to - 1].time_msc - offsetMs;
         if(captured > nowUtcMs)
            captured = nowUtcMs;
         PutF64(CM5_FRAME_HEADER_BYTES, (double)captured);
        }
      for(int k = 0; k < count; k++)
        {
         if(!StructToCharArray(m_ticks[from + k], m_frame, first + k * CM5_MQLTICK_BYTES))
           {
            m_lastError = "StructToCharArray failed, error " + IntegerToString(GetLastError());
            return false;
           }
        }
      if(!ws.SendBinary(m_frame, len))
         return false;
      // advance the position over every tick the bridge now holds
      for(int k = from; k < to; k++)
        {
         if(m_ticks[k].time_msc > m_posMsc[s])
           {
            m_posMsc[s] = m_ticks[k].time_msc;
            m_posCount[s] = 1;
           }
         else
            m_posCount[s]++;
        }
      m_framesSent++;
      m_ticksSent += count;
      if(backfill)
         m_backfillFrames++;
      return true;
     }

public:
                     CTickStreamer(void) : m_maxTicks(CM5_MAX_TICKS_PER_FRAME), m_framesSent(0), m_ticksSent(0),
                     m_backfillFrames(0), m_lastError("") {}

   bool              Init(const string &names[])
     {
      int n = ArraySize(names);
      ArrayResize(m_names, n);
      ArrayResize(m_ids, n);
      ArrayResize(m_posMsc, n);
      ArrayResize(m_posCount, n);
      ArrayResize(m_startMsc, n);
      ArrayResize(m_startCount, n);
      for(int s = 0; s < n; s++)
        {
         m_names[s] = names[s];
         m_ids[s] = -1;
         m_posMsc[s] = 0;
         m_posCount[s] = 0;
         m_startMsc[s] = 0;
         m_startCount[s] = 0;
        }
      ArraySetAsSeries(m_ticks, false);
      return n > 0;
     }

   int               Count(void) const { return ArraySize(m_names); }
   string            Name(const int s) const { return m_names[s]; }
   int               IndexOf(const string name) const
     {
      for(int s = 0; s < ArraySize(m_names); s++)
         if(m_names[s] == name)
            return s;
      return -1;
     }
   int               IndexOfId(const int id) const
     {
      for(int s = 0; s < ArraySize(m_ids); s++)
         if(m_ids[s] == id)
            return s;
      return -1;
     }
   int               IdOf(const string name) const { int s = IndexOf(name); return s < 0 ? -1 : m_ids[s]; }
   long              FramesSent(void) const { return m_framesSent; }
   long              TicksSent(void) const { return m_ticksSent; }
   long              BackfillFrames(void) const { return m_backfillFrames; }
   string            LastError(void) const { return m_lastError; }

   //--- a new session (welcome): ids are only valid until the next one
   void              BeginSession(const int maxTicksPerFrame)
     {
      m_maxTicks = (maxTicksPerFrame >= 1 && maxTicksPerFrame <= CM5_MAX_TICKS_PER_FRAME) ? maxTicksPerFrame : CM5_MAX_TICKS_PER_FRAME;
      ArrayInitialize(m_ids, -1);
     }

   //--- welcome: the symbol's id and where the bridge's data ends (0 = it holds nothing: start live)
   void              Welcome(const int s, const int id, const long cursorMsc, const int cursorCount)
     {
      m_ids[s] = id;
      if(cursorMsc == 0)
         PositionAtEnd(s);
      else
        {
         m_posMsc[s] = cursorMsc;
         m_posCount[s] = cursorCount;
        }
      m_startMsc[s] = m_posMsc[s];
      m_startCount[s] = m_posCount[s];
     }

   //--- resume: re-position at the cursor (0 = everything since the welcome)
   void              Resume(const int s, const long cursorMsc, const int cursorCount)
     {
      if(cursorMsc == 0)
        {
         m_posMsc[s] = m_startMsc[s];
         m_posCount[s] = m_startCount[s];
        }
      else
        {
         m_posMsc[s] = cursorMsc;
         m_posCount[s] = cursorCount;
        }
     }

   //--- sends every listed symbol's new ticks; false when the link broke
   bool              Pass(CWebSocketClient &ws, const long offsetMs)
     {
      int frames = 0;
      for(int s = 0; s < ArraySize(m_names); s++)
        {
         if(m_ids[s] < 0)
            continue;
         bool more = true;
         while(more && frames < CM5_MAX_FRAMES_PER_PASS)
           {
            if(!ws.Writable())
               return ws.IsOpen(); // back-pressure: the rest waits in the terminal's history
            int want = m_posCount[s] + m_maxTicks;
            ResetLastError();
            int n = CopyTicks(m_names[s], m_ticks, COPY_TICKS_ALL, (ulong)m_posMsc[s], (uint)want);
            if(n <= 0)
               break; // nothing new, or the tick history is still being synchronised: next pass
            more = (n == want);
            int i = 0;
            while(i < n && m_ticks[i].time_msc < m_posMsc[s])
               i++;
            int skipped = 0;
            while(i < n && m_ticks[i].time_msc == m_posMsc[s] && skipped < m_posCount[s])
              {
               i++;
               skipped++;
              }
            if(i >= n)
               break;
            long nowUtc = CM5UtcNowMs();
            while(i < n && frames < CM5_MAX_FRAMES_PER_PASS)
              {
               bool backfill = nowUtc - (m_ticks[i].time_msc - offsetMs) > CM5_LIVE_MAX_AGE_MS;
               int j = i + 1;
               while(j < n && j - i < m_maxTicks)
                 {
                  if(backfill)
                    {
                     if(m_ticks[j].time_msc - m_ticks[i].time_msc > CM5_BACKFILL_SPAN_MS)
                        break;
                     if(nowUtc - (m_ticks[j].time_msc - offsetMs) <= CM5_LIVE_MAX_AGE_MS)
                        break; // fresh from here on: a live frame
                    }
                  j++;
                 }
               if(!SendFrame(ws, s, i, j, backfill, offsetMs, nowUtc))
                  return false;
               frames++;
               i = j;
              }
            if(i < n)
               more = true;
           }
        }
      return true;
     }
  };

#endif
