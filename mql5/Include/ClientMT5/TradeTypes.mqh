//+------------------------------------------------------------------+
//| ClientMT5/TradeTypes.mqh                                         |
//| A `command` as the EA keeps it, and one `execution` stage as it  |
//| builds it (docs/protocol.md, section 1, `command`/`execution`),  |
//| with the stage's JSON.                                           |
//+------------------------------------------------------------------+
#ifndef CM5_TRADE_TYPES_MQH
#define CM5_TRADE_TYPES_MQH

#include <ClientMT5\Protocol.mqh>
#include <ClientMT5\Json.mqh>

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

//--- a stage that carries a fill (and so a ticket)
bool CM5IsFillStage(const string stage)
  {
   return stage == CM5_STAGE_FILLED || stage == CM5_STAGE_PARTIALLY_FILLED;
  }

//--- a fresh execution of command c: source ea, what the command asked for
void CM5NewExec(const CM5Command &c, CM5Exec &e)
  {
   ZeroMemory(e);
   e.commandId = c.id;
   e.symbol = c.symbol;
   e.source = CM5_SOURCE_EA;
   e.reqVolume = c.volume;
   e.reqPrice = c.price;
   e.sl = c.sl;
   e.tp = c.tp;
   e.digits = c.symbol != "" ? (int)SymbolInfoInteger(c.symbol, SYMBOL_DIGITS) : 8;
  }

//--- the execution as JSON, replay false (a replay rewrites that one field). `ticket` is "" on
//--- every stage but filled and partially_filled (docs/protocol.md, `execution`).
string CM5ExecJson(const CM5Exec &e)
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
   w.KTicket("ticket", CM5IsFillStage(e.stage) ? e.ticket : 0);
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

#endif
