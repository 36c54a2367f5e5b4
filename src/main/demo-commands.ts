/**
 * The demo's trading part: the reference backend's RSI signal rule issues commands from the ticks
 * it receives (`backend --signals`), the bridge gates them and passes them to the simulated EA,
 * whose paper broker fills them at its own prices — and, at the seeded rates below, answers some
 * with a requote or a price change (ea-sim `--trade-faults`; per command, a `sim:<name>` in the
 * command_id steers the answer, see src/ea-sim/sim-faults.ts). Before the demo winds down it holds
 * the signal rule back and waits for every command to reach its final report, so that the summary
 * can check that `issued` equals the sum of the final states.
 */
import type { CommandStats } from '../backend/command-tracker.js';
import type { Child } from './child.js';

/** What the simulated EA answers market orders with, now and then (seeded: the same every run). */
export const DEMO_TRADE_FAULTS = 'requote=0.05,price_changed=0.03';

/** The backend's command counters the demo reads (src/backend/command-tracker.ts). */
export type BackendCommandStats = Pick<CommandStats,
  'issued' | 'filled' | 'partially_filled' | 'rejected' | 'expired' | 'unknown' | 'reconciled' | 'in_flight'
  | 'rejected_by_reason' | 'retcodes' | 'limit_violations' | 'violation_examples'>;

/**
 * The summary's `commands`: the backend's counters without its retcode table and examples.
 * `reconciled`: UNKNOWN outcomes corrected after the bridge reconciled them with the EA (counted in
 * their final state); `in_flight`: issued and still without a final report when the demo ended
 * (should be 0).
 */
export type DemoCommands = Pick<BackendCommandStats,
  'issued' | 'filled' | 'partially_filled' | 'rejected' | 'expired' | 'unknown' | 'reconciled' | 'in_flight' | 'rejected_by_reason'>;

const EMPTY: BackendCommandStats = {
  issued: 0, filled: 0, partially_filled: 0, rejected: 0, expired: 0, unknown: 0, reconciled: 0, in_flight: 0,
  rejected_by_reason: {}, retcodes: {}, limit_violations: 0, violation_examples: [],
};

export function demoCommands(be: BackendCommandStats | undefined): { commands: DemoCommands; limit_violations: number } {
  const c = be ?? EMPTY;
  return {
    commands: {
      issued: c.issued, filled: c.filled, partially_filled: c.partially_filled, rejected: c.rejected, expired: c.expired,
      unknown: c.unknown, reconciled: c.reconciled, in_flight: c.in_flight, rejected_by_reason: { ...c.rejected_by_reason },
    },
    limit_violations: c.limit_violations,
  };
}

/** The demo's checks on commands; `fullRun` when it ran 30 s or more (long enough to expect a signal). */
export function commandChecks(s: { commands: DemoCommands; limit_violations: number }, fullRun: boolean): string[] {
  const c = s.commands;
  const finals = c.filled + c.partially_filled + c.rejected + c.expired + c.unknown;
  const failed: string[] = [];
  if (c.issued !== finals) failed.push(`commands issued ${c.issued} != final reports ${finals} (${c.in_flight} without one)`);
  if (s.limit_violations !== 0) failed.push(`limit_violations ${s.limit_violations}`);
  if (fullRun && c.issued === 0) failed.push('no command was issued in a run of 30 s or more');
  return failed;
}

/**
 * Holds the backend's signal rule back and waits (bounded) until no command awaits its final
 * report. Returns whether they all arrived.
 */
export async function windDownCommands(backend: Child, timeoutMs: number): Promise<boolean> {
  await backend.request({ type: 'signals', enabled: false }, 'signals-set');
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const { stats } = await backend.request<{ type: 'stats'; stats: { commands?: BackendCommandStats } }>({ type: 'stats' }, 'stats');
    if ((stats.commands?.in_flight ?? 0) === 0) return true;
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export function commandsLine(s: { commands: DemoCommands; limit_violations: number }): string {
  const c = s.commands;
  return `  commands: issued ${c.issued} -> filled ${c.filled}, partially ${c.partially_filled}, rejected ${c.rejected} ` +
    `${JSON.stringify(c.rejected_by_reason)}, expired ${c.expired}, unknown ${c.unknown} (reconciled ${c.reconciled}); ` +
    `limit violations ${s.limit_violations}`;
}
