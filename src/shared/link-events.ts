/**
 * The events the transport worker posts to main about its backend link (docs/protocol.md,
 * section 2, "Endpoints, liveness, failover"): main logs them, keeps the link state for the
 * status line and the dashboard, and the demo reports failovers from the counters in lanes.ts.
 */
import type { WireEncoding } from './config.js';

/** Why a link opened: the first link, the same endpoint again, another endpoint, or back to the primary. */
export type LinkOpenKind = 'connect' | 'reconnect' | 'failover' | 'failback';

/** Why a link closed: silent for transport.linkTimeoutMs, closed by the peer or the network, a socket error. */
export type LinkCloseCause = 'timeout' | 'closed' | 'error';

/** The link opened or closed. */
export interface LinkEvent {
  type: 'link';
  state: 'open' | 'closed';
  endpoint: string;
  /** Position in backend.endpoints: 0 is the primary. */
  endpointIndex: number;
  encoding?: WireEncoding;
  /** open: why. */
  kind?: LinkOpenKind;
  /** open: the endpoint of the previous link (-1 for the first). */
  previousEndpointIndex?: number;
  /** open: ms from the loss of the previous link to this open (for a fail-back, the switch itself). */
  downtimeMs?: number;
  /** closed: what happened, in words. */
  reason?: string;
  cause?: LinkCloseCause;
}

/** After a failover or reconnect, the next endpoint acked: how long the platform was without this client's ticks. */
export interface FailoverEvent {
  type: 'failover';
  kind: 'failover' | 'reconnect';
  fromEndpointIndex: number;
  endpointIndex: number;
  endpoint: string;
  /** From the loss of the link to the first ack on the next one, ms. */
  failoverMs: number;
}

/** Names an endpoint for people: `primary`, `backup 1`, ... */
export function endpointRole(index: number): string {
  return index <= 0 ? 'primary' : `backup ${index}`;
}

/** One log line for a link or failover event: level, message, structured fields. */
export function describeLinkEvent(e: LinkEvent | FailoverEvent, stopping = false): { level: 'info' | 'warn'; message: string; fields: Record<string, unknown> } {
  if (e.type === 'failover') {
    return {
      level: 'info',
      message: `${e.kind === 'failover' ? 'failover' : 'reconnect'} complete: ${endpointRole(e.endpointIndex)} ${e.endpoint} acked ${e.failoverMs} ms after the link was lost`,
      fields: { kind: e.kind, from: e.fromEndpointIndex, to: e.endpointIndex, failover_ms: e.failoverMs },
    };
  }
  const who = `${endpointRole(e.endpointIndex)} ${e.endpoint}`;
  if (e.state === 'open') {
    const what = e.kind === 'failover' ? `failover from ${endpointRole(e.previousEndpointIndex ?? -1)} to ${who}`
      : e.kind === 'failback' ? `fail-back from ${endpointRole(e.previousEndpointIndex ?? -1)} to ${who}`
      : e.kind === 'reconnect' ? `reconnected to ${who}` : `connected to ${who}`;
    return {
      level: 'info',
      message: `backend link open: ${what}${e.kind === 'connect' ? '' : ` after ${e.downtimeMs ?? 0} ms`} (${e.encoding ?? 'row'})`,
      fields: { kind: e.kind, endpoint_index: e.endpointIndex, downtime_ms: e.downtimeMs, encoding: e.encoding },
    };
  }
  return {
    level: stopping ? 'info' : 'warn',
    message: `backend link closed: ${who}${e.reason ? ` (${e.reason})` : ''}`,
    fields: { cause: e.cause, endpoint_index: e.endpointIndex },
  };
}
