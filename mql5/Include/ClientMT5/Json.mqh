//+------------------------------------------------------------------+
//| ClientMT5/Json.mqh                                               |
//| Just enough JSON for the EA link's control messages: a writer    |
//| that builds one message into a string, and a reader that parses  |
//| one message into a flat node table (no objects per node, so a    |
//| message costs a handful of array resizes, not allocations).      |
//+------------------------------------------------------------------+
#ifndef CM5_JSON_MQH
#define CM5_JSON_MQH

#define CM5_JSON_NULL    0
#define CM5_JSON_BOOL    1
#define CM5_JSON_NUMBER  2
#define CM5_JSON_STRING  3
#define CM5_JSON_ARRAY   4
#define CM5_JSON_OBJECT  5

//--- a double as JSON: at most `digits` decimals, trailing zeros dropped; NaN and infinities as 0
string CM5JsonNumber(const double v, const int digits = 8)
  {
   if(!MathIsValidNumber(v))
      return "0";
   string s = DoubleToString(v, digits);
   if(StringFind(s, ".") >= 0)
     {
      int n = StringLen(s);
      while(n > 0 && StringGetCharacter(s, n - 1) == '0')
         n--;
      if(n > 0 && StringGetCharacter(s, n - 1) == '.')
         n--;
      s = StringSubstr(s, 0, n);
     }
   if(s == "-0")
      s = "0";
   return s;
  }

//--- a string as a JSON literal, quotes included
string CM5JsonQuote(const string s)
  {
   string out = "\"";
   int n = StringLen(s);
   for(int i = 0; i < n; i++)
     {
      ushort c = StringGetCharacter(s, i);
      if(c == '"')
         out += "\\\"";
      else if(c == '\\')
         out += "\\\\";
      else if(c == '\n')
         out += "\\n";
      else if(c == '\r')
         out += "\\r";
      else if(c == '\t')
         out += "\\t";
      else if(c < 0x20)
         out += StringFormat("\\u%04x", c);
      else
         out += ShortToString(c);
     }
   return out + "\"";
  }

//+------------------------------------------------------------------+
//| Writer: Begin/End object and array, Key, then a value.           |
//| Commas are placed by the writer.                                 |
//+------------------------------------------------------------------+
class CJsonWriter
  {
private:
   string            m_text;
   bool              m_needComma;

   void              Sep(void) { if(m_needComma) m_text += ","; m_needComma = false; }

public:
                     CJsonWriter(void) : m_text(""), m_needComma(false) {}
   void              Reset(void) { m_text = ""; m_needComma = false; }
   string            Text(void) const { return m_text; }

   CJsonWriter      *BeginObject(void) { Sep(); m_text += "{"; return GetPointer(this); }
   CJsonWriter      *EndObject(void) { m_text += "}"; m_needComma = true; return GetPointer(this); }
   CJsonWriter      *BeginArray(void) { Sep(); m_text += "["; return GetPointer(this); }
   CJsonWriter      *EndArray(void) { m_text += "]"; m_needComma = true; return GetPointer(this); }
   CJsonWriter      *Key(const string key) { Sep(); m_text += CM5JsonQuote(key) + ":"; return GetPointer(this); }
   CJsonWriter      *Str(const string v) { Sep(); m_text += CM5JsonQuote(v); m_needComma = true; return GetPointer(this); }
   CJsonWriter      *Num(const double v, const int digits = 8) { Sep(); m_text += CM5JsonNumber(v, digits); m_needComma = true; return GetPointer(this); }
   CJsonWriter      *Int(const long v) { Sep(); m_text += IntegerToString(v); m_needComma = true; return GetPointer(this); }
   CJsonWriter      *Bool(const bool v) { Sep(); m_text += (v ? "true" : "false"); m_needComma = true; return GetPointer(this); }
   //--- 64-bit tickets travel as strings; 0 is ""
   CJsonWriter      *Ticket(const ulong v) { return Str(v == 0 ? "" : StringFormat("%I64u", v)); }
   //--- a string that already is JSON (a nested message)
   CJsonWriter      *Raw(const string json) { Sep(); m_text += json; m_needComma = true; return GetPointer(this); }

   //--- key and value in one call
   CJsonWriter      *KStr(const string k, const string v) { Key(k); return Str(v); }
   CJsonWriter      *KNum(const string k, const double v, const int digits = 8) { Key(k); return Num(v, digits); }
   CJsonWriter      *KInt(const string k, const long v) { Key(k); return Int(v); }
   CJsonWriter      *KBool(const string k, const bool v) { Key(k); return Bool(v); }
   CJsonWriter      *KTicket(const string k, const ulong v) { Key(k); return Ticket(v); }
  };

//+------------------------------------------------------------------+
//| Reader: Parse() one JSON text, then walk it by node index.       |
//| Node 0 is the root; -1 means "absent" and every getter accepts   |
//| it, returning the default.                                       |
//+------------------------------------------------------------------+
class CJsonReader
  {
private:
   ushort            m_s[];
   int               m_len;
   int               m_pos;
   string            m_error;
   int               m_count;
   int               m_type[];
   string            m_key[];
   string            m_str[];
   double            m_num[];
   int               m_first[];
   int               m_next[];
   int               m_size[];

   int               NewNode(const int type, const string key)
     {
      if(m_count >= ArraySize(m_type))
        {
         int cap = MathMax(32, m_count * 2);
         ArrayResize(m_type, cap);
         ArrayResize(m_key, cap);
         ArrayResize(m_str, cap);
         ArrayResize(m_num, cap);
         ArrayResize(m_first, cap);
         ArrayResize(m_next, cap);
         ArrayResize(m_size, cap);
        }
      int n = m_count++;
      m_type[n] = type;
      m_key[n] = key;
      m_str[n] = "";
      m_num[n] = 0;
      m_first[n] = -1;
      m_next[n] = -1;
      m_size[n] = 0;
      return n;
     }

   void              SkipWs(void)
     {
      while(m_pos < m_len && (m_s[m_pos] == ' ' || m_s[m_pos] == '\t' || m_s[m_pos] == '\n' || m_s[m_pos] == '\r'))
         m_pos++;
     }

   bool              Fail(const string what)
     {
      if(m_error == "")
         m_error = what + " at character " + IntegerToString(m_pos);
      return false;
     }

   int               Hex(const ushort c)
     {
      if(c >= '0' && c <= '9') return c - '0';
      if(c >= 'a' && c <= 'f') return c - 'a' + 10;
      if(c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
     }

   bool              ParseString(string &out)
     {
      out = "";
      m_pos++; // opening quote
      int runStart = m_pos;
      while(m_pos < m_len)
        {
         ushort c = m_s[m_pos];
         if(c == '"')
           {
            if(m_pos > runStart)
               out += ShortArrayToString(m_s, runStart, m_pos - runStart);
            m_pos++;
            return true;
           }
         if(c != '\\')
           {
            m_pos++;
            continue;
           }
         if(m_pos > runStart)
            out += ShortArrayToString(m_s, runStart, m_pos - runStart);
         if(m_pos + 1 >= m_len)
            return Fail("unterminated escape");
         ushort e = m_s[m_pos + 1];
         m_pos += 2;
         if(e == '"' || e == '\\' || e == '/')
            out += ShortToString(e);
         else if(e == 'n') out += "\n";
         else if(e == 'r') out += "\r";
         else if(e == 't') out += "\t";
         else if(e == 'b') out += ShortToString(8);
         else if(e == 'f') out += ShortToString(12);
         else if(e == 'u')
           {
            if(m_pos + 4 > m_len)
               return Fail("short \\u escape");
            int v = 0;
            for(int k = 0; k < 4; k++)
              {
               int h = Hex(m_s[m_pos + k]);
               if(h < 0)
                  return Fail("bad \\u escape");
               v = v * 16 + h;
              }
            m_pos += 4;
            out += ShortToString((ushort)v); // MQL5 strings are UTF-16: surrogates pass through as they are
           }
         else
            return Fail("bad escape");
         runStart = m_pos;
        }
      return Fail("unterminated string");
     }

   int               ParseValue(const string key, const int depth)
     {
      if(depth > 32)
        {
         Fail("nesting too deep");
         return -1;
        }
      SkipWs();
      if(m_pos >= m_len)
        {
         Fail("unexpected end");
         return -1;
        }
      ushort c = m_s[m_pos];
      if(c == '{' || c == '[')
        {
         bool isObject = (c == '{');
         int node = NewNode(isObject ? CM5_JSON_OBJECT : CM5_JSON_ARRAY, key);
         m_pos++;
         SkipWs();
         ushort close = isObject ? '}' : ']';
         if(m_pos < m_len && m_s[m_pos] == close)
           {
            m_pos++;
            return node;
           }
         int last = -1;
         while(true)
           {
            string childKey = "";
            if(isObject)
              {
               SkipWs();
               if(m_pos >= m_len || m_s[m_pos] != '"')
                 {
                  Fail("expected a key");
                  return -1;
                 }
               if(!ParseString(childKey))
                  return -1;
               SkipWs();
               if(m_pos >= m_len || m_s[m_pos] != ':')
                 {
                  Fail("expected ':'");
                  return -1;
                 }
               m_pos++;
              }
            int child = ParseValue(childKey, depth + 1);
            if(child < 0)
               return -1;
            if(last < 0)
               m_first[node] = child;
            else
               m_next[last] = child;
            last = child;
            m_size[node]++;
            SkipWs();
            if(m_pos < m_len && m_s[m_pos] == ',')
              {
               m_pos++;
               continue;
              }
            if(m_pos < m_len && m_s[m_pos] == close)
              {
               m_pos++;
               return node;
              }
            Fail("expected ',' or a closing bracket");
            return -1;
           }
        }
      if(c == '"')
        {
         int node = NewNode(CM5_JSON_STRING, key);
         string s;
         if(!ParseString(s))
            return -1;
         m_str[node] = s;
         return node;
        }
      if(c == 't' || c == 'f' || c == 'n')
        {
         string word = c == 't' ? "true" : (c == 'f' ? "false" : "null");
         int wl = StringLen(word);
         if(m_pos + wl > m_len || ShortArrayToString(m_s, m_pos, wl) != word)
           {
            Fail("bad literal");
            return -1;
           }
         m_pos += wl;
         int node = NewNode(c == 'n' ? CM5_JSON_NULL : CM5_JSON_BOOL, key);
         m_num[node] = (c == 't') ? 1 : 0;
         return node;
        }
      int start = m_pos;
      while(m_pos < m_len)
        {
         ushort d = m_s[m_pos];
         if((d >= '0' && d <= '9') || d == '-' || d == '+' || d == '.' || d == 'e' || d == 'E')
            m_pos++;
         else
            break;
        }
      if(m_pos == start)
        {
         Fail("unexpected character");
         return -1;
        }
      int node = NewNode(CM5_JSON_NUMBER, key);
      m_num[node] = StringToDouble(ShortArrayToString(m_s, start, m_pos - start));
      return node;
     }

public:
                     CJsonReader(void) : m_len(0), m_pos(0), m_error(""), m_count(0) {}

   //--- parses `text`; false (and Error()) when it is not one JSON value
   bool              Parse(const string text)
     {
      m_count = 0;
      m_pos = 0;
      m_error = "";
      m_len = StringToShortArray(text, m_s, 0, StringLen(text));
      if(ParseValue("", 0) != 0)
         return false;
      SkipWs();
      if(m_pos != m_len)
         return Fail("trailing characters");
      return true;
     }

   string            Error(void) const { return m_error; }
   int               Root(void) const { return m_count > 0 ? 0 : -1; }
   int               Type(const int node) const { return node < 0 ? -1 : m_type[node]; }
   int               Size(const int node) const { return node < 0 ? 0 : m_size[node]; }

   //--- member `key` of object `node`, -1 when absent
   int               Get(const int node, const string key) const
     {
      if(node < 0 || m_type[node] != CM5_JSON_OBJECT)
         return -1;
      for(int c = m_first[node]; c >= 0; c = m_next[c])
         if(m_key[c] == key)
            return c;
      return -1;
     }

   //--- element i of array `node`, -1 when absent
   int               At(const int node, const int i) const
     {
      if(node < 0 || m_type[node] != CM5_JSON_ARRAY || i < 0)
         return -1;
      int c = m_first[node];
      for(int k = 0; k < i && c >= 0; k++)
         c = m_next[c];
      return c;
     }

   int               FirstChild(const int node) const { return node < 0 ? -1 : m_first[node]; }
   int               Next(const int node) const { return node < 0 ? -1 : m_next[node]; }

   string            Str(const int node, const string def = "") const
     {
      return (node >= 0 && m_type[node] == CM5_JSON_STRING) ? m_str[node] : def;
     }
   double            Num(const int node, const double def = 0) const
     {
      return (node >= 0 && m_type[node] == CM5_JSON_NUMBER) ? m_num[node] : def;
     }
   long              Long(const int node, const long def = 0) const
     {
      return (node >= 0 && m_type[node] == CM5_JSON_NUMBER) ? (long)MathRound(m_num[node]) : def;
     }
   bool              Bool(const int node, const bool def = false) const
     {
      return (node >= 0 && m_type[node] == CM5_JSON_BOOL) ? (m_num[node] != 0) : def;
     }
   bool              Has(const int obj, const string key) const { return Get(obj, key) >= 0; }

   //--- member shortcuts
   string            GetStr(const int obj, const string key, const string def = "") const { return Str(Get(obj, key), def); }
   double            GetNum(const int obj, const string key, const double def = 0) const { return Num(Get(obj, key), def); }
   long              GetLong(const int obj, const string key, const long def = 0) const { return Long(Get(obj, key), def); }
   bool              GetBool(const int obj, const string key, const bool def = false) const { return Bool(Get(obj, key), def); }
  };

#endif
