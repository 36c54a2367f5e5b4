/**
 * `npm start -- --chaos` as a user runs it, shortened: every part a separate process, the primary
 * backend killed and brought back, the bridge SIGKILLed and restarted on its spool, the EA link
 * dropped once. What must hold is what a user relies on: every good tick the EA sent is stored by
 * the backends exactly once and in order, whatever died on the way.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin', 'client-mt5.js');

test('demo --chaos: failover, fail-back, a SIGKILLed bridge and a dropped EA link lose and duplicate nothing', () => {
  const r = spawnSync(process.execPath, [bin, 'demo', '--chaos', '--json', '--port', '0', '--duration', '14', '--rate', '3000', '--seed', '5'],
    { encoding: 'utf8', timeout: 120_000 });
  const lines = r.stdout.trim().split('\n');
  let s: Record<string, unknown>;
  try {
    s = JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
  } catch {
    throw new Error(`demo --chaos did not end with a JSON line (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
  expect(s.checks_failed).toEqual([]);
  expect(r.status).toBe(0);
  expect(s.ticks_lost).toBe(0);
  expect(s.out_of_order).toBe(0);
  expect(s.gaps).toBe(0);
  expect(s.ticks_delivered).toBe(s.ticks_accepted);
  expect(s.ticks_accepted as number).toBeGreaterThan(10_000);
  expect(s.failovers as number).toBeGreaterThanOrEqual(1);
  expect(s.failover_ms as number).toBeLessThan(1000);
  expect(s.failbacks as number).toBeGreaterThanOrEqual(1);
  expect(s.bridge_restarts).toBe(1);
  expect(s.ea_reconnects as number).toBeGreaterThanOrEqual(2); // the bridge's restart and the drop
  // The restarted bridge found batches the killed one had not seen acked, and sent them again.
  expect(s.replayed_batches as number).toBeGreaterThan(0);
  expect(s.spool_max_bytes as number).toBeGreaterThan(0);
  expect(s.indicator_mismatches).toBe(0);
}, 150_000);
