/**
 * Child processes of the end-to-end benchmark and what /proc says about them.
 *
 * Every process started here is registered until it exits, and killAll() (also run on exit,
 * SIGINT and SIGTERM of the benchmark) ends the ones still running by their own pid, so that a
 * failed or interrupted run leaves nothing behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';

/** /proc/<pid>/stat times are in clock ticks; USER_HZ is 100 on Linux (getconf CLK_TCK). */
const CLOCK_TICKS_PER_S = 100;
const live = new Set<Proc>();

interface Message { type: string; [key: string]: unknown }

export interface ProcOptions {
  /** Node flags before the script (e.g. --import tsx, --cpu-prof). */
  nodeArgs?: string[];
  /** Open an IPC channel (the child speaks the {type:...} message protocol). */
  ipc?: boolean;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Called with each stdout / stderr line. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export class Proc {
  readonly child: ChildProcess;
  readonly startedAt = performance.now();
  readonly exited: Promise<number>;
  /** The last lines of stderr, for error messages. */
  readonly tail: string[] = [];
  private exitCode: number | null = null;
  private readonly waiters: Array<{ type: string; resolve: (m: Message) => void }> = [];
  private readonly lineWaiters: Array<{ re: RegExp; resolve: (m: RegExpMatchArray) => void }> = [];

  constructor(readonly name: string, script: string, args: string[], o: ProcOptions = {}) {
    this.child = spawn(process.execPath, [...(o.nodeArgs ?? []), script, ...args], {
      cwd: o.cwd, env: o.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe', ...(o.ipc ? ['ipc' as const] : [])],
    });
    live.add(this);
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? 128 : 1);
        live.delete(this);
        resolve(this.exitCode);
      });
    });
    this.child.on('message', (m: Message) => {
      const i = this.waiters.findIndex((w) => w.type === m.type);
      if (i >= 0) this.waiters.splice(i, 1)[0].resolve(m);
    });
    for (const stream of ['stdout', 'stderr'] as const) {
      let rest = '';
      this.child[stream]?.setEncoding('utf8');
      this.child[stream]?.on('data', (chunk: string) => {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) this.onLine(line, stream, o.onLine);
      });
    }
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.exitCode === null;
  }

  /** The next IPC message of `type`; rejects on exit or after `timeoutMs`. */
  next<T extends Message>(type: string, timeoutMs = 15000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: no "${type}" within ${timeoutMs} ms; stderr: ${this.tail.slice(-5).join(' / ')}`)), timeoutMs);
      this.waiters.push({ type, resolve: (m) => { clearTimeout(timer); resolve(m as T); } });
      void this.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited with code ${code} before "${type}"; stderr: ${this.tail.slice(-5).join(' / ')}`));
      });
    });
  }

  send(message: Message): void {
    if (this.running && this.child.connected) this.child.send(message);
  }

  request<T extends Message>(message: Message, replyType: string, timeoutMs = 5000): Promise<T> {
    const reply = this.next<T>(replyType, timeoutMs);
    this.send(message);
    return reply;
  }

  /** The first stdout/stderr line (from now on) matching `re`. */
  waitLine(re: RegExp, timeoutMs = 15000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: no line matching ${re} within ${timeoutMs} ms; stderr: ${this.tail.slice(-5).join(' / ')}`)), timeoutMs);
      this.lineWaiters.push({ re, resolve: (m) => { clearTimeout(timer); resolve(m); } });
      void this.exited.then((code) => { clearTimeout(timer); reject(new Error(`${this.name} exited with code ${code}; stderr: ${this.tail.slice(-5).join(' / ')}`)); });
    });
  }

  /** Asks the process to end (IPC stop or `signal`), then SIGKILL after `graceMs`. Resolves with the exit code. */
  async stop(how: { ipc?: boolean; signal?: NodeJS.Signals; graceMs?: number } = {}): Promise<number> {
    if (!this.running) return this.exitCode ?? 0;
    if (how.ipc) this.send({ type: 'stop' });
    else this.child.kill(how.signal ?? 'SIGTERM');
    const timer = setTimeout(() => this.kill(), how.graceMs ?? 5000);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  kill(): void {
    if (this.running) this.child.kill('SIGKILL');
  }

  private onLine(line: string, stream: 'stdout' | 'stderr', hook?: ProcOptions['onLine']): void {
    if (stream === 'stderr') {
      this.tail.push(line);
      if (this.tail.length > 50) this.tail.shift();
    }
    hook?.(line, stream);
    for (let i = 0; i < this.lineWaiters.length; i++) {
      const m = line.match(this.lineWaiters[i].re);
      if (m) {
        this.lineWaiters.splice(i, 1)[0].resolve(m);
        i--;
      }
    }
  }
}

/** Ends every process this module started that is still running. */
export function killAll(): void {
  for (const p of live) p.kill();
}

let hooked = false;
/** Makes sure children die with the benchmark, whichever way it ends. */
export function killChildrenOnExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => { killAll(); process.exit(130); });
  }
}

export interface ProcSample {
  /** performance.now() of the sample. */
  at: number;
  rssMb: number;
  /** Peak RSS so far (VmHWM). */
  hwmMb: number;
  /** RSS split: anonymous memory (heaps, SharedArrayBuffers, WASM), file-backed (code), shared memory. */
  rssAnonMb: number;
  rssFileMb: number;
  rssShmemMb: number;
  /** user + system CPU time so far, ms. */
  cpuMs: number;
  /** The system (kernel) part of it: socket I/O, futex wake-ups, page faults. */
  sysMs: number;
  /** Per thread: tid → CPU ms so far (the main thread's tid is the pid). */
  threads: Map<number, number>;
}

function cpuMsOf(statLine: string, which: 'all' | 'sys' = 'all'): number {
  // Fields after "(comm)": state is field 3, utime 14, stime 15 (1-based).
  const f = statLine.slice(statLine.lastIndexOf(')') + 2).split(' ');
  return (((which === 'all' ? Number(f[11]) : 0) + Number(f[12])) * 1000) / CLOCK_TICKS_PER_S;
}

/** RSS, peak RSS and CPU time of `pid` (and of each of its threads), or null once it is gone. */
export function sampleProc(pid: number, withThreads = false): ProcSample | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    const threads = new Map<number, number>();
    if (withThreads) {
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        try {
          threads.set(Number(tid), cpuMsOf(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')));
        } catch { /* the thread ended */ }
      }
    }
    return {
      at: performance.now(), rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024,
      rssAnonMb: kb('RssAnon') / 1024, rssFileMb: kb('RssFile') / 1024, rssShmemMb: kb('RssShmem') / 1024,
      cpuMs: cpuMsOf(stat), sysMs: cpuMsOf(stat, 'sys'), threads,
    };
  } catch {
    return null;
  }
}

/** CPU use between two samples, in % of one core. */
export function cpuPercent(a: ProcSample | null, b: ProcSample | null): number {
  if (!a || !b || b.at <= a.at) return Number.NaN;
  return (100 * (b.cpuMs - a.cpuMs)) / (b.at - a.at);
}

/** Resolves with performance.now() when 127.0.0.1:`port` first accepts a TCP connection. */
export async function waitAccepting(port: number, timeoutMs: number, everyMs = 2): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => { socket.destroy(); resolve(false); });
    });
    if (ok) return performance.now();
    if (performance.now() > deadline) throw new Error(`nothing accepts connections on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

/** CPU time all cores spent busy (not idle/iowait), ms, from /proc/stat. */
export function machineBusyMs(part: 'busy' | 'interrupts' = 'busy'): number {
  try {
    // user nice system idle iowait irq softirq steal
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    if (part === 'interrupts') return ((f[5] + f[6]) * 1000) / CLOCK_TICKS_PER_S;
    const idle = f[3] + (f[4] ?? 0);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    return ((total - idle) * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return Number.NaN;
  }
}

/**
 * CPU time so far of the kernel's softirq threads (ksoftirqd/N), ms. Under heavy loopback traffic
 * they (and the irq/softirq time of /proc/stat) carry part of this benchmark's own network work,
 * so that is not "other work".
 */
export function softirqThreadsCpuMs(): number {
  let ms = 0;
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        if (stat.includes('(ksoftirqd/')) ms += cpuMsOf(stat);
      } catch { /* gone */ }
    }
  } catch { /* no /proc */ }
  return ms;
}

/** Busy CPU of the whole machine over 0.5 s windows, until below ~15 % of one core or `maxWaitMs`. */
export async function waitQuiet(maxWaitMs: number): Promise<{ busyPct: number; waitedMs: number }> {
  const startedAt = performance.now();
  for (;;) {
    const a = machineBusyMs();
    const t = performance.now();
    await sleep(500);
    const busyPct = (100 * (machineBusyMs() - a)) / (performance.now() - t);
    const waitedMs = performance.now() - startedAt;
    if (busyPct < 15 || waitedMs >= maxWaitMs) return { busyPct, waitedMs };
    await sleep(500);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export { freePort } from '../../src/shared/free-port.js';
