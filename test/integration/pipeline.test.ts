/**
 * The real pipeline for a few seconds: the simulated EA and the reference backend as separate
 * processes, the bridge with its workers, over loopback — run through the demo command exactly as
 * a user runs it. Then the backend's recording is decoded independently (our generated decoder and
 * protoc, given only proto/) to prove every accepted tick arrived exactly once, in order per symbol,
 * with the indicator values an independent computation gives.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { ColumnarDecoder } from '../../src/backend/columnar-decoder.js';
import { ReferenceIndicators } from '../../src/backend/reference-indicators.js';
import { clientmt5 } from '../../src/gen/clientmt5.js';
import { INDICATOR_PROTO_FIELDS } from '../../src/workers/batch-encoder.js';
import { readRecording } from '../helpers/recording.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin', 'client-mt5.js');

interface Summary {
  ticks_sent: number; invalid_injected: number; ticks_received: number; ticks_accepted: number; ticks_rejected: number;
  rejected_by_reason: Record<string, number>; ticks_delivered: number; ticks_lost: number; duplicates: number;
  out_of_order: number; gaps: number; batches: number; indicator_mismatches: number; checks_failed: string[];
  latency_ms: { p50: number; p99: number; max: number };
}

function runDemo(args: string[]): { summary: Summary; stdout: string } {
  const r = spawnSync(process.execPath, [bin, 'demo', '--json', '--port', '0', ...args], { encoding: 'utf8', timeout: 90_000 });
  const lines = r.stdout.trim().split('\n');
  let summary: Summary;
  try {
    summary = JSON.parse(lines[lines.length - 1]) as Summary;
  } catch {
    throw new Error(`demo did not end with a JSON line (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
  return { summary, stdout: r.stdout };
}

function expectAllChecks(s: Summary): void {
  expect(s.checks_failed).toEqual([]);
  expect(s.ticks_sent).toBeGreaterThan(0);
  expect(s.ticks_received).toBe(s.ticks_sent);
  expect(s.ticks_lost).toBe(0);
  expect(s.duplicates).toBe(0);
  expect(s.out_of_order).toBe(0);
  expect(s.gaps).toBe(0);
  expect(s.indicator_mismatches).toBe(0);
  expect(s.ticks_delivered).toBe(s.ticks_accepted);
  expect(s.ticks_rejected).toBe(s.invalid_injected);
  expect(s.invalid_injected).toBeGreaterThan(0);
}

/** One recorded tick, whichever encoding carried it; indicator k in INDICATOR_NAMES order, NaN = absent. */
interface RecordedTick { symbol: string; sequence: number; timeMsc: number; bid: number; ask: number; indicator(k: number): number }
interface RecordedBatch { encoding: 'row' | 'columnar'; sequence: number; ticks: RecordedTick[] }

/** Decodes a recorded frame: a row MarketDataStream or a MarketDataColumns batch; null for other payloads. */
function decodeBatch(frame: Uint8Array, columnar: ColumnarDecoder): RecordedBatch | null {
  if (columnar.decodeEnvelope(frame) >= 0) {
    const b = columnar.batch;
    const ticks: RecordedTick[] = [];
    for (let i = 0; i < b.count; i++) {
      ticks.push({
        symbol: b.symbolOf(i), sequence: b.sequenceNumber[i], timeMsc: b.timeMsc[i], bid: b.bid[i], ask: b.ask[i],
        indicator: (k) => b.indicators[k][i],
      });
    }
    return { encoding: 'columnar', sequence: b.batchSequence, ticks };
  }
  const env = clientmt5.v1.Envelope.decode(frame);
  if (env.payload !== 'market_data') return null;
  const md = env.market_data!;
  return {
    encoding: 'row',
    sequence: md.batch_sequence!,
    ticks: md.ticks!.map((t) => ({
      symbol: t.symbol!, sequence: t.sequence_number!, timeMsc: t.time_msc!, bid: t.bid!, ask: t.ask!,
      indicator: (k: number) => (t.indicators as Record<string, number | null | undefined> | null)?.[INDICATOR_PROTO_FIELDS[k]] ?? Number.NaN,
    })),
  };
}

/**
 * Independent check of a recording: decode, dedupe nothing (there must be nothing to dedupe),
 * verify batch sequences, per-symbol sequence and time order, and recompute every indicator.
 * Returns the frames, the ticks seen and the encodings met.
 */
function checkRecording(record: string, expectedTicks: number): { frames: Uint8Array[]; encodings: Set<string> } {
  const frames = readRecording(record);
  const columnar = new ColumnarDecoder();
  const perSymbol = new Map<string, { seq: number; time: number; ind: ReferenceIndicators }>();
  const encodings = new Set<string>();
  let ticks = 0;
  let worst = 0;
  let batchSeq = 0;
  for (const frame of frames) {
    const batch = decodeBatch(frame, columnar);
    if (!batch) continue;
    encodings.add(batch.encoding);
    expect(batch.sequence).toBe(++batchSeq);
    for (const t of batch.ticks) {
      ticks++;
      let s = perSymbol.get(t.symbol);
      if (!s) perSymbol.set(t.symbol, s = { seq: 0, time: 0, ind: new ReferenceIndicators() });
      expect(t.sequence).toBe(s.seq + 1);
      expect(t.timeMsc).toBeGreaterThanOrEqual(s.time);
      s.seq = t.sequence;
      s.time = t.timeMsc;
      s.ind.push((t.bid + t.ask) / 2);
      for (let k = 0; k < INDICATOR_PROTO_FIELDS.length; k++) {
        const want = s.ind.values[k];
        const have = t.indicator(k);
        if (Number.isNaN(want)) { expect(have, `${t.symbol} #${t.sequence} ${INDICATOR_PROTO_FIELDS[k]}`).toBeNaN(); continue; }
        const rel = Math.abs(have - want) / Math.max(Math.abs(want), 1e-3);
        worst = Math.max(worst, rel);
      }
    }
  }
  expect(ticks).toBe(expectedTicks);
  expect(perSymbol.size).toBe(10);
  expect(worst).toBeLessThan(1e-9);
  return { frames, encodings };
}

/** protoc, given only the files in proto/, decodes the first recorded batch. */
function protocDecodesFirst(record: string, frames: Uint8Array[], dir: string): void {
  if (spawnSync('protoc', ['--version']).status !== 0) {
    console.warn('protoc not installed: the independent protoc decoding check was skipped');
    return;
  }
  const out = join(dir, 'split');
  execFileSync(process.execPath, [join(root, 'scripts', 'split-record.mjs'), record, out]);
  const files = readdirSync(out).sort();
  expect(files.length).toBe(frames.length);
  // The first frame that is a batch (heartbeats may come before it).
  const decoder = new ColumnarDecoder();
  const index = frames.findIndex((f) => decodeBatch(f, decoder) !== null);
  const first = decodeBatch(frames[index], decoder)!;
  const text = execFileSync('protoc', ['--decode=clientmt5.v1.Envelope', '-I', join(root, 'proto'), join(root, 'proto', 'clientmt5', 'v1', 'envelope.proto')],
    { input: readFileSync(join(out, files[index])), encoding: 'utf8' });
  expect(text).toContain(`batch_sequence: 1`);
  if (first.encoding === 'row') {
    expect(text).toContain(`symbol: "${first.ticks[0].symbol}"`);
    expect(text).toContain(`time_msc: ${first.ticks[0].timeMsc}`);
    expect((text.match(/\bticks \{/g) ?? []).length).toBe(first.ticks.length);
  } else {
    expect(text).toContain('market_data_columns {');
    expect(text).toContain(`tick_count: ${first.ticks.length}`);
    expect(text).toContain(`symbols: "${first.ticks[0].symbol}"`);
    expect((text.match(/\btime_msc_delta: /g) ?? []).length).toBe(first.ticks.length);
  }
}

describe('pipeline: simulated EA -> bridge -> reference backend', () => {
  test('every accepted tick arrives exactly once, in order per symbol, with correct indicators', () => {
    const dir = mkdtempSync(join(tmpdir(), 'client-mt5-pipeline-'));
    const record = join(dir, 'frames.bin');
    const { summary } = runDemo(['--duration', '4', '--rate', '3000', '--workers', '2', '--invalid-rate', '0.02', '--seed', '7', '--record', record]);
    expectAllChecks(summary);
    // Every kind of bad tick was injected and each one was refused for its reason.
    for (const reason of ['price_invalid', 'crossed', 'stale', 'future', 'time_backwards', 'duplicate', 'spike']) {
      expect(summary.rejected_by_reason[reason] ?? 0, reason).toBeGreaterThan(0);
    }

    const { frames, encodings } = checkRecording(record, summary.ticks_accepted);
    // The default setting (auto) and the reference backend agree on the column-packed encoding.
    expect([...encodings]).toEqual(['columnar']);
    protocDecodesFirst(record, frames, dir);
  });

  test('the row encoding (demo --encoding row) carries the same ticks, checked the same way', () => {
    const dir = mkdtempSync(join(tmpdir(), 'client-mt5-pipeline-row-'));
    const record = join(dir, 'frames.bin');
    const { summary } = runDemo(['--duration', '3', '--rate', '3000', '--workers', '2', '--seed', '11', '--record', record, '--encoding', 'row']);
    expectAllChecks(summary);
    const { frames, encodings } = checkRecording(record, summary.ticks_accepted);
    expect([...encodings]).toEqual(['row']);
    protocDecodesFirst(record, frames, dir);
  });

  test("columnar-latest (demo --encoding columnar-latest): the same ticks, each symbol's latest indicators checked at its last tick of a batch", () => {
    const { summary } = runDemo(['--duration', '3', '--rate', '3000', '--workers', '2', '--seed', '13', '--encoding', 'columnar-latest']);
    expectAllChecks(summary);
  });

  test.each([1, 4])('holds with --workers %i at a higher rate', (workers) => {
    const { summary } = runDemo(['--duration', '3', '--rate', '20000', '--workers', String(workers), '--seed', String(workers)]);
    expectAllChecks(summary);
  });
});
