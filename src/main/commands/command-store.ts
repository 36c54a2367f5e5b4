/**
 * The durable command store: an append-only JSON-lines file in the trading state directory, every
 * line written and fsynced before the action it records takes effect (commands are rare; a disk
 * flush each is cheap next to a trade). It holds
 *
 *   cmd   a command's record, latest line wins: duplicates are dropped by id for commandMemoryMs,
 *         queued commands survive a restart, commands in doubt are kept 24 h for reconciliation;
 *   rep   an execution report, with its report_sequence, until the backend acks it;
 *   ack   the backend acked reports up to `through`;
 *   acct  the daily-loss and drawdown baselines.
 *
 * On open (and when dead lines outnumber live ones) it is compacted: the live state is written to
 * a new file, fsynced, and renamed over the old one. A torn last line (a crash mid-write) is
 * skipped; a damaged line elsewhere is skipped and counted.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandMessage } from '../../shared/protocol.js';
import { IN_DOUBT_KEEP_MS, type ExecutionReportData, type TradingCommandData } from '../../shared/trading.js';

/** What the bridge knows of one command. */
export interface CommandRecord {
  id: string;
  receivedAtMs: number;
  command: TradingCommandData;
  /** Latest ExecutionStatus reported; 0 while queued (nothing reported yet). */
  status: number;
  final: boolean;
  /** The bridge's number for the command, in its comment `cm5:<ref>`; 0 until sent to the EA. */
  ref: number;
  /** What went to the EA, and to which EA run when. */
  sent: CommandMessage | null;
  runId: string;
  sentAtMs: number;
  /** Reported UNKNOWN and not yet settled (docs/protocol.md section 1, rules 1-5). */
  inDoubt: boolean;
  /** Trade side for slippage: the order's for an open, the opposite of the position's for a close. */
  side: 'buy' | 'sell' | '';
  /** close: the position's volume when the command was sent (reconciliation). */
  positionVolume: number;
  priceAdjustment: number;
  adjustmentReason: string;
  /** The latest report, repeated to answer a duplicate. */
  lastReport: ExecutionReportData | null;
}

export interface AccountBaselines {
  /** The trading day the day-start balance belongs to (UTC ms of its start). */
  dayStartMs: number;
  dayStartBalance: number;
  peakEquity: number;
}

type Line =
  | { t: 'cmd'; c: CommandRecord }
  | { t: 'rep'; r: ExecutionReportData }
  | { t: 'ack'; through: number }
  | { t: 'acct'; a: AccountBaselines }
  | { t: 'meta'; nextRef: number; nextReportSequence: number; ackedThrough: number };

const FILE = 'commands.jsonl';

export class CommandStore {
  readonly commands = new Map<string, CommandRecord>();
  /** Reports not yet acked, in report_sequence order. */
  readonly outbox: ExecutionReportData[] = [];
  baselines: AccountBaselines = { dayStartMs: 0, dayStartBalance: 0, peakEquity: 0 };
  ackedThrough = 0;
  damagedLines = 0;
  private nextRef = 1;
  private nextReportSequence = 1;
  private fd = -1;
  private lines = 0;
  private readonly path: string;

  constructor(readonly dir: string, private readonly memoryMs: number, private readonly now: () => number = Date.now) {
    this.path = join(dir, FILE);
  }

  /** Reads what an earlier run left and compacts it. */
  open(): this {
    mkdirSync(this.dir, { recursive: true });
    let text = '';
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const rows = text.split('\n');
    for (let i = 0; i < rows.length; i++) {
      if (rows[i] === '') continue;
      let line: Line;
      try {
        line = JSON.parse(rows[i]) as Line;
      } catch {
        if (i < rows.length - 1) this.damagedLines++; // the last line may be torn by a crash: expected
        continue;
      }
      this.apply(line);
    }
    this.compact();
    return this;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  takeRef(): number {
    return this.nextRef++;
  }

  takeReportSequence(): number {
    return this.nextReportSequence++;
  }

  saveCommand(c: CommandRecord): void {
    this.commands.set(c.id, c);
    this.append({ t: 'cmd', c });
  }

  /** Stores a report (with its sequence) for sending; durable when this returns. */
  saveReport(r: ExecutionReportData): void {
    this.outbox.push(r);
    this.append({ t: 'rep', r });
  }

  ackReports(through: number): number {
    if (through <= this.ackedThrough) return 0;
    let n = 0;
    while (n < this.outbox.length && this.outbox[n].report_sequence <= through) n++;
    this.outbox.splice(0, n);
    this.ackedThrough = through;
    this.append({ t: 'ack', through });
    return n;
  }

  saveBaselines(a: AccountBaselines): void {
    this.baselines = { ...a };
    this.append({ t: 'acct', a: this.baselines });
  }

  private apply(line: Line): void {
    switch (line.t) {
      case 'cmd':
        this.commands.set(line.c.id, line.c);
        if (line.c.ref >= this.nextRef) this.nextRef = line.c.ref + 1;
        break;
      case 'rep':
        if (line.r.report_sequence > this.ackedThrough) this.outbox.push(line.r);
        if (line.r.report_sequence >= this.nextReportSequence) this.nextReportSequence = line.r.report_sequence + 1;
        break;
      case 'ack':
        this.ackedThrough = Math.max(this.ackedThrough, line.through);
        while (this.outbox.length > 0 && this.outbox[0].report_sequence <= this.ackedThrough) this.outbox.shift();
        break;
      case 'acct':
        this.baselines = line.a;
        break;
      case 'meta':
        this.nextRef = Math.max(this.nextRef, line.nextRef);
        this.nextReportSequence = Math.max(this.nextReportSequence, line.nextReportSequence);
        this.ackedThrough = Math.max(this.ackedThrough, line.ackedThrough);
        break;
    }
  }

  private append(line: Line): void {
    if (this.fd < 0) this.fd = openSync(this.path, 'a');
    writeSync(this.fd, `${JSON.stringify(line)}\n`);
    fsyncSync(this.fd);
    this.lines++;
    if (this.lines > 1024 && this.lines > 4 * (this.commands.size + this.outbox.length + 2)) this.compact();
  }

  /**
   * Rewrites the file with only what is live: commands within commandMemoryMs (in-doubt ones lose
   * their doubt after 24 h), unacked reports, baselines and counters.
   */
  compact(): void {
    const now = this.now();
    const out: string[] = [JSON.stringify({ t: 'meta', nextRef: this.nextRef, nextReportSequence: this.nextReportSequence, ackedThrough: this.ackedThrough } satisfies Line)];
    out.push(JSON.stringify({ t: 'acct', a: this.baselines } satisfies Line));
    for (const [id, c] of this.commands) {
      if (now - c.receivedAtMs > this.memoryMs && c.final && !c.inDoubt) {
        this.commands.delete(id);
        continue;
      }
      if (c.inDoubt && now - c.sentAtMs > IN_DOUBT_KEEP_MS) c.inDoubt = false;
      out.push(JSON.stringify({ t: 'cmd', c } satisfies Line));
    }
    for (const r of this.outbox) out.push(JSON.stringify({ t: 'rep', r } satisfies Line));
    this.close();
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, `${out.join('\n')}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    syncDir(this.dir);
    this.lines = out.length;
  }
}

function syncDir(dir: string): void {
  let fd = -1;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some filesystems cannot fsync a directory; the rename is still atomic.
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}
