/**
 * A forked `client-mt5 <command>` child with an IPC channel: the demo runs the reference backend
 * and the simulated EA this way, as separate processes like the real ones.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/client-mt5.js', import.meta.url));

interface Message {
  type: string;
  [key: string]: unknown;
}

export class Child {
  private readonly proc: ChildProcess;
  private readonly waiters: Array<{ type: string; resolve: (m: Message) => void }> = [];
  private exitCode: number | null = null;
  readonly exited: Promise<number>;

  constructor(readonly name: string, args: string[], options: { quiet?: boolean } = {}) {
    this.proc = fork(BIN, args, {
      execArgv: process.env.CLIENT_MT5_CHILD_EXEC_ARGV?.split(' ').filter(Boolean) ?? [],
      stdio: ['ignore', options.quiet ? 'ignore' : 'inherit', 'inherit', 'ipc'],
      // Its own process group: a Ctrl-C in the terminal reaches only the parent, which then stops
      // its children in order over IPC (stopping the backend first would strand unacked batches).
      // A child whose parent dies sees the IPC channel close and stops by itself.
      detached: true,
    });
    this.proc.on('message', (m: Message) => {
      const i = this.waiters.findIndex((w) => w.type === m.type);
      if (i >= 0) this.waiters.splice(i, 1)[0].resolve(m);
    });
    this.exited = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? 128 : 1);
        resolve(this.exitCode);
      });
    });
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** Resolves with the next message of `type`; rejects if the child exits first or on timeout. */
  next<T extends Message>(type: string, timeoutMs = 15000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: no "${type}" message within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ type, resolve: (m) => { clearTimeout(timer); resolve(m as T); } });
      void this.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited with code ${code} before sending "${type}"`));
      });
    });
  }

  send(message: Message): void {
    if (this.exitCode === null && this.proc.connected) this.proc.send(message);
  }

  /** Sends `message` and waits for the reply of type `replyType`. */
  async request<T extends Message>(message: Message, replyType: string, timeoutMs = 15000): Promise<T> {
    const reply = this.next<T>(replyType, timeoutMs);
    this.send(message);
    return reply;
  }

  /** Asks the child to stop; kills it if it has not exited after `timeoutMs`. */
  async stop(timeoutMs = 5000): Promise<number> {
    if (this.exitCode !== null) return this.exitCode;
    this.send({ type: 'stop' });
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  kill(): void {
    if (this.exitCode === null) this.proc.kill('SIGKILL');
  }
}
