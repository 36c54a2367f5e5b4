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
import { fileURLToPath } from 'node:url';
import { RESULTS_DIR } from './lib/harness.js';
import { e2eSection, profileSection } from './e2e/report-e2e.js';
import { fmt, genericSection, mdTable, type Json } from './e2e/markdown.js';

const OUT = fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url));
const KNOWN = ['indicators', 'codec', 'ring', 'e2e'];

const results = new Map<string, Json>();
if (existsSync(RESULTS_DIR)) {
  for (const f of readdirSync(RESULTS_DIR).filter((x) => x.endsWith('.json')).sort()) {
    const text = readFileSync(new URL(f, RESULTS_DIR), 'utf8').trim().split('\n').at(-1) ?? '';
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

const wasmNs = minOf(indicators?.ns_per_tick, (k) => /wasm/i.test(k));
const tsRatio = maxOf(indicators?.ratio_vs_trading_signals, (k) => /wasm/i.test(k)) ?? num(indicators?.ratio_vs_trading_signals);
const bestCodec = bestEncoding(codec);
const lat = (rate: string) => num((e2e?.latency_ms as Json | undefined)?.[rate] && ((e2e?.latency_ms as Json)[rate] as Json).p99);
const gc = gcFigure(results) ?? e2eGc(e2e);
const targets: Verdict[] = [
  verdict('indicators + validation ≤ 30 ns/tick in WASM', wasmNs, (v) => v <= 30, (v) => `${fmt(v)} ns/tick`),
  verdict('WASM ≥ 30× faster than trading-signals', tsRatio, (v) => v >= 30, (v) => `${fmt(v)}×`),
  verdict('encode ≤ 150 µs per 1000 ticks (best negotiated encoding)', bestCodec?.encodeUs, (v) => v <= 150, (v) => `${fmt(v)} µs (${bestCodec?.name})`),
  verdict('≤ 25 KB per 1000 ticks (best negotiated encoding)', bestCodec ? bestCodec.bytes / 1024 : null, (v) => v <= 25, (v) => `${fmt(v)} KB (${bestCodec?.name})`),
  verdict('≥ 1,000,000 ticks/s end to end, zero loss', num(e2e?.max_ticks_per_s_best), (v) => v >= 1e6, (v) => `${fmt(v)} ticks/s`),
  verdict('≥ 20× the naive baseline', num(e2e?.ratio_vs_baseline), (v) => v >= 20, (v) => `${fmt(v)}×`),
  verdict('p99 ≤ 1 ms at 1,000 ticks/s (bridge → backend)', lat('1000'), (v) => v <= 1, (v) => `${fmt(v)} ms`),
  verdict('p99 ≤ 5 ms at 100,000 ticks/s (bridge → backend)', lat('100000'), (v) => v <= 5, (v) => `${fmt(v)} ms`),
  verdict('bridge RSS ≤ 100 MB at full load, default workers', num(e2e?.rss_mb), (v) => v <= 100, (v) => `${fmt(v)} MB`),
  verdict('ready ≤ 500 ms after start', num(e2e?.startup_ms), (v) => v <= 500, (v) => `${fmt(v)} ms (spawn → EA link accepting)`),
  gc ? { target: 'no allocation per tick on the hot path (GC count, steady state)', ours: gc.text, met: gc.met } : { target: 'no allocation per tick on the hot path (GC count, steady state)', ours: 'not measured', met: null },
];

// ── the seeds' figures beside ours ─────────────────────────────────────────────────────────────
const rowCodec = codec ? pickVariant(codec, /row|seed|protobuf/i) : null;
const seeds: string[][] = [
  ['throughput', '50 ticks/s', e2e ? `${fmt(num(e2e.max_ticks_per_s_best))} ticks/s end to end, zero loss` : 'not measured'],
  ['local processing', '< 5 ms', e2e ? `p99 ${fmt(lat('100000'))} ms bridge receipt → backend at 100k ticks/s (p50 ${fmt(num(((e2e.latency_ms as Json)?.['100000'] as Json | undefined)?.p50))} ms)` : 'not measured'],
  ['protobuf per 1000 ticks', '1.5 ms, 60 KB', [rowCodec && `row: ${fmt(rowCodec.encodeUs)} µs, ${fmt(rowCodec.bytes / 1024)} KB`, bestCodec && `best (${bestCodec.name}): ${fmt(bestCodec.encodeUs)} µs, ${fmt(bestCodec.bytes / 1024)} KB`].filter(Boolean).join('; ') || 'not measured'],
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

function pickVariant(c: Json, re: RegExp): { name: string; encodeUs: number; bytes: number } | null {
  const enc = Object.fromEntries(entries(c.encode_us));
  const bytes = Object.fromEntries(entries(c.bytes));
  const name = Object.keys(bytes).find((k) => re.test(k) && !/json|column/i.test(k) && enc[k] !== undefined);
  return name ? { name, encodeUs: enc[name], bytes: bytes[name] } : null;
}

/** The smallest encoding that is not JSON, with its encode time. */
function bestEncoding(c: Json | undefined): { name: string; encodeUs: number; bytes: number } | null {
  if (!c) return null;
  const enc = Object.fromEntries(entries(c.encode_us));
  const candidates = entries(c.bytes).filter(([k]) => !/json/i.test(k) && enc[k] !== undefined).sort((a, b) => a[1] - b[1]);
  return candidates.length ? { name: candidates[0][0], encodeUs: enc[candidates[0][0]], bytes: candidates[0][1] } : null;
}

/** The bridge's collections in a steady e2e run: informative (a collection is not proof of allocation per tick). */
function e2eGc(e: Json | undefined): { text: string; met: boolean | null } | null {
  const g = e?.gc_steady_state as Json | null | undefined;
  if (!g) return null;
  const iso = (g.isolates as Json[]).map((i) => `${String(i.isolate)} ${String(i.scavenges)}+${String(i.mark_compacts)}`).join(', ');
  return { text: `bridge at ${fmt(g.rate as number)} ticks/s, ${String(g.window_s)} s: ${fmt(g.collections_per_million_ticks as number)} collections per million ticks (scavenges+full by isolate: ${iso})`, met: null };
}

/** A GC count reported by any benchmark (keys containing "gc"), 0 meaning no allocation per tick. */
function gcFigure(all: Map<string, Json>): { text: string; met: boolean } | null {
  const found: string[] = [];
  let worst = 0;
  const walk = (x: unknown, path: string) => {
    if (!x || typeof x !== 'object' || path.split('.').length > 4) return;
    for (const [k, v] of Object.entries(x as Json)) {
      if (/gc/i.test(k) && /count|gcs?$/i.test(k) && typeof v === 'number') { found.push(`${path}${k} = ${v}`); worst = Math.max(worst, v); }
      else if (typeof v === 'object' && !/runs|machine/.test(k)) walk(v, `${path}${k}.`);
    }
  };
  for (const [name, r] of all) walk(r, `${name}.`);
  return found.length ? { text: found.slice(0, 4).join('; '), met: worst === 0 } : null;
}
