/**
 * The Heartbeat envelope both sides send (docs/protocol.md, section 2, "Endpoints, liveness,
 * failover and fail-back"): the client's and the reference backend's encoders write the golden
 * bytes protoc made from heartbeat.txtpb, and the generated decoder reads them back.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { encodeHeartbeat } from '../../../src/backend/wire.js';
import { clientmt5 } from '../../../src/gen/clientmt5.js';
import { encodeClientHeartbeat } from '../../../src/workers/heartbeat-frame.js';

const golden = new Uint8Array(readFileSync(new URL('../../fixtures/backend-link/heartbeat.bin', import.meta.url)));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('Heartbeat envelope golden fixture', () => {
  test('the client and the reference backend write heartbeat.bin byte for byte', () => {
    expect(hex(encodeClientHeartbeat(1767225600123, 41))).toBe(hex(golden));
    expect(hex(encodeHeartbeat(1767225600123, 41))).toBe(hex(golden));
  });

  test('the generated decoder reads it', () => {
    const env = clientmt5.v1.Envelope.decode(golden);
    expect(env.payload).toBe('heartbeat');
    expect(env.protocol_version).toBe(1);
    expect(Number(env.heartbeat!.time_msc)).toBe(1767225600123);
    expect(Number(env.heartbeat!.last_batch_sequence)).toBe(41);
  });
});
