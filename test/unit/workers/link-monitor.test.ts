/** The transport's link bookkeeping: failover counts and the failover time, from the loss to the first ack on the next endpoint. */
import { describe, expect, test } from 'vitest';
import { createTransportStats, TS_CONNECTED, TS_ENDPOINT_INDEX, TS_FAILBACKS, TS_FAILOVERS, TS_LAST_FAILOVER_MS, TS_LINK_DOWN_SINCE, TS_LINK_TIMEOUTS, TS_LONGEST_FAILOVER_MS } from '../../../src/shared/lanes.js';
import type { FailoverEvent, LinkEvent } from '../../../src/shared/link-events.js';
import { LinkMonitor } from '../../../src/workers/link-monitor.js';

const ENDPOINTS = ['ws://p/x', 'ws://b/x'];
const counters = { reconnects: 3, timeouts: 1 };

function monitor() {
  const stats = createTransportStats();
  const events: Array<LinkEvent | FailoverEvent> = [];
  return { stats, events, m: new LinkMonitor(ENDPOINTS, stats, (e) => events.push(e)) };
}

describe('LinkMonitor', () => {
  test('a failover is complete at the first ack on the next endpoint; its time runs from the loss', () => {
    const { stats, events, m } = monitor();
    m.opened(0, 'columnar', { kind: 'connect', previousIndex: -1, lostAt: Number.NaN, downtimeMs: 0 }, 0, counters);
    expect(events).toEqual([{ type: 'link', state: 'open', endpoint: ENDPOINTS[0], endpointIndex: 0, encoding: 'columnar', kind: 'connect', previousEndpointIndex: -1, downtimeMs: 0 }]);
    m.closed(0, 'nothing received for 700 ms', { cause: 'timeout', openMs: 5000 }, counters);
    expect([stats[TS_CONNECTED], stats[TS_LINK_TIMEOUTS]]).toEqual([0, 1]);
    expect(stats[TS_LINK_DOWN_SINCE]).toBeGreaterThan(0);
    const lostAt = performance.now() - 250;
    m.opened(1, 'row', { kind: 'failover', previousIndex: 0, lostAt, downtimeMs: 240 }, 7, counters);
    expect([stats[TS_CONNECTED], stats[TS_ENDPOINT_INDEX], stats[TS_FAILOVERS], stats[TS_LINK_DOWN_SINCE]]).toEqual([1, 1, 1, 0]);
    expect(events.some((e) => e.type === 'failover')).toBe(false); // 7 batches wait for their ack
    m.acked();
    const done = events.find((e): e is FailoverEvent => e.type === 'failover')!;
    expect(done).toMatchObject({ kind: 'failover', fromEndpointIndex: 0, endpointIndex: 1, endpoint: ENDPOINTS[1] });
    expect(done.failoverMs).toBeGreaterThanOrEqual(250);
    expect(stats[TS_LAST_FAILOVER_MS]).toBeGreaterThanOrEqual(250);
    expect(stats[TS_LONGEST_FAILOVER_MS]).toBe(stats[TS_LAST_FAILOVER_MS]);
    m.acked(); // later acks change nothing
    expect(events.filter((e) => e.type === 'failover')).toHaveLength(1);
  });

  test('with nothing waiting for an ack the failover is complete at the open; a reconnect is not a failover; a fail-back is counted', () => {
    const { stats, events, m } = monitor();
    m.opened(1, 'columnar', { kind: 'failover', previousIndex: 0, lostAt: performance.now() - 40, downtimeMs: 40 }, 0, counters);
    expect(events.find((e) => e.type === 'failover')).toMatchObject({ kind: 'failover' });
    m.opened(1, 'columnar', { kind: 'reconnect', previousIndex: 1, lostAt: performance.now() - 5000, downtimeMs: 5000 }, 0, counters);
    expect(stats[TS_FAILOVERS]).toBe(1);
    expect(stats[TS_LONGEST_FAILOVER_MS]).toBeLessThan(5000);
    m.opened(0, 'columnar', { kind: 'failback', previousIndex: 1, lostAt: Number.NaN, downtimeMs: 2 }, 4, counters);
    expect(stats[TS_FAILBACKS]).toBe(1);
    m.acked();
    expect(events.filter((e) => e.type === 'failover')).toHaveLength(2); // the failover and the reconnect
  });
});
