/**
 * Reads the .cpuprofile files `node --cpu-prof` writes (one per thread: main and every worker)
 * and says where each thread spent its time: busy share of the profile, garbage collection, and
 * the functions with the most self time.
 *
 * File names are CPU.<date>.<time>.<pid>.<threadId>.<seq>.cpuprofile; threadId 0 is the main
 * thread, workers count up in creation order (the bridge starts its compute workers, then the
 * transport). The role is also guessed from the functions seen, which is what the report shows.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionTime {
  fn: string;
  where: string;
  ms: number;
  /** Share of the thread's busy (non-idle) time, %. */
  pct_busy: number;
}

export interface ThreadProfile {
  file: string;
  thread_id: number;
  role: string;
  profile_ms: number;
  busy_ms: number;
  busy_pct: number;
  /** Self time of the ring wait strategies (blocked in Atomics.wait, or spinning briefly before). */
  wait_ms: number;
  gc_ms: number;
  top: FunctionTime[];
}

const IDLE = new Set(['(idle)', '(program)']);
/** Ring wait strategies: their self time is mostly a thread blocked in Atomics.wait (after a short spin). */
const WAITING = new Set(['waitForData', 'waitForSpace', 'waitForDataAsync']);

/** Summaries of every profile in `dir`, main thread first. */
export function summarizeProfiles(dir: string, workers: number, topN = 12): ThreadProfile[] {
  const out: ThreadProfile[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    const threadId = Number(file.split('.')[4] ?? -1);
    out.push(summarize(file, threadId, profile, workers, topN));
  }
  return out.sort((a, b) => a.thread_id - b.thread_id);
}

function summarize(file: string, threadId: number, p: CpuProfile, workers: number, topN: number): ThreadProfile {
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) selfUs.set(p.samples[i], (selfUs.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
  const byFn = new Map<string, { fn: string; where: string; us: number }>();
  let idleUs = 0;
  let waitUs = 0;
  let gcUs = 0;
  for (const n of p.nodes) {
    const us = selfUs.get(n.id) ?? 0;
    if (us === 0) continue;
    const name = n.callFrame.functionName || '(anonymous)';
    if (IDLE.has(name)) { idleUs += us; continue; }
    if (WAITING.has(name)) { waitUs += us; continue; }
    if (name === '(garbage collector)') gcUs += us;
    const where = n.callFrame.url ? `${shortPath(n.callFrame.url)}:${n.callFrame.lineNumber + 1}` : '';
    const key = `${name} ${where}`;
    const e = byFn.get(key) ?? { fn: name, where, us: 0 };
    e.us += us;
    byFn.set(key, e);
  }
  const totalUs = p.endTime - p.startTime;
  const busyUs = Math.max(1, totalUs - idleUs - waitUs);
  const top = [...byFn.values()].sort((a, b) => b.us - a.us).slice(0, topN)
    .map((e) => ({ fn: e.fn, where: e.where, ms: round1(e.us / 1000), pct_busy: round1((100 * e.us) / busyUs) }));
  return {
    file, thread_id: threadId, role: roleOf(threadId, workers, top), profile_ms: round1(totalUs / 1000),
    busy_ms: round1(busyUs / 1000), busy_pct: round1((100 * busyUs) / totalUs), wait_ms: round1(waitUs / 1000), gc_ms: round1(gcUs / 1000), top,
  };
}

function roleOf(threadId: number, workers: number, top: FunctionTime[]): string {
  const where = top.map((t) => t.where).join(' ');
  if (threadId === 0) return 'main (EA link, ingest)';
  if (/transport\.worker|batch-encoder|backend-link|column-writer|tick-columns|columnar-encoder|node_modules\/ws\//.test(where)) return 'transport worker';
  if (/compute\.worker|engine/.test(where)) return `compute worker ${threadId - 1}`;
  return threadId <= workers ? `compute worker ${threadId - 1} (by creation order)` : 'transport worker (by creation order)';
}

function shortPath(url: string): string {
  const i = url.indexOf('/dist/');
  if (i >= 0) return url.slice(i + 1);
  const n = url.indexOf('node_modules/');
  if (n >= 0) return url.slice(n);
  return url.replace(/^file:\/\//, '').replace(/^node:/, 'node:');
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
