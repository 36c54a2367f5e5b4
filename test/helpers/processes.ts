/**
 * Real `client-mt5` processes for integration tests: like src/main/child.ts (an IPC channel that
 * speaks `ready` / `stats` / `stop`), but any command line can start them — e.g. the bridge inside
 * `unshare ... sh -c '... exec node bin/client-mt5.js start ...'`, which keeps the IPC descriptor
 * across the exec chain — and their stdout/stderr are kept as lines, so that a test can look for
 * a log line. `DEBUG_PROCS=1` echoes every line, prefixed with the process's name.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/client-mt5.js', import.meta.url));

interface Message {
  type: string;
  [key: string]: unknown;
}

/** Lines kept per process at most (a bridge prints a status line every second). */
const MAX_LINES = 5000;

export class Proc {
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly proc: ChildProcess;
  private readonly waiters: Array<{ type: string; resolve: (m: Message) => void }> = [];
  private done = false;

  /** Runs `command args` with an IPC channel; `client-mt5 <args>` by default (see {@link Proc.cli}). */
  constructor(readonly name: string, command: string, args: string[]) {
    this.proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    for (const stream of [this.proc.stdout!, this.proc.stderr!]) {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const parts = (partial + chunk).split('\n');
        partial = parts.pop()!;
        for (const line of parts) this.keep(line);
      });
      stream.on('end', () => { if (partial !== '') this.keep(partial); });
    }
    this.proc.on('message', (m: Message) => {
      const i = this.waiters.findIndex((w) => w.type === m.type);
      if (i >= 0) this.waiters.splice(i, 1)[0].resolve(m);
    });
    this.exited = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => {
        this.done = true;
        resolve({ code, signal });
      });
    });
  }

  /** `node bin/client-mt5.js <args>`. */
  static cli(name: string, args: string[]): Proc {
    return new Proc(name, process.execPath, [BIN, ...args]);
  }

  get pid(): number {
    return this.proc.pid!;
  }

  get alive(): boolean {
    return !this.done;
  }

  /** Lines of stdout and stderr so far that contain `text`. */
  grep(text: string | RegExp): string[] {
    return this.lines.filter((l) => (typeof text === 'string' ? l.includes(text) : text.test(l)));
  }

  /** Resolves with the next message of `type`; rejects if the process exits first or on timeout. */
  next<T extends Message>(type: string, timeoutMs = 15000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.findIndex((w) => w.resolve === waiter.resolve);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`${this.name}: no "${type}" message within ${timeoutMs} ms\n${this.tail()}`));
      }, timeoutMs);
      const waiter = { type, resolve: (m: Message) => { clearTimeout(timer); resolve(m as T); } };
      this.waiters.push(waiter);
      void this.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited (code ${code}, signal ${signal}) before sending "${type}"\n${this.tail()}`));
      });
    });
  }

  send(message: Message): void {
    if (!this.done && this.proc.connected) this.proc.send(message);
  }

  async request<T extends Message>(message: Message, replyType: string, timeoutMs = 15000): Promise<T> {
    const reply = this.next<T>(replyType, timeoutMs);
    this.send(message);
    return reply;
  }

  signal(sig: NodeJS.Signals): void {
    if (this.done) return;
    try { process.kill(this.pid, sig); } catch { /* already gone */ }
  }

  /** SIGKILL, and waits for the exit. */
  async kill(): Promise<void> {
    this.signal('SIGCONT'); // a stopped process must be able to die
    this.signal('SIGKILL');
    await this.exited;
  }

  /** Asks for a clean stop over IPC; SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 5000): Promise<void> {
    if (this.done) return;
    this.signal('SIGCONT');
    this.send({ type: 'stop' });
    const timer = setTimeout(() => this.signal('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** The last lines of output, for a failure message. */
  tail(n = 40): string {
    return this.lines.slice(-n).map((l) => `  ${this.name}| ${l}`).join('\n');
  }

  private keep(line: string): void {
    if (process.env.DEBUG_PROCS) process.stderr.write(`${this.name}| ${line}\n`);
    this.lines.push(line);
    if (this.lines.length > MAX_LINES) this.lines.splice(0, this.lines.length - MAX_LINES);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `probe` every `everyMs` until it returns true; throws naming `what` after `timeoutMs`.
 * A probe that throws (a process busy or restarting does not answer) counts as false.
 */
export async function until(what: string, probe: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 100): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown = null;
  for (;;) {
    try {
      if (await probe()) return;
      lastError = null;
    } catch (err) {
      lastError = err;
    }
    if (performance.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
    }
    await sleep(everyMs);
  }
}

export { freePort } from '../../src/shared/free-port.js';
