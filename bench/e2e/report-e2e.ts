/** The end-to-end part of BENCHMARKS.md, from bench:e2e's JSON. */
import { cell, fmt, mdTable, type Json } from './markdown.js';

type Lat = { p50: number; p99: number; p999: number } | null;

export function e2eSection(e: Json): string[] {
  const m = e.machine as Json;
  const setup = (e.setup ?? {}) as Json;
  const load = (e.load_average_before as number[] | undefined) ?? [];
  const out: string[] = ['## End to end (`bench:e2e`)', ''];
  out.push(`\`${String(e.command)}\` — ${String(m.date)}, ${String(e.elapsed_s)} s` +
    `${e.quick ? ' (**--quick: a smoke run, not figures**)' : ''}; load average before ${load.map((x) => fmt(x)).join(' ')}; ` +
    `other work during the measured windows: median ${fmt(e.other_work_cpu_pct_median as number)} % of a core` +
    `${(e.other_work_cpu_pct_median as number) > 10 ? ' (**the machine was not quiet**)' : ''}.` +
    (e.build ? ` Code: commit ${String((e.build as Json).commit)}${(e.build as Json).dirty_files ? ` plus ${String((e.build as Json).dirty_files)} changed file(s)` : ''}, dist/ built ${String((e.build as Json).dist_built)}.` : ''), '');
  out.push('```',
    'client-mt5 ea-sim ──ws /ea──► client-mt5 start --config <generated> ──ws──► backend (separate processes, 127.0.0.1)',
    'client-mt5 ea-sim ──ws /ea──► bench/baselines/naive-bridge.ts ──ws, one JSON message per tick──► json-sink', '```', '');
  out.push(`- Load generator: ${String(setup.load_generator)}; ${String(setup.symbols)} symbols, seed ${String(setup.seed)} ` +
    '(its feed stays at 0.96× the nominal rate for the whole step, so "offered" is a steady rate).');
  out.push(`- Throughput steps of ${String(setup.step_s)} s, fresh processes each; backend: ${String(setup.throughput_backend)}.`);
  out.push(`- A step **held** when every generated tick reached the backend exactly once and in order (no gap, duplicate or loss, ` +
    `none lost at the EA while paused) and all of it was there within ${String(setup.max_drain_ms)} ms of the end of generation. ` +
    'Ladder, then bisections (two at the default worker count, one otherwise), then the best rate once more; the figure is ' +
    'the lower delivered rate of its runs. A run that failed while other work used more than 25 % of a core is marked ' +
    'disturbed and run again (at most twice).');
  out.push('- "EA history overrun": the simulated EA keeps 65,536 ticks per symbol (about half a second of EURUSD at 1M ticks/s). ' +
    'When the bridge pauses it (a lane ring of `ringCapacityTicks` entries is full) or its socket backs up ' +
    '(more than 8 MB unsent) for longer than that, ' +
    'ticks are gone at the EA and the run fails on loss. A real terminal keeps its ticks on disk, so there a long pause costs ' +
    'latency (backfill), not ticks; the benchmark counts it as loss all the same.');
  out.push(`- Latency: ${String(setup.latency)}. Also with the reference backend: ${String(setup.latency_reference_backend)}.`);
  out.push('- "Tick time → backend" is the backend clock minus the tick\'s own time (the terminal\'s, UTC, ms resolution): an upper ' +
    'bound of EA send → backend, by at most the EA timer (1 ms) plus the millisecond rounding. EA send time itself does not travel ' +
    '(it would need a send timestamp in the EA frame header: a protocol change).');
  out.push('- RSS: the bridge process\'s VmHWM (peak resident set over the run, all threads); CPU: utime+stime from /proc over ' +
    'the loaded part of the run, in % of one core (the machine has 2). "Other work" is machine CPU used by anything but ' +
    'this run\'s processes in that window (the machine is shared); each run first waits (bounded) for the machine to be idle.', '');

  const maxBy = (e.max_ticks_per_s ?? {}) as Record<string, number>;
  const cpu = (e.cpu_pct_at_max_by_workers ?? {}) as Record<string, Json | null>;
  out.push('### Highest sustained rate with zero loss', '');
  out.push(mdTable(['workers', 'ticks/s', '× naive', 'bridge CPU % (kernel part)', 'bridge threads CPU % (main first)', 'sim CPU %', 'backend CPU %', 'machine CPU %', 'bridge RSS MB', 'the next step up failed because'],
    Object.keys(maxBy).map((w) => {
      const c = cpu[w];
      return [w, maxBy[w], (e.ratio_vs_baseline_by_workers as Json)?.[w], c ? `${fmt(c.bridge as number)} (${fmt(c.bridge_sys as number)})` : '-', (c?.threads as number[] | undefined)?.map((x) => fmt(x)).join(' / '),
        c?.sim, c?.backend, c?.machine, (e.rss_mb_by_workers as Json)?.[w], (e.limit_by_workers as Json)?.[w] || 'the ladder ran out'];
    })), '');
  out.push(...saturation(e), '');
  const ref = e.max_ticks_per_s_reference_backend as Json | null;
  if (ref) {
    out.push(`Against the reference backend instead of the sink (it decodes every batch with protobufjs and recomputes every ` +
      `indicator in TypeScript), ${String(ref.workers)} workers: **${fmt(ref.max as number)} ticks/s**` +
      `${ref.limit ? `; the next step up: ${String(ref.limit)}` : ''}.`, '');
  }
  const d = e.durability_max_ticks_per_s as Json | null;
  if (d) {
    out.push(`The cost of durability, ${String(d.workers)} workers, highest zero-loss rate: spool off ` +
      `**${fmt(d.spool_off as number)}**, spool with an fsync every 200 ms (the default) **${fmt(d.spool_fsync_interval as number)}**, ` +
      `spool with an fsync per batch **${fmt(d.fsync_always as number)}** ticks/s.`, '');
  }
  const b = e.baseline_at_max as Json | null;
  out.push(`Naive baseline: **${fmt(e.baseline_max_ticks_per_s as number)} ticks/s**` +
    (b ? ` (its process ${fmt(b.cpu_pct as number)} % CPU, ${fmt(b.rss_mb_peak as number)} MB; latency ${latText(b.latency_ms as Lat)})` : '') +
    `${e.baseline_limit ? `; the next step up: ${String(e.baseline_limit)}` : ''}. ` +
    `Best bridge / naive: **${fmt(e.ratio_vs_baseline as number)}×**.`, '');

  out.push('### Latency at fixed rates, ms', '');
  const rows: unknown[][] = [];
  for (const [w, byRate] of Object.entries((e.latency_ms_by_workers ?? {}) as Record<string, Record<string, Lat>>)) {
    for (const [rate, l] of Object.entries(byRate)) rows.push([`bridge receipt → sink, ${w} workers`, rate, l?.p50, l?.p99, l?.p999]);
  }
  for (const [rate, l] of Object.entries((e.latency_ms_reference_backend ?? {}) as Record<string, Lat>)) {
    rows.push([`bridge receipt → reference backend, ${String(e.default_workers)} workers, whole run`, rate, l?.p50, l?.p99, l?.p999]);
  }
  for (const [rate, l] of Object.entries((e.tick_time_to_backend_ms ?? {}) as Record<string, Lat>)) {
    rows.push([`tick time → sink (≥ EA send → backend), ${String(e.default_workers)} workers`, rate, l?.p50, l?.p99, l?.p999]);
  }
  out.push(mdTable(['path', 'ticks/s', 'p50', 'p99', 'p999'], rows), '');

  const inside = Object.entries((e.latency_inside_bridge_ms ?? {}) as Record<string, Json | null>).filter(([, h]) => h);
  if (inside.length > 0) {
    out.push(`Inside the bridge, ${String(e.default_workers)} workers, from its own histograms (src/shared/age-histogram.ts): the age of each batch's oldest tick, ` +
      'since main received it, at each hop; whole run including warm-up; buckets ~19 % wide, so these are bucket upper bounds.', '');
    const hopRows: unknown[][] = [];
    for (const [rate, h] of inside) {
      for (const [hop, label] of [['compute_pickup', 'compute worker takes the batch'], ['transport_pickup', 'transport takes it from the output ring'], ['sent', 'its batch goes to the socket']] as const) {
        const a = (h as Record<string, Lat & { count: number }>)[hop];
        hopRows.push([label, rate, a?.p50, a?.p99, a?.p999, a?.count]);
      }
    }
    out.push(mdTable(['hop', 'ticks/s', 'p50', 'p99', 'p999', 'batches'], hopRows), '');
  }

  const rss = e.rss_breakdown_at_max as Json | null;
  if (rss) {
    const mem = e.memory_peak_mb_at_max as { main: Json; transport: Json; compute: Json[] } | null;
    out.push('### What the bridge\'s RSS is made of at full load', '',
      `At its highest sampled RSS in its best zero-loss run, ${String(e.default_workers)} workers (/proc/<pid>/smaps by kind, bench/e2e/rss-breakdown.ts):`, '');
    out.push(mdTable(['kind', 'MB'], [
      ['the node binary and libraries, mapped from disk (shared with every node process)', rss.file_mb],
      ['V8 heap pages, all isolates (anonymous 256 KiB mappings)', rss.v8_pages_mb],
      ['malloc main arena: buffers, uWS, libuv, V8 internals', rss.malloc_heap_mb],
      ['large anonymous mappings: rings (SharedArrayBuffers), WASM memories, worker threads\' malloc arenas', rss.large_anon_mb],
      ['other anonymous: thread stacks, small mappings', rss.other_anon_mb],
      ['total', rss.total_mb],
    ]), '');
    if (mem) {
      out.push('Per thread, from the bridge\'s own statistics (peak V8 heap resident, and the memory the isolate holds outside its heap, MB):', '');
      out.push(mdTable(['thread', 'V8 heap', 'outside the heap'], [
        ['main (EA link, ingest, commands)', mem.main.heap, mem.main.external],
        ['transport', mem.transport.heap, mem.transport.external],
        ...mem.compute.map((c, i) => [`compute ${i}`, c.heap, c.external]),
      ]), '');
    }
  }

  out.push('### Start-up (spawn of `client-mt5 start` → its EA port accepts a TCP connection)', '');
  out.push(mdTable(['workers', 'median ms', 'min', 'max', 'runs', 'the bridge\'s own "ready in" (median)'],
    Object.entries((e.startup_ms_by_workers ?? {}) as Record<string, Json | null>).map(([w, s]) => [w, s?.median, s?.min, s?.max, s?.n, s?.bridge_logged_ready_median])), '');

  out.push('### Every run', '');
  const runs = (e.runs ?? []) as Json[];
  out.push(mdTable(['subject', 'backend', 'encoding', 'rate', 'offered/s', 'delivered/s', 'held', 'why not', 'drain ms', 'EA paused ms', 'bridge CPU %', 'sim %', 'backend %', 'other work %', 'RSS MB', 'start-up ms'],
    runs.map((r) => {
      const br = r.bridge as Json;
      return [r.subject === 'naive' ? 'naive' : `bridge, ${String(r.workers)} w`, r.backend, r.encoding || '-', r.rate, r.offered_per_s, r.delivered_per_s, r.passed,
        r.disturbed ? `disturbed (other work ${String(r.others_cpu_pct)} %), run again: ${String(r.failure)}` : r.failure || '', r.drain_ms ?? 'never', r.ea_paused_ms, br.cpu_pct, r.sim_cpu_pct, r.backend_cpu_pct, r.others_cpu_pct, br.rss_mb_peak, r.startup_ms];
    })), '');
  return out;
}

export function profileSection(p: Json, source: Json | undefined): string[] {
  const out = ['## Where the pipeline saturates: CPU profile of the bridge', ''];
  const run = p.run as Json;
  out.push(`\`node --cpu-prof bin/client-mt5.js start\` (one profile per thread), ${String(p.workers)} workers, offered ` +
    `${fmt(run.offered_per_s as number)} ticks/s, delivered ${fmt(run.delivered_per_s as number)}/s` +
    `${run.passed ? '' : ` — did not hold: ${String(run.failure)}`}; bridge ${cell((run.bridge as Json).cpu_pct)} % CPU ` +
    `(threads ${((run.bridge as Json).threads_cpu_pct as Json[]).map((t) => fmt(t.cpu_pct as number)).join(' / ')}), sim ${cell(run.sim_cpu_pct)} %, ` +
    `backend ${cell(run.backend_cpu_pct)} %, machine ${cell(run.machine_cpu_pct)} % of 200 %` +
    `${source?.machine ? ` (${String((source.machine as Json).date)})` : ''}.`, '');
  out.push('"Busy" is the share of the profile\'s wall time a thread was not idle, which includes time it had work but waited for ' +
    'a core; the `/proc` thread CPU above is what it actually used. Self time in the ring wait strategies (`waitForData` / ' +
    '`waitForSpace`: a short spin, then blocked in `Atomics.wait`) is counted as waiting, not busy. The profiler adds overhead: ' +
    'a profiled run fails at rates an unprofiled one holds.', '');
  for (const t of (p.threads ?? []) as Json[]) {
    out.push(`**${String(t.role)}** — busy ${fmt(t.busy_pct as number)} % of ${fmt(t.profile_ms as number)} ms, ` +
      `waiting on a ring ${fmt(t.wait_ms as number)} ms, GC ${fmt(t.gc_ms as number)} ms`, '');
    out.push(mdTable(['function', 'where', 'self ms', '% of non-idle'], ((t.top ?? []) as Json[]).slice(0, 8).map((f) => [f.fn, f.where, f.ms, f.pct_busy])), '');
  }
  return out;
}

/** Where the CPU went at the best rate: per process and per tick, and what 2 cores allow at that cost. */
function saturation(e: Json): string[] {
  const maxBy = (e.max_ticks_per_s ?? {}) as Record<string, number>;
  const best = Object.entries(maxBy).sort((a, b) => b[1] - a[1])[0];
  const c = best && ((e.cpu_pct_at_max_by_workers ?? {}) as Record<string, Json | null>)[best[0]];
  if (!best || !c || !(best[1] > 0)) return [];
  const rate = best[1];
  const us = (pct: unknown) => ((pct as number) / 100) * 1e6 / rate;
  const total = us(c.bridge) + us(c.sim) + us(c.backend);
  const threads = (c.threads as number[] | undefined) ?? [];
  return [
    `At its best rate (${fmt(rate)} ticks/s, ${best[0]} worker${best[0] === '1' ? '' : 's'}) the machine was ${fmt(c.machine as number)} % busy of 200 %: ` +
    `bridge ${fmt(c.bridge as number)} % (kernel ${fmt(c.bridge_sys as number)} %; busiest thread ${fmt(Math.max(...threads.slice(1), 0))} %, ` +
    `main thread ${fmt(threads[0])} %), EA simulator ${fmt(c.sim as number)} %, backend sink ${fmt(c.backend as number)} %. ` +
    `Per tick that is ${fmt(us(c.bridge))} µs of CPU in the bridge, ${fmt(us(c.sim))} µs in the simulator and ${fmt(us(c.backend))} µs in ` +
    `the sink: ${fmt(total)} µs in all, so two fully used cores carry at most ~${fmt(2e6 / total)} ticks/s at this cost. ` +
    (Math.max(...threads, 0) >= 90
      ? 'One bridge thread is saturated: that thread is the ceiling.'
      : (c.machine as number) >= 185
        ? 'No single thread is saturated and the machine is: the ceiling is the CPU of the whole machine, shared by the three processes.'
        : `No thread is at 100 % and the machine still had ${fmt(200 - (c.machine as number))} % of a core idle on average (the load ` +
          'comes in bursts at every EA timer tick): the runs above this rate failed on flow-control pauses outlasting the simulated ' +
          'EA\'s history, that is on stalls of the busiest bridge thread when the machine is momentarily full (see the profile), ' +
          'not on a steady shortage of CPU.'),
  ];
}

function latText(l: Lat): string {
  return l ? `p50 ${fmt(l.p50)} / p99 ${fmt(l.p99)} / p999 ${fmt(l.p999)} ms` : '-';
}
