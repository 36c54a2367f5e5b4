//+------------------------------------------------------------------+
//| ClientMT5/Clock.mqh                                              |
//| Milliseconds from second-resolution clocks. TimeGMT() and        |
//| TimeTradeServer() tick in whole seconds; GetTickCount64() counts |
//| milliseconds. UTC ms = the last observed TimeGMT() second change |
//| plus the tick counter since it, capped below the next second.    |
//+------------------------------------------------------------------+
#ifndef CM5_CLOCK_MQH
#define CM5_CLOCK_MQH

datetime g_cm5LastGmt = 0;
ulong    g_cm5LastGmtTick = 0;

//--- UTC now in ms (millisecond steps, second accuracy of the PC clock)
long CM5UtcNowMs(void)
  {
   datetime gmt = TimeGMT();
   ulong tick = GetTickCount64();
   if(gmt != g_cm5LastGmt)
     {
      g_cm5LastGmt = gmt;
      g_cm5LastGmtTick = tick;
     }
   long within = (long)(tick - g_cm5LastGmtTick);
   if(within > 999)
      within = 999;
   return (long)gmt * 1000 + within;
  }

//--- the broker's clock minus UTC, seconds (docs/protocol.md: server_time_offset_s). Both clocks
//--- are read in whole seconds at slightly different instants, so the raw difference can be off
//--- by one; broker offsets are whole quarter hours, so it is rounded to 900 s.
int CM5ServerOffsetS(void)
  {
   long raw = (long)TimeTradeServer() - (long)TimeGMT();
   return (int)(MathRound(raw / 900.0) * 900);
  }

//--- the server clock now, ms
long CM5ServerNowMs(void)
  {
   return CM5UtcNowMs() + (long)CM5ServerOffsetS() * 1000;
  }

#endif
