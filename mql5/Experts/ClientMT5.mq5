//+------------------------------------------------------------------+
//| ClientMT5.mq5                                                    |
//| The client-mt5 Expert Advisor: streams every tick of its symbols |
//| to the local client-mt5 bridge and executes the bridge's trading |
//| commands. Protocol: docs/protocol.md, section 1 (EA link).       |
//| Installation and settings: docs/ea-install.md.                   |
//|                                                                  |
//|   OnTimer (every InpTimerMs)                                     |
//|     link down?  connect with backoff ─► hello                    |
//|     Poll()      welcome ─► cursors, account, positions           |
//|                 pause / resume / command / sync / error          |
//|     ticks       CopyTicks from each cursor ─► binary frames      |
//|     trader      one queued command ─► execution stages           |
//|     reports     heartbeat, account, positions when due           |
//|   OnTradeTransaction ─► fills of commands, unsolicited deals     |
//|                         (sent only while the link is up)         |
//+------------------------------------------------------------------+
#property copyright "client-mt5"
#property version   "1.10"
#property description "Streams ticks to the client-mt5 bridge (ws://127.0.0.1:9000/ea) and executes its trading commands."
#property description "Add 127.0.0.1 to Tools > Options > Expert Advisors > Allow WebRequest for listed URL."

#include <ClientMT5\Protocol.mqh>
#include <ClientMT5\Json.mqh>
#include <ClientMT5\Clock.mqh>
#include <ClientMT5\WebSocketClient.mqh>
#include <ClientMT5\TickStreamer.mqh>
#include <ClientMT5\Account.mqh>
#include <ClientMT5\Trader.mqh>

input string InpBridgeHost      = CM5_DEFAULT_EA_HOST;  // Bridge host (must be in the allowed-URL list)
input int    InpBridgePort      = CM5_DEFAULT_EA_PORT;  // Bridge port (eaLink.port)
input string InpBridgePath      = CM5_DEFAULT_EA_PATH;  // Bridge path (eaLink.path)
input string InpToken           = "";                   // Token (eaLink.token, at least 8 characters)
input string InpSymbols         = "";                   // Symbols, comma-separated (empty: the chart's symbol)
input int    InpTimerMs         = 20;                   // Timer period, ms (the system timer rounds it up)
input long   InpMagic           = 5350001;              // Magic number of the EA's orders
input bool   InpAllowTrading    = true;                 // Execute the bridge's trading commands
input int    InpHeartbeatS      = 5;                    // Heartbeat period, s

#define EA_NAME     "ClientMT5"
#define EA_VERSION  "1.1.0"
#define CONNECT_TIMEOUT_MS 2000
#define BACKOFF_MIN_MS     100
#define BACKOFF_MAX_MS     5000

CWebSocketClient g_ws;
CTickStreamer    g_streamer;
CAccountReporter g_account;
CTrader          g_trader;
CJsonReader      g_json;
string           g_symbols[];
string           g_runId = "";
bool             g_ready = false;      // welcomed on the current connection
bool             g_connected = false;  // a WebSocket is open (hello sent)
bool             g_paused = false;
bool             g_stopped = false;    // the bridge refused us for good (4000-4003)
int              g_attempt = 0;
ulong            g_nextConnectTick = 0;
ulong            g_lastHeartbeatTick = 0;
int              g_offsetS = 0;
long             g_sessions = 0;

//+------------------------------------------------------------------+
int OnInit()
  {
   if(!CM5MqlTickLayoutOk())
     {
      Print("ClientMT5: MqlTick is not ", CM5_MQLTICK_BYTES, " bytes in this terminal; the frame layout would be wrong");
      return INIT_FAILED;
     }
   if(StringLen(InpToken) < 8)
     {
      Print("ClientMT5: InpToken must be the bridge's eaLink.token (at least 8 characters)");
      return INIT_PARAMETERS_INCORRECT;
     }
   if(InpTimerMs < 1 || InpHeartbeatS < 1 || InpBridgePort < 1 || InpBridgePort > 65535)
     {
      Print("ClientMT5: InpTimerMs and InpHeartbeatS must be positive and InpBridgePort within 1..65535");
      return INIT_PARAMETERS_INCORRECT;
     }
   if(!CollectSymbols())
      return INIT_PARAMETERS_INCORRECT;
   MathSrand((uint)(GetTickCount64() ^ (ulong)TimeLocal()));
   g_runId = StringFormat("%I64d-%d", (long)TimeGMT(), MathRand());
   g_streamer.Init(g_symbols);
   g_account.Init((ulong)InpMagic);
   g_trader.Init((ulong)InpMagic, GetPointer(g_account));
   if(!EventSetMillisecondTimer(InpTimerMs))
     {
      Print("ClientMT5: EventSetMillisecondTimer(", InpTimerMs, ") failed, error ", GetLastError());
      return INIT_FAILED;
     }
   PrintFormat("ClientMT5 %s: %d symbols, bridge ws://%s:%d%s, run %s", EA_VERSION, ArraySize(g_symbols),
               InpBridgeHost, InpBridgePort, InpBridgePath, g_runId);
   return INIT_SUCCEEDED;
  }

//+------------------------------------------------------------------+
void OnDeinit(const int reason)
  {
   EventKillTimer();
   if(g_ws.IsOpen())
      g_ws.Close(1000, "EA stopped");
   PrintFormat("ClientMT5 stopped (reason %d): %I64d frames, %I64d ticks sent", reason, g_streamer.FramesSent(), g_streamer.TicksSent());
  }

//+------------------------------------------------------------------+
void OnTimer()
  {
   if(g_stopped)
      return;
   g_offsetS = CM5ServerOffsetS();
   if(!g_ws.IsOpen())
     {
      if(g_connected)
         OnLinkClosed();
      if(g_stopped || GetTickCount64() < g_nextConnectTick)
        {
         g_trader.ProcessOne(); // commands already received still run; their reports wait
         g_trader.CheckWaits();
         return;
        }
      Connect();
      if(!g_ws.IsOpen())
         return;
     }
   string text;
   g_ws.Poll();
   while(g_ws.NextMessage(text))
      Dispatch(text);
   if(!g_ws.IsOpen())
      return;
   if(g_ready)
     {
      FlushTrader();
      if(!g_paused)
         g_streamer.Pass(g_ws, (long)g_offsetS * 1000);
     }
   g_trader.ProcessOne();
   g_trader.CheckWaits();
   if(g_ready)
     {
      FlushTrader();
      Reports();
     }
  }

//+------------------------------------------------------------------+
void OnTradeTransaction(const MqlTradeTransaction &trans, const MqlTradeRequest &request, const MqlTradeResult &result)
  {
   string deals = g_trader.OnTransaction(trans);
   if(deals == "" || !g_ready)
      return; // an unsolicited deal while the link is down is not sent later: positions and sync recover it
   FlushTrader(); // the stages before it go first
   g_ws.SendText(deals);
  }

//+------------------------------------------------------------------+
bool CollectSymbols()
  {
   string parts[];
   int n = StringSplit(InpSymbols == "" ? _Symbol : InpSymbols, ',', parts);
   ArrayResize(g_symbols, 0);
   for(int i = 0; i < n; i++)
     {
      string name = parts[i];
      StringTrimLeft(name);
      StringTrimRight(name);
      if(name == "")
         continue;
      if(!SymbolSelect(name, true))
        {
         Print("ClientMT5: the terminal has no symbol \"", name, "\"; skipped");
         continue;
        }
      int k = ArraySize(g_symbols);
      ArrayResize(g_symbols, k + 1);
      g_symbols[k] = name;
     }
   if(ArraySize(g_symbols) == 0)
     {
      Print("ClientMT5: no symbol to stream (InpSymbols)");
      return false;
     }
   return true;
  }

//+------------------------------------------------------------------+
string HelloMessage()
  {
   CJsonWriter w;
   w.BeginObject();
   w.KStr("type", CM5_MSG_HELLO);
   w.KInt("protocol", CM5_PROTOCOL_VERSION);
   w.KStr("token", InpToken);
   w.Key("ea").BeginObject();
   w.KStr("name", EA_NAME);
   w.KStr("version", EA_VERSION);
   if(InpAllowTrading)
      w.KInt("magic", InpMagic); // without it the bridge sends no commands
   w.KStr("run_id", g_runId);
   w.EndObject();
   CAccountReporter::WriteHelloAccount(w);
   w.KInt("server_time_offset_s", g_offsetS);
   w.Key("symbols").BeginArray();
   for(int i = 0; i < ArraySize(g_symbols); i++)
      CAccountReporter::WriteSymbolSpec(w, g_symbols[i]);
   w.EndArray();
   w.EndObject();
   return w.Text();
  }

//+------------------------------------------------------------------+
void Connect()
  {
   g_ready = false;
   g_paused = false;
   if(!g_ws.Connect(InpBridgeHost, InpBridgePort, InpBridgePath, CONNECT_TIMEOUT_MS))
     {
      if(g_attempt == 0)
         Print("ClientMT5: cannot reach the bridge: ", g_ws.LastError(), "; retrying");
      ScheduleReconnect();
      return;
     }
   g_connected = true;
   g_ws.SendText(HelloMessage());
  }

//+------------------------------------------------------------------+
//| 100 ms doubling to 5 s, each delay drawn from its upper half     |
//+------------------------------------------------------------------+
void ScheduleReconnect()
  {
   double delay = MathMin((double)BACKOFF_MAX_MS, BACKOFF_MIN_MS * MathPow(2, g_attempt));
   delay *= 0.5 + (MathRand() / 32767.0) / 2;
   g_nextConnectTick = GetTickCount64() + (ulong)delay;
   if(g_attempt < 20)
      g_attempt++;
  }

//+------------------------------------------------------------------+
void OnLinkClosed()
  {
   int code = g_ws.CloseCode();
   bool wasReady = g_ready;
   g_connected = false;
   g_ready = false;
   g_paused = false;
   if(code == CM5_CLOSE_BAD_HELLO || code == CM5_CLOSE_BAD_TOKEN || code == CM5_CLOSE_PROTOCOL_VERSION)
     {
      Alert("ClientMT5: the bridge refused this EA (close ", code, " ", g_ws.CloseReason(), "); fix the settings and restart it");
      g_stopped = true;
      return;
     }
   if(code == CM5_CLOSE_REPLACED)
     {
      Print("ClientMT5: another EA took over the bridge link (4003); this one stops streaming");
      g_stopped = true;
      return;
     }
   if(wasReady)
     {
      Print("ClientMT5: link closed (", code, " ", g_ws.CloseReason(), "); reconnecting");
      g_attempt = 0;
     }
   ScheduleReconnect();
  }

//+------------------------------------------------------------------+
void Dispatch(const string text)
  {
   if(!g_json.Parse(text))
     {
      Print("ClientMT5: ignoring a control message that is not JSON: ", g_json.Error());
      return;
     }
   int root = g_json.Root();
   string type = g_json.GetStr(root, "type");
   if(type == CM5_MSG_WELCOME)
      OnWelcome(root);
   else if(type == CM5_MSG_PAUSE)
     {
      g_paused = true;
      Print("ClientMT5: paused by the bridge: ", g_json.GetStr(root, "reason"));
     }
   else if(type == CM5_MSG_RESUME)
      OnResume(root);
   else if(type == CM5_MSG_COMMAND)
     {
      if(InpAllowTrading)
         g_trader.OnCommand(g_json, root);
      else
         Print("ClientMT5: ignoring command ", g_json.GetStr(root, "command_id"), ": InpAllowTrading is off");
     }
   else if(type == CM5_MSG_SYNC)
      OnSync(root);
   else if(type == CM5_MSG_ERROR)
      Print("ClientMT5: bridge error ", g_json.GetStr(root, "code"), ": ", g_json.GetStr(root, "message"));
   else if(type == CM5_MSG_HEARTBEAT)
      return; // the bridge's clock; nothing to do
   else
      Print("ClientMT5: ignoring control message of type \"", type, "\"");
  }

//+------------------------------------------------------------------+
void OnWelcome(const int root)
  {
   if(g_json.GetLong(root, "protocol") != CM5_PROTOCOL_VERSION)
     {
      Alert("ClientMT5: the bridge speaks protocol ", g_json.GetLong(root, "protocol"), ", this EA ", CM5_PROTOCOL_VERSION);
      g_ws.Close(1000, "protocol mismatch");
      g_stopped = true;
      return;
     }
   g_streamer.BeginSession((int)g_json.GetLong(root, "max_ticks_per_frame", CM5_MAX_TICKS_PER_FRAME));
   int list = g_json.Get(root, "symbols");
   for(int i = 0; i < g_json.Size(list); i++)
     {
      int entry = g_json.At(list, i);
      string name = g_json.GetStr(entry, "name");
      int s = g_streamer.IndexOf(name);
      if(s < 0)
        {
         Print("ClientMT5: welcome lists unknown symbol ", name);
         continue;
        }
      int cursor = g_json.Get(entry, "cursor");
      g_streamer.Welcome(s, (int)g_json.GetLong(entry, "id", -1),
                         g_json.GetLong(cursor, "time_msc"), (int)g_json.GetLong(cursor, "count_at_msc"));
     }
   g_ready = true;
   g_paused = false;
   g_attempt = 0;
   g_sessions++;
   g_lastHeartbeatTick = GetTickCount64();
   Print("ClientMT5: welcomed, session ", g_json.GetStr(root, "session_id"));
   // account and positions before anything else of the trading half (docs/protocol.md)
   g_ws.SendText(g_account.AccountMessage());
   g_ws.SendText(g_account.PositionsMessage());
  }

//+------------------------------------------------------------------+
void OnResume(const int root)
  {
   int list = g_json.Get(root, "symbols");
   for(int i = 0; i < g_json.Size(list); i++)
     {
      int entry = g_json.At(list, i);
      int s = g_streamer.IndexOfId((int)g_json.GetLong(entry, "id", -1));
      if(s < 0)
        {
         Print("ClientMT5: resume names unknown symbol id ", g_json.GetLong(entry, "id", -1));
         continue;
        }
      int cursor = g_json.Get(entry, "cursor");
      g_streamer.Resume(s, g_json.GetLong(cursor, "time_msc"), (int)g_json.GetLong(cursor, "count_at_msc"));
     }
   g_paused = false;
  }

//+------------------------------------------------------------------+
//| sync: replays of known commands, then `deals` closing the answer |
//+------------------------------------------------------------------+
void OnSync(const int root)
  {
   string ids[];
   int list = g_json.Get(root, "command_ids");
   ArrayResize(ids, g_json.Size(list));
   for(int i = 0; i < ArraySize(ids); i++)
      ids[i] = g_json.Str(g_json.At(list, i));
   string unknown[];
   g_trader.Replay(ids, unknown);
   FlushTrader();
   long fromMsc = g_json.GetLong(root, "deals_from_ms") + (long)g_offsetS * 1000;
   long toMsc = CM5ServerNowMs();
   g_ws.SendText(g_account.DealsMessage(g_json.GetStr(root, "sync_id"), fromMsc, toMsc, unknown));
  }

//+------------------------------------------------------------------+
void FlushTrader()
  {
   while(g_trader.Pending() > 0 && g_ws.IsOpen())
     {
      if(!g_ws.SendText(g_trader.Peek()))
         return; // the link broke: it stays queued for the next session
      g_trader.Pop();
     }
  }

//+------------------------------------------------------------------+
void Reports()
  {
   ulong now = GetTickCount64();
   if(now - g_lastHeartbeatTick >= (ulong)InpHeartbeatS * 1000)
     {
      g_lastHeartbeatTick = now;
      CJsonWriter w;
      w.BeginObject();
      w.KStr("type", CM5_MSG_HEARTBEAT);
      w.KInt("time_msc", CM5ServerNowMs());
      w.KInt("server_time_offset_s", g_offsetS);
      w.EndObject();
      g_ws.SendText(w.Text());
     }
   if(g_account.AccountDue())
      g_ws.SendText(g_account.AccountMessage());
   if(g_account.PositionsDue())
      g_ws.SendText(g_account.PositionsMessage());
  }
//+------------------------------------------------------------------+
