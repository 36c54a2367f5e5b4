//+------------------------------------------------------------------+
//| ClientMT5/WebSocketClient.mqh                                    |
//| A small RFC 6455 client over the terminal's raw sockets          |
//| (SocketCreate/SocketConnect/SocketSend/SocketRead), no DLL:      |
//| the opening handshake with Sec-WebSocket-Accept checked, masked  |
//| client frames, ping -> pong, the closing handshake, and messages |
//| reassembled from fragments. Non-blocking use: Poll() on a timer  |
//| takes what the socket holds and queues complete text messages.   |
//|                                                                  |
//| The terminal only connects to hosts in Tools > Options > Expert  |
//| Advisors > "Allow WebRequest for listed URL" (docs/ea-install.md)|
//+------------------------------------------------------------------+
#ifndef CM5_WEBSOCKET_MQH
#define CM5_WEBSOCKET_MQH

#define CM5_WS_OP_CONT    0x0
#define CM5_WS_OP_TEXT    0x1
#define CM5_WS_OP_BINARY  0x2
#define CM5_WS_OP_CLOSE   0x8
#define CM5_WS_OP_PING    0x9
#define CM5_WS_OP_PONG    0xA
//--- no close frame was received (RFC 6455 7.4.1: 1006 is never sent on the wire)
#define CM5_WS_CLOSE_ABNORMAL 1006
//--- the bridge sends small control frames; anything bigger than this is a broken peer
#define CM5_WS_MAX_MESSAGE_BYTES (16 * 1024 * 1024)
//--- SocketRead timeouts, ms (0 is not "no wait" but the terminal's default of 120 s)
#define CM5_WS_POLL_READ_MS      1
#define CM5_WS_HANDSHAKE_READ_MS 50

//--- UTF-8 bytes of a string, without the terminating zero StringToCharArray adds
int CM5Utf8(const string s, uchar &out[])
  {
   int n = StringToCharArray(s, out, 0, -1, CP_UTF8);
   if(n > 0 && out[n - 1] == 0)
      n--;
   ArrayResize(out, MathMax(n, 0));
   return n;
  }

class CWebSocketClient
  {
private:
   int               m_socket;
   bool              m_open;
   int               m_closeCode;
   string            m_closeReason;
   bool              m_closeSent;
   uchar             m_rx[];
   int               m_rxLen;
   int               m_rxPos;
   uchar             m_fragment[];
   int               m_fragmentLen;
   int               m_fragmentOpcode;
   string            m_inbox[];
   int               m_inboxHead;
   int               m_inboxTail;
   uchar             m_tx[];
   string            m_lastError;

   //--- base64(SHA-1(key + GUID)), what the server must answer (RFC 6455 4.2.2)
   string            ExpectedAccept(const string key)
     {
      uchar data[], digest[], b64[], none[];
      CM5Utf8(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11", data);
      if(CryptEncode(CRYPT_HASH_SHA1, data, none, digest) <= 0)
         return "";
      if(CryptEncode(CRYPT_BASE64, digest, none, b64) <= 0)
         return "";
      return Base64Text(b64);
     }

   //--- base64 bytes as one line: CRYPT_BASE64 output, any line breaks and terminating zero dropped
   static string     Base64Text(const uchar &b64[])
     {
      string s = CharArrayToString(b64, 0, ArraySize(b64), CP_ACP);
      StringReplace(s, "\r", "");
      StringReplace(s, "\n", "");
      return s;
     }

   string            NewKey(void)
     {
      uchar raw[16], b64[], none[];
      for(int i = 0; i < 16; i++)
         raw[i] = (uchar)(MathRand() & 0xff);
      CryptEncode(CRYPT_BASE64, raw, none, b64);
      return Base64Text(b64);
     }

   bool              SendAll(const uchar &buf[], const int len)
     {
      int sent = 0;
      int guard = 0;
      while(sent < len)
        {
         uchar part[];
         int n;
         if(sent == 0)
            n = SocketSend(m_socket, buf, (uint)len);
         else
           {
            ArrayCopy(part, buf, 0, sent, len - sent);
            n = SocketSend(m_socket, part, (uint)(len - sent));
           }
         if(n <= 0)
           {
            m_lastError = "SocketSend failed, error " + IntegerToString(GetLastError());
            return false;
           }
         sent += n;
         if(++guard > 1000)
            return false;
        }
      return true;
     }

   //--- one frame: FIN set, the client's payload masked with a fresh key (RFC 6455 5.3)
   bool              SendFrame(const int opcode, const uchar &payload[], const int len)
     {
      if(m_socket == INVALID_HANDLE)
         return false;
      int header = 2 + (len >= 65536 ? 8 : (len >= 126 ? 2 : 0)) + 4;
      if(ArraySize(m_tx) < header + len)
         ArrayResize(m_tx, header + len);
      m_tx[0] = (uchar)(0x80 | opcode);
      int p = 2;
      if(len < 126)
         m_tx[1] = (uchar)(0x80 | len);
      else if(len < 65536)
        {
         m_tx[1] = (uchar)(0x80 | 126);
         m_tx[2] = (uchar)((len >> 8) & 0xff);
         m_tx[3] = (uchar)(len & 0xff);
         p = 4;
        }
      else
        {
         m_tx[1] = (uchar)(0x80 | 127);
         ulong l = (ulong)len;
         for(int i = 0; i < 8; i++)
            m_tx[2 + i] = (uchar)((l >> (8 * (7 - i))) & 0xff);
         p = 10;
        }
      uchar mask[4];
      for(int i = 0; i < 4; i++)
        {
         mask[i] = (uchar)(MathRand() & 0xff);
         m_tx[p + i] = mask[i];
        }
      p += 4;
      for(int i = 0; i < len; i++)
         m_tx[p + i] = (uchar)(payload[i] ^ mask[i & 3]);
      return SendAll(m_tx, p + len);
     }

   void              Deliver(const int opcode, const uchar &payload[], const int len)
     {
      if(opcode != CM5_WS_OP_TEXT)
         return; // the bridge sends no binary frames to the EA
      int cap = ArraySize(m_inbox);
      if(m_inboxTail >= cap)
        {
         // compact, then grow
         int live = m_inboxTail - m_inboxHead;
         for(int i = 0; i < live; i++)
            m_inbox[i] = m_inbox[m_inboxHead + i];
         m_inboxHead = 0;
         m_inboxTail = live;
         if(m_inboxTail >= cap)
            ArrayResize(m_inbox, MathMax(16, cap * 2));
        }
      m_inbox[m_inboxTail++] = CharArrayToString(payload, 0, len, CP_UTF8);
     }

   void              MarkClosed(const int code, const string reason)
     {
      if(!m_open && m_socket == INVALID_HANDLE)
         return;
      m_open = false;
      m_closeCode = code;
      m_closeReason = reason;
      if(m_socket != INVALID_HANDLE)
         SocketClose(m_socket);
      m_socket = INVALID_HANDLE;
     }

   //--- parses every complete frame in m_rx; false when the link closed
   bool              ParseFrames(void)
     {
      while(m_open)
        {
         int avail = m_rxLen - m_rxPos;
         if(avail < 2)
            break;
         int b0 = m_rx[m_rxPos];
         int b1 = m_rx[m_rxPos + 1];
         bool fin = (b0 & 0x80) != 0;
         int opcode = b0 & 0x0f;
         bool masked = (b1 & 0x80) != 0;
         ulong len = (ulong)(b1 & 0x7f);
         int p = 2;
         if(len == 126)
           {
            if(avail < 4)
               break;
            len = ((ulong)m_rx[m_rxPos + 2] << 8) | (ulong)m_rx[m_rxPos + 3];
            p = 4;
           }
         else if(len == 127)
           {
            if(avail < 10)
               break;
            len = 0;
            for(int i = 0; i < 8; i++)
               len = (len << 8) | (ulong)m_rx[m_rxPos + 2 + i];
            p = 10;
           }
         if(len > CM5_WS_MAX_MESSAGE_BYTES)
           {
            Close(1009, "message too big");
            return false;
           }
         uchar mask[4];
         ArrayInitialize(mask, 0);
         if(masked)
           {
            if(avail < p + 4)
               break;
            for(int i = 0; i < 4; i++)
               mask[i] = m_rx[m_rxPos + p + i];
            p += 4;
           }
         if((ulong)avail < (ulong)p + len)
            break;
         int n = (int)len;
         uchar payload[];
         ArrayResize(payload, n);
         for(int i = 0; i < n; i++)
            payload[i] = masked ? (uchar)(m_rx[m_rxPos + p + i] ^ mask[i & 3]) : m_rx[m_rxPos + p + i];
         m_rxPos += p + n;

         if(opcode == CM5_WS_OP_PING)
            SendFrame(CM5_WS_OP_PONG, payload, n);
         else if(opcode == CM5_WS_OP_PONG)
            continue;
         else if(opcode == CM5_WS_OP_CLOSE)
           {
            int code = n >= 2 ? ((payload[0] << 8) | payload[1]) : 1005;
            string reason = n > 2 ? CharArrayToString(payload, 2, n - 2, CP_UTF8) : "";
            if(!m_closeSent)
              {
               uchar echo[2];
               echo[0] = (uchar)((code >> 8) & 0xff);
               echo[1] = (uchar)(code & 0xff);
               SendFrame(CM5_WS_OP_CLOSE, echo, n >= 2 ? 2 : 0);
               m_closeSent = true;
              }
            MarkClosed(code, reason);
            return false;
           }
         else if(opcode == CM5_WS_OP_CONT)
           {
            if(m_fragmentOpcode < 0)
              {
               Close(1002, "continuation without a first fragment");
               return false;
              }
            if(m_fragmentLen + n > CM5_WS_MAX_MESSAGE_BYTES)
              {
               Close(1009, "message too big");
               return false;
              }
            ArrayResize(m_fragment, m_fragmentLen + n);
            ArrayCopy(m_fragment, payload, m_fragmentLen, 0, n);
            m_fragmentLen += n;
            if(fin)
              {
               Deliver(m_fragmentOpcode, m_fragment, m_fragmentLen);
               m_fragmentOpcode = -1;
               m_fragmentLen = 0;
              }
           }
         else if(opcode == CM5_WS_OP_TEXT || opcode == CM5_WS_OP_BINARY)
           {
            if(fin)
               Deliver(opcode, payload, n);
            else
              {
               m_fragmentOpcode = opcode;
               ArrayResize(m_fragment, n);
               ArrayCopy(m_fragment, payload, 0, 0, n);
               m_fragmentLen = n;
              }
           }
         else
           {
            Close(1002, "unknown opcode");
            return false;
           }
        }
      // drop what was consumed
      if(m_rxPos > 0)
        {
         int rest = m_rxLen - m_rxPos;
         if(rest > 0)
           {
            uchar tail[];
            ArrayCopy(tail, m_rx, 0, m_rxPos, rest);
            ArrayCopy(m_rx, tail, 0, 0, rest);
           }
         m_rxLen = rest;
         m_rxPos = 0;
        }
      return m_open;
     }

   //--- appends what the socket holds to m_rx; false on a broken socket
   bool              ReadAvailable(void)
     {
      if(m_socket == INVALID_HANDLE)
         return false;
      if(!SocketIsConnected(m_socket))
        {
         MarkClosed(CM5_WS_CLOSE_ABNORMAL, "connection lost");
         return false;
        }
      uint ready = SocketIsReadable(m_socket);
      while(ready > 0)
        {
         uchar chunk[];
         // SocketIsReadable may answer 1 for an empty buffer (it leaves the real check to the
         // read), so the read waits 1 ms at most: a timeout of 0 would mean the default 120 s
         ResetLastError();
         int n = SocketRead(m_socket, chunk, ready, CM5_WS_POLL_READ_MS);
         if(n <= 0)
           {
            if(SocketIsConnected(m_socket))
               break; // nothing there after all: the next pass reads again
            MarkClosed(CM5_WS_CLOSE_ABNORMAL, "read failed, error " + IntegerToString(GetLastError()));
            return false;
           }
         if(ArraySize(m_rx) < m_rxLen + n)
            ArrayResize(m_rx, MathMax(m_rxLen + n, ArraySize(m_rx) * 2));
         ArrayCopy(m_rx, chunk, m_rxLen, 0, n);
         m_rxLen += n;
         ready = SocketIsReadable(m_socket);
        }
      return true;
     }

public:
                     CWebSocketClient(void) : m_socket(INVALID_HANDLE), m_open(false), m_closeCode(0), m_closeReason(""),
                     m_closeSent(false), m_rxLen(0), m_rxPos(0), m_fragmentLen(0), m_fragmentOpcode(-1),
                     m_inboxHead(0), m_inboxTail(0), m_lastError("") {}
                    ~CWebSocketClient(void) { if(m_socket != INVALID_HANDLE) SocketClose(m_socket); }

   bool              IsOpen(void) const { return m_open; }
   int               CloseCode(void) const { return m_closeCode; }
   string            CloseReason(void) const { return m_closeReason; }
   string            LastError(void) const { return m_lastError; }

   //--- TCP connect and the opening handshake; blocks for at most about 2 x timeoutMs
   bool              Connect(const string host, const int port, const string path, const uint timeoutMs)
     {
      Abort();
      m_lastError = "";
      m_closeCode = 0;
      m_closeReason = "";
      m_closeSent = false;
      m_rxLen = 0;
      m_rxPos = 0;
      m_fragmentOpcode = -1;
      m_fragmentLen = 0;
      m_inboxHead = 0;
      m_inboxTail = 0;
      m_socket = SocketCreate();
      if(m_socket == INVALID_HANDLE)
        {
         m_lastError = "SocketCreate failed, error " + IntegerToString(GetLastError());
         return false;
        }
      if(!SocketConnect(m_socket, host, port, timeoutMs))
        {
         // 4014: the address is not in the terminal's allowed list (docs/ea-install.md)
         m_lastError = "SocketConnect to " + host + ":" + IntegerToString(port) + " failed, error " + IntegerToString(GetLastError());
         SocketClose(m_socket);
         m_socket = INVALID_HANDLE;
         return false;
        }
      SocketTimeouts(m_socket, timeoutMs, timeoutMs);
      string key = NewKey();
      string request = "GET " + path + " HTTP/1.1\r\n"
                       + "Host: " + host + ":" + IntegerToString(port) + "\r\n"
                       + "Upgrade: websocket\r\n"
                       + "Connection: Upgrade\r\n"
                       + "Sec-WebSocket-Key: " + key + "\r\n"
                       + "Sec-WebSocket-Version: 13\r\n"
                       + "User-Agent: ClientMT5-EA\r\n\r\n";
      uchar req[];
      int reqLen = CM5Utf8(request, req);
      if(!SendAll(req, reqLen))
        {
         Abort();
         return false;
        }
      // read the response head: up to the blank line; frames may follow in the same read
      ulong deadline = GetTickCount64() + timeoutMs;
      int headEnd = -1;
      while(headEnd < 0)
        {
         if(GetTickCount64() > deadline)
           {
            m_lastError = "no WebSocket handshake answer within " + IntegerToString(timeoutMs) + " ms";
            Abort();
            return false;
           }
         uint ready = SocketIsReadable(m_socket);
         if(ready == 0)
           {
            if(!SocketIsConnected(m_socket))
              {
               m_lastError = "the bridge closed the connection during the handshake";
               Abort();
               return false;
              }
            Sleep(5);
            continue;
           }
         uchar chunk[];
         ResetLastError();
         int n = SocketRead(m_socket, chunk, ready, CM5_WS_HANDSHAKE_READ_MS);
         if(n <= 0)
           {
            if(SocketIsConnected(m_socket))
               continue; // a speculative "readable" (see ReadAvailable): wait on, up to the deadline
            m_lastError = "handshake read failed, error " + IntegerToString(GetLastError());
            Abort();
            return false;
           }
         ArrayResize(m_rx, m_rxLen + n);
         ArrayCopy(m_rx, chunk, m_rxLen, 0, n);
         m_rxLen += n;
         for(int i = 3; i < m_rxLen; i++)
            if(m_rx[i - 3] == '\r' && m_rx[i - 2] == '\n' && m_rx[i - 1] == '\r' && m_rx[i] == '\n')
              {
               headEnd = i + 1;
               break;
              }
         if(m_rxLen > 16384 && headEnd < 0)
           {
            m_lastError = "handshake answer too long";
            Abort();
            return false;
           }
        }
      string head = CharArrayToString(m_rx, 0, headEnd, CP_ACP);
      string status = StringSubstr(head, 0, StringFind(head, "\r\n"));
      if(StringFind(status, " 101") < 0)
        {
         m_lastError = "the bridge refused the WebSocket upgrade: " + status;
         Abort();
         return false;
        }
      string accept = HeaderValue(head, "sec-websocket-accept");
      if(accept != ExpectedAccept(key))
        {
         m_lastError = "wrong Sec-WebSocket-Accept in the handshake answer";
         Abort();
         return false;
        }
      m_rxPos = headEnd;
      m_open = true;
      ParseFrames();
      return m_open;
     }

   //--- a header's value (case-insensitive name), trimmed
   static string     HeaderValue(const string head, const string name)
     {
      string lines[];
      int n = StringSplit(head, '\n', lines);
      for(int i = 1; i < n; i++)
        {
         int colon = StringFind(lines[i], ":");
         if(colon <= 0)
            continue;
         string k = StringSubstr(lines[i], 0, colon);
         StringToLower(k);
         StringTrimLeft(k);
         StringTrimRight(k);
         if(k != name)
            continue;
         string v = StringSubstr(lines[i], colon + 1);
         StringTrimLeft(v);
         StringTrimRight(v);
         return v;
        }
      return "";
     }

   //--- reads and handles what arrived; false when the link is (now) closed
   bool              Poll(void)
     {
      if(!m_open)
         return false;
      if(!ReadAvailable())
         return false;
      return ParseFrames();
     }

   //--- the next complete text message, oldest first
   bool              NextMessage(string &text)
     {
      if(m_inboxHead >= m_inboxTail)
         return false;
      text = m_inbox[m_inboxHead];
      m_inbox[m_inboxHead++] = "";
      return true;
     }

   bool              SendText(const string text)
     {
      if(!m_open)
         return false;
      uchar buf[];
      int n = CM5Utf8(text, buf);
      if(SendFrame(CM5_WS_OP_TEXT, buf, n))
         return true;
      MarkClosed(CM5_WS_CLOSE_ABNORMAL, m_lastError);
      return false;
     }

   bool              SendBinary(const uchar &buf[], const int len)
     {
      if(!m_open)
         return false;
      if(SendFrame(CM5_WS_OP_BINARY, buf, len))
         return true;
      MarkClosed(CM5_WS_CLOSE_ABNORMAL, m_lastError);
      return false;
     }

   //--- false while the socket cannot take more without blocking (back-pressure)
   bool              Writable(void) const { return m_socket != INVALID_HANDLE && SocketIsWritable(m_socket); }

   //--- the closing handshake from our side (we do not wait for the echo)
   void              Close(const int code, const string reason)
     {
      if(m_open && !m_closeSent)
        {
         uchar body[];
         uchar r[];
         int rl = CM5Utf8(StringSubstr(reason, 0, 120), r);
         ArrayResize(body, 2 + rl);
         body[0] = (uchar)((code >> 8) & 0xff);
         body[1] = (uchar)(code & 0xff);
         if(rl > 0)
            ArrayCopy(body, r, 2, 0, rl);
         SendFrame(CM5_WS_OP_CLOSE, body, 2 + rl);
         m_closeSent = true;
        }
      MarkClosed(code, reason);
     }

   //--- drop the socket without a close frame
   void              Abort(void)
     {
      if(m_socket != INVALID_HANDLE)
         SocketClose(m_socket);
      m_socket = INVALID_HANDLE;
      m_open = false;
     }
  };

#endif
