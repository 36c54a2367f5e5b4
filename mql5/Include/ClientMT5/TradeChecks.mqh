//+------------------------------------------------------------------+
//| ClientMT5/TradeChecks.mqh                                        |
//| The EA's own checks before a request goes out (docs/protocol.md, |
//| section 1, "How the EA prepares a request"), against the live    |
//| symbol properties:                                               |
//|                                                                  |
//|   volume   rounded down to SYMBOL_VOLUME_STEP, within min..max   |
//|   prices   to SYMBOL_TRADE_TICK_SIZE, then SYMBOL_DIGITS         |
//|   stops    side: against the price the position opens at;        |
//|            distance (SYMBOL_TRADE_STOPS_LEVEL points, and more   |
//|            than 0): against the price it would close at now —    |
//|            the bid for a buy, the ask for a sell; a pending      |
//|            order's levels against its own price                  |
//|   pending  its price on its side of the market by at least       |
//|            max(stops_level, 1) points                            |
//| Each check returns "" when it passes, else why it failed.        |
//+------------------------------------------------------------------+
#ifndef CM5_TRADE_CHECKS_MQH
#define CM5_TRADE_CHECKS_MQH

#include <ClientMT5\Json.mqh>

//--- volume rounded down to the step; false (and why) when outside [min, max]
bool CM5NormalizeVolume(const string sym, const double v, double &out, string &why)
  {
   double step = SymbolInfoDouble(sym, SYMBOL_VOLUME_STEP);
   double vmin = SymbolInfoDouble(sym, SYMBOL_VOLUME_MIN);
   double vmax = SymbolInfoDouble(sym, SYMBOL_VOLUME_MAX);
   if(step <= 0)
      step = vmin > 0 ? vmin : 0.01;
   out = MathFloor(v / step + 1e-7) * step;
   int stepDigits = (int)MathMax(0, MathCeil(-MathLog10(step) - 1e-9));
   out = NormalizeDouble(out, stepDigits);
   if(out <= 0 || out < vmin - 1e-9)
     {
      why = StringFormat("volume %s below SYMBOL_VOLUME_MIN %s", CM5JsonNumber(v), CM5JsonNumber(vmin));
      return false;
     }
   if(out > vmax + 1e-9)
     {
      why = StringFormat("volume %s above SYMBOL_VOLUME_MAX %s", CM5JsonNumber(v), CM5JsonNumber(vmax));
      return false;
     }
   return true;
  }

//--- a price on the symbol's tick grid and digits; 0 stays 0
double CM5NormalizePrice(const string sym, const double p)
  {
   if(p <= 0)
      return 0;
   double tick = SymbolInfoDouble(sym, SYMBOL_TRADE_TICK_SIZE);
   int digits = (int)SymbolInfoInteger(sym, SYMBOL_DIGITS);
   double q = tick > 0 ? MathRound(p / tick) * tick : p;
   return NormalizeDouble(q, digits);
  }

//--- SL/TP of a `isBuy` position opening at `openAt` and closing at `closeAt` (0 = no level):
//--- SL on the loss side and TP on the profit side of openAt, each more than 0 and at least
//--- stops_level points away from closeAt. Market order: openAt = ask (buy) or bid (sell),
//--- closeAt = bid (buy) or ask (sell); position modify: both the close price; pending: its price.
string CM5StopsProblem(const string sym, const bool isBuy, const double openAt, const double closeAt,
                       const double sl, const double tp)
  {
   double point = SymbolInfoDouble(sym, SYMBOL_POINT);
   long level = SymbolInfoInteger(sym, SYMBOL_TRADE_STOPS_LEVEL);
   if(level < 0)
      level = 0;
   double minDist = (double)level * point;
   double eps = point / 1000;
   double dir = isBuy ? 1.0 : -1.0;
   if(sl > 0)
     {
      if(dir * (openAt - sl) <= eps)
         return StringFormat("SL %s is not on the loss side of %s", CM5JsonNumber(sl), CM5JsonNumber(openAt));
      double dist = dir * (closeAt - sl);
      if(dist < minDist - eps || dist <= eps)
         return StringFormat("SL %s is nearer than stops_level %I64d points to %s", CM5JsonNumber(sl), level, CM5JsonNumber(closeAt));
     }
   if(tp > 0)
     {
      if(dir * (tp - openAt) <= eps)
         return StringFormat("TP %s is not on the profit side of %s", CM5JsonNumber(tp), CM5JsonNumber(openAt));
      double dist = dir * (tp - closeAt);
      if(dist < minDist - eps || dist <= eps)
         return StringFormat("TP %s is nearer than stops_level %I64d points to %s", CM5JsonNumber(tp), level, CM5JsonNumber(closeAt));
     }
   return "";
  }

//--- a pending order's price against the market now: limits below the ask (buy) / above the bid
//--- (sell), stops above the ask (buy) / below the bid (sell), by max(stops_level, 1) points
string CM5PendingPriceProblem(const string sym, const ENUM_ORDER_TYPE type, const double price, const double bid, const double ask)
  {
   double point = SymbolInfoDouble(sym, SYMBOL_POINT);
   long level = SymbolInfoInteger(sym, SYMBOL_TRADE_STOPS_LEVEL);
   if(level < 1)
      level = 1;
   double minDist = (double)level * point - point / 1000;
   bool ok = false;
   if(type == ORDER_TYPE_BUY_LIMIT)
      ok = ask - price >= minDist;
   else if(type == ORDER_TYPE_SELL_LIMIT)
      ok = price - bid >= minDist;
   else if(type == ORDER_TYPE_BUY_STOP)
      ok = price - ask >= minDist;
   else if(type == ORDER_TYPE_SELL_STOP)
      ok = bid - price >= minDist;
   if(ok)
      return "";
   return StringFormat("%s price %s is not at least %I64d points on its side of the market (bid %s, ask %s)",
                       EnumToString(type), CM5JsonNumber(price), level, CM5JsonNumber(bid), CM5JsonNumber(ask));
  }

//--- the position or order is frozen: its SL or TP within SYMBOL_TRADE_FREEZE_LEVEL points of `at`
bool CM5Frozen(const string sym, const double at, const double sl, const double tp)
  {
   double freeze = (double)SymbolInfoInteger(sym, SYMBOL_TRADE_FREEZE_LEVEL) * SymbolInfoDouble(sym, SYMBOL_POINT);
   return freeze > 0 && ((sl > 0 && MathAbs(at - sl) < freeze) || (tp > 0 && MathAbs(at - tp) < freeze));
  }

#endif
