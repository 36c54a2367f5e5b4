/**
 * What a process's resident memory is, by kind, from /proc/<pid>/smaps (Linux): the bench takes it
 * whenever the bridge's RSS reaches a new high, so the figure behind "RSS at full load" comes with
 * its parts. The kinds follow from how Node lays memory out; the V8 one is a heuristic (V8 maps
 * its heap in 256 KiB pages; large objects get mappings of their own, counted as "large").
 */
import { readFileSync } from 'node:fs';

export interface RssBreakdown {
  /** The node binary and shared libraries mapped from disk (shared with every node process). */
  file_mb: number;
  /** Anonymous 256 KiB mappings: V8 heap pages of all isolates. */
  v8_pages_mb: number;
  /** The main arena of malloc ([heap]): buffers' memory, uWS, libuv, V8's own structures. */
  malloc_heap_mb: number;
  /** Anonymous mappings of 1 MiB or more: SharedArrayBuffer rings, WASM memories, big buffers, worker threads' malloc arenas. */
  large_anon_mb: number;
  /** Everything else anonymous: thread stacks, small mappings. */
  other_anon_mb: number;
  total_mb: number;
}

export function rssBreakdown(pid: number): RssBreakdown | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  } catch {
    return null;
  }
  const kb = { file: 0, v8: 0, heap: 0, large: 0, other: 0 };
  let size = 0;
  let kind: keyof typeof kb = 'other';
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) {
      size = (parseInt(head[2], 16) - parseInt(head[1], 16)) / 1024;
      const name = head[3];
      kind = name === '[heap]' ? 'heap'
        : name.startsWith('/') ? 'file'
          : name !== '' && name !== '[anon]' ? 'other'
            : size === 256 ? 'v8' : size >= 1024 ? 'large' : 'other';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) kb[kind] += Number(rss[1]);
  }
  const mb = (k: number) => Math.round(k / 102.4) / 10;
  return {
    file_mb: mb(kb.file), v8_pages_mb: mb(kb.v8), malloc_heap_mb: mb(kb.heap), large_anon_mb: mb(kb.large), other_anon_mb: mb(kb.other),
    total_mb: mb(kb.file + kb.v8 + kb.heap + kb.large + kb.other),
  };
}
