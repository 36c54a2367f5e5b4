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
import { ReferenceIndicators } from '../../src/backend/reference-indicators.js';
import { clientmt5 } from '../../src/gen/clientmt5.js';
import { INDICATOR_PROTO_FIELDS } from '../../src/workers/batch-encoder.js';

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

function readRecording(file: string): Uint8Array[] {
  const data = readFileSync(file);
  const frames: Uint8Array[] = [];
  for (let off = 0; off < data.length;) {
    const len = data.readUInt32LE(off);
    frames.push(data.subarray(off + 4, off + 4 + len));
    off += 4 + len;
  }
  return frames;
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

    // Independent check of the recording: decode, dedupe nothing (there must be nothing to dedupe),
    // verify per-symbol sequence and time order, and recompute every indicator.
    const frames = readRecording(record);
    const perSymbol = new Map<string, { seq: number; time: number; ind: ReferenceIndicators }>();
    let ticks = 0;
    let worst = 0;
    let batchSeq = 0;
    for (const frame of frames) {
      const env = clientmt5.v1.Envelope.decode(frame);
      if (env.payload !== 'market_data') continue;
      const md = env.market_data!;
      expect(md.batch_sequence).toBe(++batchSeq);
      for (const t of md.ticks!) {
        ticks++;
        let s = perSymbol.get(t.symbol!);
        if (!s) perSymbol.set(t.symbol!, s = { seq: 0, time: 0, ind: new ReferenceIndicators() });
        expect(t.sequence_number).toBe(s.seq + 1);
        expect(t.time_msc!).toBeGreaterThanOrEqual(s.time);
        s.seq = t.sequence_number!;
        s.time = t.time_msc!;
        s.ind.push((t.bid! + t.ask!) / 2);
        const got = t.indicators as Record<string, number | null | undefined>;
        INDICATOR_PROTO_FIELDS.forEach((f, k) => {
          const want = s!.ind.values[k];
          const have = got?.[f];
          if (Number.isNaN(want)) { expect(have ?? null, `${t.symbol} #${t.sequence_number} ${f}`).toBeNull(); return; }
          const rel = Math.abs(have! - want) / Math.max(Math.abs(want), 1e-3);
          worst = Math.max(worst, rel);
        });
      }
    }
    expect(ticks).toBe(summary.ticks_accepted);
    expect(perSymbol.size).toBe(10);
    expect(worst).toBeLessThan(1e-9);

    // protoc, given only the files in proto/, decodes the same frames.
    const hasProtoc = spawnSync('protoc', ['--version']).status === 0;
    if (hasProtoc) {
      const out = join(dir, 'split');
      execFileSync(process.execPath, [join(root, 'scripts', 'split-record.mjs'), record, out]);
      const files = readdirSync(out).sort();
      expect(files.length).toBe(frames.length);
      const text = execFileSync('protoc', ['--decode=clientmt5.v1.Envelope', '-I', join(root, 'proto'), join(root, 'proto', 'clientmt5', 'v1', 'envelope.proto')],
        { input: readFileSync(join(out, files[0])), encoding: 'utf8' });
      const first = clientmt5.v1.Envelope.decode(frames[0]).market_data!;
      expect(text).toContain(`batch_sequence: 1`);
      expect(text).toContain(`symbol: "${first.ticks![0].symbol}"`);
      expect(text).toContain(`time_msc: ${first.ticks![0].time_msc}`);
      expect((text.match(/\bticks \{/g) ?? []).length).toBe(first.ticks!.length);
    } else {
      console.warn('protoc not installed: the independent protoc decoding check was skipped');
    }
  });

  test.each([1, 4])('holds with --workers %i at a higher rate', (workers) => {
    const { summary } = runDemo(['--duration', '3', '--rate', '20000', '--workers', String(workers), '--seed', String(workers)]);
    expectAllChecks(summary);
  });
});
