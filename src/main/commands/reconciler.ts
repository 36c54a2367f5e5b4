/**
 * Commands in doubt (docs/protocol.md, section 1, "sync and commands in doubt", rules 1-5): sent to
 * the EA, then the link closed before their final stage. They were reported UNKNOWN at once (rule
 * 1); when an EA is back and has sent `account` and `positions`, the bridge sends `sync` (rule 2);
 * a replayed final `execution` settles one (rule 3, handled by the desk); the `deals` that ends the
 * answer settles those the EA does not know, from traces of their comment `cm5:<ref>` (rule 4).
 * Every outcome is a second, correcting final report (rule 5).
 */
import {
  COMMENT_PREFIX, REASON_NOT_DELIVERED, REASON_NOT_EXECUTED, SYNC_LOOKBACK_MS, type DealsMessage,
  type PositionsMessage, type SyncMessage,
} from '../../shared/protocol.js';
import { STATUS_FILLED, STATUS_PARTIALLY_FILLED, STATUS_REJECTED } from '../../shared/trading.js';
import type { CommandRecord, CommandStore } from './command-store.js';
import { draft, type ReportDraft, type Reporter } from './reports.js';

/** Rule 4's outcome for a command the EA does not know, or null when it left no trace (stays UNKNOWN). */
export function outcomeFromTraces(
  rec: CommandRecord, sameRun: boolean, positions: PositionsMessage | null, deals: DealsMessage, nowMs: number,
): ReportDraft | null {
  const sent = rec.sent;
  if (sent === null) return null;
  if (sameRun) return draft(rec, STATUS_REJECTED, nowMs, { reason: REASON_NOT_DELIVERED, source: 'ea', message: 'the EA never received the command' });
  const notExecuted = () => draft(rec, STATUS_REJECTED, nowMs, { reason: REASON_NOT_EXECUTED, source: 'ea', message: 'no trace of the command in the terminal' });
  const comment = `${COMMENT_PREFIX}${rec.ref}`;
  const openPositions = positions?.positions ?? [];
  const orders = positions?.orders ?? [];
  const same = (a: number, b: number) => Math.abs(a - b) <= 1e-7 * Math.max(1, Math.abs(a));
  switch (sent.kind) {
    case 'open': {
      const ins = deals.deals.filter((d) => d.comment === comment && d.entry === 'in');
      if (ins.length > 0) {
        const volume = ins.reduce((s, d) => s + d.volume, 0);
        const price = ins.reduce((s, d) => s + d.volume * d.price, 0) / volume;
        const status = volume + 1e-9 >= sent.volume ? STATUS_FILLED : STATUS_PARTIALLY_FILLED;
        return draft(rec, status, nowMs, {
          volume: Number(volume.toFixed(8)), price, ticket: ins[0].position, order: ins[0].order, deal: ins[0].ticket, source: 'ea',
          message: 'reconciled from the terminal\'s deals',
        });
      }
      const order = orders.find((o) => o.comment === comment);
      if (order) return draft(rec, STATUS_FILLED, nowMs, { volume: order.volume, price: order.price, ticket: order.ticket, order: order.ticket, source: 'ea', message: 'reconciled: the pending order is placed' });
      return null;
    }
    case 'close': {
      const position = openPositions.find((p) => p.ticket === sent.ticket);
      if (rec.side === '') { // a pending order: close = delete
        return orders.some((o) => o.ticket === sent.ticket) ? notExecuted() : draft(rec, STATUS_FILLED, nowMs, { source: 'ea', message: 'reconciled: the order is gone' });
      }
      const outs = deals.deals.filter((d) => d.position === sent.ticket && d.entry !== 'in');
      if (!position && outs.length > 0) {
        const volume = outs.reduce((s, d) => s + d.volume, 0);
        const price = outs.reduce((s, d) => s + d.volume * d.price, 0) / volume;
        return draft(rec, STATUS_FILLED, nowMs, { volume, price, deal: outs[0].ticket, source: 'ea', message: 'reconciled from the terminal\'s deals' });
      }
      if (position && sent.volume > 0 && position.volume <= rec.positionVolume - sent.volume + 1e-9) {
        return draft(rec, STATUS_FILLED, nowMs, { volume: sent.volume, source: 'ea', message: 'reconciled: the position is smaller by the volume' });
      }
      return notExecuted();
    }
    case 'modify': {
      const p = openPositions.find((x) => x.ticket === sent.ticket);
      const o = orders.find((x) => x.ticket === sent.ticket);
      const target = p ?? o;
      if (target && same(target.sl, sent.sl) && same(target.tp, sent.tp) && (!o || sent.price === 0 || same(o.price, sent.price))) {
        return draft(rec, STATUS_FILLED, nowMs, { source: 'ea', message: 'reconciled: the levels are set' });
      }
      return notExecuted();
    }
    case 'close_all': {
      // The bridge sends close_all with an explicit magic (the EA's when the command gave none).
      const left = [...openPositions, ...orders].filter((x) => (sent.symbol === '' || x.symbol === sent.symbol) && x.magic === sent.magic);
      return left.length === 0 ? draft(rec, STATUS_FILLED, nowMs, { source: 'ea', message: 'reconciled: nothing matches any more' }) : notExecuted();
    }
  }
  return null;
}

export class Reconciler {
  private syncId = '';
  private syncCount = 0;

  constructor(private readonly store: CommandStore, private readonly reporter: Reporter) {}

  inDoubt(): CommandRecord[] {
    const out: CommandRecord[] = [];
    for (const c of this.store.commands.values()) if (c.inDoubt) out.push(c);
    return out;
  }

  /** Rule 2: the `sync` to send once the EA has sent account and positions; null when nothing is in doubt. */
  startSync(): SyncMessage | null {
    const doubt = this.inDoubt();
    if (doubt.length === 0) return null;
    this.syncId = String(++this.syncCount);
    const from = Math.min(...doubt.map((c) => c.sentAtMs)) - SYNC_LOOKBACK_MS;
    return { type: 'sync', sync_id: this.syncId, command_ids: doubt.map((c) => c.id), deals_from_ms: from };
  }

  /** Rule 3: a replayed or late final execution of a command in doubt. */
  settle(rec: CommandRecord, d: ReportDraft): void {
    rec.inDoubt = false;
    this.reporter.emit(rec, { ...d, correction: true });
  }

  /** Rule 4: the `deals` that ends the answer to our sync. */
  onDeals(msg: DealsMessage, runId: string, positions: PositionsMessage | null, nowMs: number): void {
    if (msg.sync_id === '' || msg.sync_id !== this.syncId) return;
    this.syncId = '';
    for (const id of msg.unknown_command_ids) {
      const rec = this.store.commands.get(id);
      if (!rec || !rec.inDoubt) continue;
      const d = outcomeFromTraces(rec, rec.runId === runId, positions, msg, nowMs);
      if (d !== null) this.settle(rec, d);
    }
  }
}
