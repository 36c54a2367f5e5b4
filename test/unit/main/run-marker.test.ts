import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { openRunMarker } from '../../../src/main/run-marker.js';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });
const fresh = () => { const d = mkdtempSync(join(tmpdir(), 'client-mt5-run-marker-')); dirs.push(d); return d; };
const logs: string[] = [];
const log = (_level: string, message: string) => { logs.push(message); };

describe('run marker: where symbols without a durable cursor are backfilled from', () => {
  test('a first run and a run after a clean stop start new symbols live (floor 0)', () => {
    const dir = join(fresh(), 'spool'); // the spool directory need not exist yet
    expect(openRunMarker(dir, log, 1000).floorUtcMs).toBe(0);
    const second = openRunMarker(dir, log, 2000);
    expect(second.floorUtcMs).toBe(1000); // the first run never said it stopped cleanly
    second.markCleanStop();
    expect(openRunMarker(dir, log, 3000).floorUtcMs).toBe(0);
  });

  test('after runs that died, the floor stays at the start of the first of them', () => {
    const dir = fresh();
    openRunMarker(dir, log, 1000).markCleanStop();
    expect(openRunMarker(dir, log, 2000).floorUtcMs).toBe(0); // then killed
    expect(openRunMarker(dir, log, 3000).floorUtcMs).toBe(2000); // killed too
    expect(openRunMarker(dir, log, 4000).floorUtcMs).toBe(2000);
    expect(JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'))).toEqual({ started_at_ms: 4000, floor_ms: 2000, clean_stop: false });
  });

  test('an unreadable marker is reported and treated as no crash', () => {
    const dir = fresh();
    writeFileSync(join(dir, 'run.json'), '{"started_at_ms": 12');
    logs.length = 0;
    expect(openRunMarker(dir, log, 5000).floorUtcMs).toBe(0);
    expect(logs.some((l) => l.includes('run.json is unreadable'))).toBe(true);
  });
});
