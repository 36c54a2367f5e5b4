/** What the status line and the logs say about the backend link. */
import { describe, expect, test } from 'vitest';
import type { BridgeStats } from '../../../src/main/bridge-stats.js';
import { linkStatus } from '../../../src/main/status-line.js';
import { describeLinkEvent } from '../../../src/shared/link-events.js';

const P = 'ws://p:1/x';
const B = 'ws://b:2/x';

function stats(transport: Partial<BridgeStats['transport']>): BridgeStats {
  return {
    transport: {
      connected: true, endpoint: P, endpoint_index: 0, failovers: 0, failbacks: 0, last_failover_ms: 0,
      longest_failover_ms: 0, link_timeouts: 0, down_since: 0, ...transport,
    },
  } as BridgeStats;
}

describe('link status', () => {
  test('names the endpoint by role, counts failovers, and says how long the link has been down', () => {
    expect(linkStatus(stats({}))).toBe(`link primary ${P}`);
    expect(linkStatus(stats({ endpoint: B, endpoint_index: 1, failovers: 1, longest_failover_ms: 130 }))).toBe(`link backup 1 ${B} (failovers 1, longest 130 ms)`);
    expect(linkStatus(stats({ failovers: 2, longest_failover_ms: 90, failbacks: 1 }))).toBe(`link primary ${P} (failovers 2, longest 90 ms, failbacks 1)`);
    expect(linkStatus(stats({ connected: false, down_since: 10_000 }), 12_300)).toBe(`link down 2.3s (was primary ${P})`);
    expect(linkStatus(stats({ connected: false, down_since: 0 }))).toBe('link down');
  });

  test('log lines for opens, closes and completed failovers', () => {
    expect(describeLinkEvent({ type: 'link', state: 'open', endpoint: B, endpointIndex: 1, kind: 'failover', previousEndpointIndex: 0, downtimeMs: 45, encoding: 'columnar' }).message)
      .toBe(`backend link open: failover from primary to backup 1 ${B} after 45 ms (columnar)`);
    expect(describeLinkEvent({ type: 'link', state: 'open', endpoint: P, endpointIndex: 0, kind: 'failback', previousEndpointIndex: 1, downtimeMs: 3, encoding: 'row' }).message)
      .toBe(`backend link open: fail-back from backup 1 to primary ${P} after 3 ms (row)`);
    const closed = describeLinkEvent({ type: 'link', state: 'closed', endpoint: P, endpointIndex: 0, reason: 'nothing received for 612 ms', cause: 'timeout' });
    expect(closed).toMatchObject({ level: 'warn', fields: { cause: 'timeout' } });
    expect(describeLinkEvent({ type: 'link', state: 'closed', endpoint: P, endpointIndex: 0, cause: 'closed' }, true).level).toBe('info');
    expect(describeLinkEvent({ type: 'failover', kind: 'failover', fromEndpointIndex: 0, endpointIndex: 1, endpoint: B, failoverMs: 128 }))
      .toMatchObject({ level: 'info', message: `failover complete: backup 1 ${B} acked 128 ms after the link was lost`, fields: { failover_ms: 128 } });
  });
});
