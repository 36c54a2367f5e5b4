//+------------------------------------------------------------------+
//| ClientMT5/Protocol.mqh                                           |
//| The EA link protocol, version 1: the MQL5 mirror of              |
//| src/shared/protocol.ts. docs/protocol.md is the contract;        |
//| test/unit/mql5-protocol.test.ts keeps the three in agreement.    |
//+------------------------------------------------------------------+
#ifndef CM5_PROTOCOL_MQH
#define CM5_PROTOCOL_MQH

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
#define CM5_MSG_COMMAND             "command"
#define CM5_MSG_EXECUTION           "execution"
#define CM5_MSG_ACCOUNT             "account"
#define CM5_MSG_POSITIONS           "positions"
#define CM5_MSG_DEALS               "deals"
#define CM5_MSG_SYNC                "sync"

// Field layout of every control message: CM5_FIELDS_<TYPE> lists the keys of the message object,
// CM5_FIELDS_<TYPE>_<KEY> those of a nested object or of an array's elements. The test compares
// them with the golden fixtures, and checks that the EA's sources spell every one of them.
#define CM5_FIELDS_ACCOUNT                    "type time_msc login server company currency leverage trade_mode margin_mode balance equity profit margin margin_free margin_level trade_allowed"
#define CM5_FIELDS_COMMAND                    "type command_id kind symbol symbol_id order_type volume price sl tp deviation_points expires_at_ms order_expiration_ms ticket magic comment"
#define CM5_FIELDS_DEALS                      "type sync_id from_msc to_msc unknown_command_ids deals"
#define CM5_FIELDS_DEALS_DEALS                "ticket order position symbol type entry volume price profit swap commission time_msc magic comment reason"
#define CM5_FIELDS_ERROR                      "type code message"
#define CM5_FIELDS_EXECUTION                  "type command_id stage source retcode retcode_text reason symbol ticket order deal volume price requested_volume requested_price sl tp filling time_msc replay"
#define CM5_FIELDS_HEARTBEAT                  "type time_msc server_time_offset_s"
#define CM5_FIELDS_HELLO                      "type protocol token ea account server_time_offset_s symbols"
#define CM5_FIELDS_HELLO_ACCOUNT              "login server company currency leverage trade_mode margin_mode"
#define CM5_FIELDS_HELLO_EA                   "name version magic run_id"
#define CM5_FIELDS_HELLO_SYMBOLS              "name digits point contract_size volume_min volume_step volume_max stops_level freeze_level filling_modes tick_size trade_mode execution_mode order_modes expiration_modes"
#define CM5_FIELDS_PAUSE                      "type reason"
#define CM5_FIELDS_POSITIONS                  "type time_msc positions orders"
#define CM5_FIELDS_POSITIONS_ORDERS           "ticket symbol type volume price sl tp time_setup_msc expiration_msc magic comment"
#define CM5_FIELDS_POSITIONS_POSITIONS        "ticket identifier symbol type volume price_open price_current sl tp profit swap time_msc magic comment"
#define CM5_FIELDS_RESUME                     "type symbols"
#define CM5_FIELDS_RESUME_SYMBOLS             "id cursor"
#define CM5_FIELDS_RESUME_SYMBOLS_CURSOR      "time_msc count_at_msc"
#define CM5_FIELDS_SYNC                       "type sync_id command_ids deals_from_ms"
#define CM5_FIELDS_WELCOME                    "type protocol session_id max_ticks_per_frame symbols"
#define CM5_FIELDS_WELCOME_SYMBOLS            "name id cursor"
#define CM5_FIELDS_WELCOME_SYMBOLS_CURSOR     "time_msc count_at_msc"

// ── Trading half (docs/protocol.md, section 1, "Trading") ──
// command.kind
#define CM5_CMD_OPEN                "open"
#define CM5_CMD_CLOSE               "close"
#define CM5_CMD_MODIFY              "modify"
#define CM5_CMD_CLOSE_ALL           "close_all"
// command.order_type; positions[].type, orders[].type and deals[].type use the same names
#define CM5_ORDER_BUY               "buy"
#define CM5_ORDER_SELL              "sell"
#define CM5_ORDER_BUY_LIMIT         "buy_limit"
#define CM5_ORDER_SELL_LIMIT        "sell_limit"
#define CM5_ORDER_BUY_STOP          "buy_stop"
#define CM5_ORDER_SELL_STOP         "sell_stop"
// execution.stage: filled, partially_filled and rejected are final (exactly one per command)
#define CM5_STAGE_RECEIVED          "received"
#define CM5_STAGE_SENT              "sent"
#define CM5_STAGE_FILLED            "filled"
#define CM5_STAGE_PARTIALLY_FILLED  "partially_filled"
#define CM5_STAGE_REJECTED          "rejected"
// execution.source
#define CM5_SOURCE_EA               "ea"
#define CM5_SOURCE_SERVER           "server"
// execution.filling
#define CM5_FILL_FOK                "fok"
#define CM5_FILL_IOC                "ioc"
#define CM5_FILL_RETURN             "return"
// execution.reason when the EA refuses a command itself
#define CM5_REASON_BAD_COMMAND      "EA_BAD_COMMAND"
#define CM5_REASON_EXPIRED          "EA_EXPIRED"
#define CM5_REASON_UNKNOWN_SYMBOL   "EA_UNKNOWN_SYMBOL"
#define CM5_REASON_TRADE_DISABLED   "EA_TRADE_DISABLED"
#define CM5_REASON_INVALID_VOLUME   "EA_INVALID_VOLUME"
#define CM5_REASON_INVALID_STOPS    "EA_INVALID_STOPS"
#define CM5_REASON_FROZEN           "EA_FROZEN"
#define CM5_REASON_NO_FILLING_MODE  "EA_NO_FILLING_MODE"
#define CM5_REASON_NOT_FOUND        "EA_NOT_FOUND"
#define CM5_REASON_BUSY             "EA_BUSY"
// outcomes the bridge gives commands in doubt (the EA never sends them)
#define CM5_REASON_NOT_DELIVERED    "EA_NOT_DELIVERED"
#define CM5_REASON_NOT_EXECUTED     "EA_NOT_EXECUTED"
// the bridge's order comment is "cm5:<ref>"; MT5 keeps at most 31 characters of a comment
#define CM5_COMMENT_PREFIX          "cm5:"
#define CM5_COMMENT_MAX_CHARS       31
#define CM5_COMMAND_ID_MAX_CHARS    64
#define CM5_EA_COMMAND_QUEUE        256
#define CM5_EA_COMMAND_MEMORY       1024
#define CM5_EA_FILL_WAIT_MS         10000
#define CM5_ACCOUNT_MIN_INTERVAL_MS 1000
#define CM5_ACCOUNT_REPORT_INTERVAL_MS 60000
#define CM5_SYNC_LOOKBACK_MS        60000

// WebSocket close codes from the bridge: 4000-4003 mean "do not reconnect as is".
#define CM5_CLOSE_BAD_HELLO         4000
#define CM5_CLOSE_BAD_TOKEN         4001
#define CM5_CLOSE_PROTOCOL_VERSION  4002
#define CM5_CLOSE_REPLACED          4003

// The record layout above must be what the terminal itself produces.
bool CM5MqlTickLayoutOk(void)
  {
   MqlTick t;
   ZeroMemory(t);
   uchar bytes[];
   return StructToCharArray(t, bytes) && ArraySize(bytes) == CM5_MQLTICK_BYTES;
  }

#endif
