/**
 * Where an EA must backfill a symbol the spool holds nothing of, after a bridge that died.
 *
 * The spool's cursor table (docs/protocol.md, "Resume cursors") says how far each symbol is held
 * durably. A symbol that has no entry there is either new — then the EA starts it live — or one a
 * killed bridge took in only in memory, before its first batch reached the spool: starting that
 * one live would lose those ticks. This marker tells the two apart. `<spool.dir>/run.json` records
 * when the current run started and whether it stopped cleanly (drained, everything acked):
 *
 *   start:  previous run stopped cleanly, or no marker  → floor 0 (new symbols start live)
 *           previous run did not stop cleanly           → floor = its floor (its start, or an even
 *                                                          earlier crashed run's start)
 *   clean stop (drain succeeded)                        → clean_stop: true
 *
 * With a floor, a symbol without a durable cursor gets `{time_msc: floor (server clock), 0}` in
 * `welcome`: the EA re-sends everything of it since the crashed run began, and nothing of it can be
 * a duplicate, since nothing of it was durable.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const FILE = 'run.json';

interface Marker {
  started_at_ms: number;
  floor_ms: number;
  clean_stop: boolean;
}

export interface RunMarker {
  /** UTC ms from which symbols without a durable cursor are backfilled; 0 = start them live. */
  readonly floorUtcMs: number;
  /** Records that this run stopped cleanly: the next one starts new symbols live. */
  markCleanStop(): void;
}

export function openRunMarker(dir: string, log: (level: 'info' | 'warn', message: string) => void, now = Date.now()): RunMarker {
  const path = join(dir, FILE);
  let floor = 0;
  if (existsSync(path)) {
    try {
      const prev = JSON.parse(readFileSync(path, 'utf8')) as Partial<Marker>;
      if (prev.clean_stop !== true) {
        floor = Number(prev.floor_ms) > 0 ? Number(prev.floor_ms) : Number(prev.started_at_ms) || 0;
        if (floor > 0) log('info', `spool ${dir}: the previous run did not stop cleanly; symbols it held nothing durable of are backfilled from ${new Date(floor).toISOString()}`);
      }
    } catch (err) {
      log('warn', `spool ${dir}: ${FILE} is unreadable (${(err as Error).message}); new symbols start live`);
    }
  }
  const write = (marker: Marker): void => {
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(`${path}.tmp`, JSON.stringify(marker));
      renameSync(`${path}.tmp`, path);
    } catch (err) {
      // A full disk: the spool reports it too. The floor still holds for this run, in memory.
      log('warn', `spool ${dir}: cannot write ${FILE}: ${(err as Error).message}`);
    }
  };
  const startedAt = now;
  write({ started_at_ms: startedAt, floor_ms: floor > 0 ? floor : startedAt, clean_stop: false });
  return {
    floorUtcMs: floor,
    markCleanStop: () => write({ started_at_ms: startedAt, floor_ms: startedAt, clean_stop: true }),
  };
}
