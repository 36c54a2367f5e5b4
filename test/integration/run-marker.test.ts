/**
 * A bridge dies holding ticks of symbols of which nothing reached its spool yet (here: its spool's
 * batches and checkpoint are removed after the SIGKILL, as if it had died before writing any). The
 * next bridge has no durable cursor for them, and must not start them live: its welcome gives the
 * start of the dead run (src/main/run-marker.ts), and the EA re-sends everything since then. Real
 * processes: the reference backend, the bridge (`client-mt5 start`), the simulated EA.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { Child } from '../../src/main/child.js';
import { signJwt } from '../../src/shared/jwt.js';
import { sleep, until } from '../helpers/processes.js';

interface SimStats { ticks_sent: number; reconnects: number; history_overruns: number; ticks_resent: number; backfill_frames: number }
interface BackendStats { ticks_received: number; gaps: number; out_of_order: number; duplicates: number }

const children: Child[] = [];
const dir = mkdtempSync(join(tmpdir(), 'client-mt5-run-marker-'));
afterAll(async () => {
  for (const c of children) c.kill();
  rmSync(dir, { recursive: true, force: true });
});
const start = (name: string, args: string[]) => { const c = new Child(name, args, { quiet: true }); children.push(c); return c; };

test('symbols a killed bridge held only in memory are backfilled from the start of its run, each tick once', async () => {
  const secret = randomBytes(32).toString('hex');
  const jwt = signJwt({ sub: 'marker-client', exp: Math.floor(Date.now() / 1000) + 3600 }, secret);
  const token = randomBytes(12).toString('hex');
  const spoolDir = join(dir, 'spool');
  const config = (eaPort: number, url: string) => {
    const file = join(dir, `bridge-${eaPort}.json`);
    writeFileSync(file, JSON.stringify({ workers: 2, eaLink: { port: eaPort, token }, backend: { endpoints: [url], jwt }, spool: { dir: spoolDir } }));
    return file;
  };
  const backendOf = async (c: Child) => (await c.request<{ type: 'stats'; stats: BackendStats }>({ type: 'stats' }, 'stats')).stats;

  const firstBackend = start('backend-1', ['backend', '--port', '0', '--jwt-secret', secret]);
  const first = start('bridge-1', ['start', '--config', config(0, (await firstBackend.next<{ type: 'ready'; url: string }>('ready')).url)]);
  const { eaPort } = await first.next<{ type: 'ready'; eaPort: number }>('ready', 30000);
  const sim = start('ea-sim', ['ea-sim', '--url', `ws://127.0.0.1:${eaPort}/ea`, '--token', token, '--rate', '3000', '--symbols', '4', '--invalid-rate', '0', '--seed', '3']);
  await sim.next('connected', 30000);
  await until('the first backend holds 2000 ticks', async () => (await backendOf(firstBackend)).ticks_received >= 2000, 30000);
  first.kill();
  await first.exited;
  await firstBackend.stop();
  // Nothing of the dead run is durable any more, but its marker says it did not stop cleanly.
  for (const f of readdirSync(spoolDir)) if (f !== 'run.json') rmSync(join(spoolDir, f), { recursive: true, force: true });
  expect(JSON.parse(readFileSync(join(spoolDir, 'run.json'), 'utf8')).clean_stop).toBe(false);

  // A new platform backend (the old one's batches are gone with the spool) and a new bridge.
  const backend = start('backend-2', ['backend', '--port', '0', '--jwt-secret', secret]);
  const second = start('bridge-2', ['start', '--config', config(eaPort, (await backend.next<{ type: 'ready'; url: string }>('ready')).url)]);
  await second.next('ready', 30000);
  const simStats = async () => (await sim.request<{ type: 'stats'; stats: SimStats }>({ type: 'stats' }, 'stats')).stats;
  await until('the EA reconnected', async () => (await simStats()).reconnects >= 1, 20000);
  await sleep(500);
  const sent = (await sim.request<{ type: 'stopped'; stats: SimStats }>({ type: 'stop' }, 'stopped')).stats;
  await until('the backend holds every tick sent', async () => (await backendOf(backend)).ticks_received >= sent.ticks_sent, 30000);
  process.kill(second.pid!, 'SIGTERM');
  expect(await second.exited).toBe(0);
  const held = await backendOf(backend);
  await backend.stop();

  // Everything the EA ever sent — including what only the dead bridge had seen — arrived once.
  expect(sent.history_overruns).toBe(0);
  expect(sent.ticks_resent).toBeGreaterThanOrEqual(2000);
  expect(held.ticks_received).toBe(sent.ticks_sent);
  expect(held.duplicates).toBe(0);
  expect(held.gaps).toBe(0);
  expect(held.out_of_order).toBe(0);
  // The graceful stop is recorded: a next run would start new symbols live.
  expect(JSON.parse(readFileSync(join(spoolDir, 'run.json'), 'utf8')).clean_stop).toBe(true);
}, 120_000);
