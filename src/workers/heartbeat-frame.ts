/**
 * The client's Envelope{Heartbeat} (proto/clientmt5/v1/common.proto): sent on the backend link
 * and on the fail-back probe every transport.heartbeatIntervalMs, next to a WebSocket ping. The
 * ping proves the peer's socket is read; the heartbeat proves its application answers, and tells it
 * the last batch sequence this client has sealed (docs/protocol.md, section 2).
 */
import { clientmt5 } from '../gen/clientmt5.js';

export function encodeClientHeartbeat(timeMsc: number, lastBatchSequence: number): Uint8Array {
  return clientmt5.v1.Envelope.encode({
    protocol_version: 1,
    heartbeat: { time_msc: timeMsc, last_batch_sequence: lastBatchSequence },
  }).finish();
}
