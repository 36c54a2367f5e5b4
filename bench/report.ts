/**
 * bench:report — writes BENCHMARKS.md from the saved results of the benchmarks; runs nothing.
 *
 *   npm run bench:e2e -- --save          (any benchmark: --save writes bench/results/<name>.json,
 *   npm run bench:report                  the JSON object its --json mode prints last)
 *
 * Each file is read whole; a benchmark without a file is listed as not run. Targets come from the
 * benchmarks issue, the seeds' figures from the planning documents (shared/seeds/).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RESULTS_DIR } from './lib/harness.js';
import { e2eSection, profileSection } from './e2e/report-e2e.js';
import { cell, fmt, genericSection, mdTable, type Json } from './e2e/markdown.js';

// `--results DIR` / `--out FILE`: read and write elsewhere (to try the report on other runs).
const argAfter = (flag: string) => { const i = process.argv.indexOf(flag); return i > 0 ? process.argv[i + 1] : undefined; };
const DIR = argAfter('--results') ? new URL(`file://${resolve(argAfter('--results')!)}/`) : RESULTS_DIR;
const OUT = argAfter('--out') ? resolve(argAfter('--out')!) : fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url));
const KNOWN = ['indicators', 'codec', 'ring', 'e2e'];

const results = new Map<string, Json>();
if (existsSync(DIR)) {
  for (const f of readdirSync(DIR).filter((x) => x.endsWith('.json')).sort()) {
    const text = readFileSync(new URL(f, DIR), 'utf8').trim().split('\n').at(-1) ?? '';
    try {
      const r = JSON.parse(text) as Json;
      results.set(String(r.bench ?? f.replace(/\.json$/, '')), r);
    } catch {
      process.stderr.write(`bench:report: ${f} is not one JSON object (save it with --save or \`--json | tail -1\`); skipped\n`);
    }
  }
}
const e2e = results.get('e2e');
const indicators = results.get('indicators');
const codec = results.get('codec');

// ── targets ────────────────────────────────────────────────────────────────────────────────────
type Verdict = { target: string; ours: string; met: boolean | null };
// (a verdict of null with a figure means: measured, but the figure alone does not decide the target)
const verdict = (target: string, value: number | null | undefined, ok: (v: number) => boolean, show: (v: number) => string): Verdict =>
  (value === null || value === undefined || !Number.isFinite(value)
    ? { target, ours: 'not measured', met: null }
    : { target, ours: show(value), met: ok(value) });

const indTargets = indicators?.targets as Json | undefined;
const wasmNs = num(indTargets?.wasm_ns_per_tick) ?? minOf(indicators?.ns_per_tick, (k) => /wasm/i.test(k));
const tsRatio = num(indTargets?.ratio) ?? num((indicators?.ratio_vs_trading_signals as Json | undefined)?.wasm_batch)
  ?? maxOf(indicators?.ratio_vs_trading_signals, (k) => /wasm/i.test(k));
const bestCodec = codecVariant(codec, String((codec?.targets as Json | undefined)?.best ?? '')) ?? bestEncoding(codec);
const lat = (rate: string) => num((e2e?.latency_ms as Json | undefined)?.[rate] && ((e2e?.latency_ms as Json)[rate] as Json).p99);
const gc = gcFigure(indicators, codec, e2e);
const targets: Verdict[] = [
  verdict('indicators + validation ≤ 30 ns/tick in WASM', wasmNs, (v) => v <= 30, (v) => `${fmt(v)} ns/tick`),
  verdict('WASM ≥ 30× faster than trading-signals', tsRatio, (v) => v >= 30, (v) => `${fmt(v)}×`),
  verdict('encode ≤ 150 µs per 1000 ticks (best negotiated encoding)', bestCodec?.encodeUs, (v) => v <= 150, (v) => `${fmt(v)} µs (${bestCodec?.name})`),
  verdict('≤ 25 KB per 1000 ticks (best negotiated encoding)', bestCodec ? bestCodec.bytes / 1000 : null, (v) => v <= 25, (v) => `${fmt(v)} KB (${bestCodec?.name})`),
  verdict('≥ 1,000,000 ticks/s end to end, zero loss', num(e2e?.max_ticks_per_s_best), (v) => v >= 1e6, (v) => `${fmt(v)} ticks/s`),
  verdict('≥ 20× the naive baseline', num(e2e?.ratio_vs_baseline), (v) => v >= 20, (v) => `${fmt(v)}×`),
  verdict('p99 ≤ 1 ms at 1,000 ticks/s (bridge → backend)', lat('1000'), (v) => v <= 1, (v) => `${fmt(v)} ms`),
  verdict('p99 ≤ 5 ms at 100,000 ticks/s (bridge → backend)', lat('100000'), (v) => v <= 5, (v) => `${fmt(v)} ms`),
  verdict('bridge RSS ≤ 100 MB at full load, default workers', num(e2e?.rss_mb), (v) => v <= 100, (v) => {
    const b = e2e?.rss_breakdown_at_max as Json | null | undefined;
    return b ? `${fmt(v)} MB peak; at the highest sample ${fmt(num(b.total_mb))} MB = ${fmt(num(b.file_mb))} node binary mapped from disk + ` +
      `${fmt(num(b.v8_pages_mb))} V8 heaps + ${fmt(num(b.malloc_heap_mb))} malloc + ${fmt(num(b.large_anon_mb))} rings, WASM, arenas + ${fmt(num(b.other_anon_mb))} other` : `${fmt(v)} MB`;
  }),
  verdict('ready ≤ 500 ms after start', num(e2e?.startup_ms), (v) => v <= 500, (v) => `${fmt(v)} ms (spawn → EA link accepting)`),
  { target: 'no allocation per tick on the hot path (GC count, steady state)', ours: gc?.text ?? 'not measured', met: gc?.met ?? null },
];

// ── the seeds' figures beside ours ─────────────────────────────────────────────────────────────
const rowSeeds = codecVariant(codec, 'row_protobufjs');
const rowOurs = codecVariant(codec, 'row_handwritten');
const seeds: string[][] = [
  ['throughput', '50 ticks/s', e2e ? `${fmt(num(e2e.max_ticks_per_s_best))} ticks/s end to end, zero loss` : 'not measured'],
  ['local processing', '< 5 ms', e2e ? `p99 ${fmt(lat('100000'))} ms bridge receipt → backend at 100k ticks/s (p50 ${fmt(num(((e2e.latency_ms as Json)?.['100000'] as Json | undefined)?.p50))} ms)` : 'not measured'],
  ['protobuf per 1000 ticks', '1.5 ms, 60 KB', [rowSeeds, rowOurs, bestCodec].filter((v, i, a) => v && a.findIndex((w) => w?.name === v.name) === i)
    .map((v) => `${v!.name}: ${fmt(v!.encodeUs)} µs to encode, ${fmt(v!.bytes / 1000)} KB`).join('; ') || 'not measured'],
  ['memory', '< 50 MB', e2e ? `bridge RSS ${fmt(num(e2e.rss_mb))} MB peak at its highest sustained rate (${e2e.default_workers} workers)` : 'not measured'],
  ['WebSocket messages/s', '15,000', e2e ? `${fmt(num(e2e.max_ticks_per_s_best))} ticks/s through one EA socket and one backend socket (batched frames, not a message per tick); the naive bridge's message per tick: ${fmt(num(e2e.baseline_max_ticks_per_s))}/s` : 'not measured'],
  ['start-up', '6 s (4 s target)', e2e ? `${fmt(num(e2e.startup_ms))} ms spawn → EA link accepting (median)` : 'not measured'],
];

// ── the document ───────────────────────────────────────────────────────────────────────────────
const lines: string[] = [];
lines.push('# Benchmarks', '');
lines.push(`Generated by \`npm run bench:report\` on ${new Date().toISOString()} from \`bench/results/*.json\`; edit the benchmarks, not this file.`, '');
lines.push('Re-run: `npm ci`, then on a quiet machine `npm run bench:<name> -- --save` for each of ' +
  `${KNOWN.map((k) => `\`${k}\``).join(', ')}, then \`npm run bench:report\`.`, '');
lines.push('## Runs', '');
lines.push(mdTable(['benchmark', 'command', 'date', 'machine'], KNOWN.concat([...results.keys()].filter((k) => !KNOWN.includes(k))).map((k) => {
  const r = results.get(k);
  const m = r?.machine as Json | undefined;
  return [k, r ? `\`${String(r.command ?? `npm run bench:${k} -- --json`)}\`` : 'not run yet', m ? String(m.date) : '-',
    m ? `${m.cpus} × ${m.cpu_model}, ${m.memory_gb} GB, Node ${m.node}, ${m.platform}` : '-'];
})), '');
lines.push('## Targets (benchmarks issue)', '');
lines.push(mdTable(['target', 'measured', 'verdict'], targets.map((t) => [t.target, t.ours,
  t.met === null ? (t.ours === 'not measured' ? 'not measured' : 'see figure') : t.met ? '**met**' : '**missed**'])), '');
lines.push('## The seeds\' figures beside ours', '');
lines.push(mdTable(['', 'seeds', 'client-mt5'], seeds), '');
if (e2e) lines.push(...e2eSection(e2e));
const prof = (e2e?.profile as Json | null | undefined) ?? results.get('e2e-profile')?.profile as Json | undefined;
if (prof) lines.push(...profileSection(prof, results.get('e2e-profile') ? results.get('e2e-profile') : e2e));
for (const [name, r] of results) {
  if (name === 'e2e' || name === 'e2e-profile') continue;
  lines.push(...genericSection(name, r));
}
writeFileSync(OUT, `${lines.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`);
process.stdout.write(`wrote ${OUT} from ${results.size} result file(s): ${[...results.keys()].join(', ') || 'none'}\n`);

// ── helpers over loosely known shapes ──────────────────────────────────────────────────────────
function num(x: unknown): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}

function entries(x: unknown): Array<[string, number]> {
  if (!x || typeof x !== 'object') return [];
  return Object.entries(x as Json).flatMap(([k, v]) => (typeof v === 'number' ? [[k, v] as [string, number]]
    : v && typeof v === 'object' && typeof (v as Json).median === 'number' ? [[k, (v as Json).median as number] as [string, number]] : []));
}

function minOf(x: unknown, keep: (k: string) => boolean): number | null {
  const xs = entries(x).filter(([k]) => keep(k)).map(([, v]) => v);
  return xs.length ? Math.min(...xs) : null;
}

function maxOf(x: unknown, keep: (k: string) => boolean): number | null {
  const xs = entries(x).filter(([k]) => keep(k)).map(([, v]) => v);
  return xs.length ? Math.max(...xs) : null;
}

/** A codec variant's encode time and size, scaled to 1000 ticks. */
function codecVariant(c: Json | undefined, name: string): { name: string; encodeUs: number; bytes: number } | null {
  if (!c || !name) return null;
  const enc = num((c.encode_us as Json | undefined)?.[name]);
  const bytes = num((c.bytes as Json | undefined)?.[name]);
  const scale = 1000 / (num(c.ticks_per_batch) ?? 1000);
  return enc === null || bytes === null ? null : { name, encodeUs: enc * scale, bytes: bytes * scale };
}

/** Without a declared best: the smallest encoding that is not JSON and carries the indicators. */
function bestEncoding(c: Json | undefined): { name: string; encodeUs: number; bytes: number } | null {
  if (!c) return null;
  const names = entries(c.bytes).filter(([k]) => !/json|ticks_only/i.test(k)).sort((a, b) => a[1] - b[1]).map(([k]) => k);
  return names.length ? codecVariant(c, names[0]) : null;
}

/**
 * Collections while the hot paths run, from whichever benchmarks measured them: the indicator
 * engine's timed WASM runs, the encoders' steady state, and the bridge in a steady e2e run (the
 * last is informative: its collections come from per-batch buffers, not necessarily per tick).
 */
function gcFigure(ind: Json | undefined, cod: Json | undefined, e: Json | undefined): { text: string; met: boolean | null } | null {
  const parts: string[] = [];
  let met: boolean | null = null;
  const engine = num(ind?.steady_state_gc_count);
  if (engine !== null) { parts.push(`WASM engine timed runs: ${engine} GCs`); met = engine === 0; }
  const codecGc = cod?.gc_steady_state as Json | undefined;
  if (codecGc) {
    for (const [k, v] of Object.entries(codecGc)) {
      if (!v || typeof v !== 'object') continue;
      const g = v as Json;
      parts.push(`encoder ${k}: ${cell(g.gcs)} GCs, ${cell(g.heap_bytes_per_batch)} heap B/batch over ${cell(codecGc.batches)} batches`);
    }
  }
  const b = e?.gc_steady_state as Json | null | undefined;
  if (b) {
    const iso = (b.isolates as Json[]).map((i) => `${String(i.isolate)} ${String(i.scavenges)}+${String(i.mark_compacts)}`).join(', ');
    parts.push(`bridge at ${fmt(b.rate as number)} ticks/s for ${String(b.window_s)} s: ${fmt(b.collections_per_million_ticks as number)} ` +
      `collections per million ticks (minor+full by isolate: ${iso})`);
  }
  return parts.length ? { text: parts.join('; '), met } : null;
}
