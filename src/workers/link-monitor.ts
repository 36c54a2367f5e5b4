/**
 * What the transport tells main about its backend link: the `link` events (which endpoint, why
 * it opened or closed, how long it was down), the `failover` event once the next endpoint has acked
 * its first batch, and the link counters in the transport statistics (lanes.ts TS_*).
 *
 *   link lost ──► (backoff, next endpoint) ──► link open (kind, downtime) ──► first ack ──► failover_ms
 *        ▲ lostAt: the close, or for a silent link the last moment anything arrived
 *
 * failover_ms is measured from the loss of the link to the first ack on the next endpoint (when
 * nothing was waiting for an ack at the open, to the open itself): the time the platform was
 * without this client's ticks.
 */
import type { WireEncoding } from '../shared/config.js';
import {
  TS_CONNECTED, TS_ENDPOINT_INDEX, TS_FAILBACKS, TS_FAILOVERS, TS_LAST_FAILOVER_MS, TS_LINK_DOWN_SINCE,
  TS_LINK_TIMEOUTS, TS_LONGEST_FAILOVER_MS, TS_RECONNECTS,
} from '../shared/lanes.js';
import type { FailoverEvent, LinkEvent } from '../shared/link-events.js';
import type { LinkCloseInfo, LinkOpenInfo } from './backend-link.js';

interface Pending {
  kind: 'failover' | 'reconnect';
  from: number;
  to: number;
  lostAt: number;
}

export class LinkMonitor {
  private pending: Pending | null = null;

  constructor(
    private readonly endpoints: readonly string[],
    private readonly stats: Float64Array,
    private readonly post: (event: LinkEvent | FailoverEvent) => void,
  ) {}

  /** The link opened; `unacked` batches are about to be re-sent. */
  opened(index: number, encoding: WireEncoding, info: LinkOpenInfo, unacked: number, counters: { reconnects: number; timeouts: number }): void {
    const s = this.stats;
    s[TS_CONNECTED] = 1;
    s[TS_ENDPOINT_INDEX] = index;
    s[TS_RECONNECTS] = counters.reconnects;
    s[TS_LINK_TIMEOUTS] = counters.timeouts;
    s[TS_LINK_DOWN_SINCE] = 0;
    if (info.kind === 'failover') s[TS_FAILOVERS]++;
    if (info.kind === 'failback') s[TS_FAILBACKS]++;
    this.post({
      type: 'link', state: 'open', endpoint: this.endpoints[index], endpointIndex: index, encoding, kind: info.kind,
      previousEndpointIndex: info.previousIndex, downtimeMs: Math.round(info.downtimeMs),
    });
    this.pending = null;
    if (info.kind === 'failover' || info.kind === 'reconnect') {
      this.pending = { kind: info.kind, from: info.previousIndex, to: index, lostAt: info.lostAt };
      if (unacked === 0) this.acked();
    }
  }

  /** An ack arrived: the first one after a failover completes it. */
  acked(): void {
    const p = this.pending;
    if (p === null) return;
    this.pending = null;
    const ms = performance.now() - p.lostAt;
    if (p.kind === 'failover') {
      this.stats[TS_LAST_FAILOVER_MS] = ms;
      this.stats[TS_LONGEST_FAILOVER_MS] = Math.max(this.stats[TS_LONGEST_FAILOVER_MS], ms);
    }
    this.post({ type: 'failover', kind: p.kind, fromEndpointIndex: p.from, endpointIndex: p.to, endpoint: this.endpoints[p.to], failoverMs: Math.round(ms) });
  }

  closed(index: number, reason: string, info: LinkCloseInfo, counters: { reconnects: number; timeouts: number }): void {
    this.stats[TS_CONNECTED] = 0;
    this.stats[TS_LINK_DOWN_SINCE] = Date.now();
    this.stats[TS_LINK_TIMEOUTS] = counters.timeouts;
    this.stats[TS_RECONNECTS] = counters.reconnects;
    this.pending = null;
    this.post({ type: 'link', state: 'closed', endpoint: this.endpoints[index], endpointIndex: index, reason, cause: info.cause });
  }
}
