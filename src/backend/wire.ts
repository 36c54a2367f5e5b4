/**
 * The backend side of the link's wire format: every binary WebSocket frame is one
 * clientmt5.v1.Envelope. Only this module (of the backend) imports the generated protobuf code.
 */
import './protobuf-numbers.js';
import { clientmt5 } from '../gen/clientmt5.js';
import { ClientMt5Error } from '../shared/errors.js';

export const Envelope = clientmt5.v1.Envelope;
export type Envelope = clientmt5.v1.Envelope;
export type MarketDataStream = clientmt5.v1.MarketDataStream;
export type TickData = clientmt5.v1.TickData;
export const WIRE_PROTOCOL_VERSION = 1;

// Fail at start-up, not on the first tick, if something loaded the generated code with Long on.
if (typeof new clientmt5.v1.TickData().sequence_number !== 'number') {
  throw new ClientMt5Error('BACKEND_BAD_FRAME',
    'src/gen/clientmt5.js was loaded before protobufjs was set to decode int64 as numbers; import it through src/backend/wire.ts');
}

export function decodeEnvelope(frame: Uint8Array): Envelope {
  return Envelope.decode(frame);
}

/** `reportSequence`: the highest ExecutionReport processed (both sequences are cumulative; 0 = none). */
export function encodeAck(batchSequence: number, ticksReceived: number, duplicatesDropped: number, reportSequence = 0): Uint8Array {
  return Envelope.encode({
    protocol_version: WIRE_PROTOCOL_VERSION,
    ack: { batch_sequence: batchSequence, ticks_received: ticksReceived, duplicates_dropped: duplicatesDropped, report_sequence: reportSequence },
  }).finish();
}

export type TradingCommand = clientmt5.v1.TradingCommand.$Properties;
export type ExecutionReport = clientmt5.v1.ExecutionReport;
export type AccountProfile = clientmt5.v1.AccountProfile;

export function encodeTradingCommand(command: TradingCommand): Uint8Array {
  return Envelope.encode({ protocol_version: WIRE_PROTOCOL_VERSION, trading_command: command }).finish();
}

export function encodeError(code: string, message: string, batchSequence = 0): Uint8Array {
  return Envelope.encode({
    protocol_version: WIRE_PROTOCOL_VERSION,
    error: { code, message, batch_sequence: batchSequence },
  }).finish();
}

export function encodeHeartbeat(timeMsc: number, lastBatchSequence: number): Uint8Array {
  return Envelope.encode({
    protocol_version: WIRE_PROTOCOL_VERSION,
    heartbeat: { time_msc: timeMsc, last_batch_sequence: lastBatchSequence },
  }).finish();
}
