/** Counters of the command path, for the bridge stats, /metrics and the status line. */
export interface CommandStats {
  /** TradingCommands from the backend, duplicates included. */
  received: number;
  /** Duplicates dropped (answered with their latest report again). */
  duplicates: number;
  /** Passed the gate and went to the EA. */
  accepted: number;
  /** Final REJECTED, by reason (the bridge's code, the EA's code, or `retcode_<n>` for the trade server). */
  rejected: number;
  rejected_by_reason: Record<string, number>;
  /** The EA reported SENT (the request went to the trade server). */
  sent: number;
  filled: number;
  partially_filled: number;
  expired: number;
  /** Final UNKNOWN: the EA link dropped during the trade. */
  unknown: number;
  /** Commands in doubt settled by a correcting final report. */
  reconciled: number;
  /** Waiting for the EA now. */
  queued: number;
  /** Reported UNKNOWN and not settled now. */
  in_doubt: number;
  /** Execution reports the backend has not acked now. */
  reports_unacked: number;
}

export function createCommandStats(): CommandStats {
  return {
    received: 0, duplicates: 0, accepted: 0, rejected: 0, rejected_by_reason: {}, sent: 0, filled: 0,
    partially_filled: 0, expired: 0, unknown: 0, reconciled: 0, queued: 0, in_doubt: 0, reports_unacked: 0,
  };
}

/** `cmd 12 (ok 9, filled 8, rej 3, unknown 1)`; '' before the first command. */
export function commandStatus(s: CommandStats): string {
  if (s.received === 0 && s.queued === 0) return '';
  const parts = [`ok ${s.accepted}`, `filled ${s.filled + s.partially_filled}`, `rej ${s.rejected}`];
  if (s.expired > 0) parts.push(`expired ${s.expired}`);
  if (s.unknown > 0) parts.push(`unknown ${s.unknown}`);
  if (s.reconciled > 0) parts.push(`reconciled ${s.reconciled}`);
  if (s.queued > 0) parts.push(`queued ${s.queued}`);
  if (s.duplicates > 0) parts.push(`dup ${s.duplicates}`);
  if (s.reports_unacked > 0) parts.push(`reports unacked ${s.reports_unacked}`);
  return `cmd ${s.received} (${parts.join(', ')})`;
}
