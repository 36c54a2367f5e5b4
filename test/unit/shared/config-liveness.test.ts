/** The link's liveness and failover settings: defaults a hung backend is left under a second with, and messages that name the setting. */
import { describe, expect, test } from 'vitest';
import { parseConfig } from '../../../src/shared/config.js';

const base = { eaLink: { token: 'a-long-token' }, backend: { endpoints: ['ws://127.0.0.1:8001/api/v1/ws/mt5'], jwt: 'jwt' } };

function messageOf(transport: Record<string, unknown>): string {
  try {
    parseConfig({ ...base, transport });
  } catch (err) {
    return (err as Error).message;
  }
  return 'accepted';
}

describe('transport liveness settings', () => {
  test('defaults: heartbeat 200 ms, link timeout 500 ms (a silent link is left within 700 ms), fail-back after 3 s', () => {
    const t = parseConfig(base).transport;
    expect(t).toMatchObject({ heartbeatIntervalMs: 200, linkTimeoutMs: 500, connectTimeoutMs: 2000, failbackAfterMs: 3000, reconnectMinMs: 200, reconnectMaxMs: 10000 });
    expect(t.linkTimeoutMs + t.heartbeatIntervalMs).toBeLessThan(1000);
  });

  test('bad values are refused naming the setting, the rule and the value', () => {
    expect(messageOf({ linkTimeoutMs: 150, heartbeatIntervalMs: 200 })).toContain(
      'transport.linkTimeoutMs must be greater than transport.heartbeatIntervalMs (200): at least one heartbeat must have time to come back, got 150');
    expect(messageOf({ linkTimeoutMs: 'soon' })).toContain('transport.linkTimeoutMs must be an integer from 50 to 3600000, got "soon"');
    expect(messageOf({ failbackAfterMs: -1 })).toContain('transport.failbackAfterMs must be an integer from 0 to 86400000, got -1');
    expect(messageOf({ reconnectMinMs: 500, reconnectMaxMs: 100 })).toContain('transport.reconnectMaxMs must be at least transport.reconnectMinMs, got 100');
    expect(messageOf({ connectTimeoutMs: 10 })).toContain('transport.connectTimeoutMs must be an integer from 50 to 600000, got 10');
  });

  test('an endpoint the WebSocket client could not dial is refused at start, not by a crashed transport', () => {
    const bad = (url: string) => {
      try {
        parseConfig({ ...base, backend: { ...base.backend, endpoints: ['ws://127.0.0.1:8001/x', url] } });
      } catch (err) {
        return (err as Error).message;
      }
      return 'accepted';
    };
    expect(bad('ws://host:99999/x')).toContain('backend.endpoints must be ws:// or wss:// URLs, got "ws://host:99999/x"');
    expect(bad('https://host/x')).toContain('got "https://host/x"');
  });
});
