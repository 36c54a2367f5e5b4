/**
 * The bridge is SIGKILLed mid-stream and a new one starts on the same spool: the new one replays
 * what was unacked, tells the EA (in `welcome`) where its durable data ends, and the EA backfills
 * from there. Real processes throughout — the reference backend, the bridge (`client-mt5 start`)
 * and the simulated EA, which keeps its own tick history as the terminal does — over loopback.
 * The backend's recording is then read the way the backend reads it: every tick the EA sent
 * arrives exactly once, numbered without a gap, in order per symbol.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ColumnarDecoder } from '../../src/backend/columnar-decoder.js';
import { clientmt5 } from '../../src/gen/clientmt5.js';
import { Child } from '../../src/main/child.js';
import { signJwt } from '../../src/shared/jwt.js';
import { readSpoolState } from '../../src/shared/spool-format.js';
import { sleep, until } from '../helpers/processes.js';
import { readRecording } from '../helpers/recording.js';

interface SimStats { ticks_sent: number; per_symbol: Record<string, number>; reconnects: number; history_overruns: number; ticks_resent: number }
interface BackendStats { ticks_received: number; gaps: number; out_of_order: number; duplicates: number }

const children: Child[] = [];
const dir = mkdtempSync(join(tmpdir(), 'client-mt5-spool-restart-'));
afterAll(async () => {
  for (const c of children) c.kill();
  rmSync(dir, { recursive: true, force: true });
});

function start(name: string, args: string[]): Child {
  const c = new Child(name, args, { quiet: true });
  children.push(c);
  return c;
}

/** Ticks of a recorded batch (either encoding) as [symbol, sequence_number, time_msc]; null for other payloads. */
function ticksOf(frame: Uint8Array, columnar: ColumnarDecoder): { batch: number; ticks: Array<[string, number, number]> } | null {
  if (columnar.decodeEnvelope(frame) >= 0) {
    const b = columnar.batch;
    const ticks: Array<[string, number, number]> = [];
    for (let i = 0; i < b.count; i++) ticks.push([b.symbolOf(i), b.sequenceNumber[i], b.timeMsc[i]]);
    return { batch: b.batchSequence, ticks };
  }
  const env = clientmt5.v1.Envelope.decode(frame);
  if (env.payload !== 'market_data') return null;
  const md = env.market_data!;
  return { batch: md.batch_sequence!, ticks: md.ticks!.map((t) => [t.symbol!, t.sequence_number!, t.time_msc!]) };
}

describe('bridge restart on the same spool', () => {
  test('SIGKILL mid-stream: the new bridge replays and the EA backfills — every tick once, no gap, in order', async () => {
    const secret = randomBytes(32).toString('hex');
    const jwt = signJwt({ sub: 'restart-client', exp: Math.floor(Date.now() / 1000) + 3600 }, secret);
    const token = randomBytes(12).toString('hex');
    const record = join(dir, 'frames.bin');
    const spoolDir = join(dir, 'spool');
    const backend = start('backend', ['backend', '--port', '0', '--jwt-secret', secret, '--record', record]);
    const { url } = await backend.next<{ type: 'ready'; url: string }>('ready');
    const backendStats = async () => (await backend.request<{ type: 'stats'; stats: BackendStats }>({ type: 'stats' }, 'stats')).stats;
    const config = (eaPort: number) => {
      const file = join(dir, `bridge-${eaPort}.json`);
      writeFileSync(file, JSON.stringify({
        workers: 2, eaLink: { port: eaPort, token }, backend: { endpoints: [url], jwt }, spool: { dir: spoolDir, fsync: 'never' },
      }));
      return file;
    };

    const first = start('bridge', ['start', '--config', config(0)]);
    const { eaPort } = await first.next<{ type: 'ready'; eaPort: number }>('ready', 30000);
    const sim = start('ea-sim', ['ea-sim', '--url', `ws://127.0.0.1:${eaPort}/ea`, '--token', token, '--rate', '4000',
      '--symbols', '4', '--invalid-rate', '0', '--seed', '11']);
    await sim.next('connected', 30000);
    await until('the backend holds 4000 ticks', async () => (await backendStats()).ticks_received >= 4000, 30000);

    first.kill(); // SIGKILL: nothing is flushed, closed or checkpointed
    await first.exited;
    await sleep(300); // the terminal keeps ticking meanwhile
    const second = start('bridge', ['start', '--config', config(eaPort)]);
    await second.next('ready', 30000);
    const simStats = async () => (await sim.request<{ type: 'stats'; stats: SimStats }>({ type: 'stats' }, 'stats')).stats;
    await until('the EA reconnected', async () => (await simStats()).reconnects >= 1, 20000);
    const resumedAt = (await backendStats()).ticks_received;
    await until('4000 more ticks after the restart', async () => (await backendStats()).ticks_received >= resumedAt + 4000, 30000);

    const sent = (await sim.request<{ type: 'stopped'; stats: SimStats }>({ type: 'stop' }, 'stopped')).stats;
    await until('the backend holds every tick sent', async () => (await backendStats()).ticks_received >= sent.ticks_sent, 30000);
    process.kill(second.pid!, 'SIGTERM'); // graceful: drain, then close the spool
    expect(await second.exited).toBe(0);
    const held = await backendStats();
    await backend.stop();

    expect(sent.history_overruns).toBe(0);
    expect(held.ticks_received).toBe(sent.ticks_sent);
    expect(held.gaps).toBe(0);
    expect(held.out_of_order).toBe(0);

    // Independently, from the recording: batches as the backend takes them (a resent batch at or
    // below the last one is a duplicate), then per symbol one unbroken sequence in time order.
    let lastBatch = 0;
    const perSymbol = new Map<string, { seq: number; time: number }>();
    const columnar = new ColumnarDecoder();
    for (const frame of readRecording(record)) {
      const batch = ticksOf(frame, columnar);
      if (batch === null) continue;
      if (lastBatch > 0 && batch.batch <= lastBatch) continue;
      expect(batch.batch).toBe(lastBatch + 1);
      lastBatch = batch.batch;
      for (const [symbol, seq, time] of batch.ticks) {
        const s = perSymbol.get(symbol) ?? { seq: 0, time: 0 };
        expect(seq, `${symbol} sequence`).toBe(s.seq + 1);
        expect(time, `${symbol} time`).toBeGreaterThanOrEqual(s.time);
        perSymbol.set(symbol, { seq, time });
      }
    }
    expect(Object.fromEntries([...perSymbol].map(([name, s]) => [name, s.seq]))).toEqual(sent.per_symbol);

    // The graceful stop left nothing unacked behind, and the cursors of everything delivered.
    const state = readSpoolState(spoolDir);
    expect(state.checkpoint.ackedThrough).toBe(lastBatch);
    expect(state.lastSequence).toBe(lastBatch);
    for (const [name, s] of perSymbol) expect(state.cursors.get(name)?.tickSequence).toBe(s.seq);
  }, 120_000);
});
