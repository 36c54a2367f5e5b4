//+------------------------------------------------------------------+
//| ClientMT5/Protocol.mqh                                           |
//| The EA link protocol, version 1: the MQL5 mirror of              |
//| src/shared/protocol.ts. docs/protocol.md is the contract;        |
//| test/unit/mql5-protocol.test.ts keeps the three in agreement.    |
//+------------------------------------------------------------------+

#define CM5_PROTOCOL_VERSION        1
#define CM5_DEFAULT_EA_HOST         "127.0.0.1"
#define CM5_DEFAULT_EA_PORT         9000
#define CM5_DEFAULT_EA_PATH         "/ea"

// Binary frame (EA -> bridge), little-endian:
//   0 u8 type | 1 u8 version | 2 u16 symbol id | 4 u32 tick count | [8 f64 captured_at_ms] | records
#define CM5_FRAME_TICKS             1
#define CM5_FRAME_TICKS_BACKFILL    2
#define CM5_FRAME_HEADER_BYTES      8
#define CM5_BACKFILL_EXTRA_BYTES    8
#define CM5_FH_TYPE                 0
#define CM5_FH_VERSION              1
#define CM5_FH_SYMBOL_ID            2
#define CM5_FH_COUNT                4
#define CM5_MAX_TICKS_PER_FRAME     4096

// MqlTick as StructToCharArray lays it out (pack 1, 60 bytes).
#define CM5_MQLTICK_BYTES           60
#define CM5_MT_TIME                 0
#define CM5_MT_BID                  8
#define CM5_MT_ASK                  16
#define CM5_MT_LAST                 24
#define CM5_MT_VOLUME               32
#define CM5_MT_TIME_MSC             40
#define CM5_MT_FLAGS                48
#define CM5_MT_VOLUME_REAL          52

// The documented tick flag bits; the bridge masks the rest away.
#define CM5_TICK_FLAGS_MASK         0x7e

// Symbol filling-mode bits (SYMBOL_FILLING_MODE).
#define CM5_FILLING_FOK             1
#define CM5_FILLING_IOC             2
#define CM5_FILLING_BOC             4

// JSON control message types (the "type" field of text frames).
#define CM5_MSG_HELLO               "hello"
#define CM5_MSG_WELCOME             "welcome"
#define CM5_MSG_HEARTBEAT           "heartbeat"
#define CM5_MSG_PAUSE               "pause"
#define CM5_MSG_RESUME              "resume"
#define CM5_MSG_ERROR               "error"

// WebSocket close codes from the bridge: 4000-4003 mean "do not reconnect as is".
#define CM5_CLOSE_BAD_HELLO         4000
#define CM5_CLOSE_BAD_TOKEN         4001
#define CM5_CLOSE_PROTOCOL_VERSION  4002
#define CM5_CLOSE_REPLACED          4003

// The record layout above must be what the terminal itself produces.
struct CM5LayoutCheck
  {
   static bool       Ok(void)
     {
      MqlTick t;
      ZeroMemory(t);
      uchar bytes[];
      return StructToCharArray(t, bytes) && ArraySize(bytes) == CM5_MQLTICK_BYTES;
     }
  };
