/**
 * The store the reference backend's endpoints share: one append-only file that every backend
 * process given the same `--ledger` writes before it acks a batch and reads before it judges one.
 * A real platform's primary and backup share their storage; this is the smallest thing that lets
 * the reference backend behave the same way, so that after a failover the backup knows what the
 * primary already held (and after a fail-back, the other way round).
 *
 *   backend A ──append(record), commit (fsync)──┐            ┌──catch up (read from its offset)── backend B
 *                                      ▼            │
 *                     ledger file: record record record …   (O_APPEND: whole records, any order of writers)
 *
 * A record (little-endian):
 *
 *   offset  size  field
 *        0     4  magic "CML1"
 *        4     4  u32 body length L
 *        8     4  u32 CRC-32C of the body
 *   body 0     8  f64 batch_sequence
 *        8     4  u32 tick count (distinct ticks the batch added)
 *       12     2  u16 symbol count S
 *       14     1  u8 client id length c, then c bytes UTF-8 (the JWT `sub`)
 *        …        S × { u8 name length n, n bytes UTF-8, f64 last sequence_number, f64 last time_msc,
 *                       u8 flags (bit 0: that last tick carried indicators) }
 *
 * Each record carries, for the symbols its batch touched, the position after the batch: applying
 * records is taking maxima, so reading one twice (our own, or in any order) changes nothing. A
 * record that is incomplete at the end of the file is being written or was torn by a crash: it is
 * read again later, and skipped as corrupt if another record's magic follows it. A record whose
 * CRC does not match is counted and skipped to the next magic.
 */
import { closeSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import { crc32c } from '../shared/crc32c.js';
import { ClientMt5Error } from '../shared/errors.js';

export type LedgerFsync = 'always' | 'never';
export const LEDGER_FSYNC_POLICIES: readonly LedgerFsync[] = ['always', 'never'];

const MAGIC = 0x314c4d43; // "CML1" read as u32 LE
const HEADER_BYTES = 12;
const MAX_BODY_BYTES = 1 << 20;

export interface LedgerSymbolPosition {
  lastSeq: number;
  lastTimeMsc: number;
  /**
   * The symbol's last stored tick carried indicators (the client's were warm): a backend taking
   * over knows that a tick without any is the client's restart, and can verify from there.
   */
  warm: boolean;
}

/** What the ledger holds about one client stream. */
export class LedgerClient {
  /** Highest batch_sequence stored by any backend; 0 if none. */
  lastBatch = 0;
  /** Lowest batch_sequence recorded (1 means the ledger holds the stream from its start). */
  firstBatch = 0;
  ticks = 0;
  readonly symbols = new Map<string, LedgerSymbolPosition>();
  /** Bumped whenever a record from another backend moved this client forward. */
  version = 0;
}

export interface LedgerRecord {
  client: string;
  batch: number;
  ticks: number;
  symbols: ReadonlyArray<{ symbol: string; lastSeq: number; lastTimeMsc: number; warm: boolean }>;
}

export interface LedgerStats {
  path: string;
  fsync: LedgerFsync;
  records_written: number;
  /** Records read that another backend wrote and that moved a stream forward. */
  records_from_others: number;
  records_read: number;
  corrupt_records: number;
  /** fsync calls: fewer than records_written when batches arrive together (group commit). */
  fsyncs: number;
  bytes: number;
}

export class Ledger {
  private readonly fd: number;
  private readOffset = 0;
  private buffer = Buffer.alloc(64 * 1024);
  private readonly clients = new Map<string, LedgerClient>();
  private readonly counters = { records_written: 0, records_from_others: 0, records_read: 0, corrupt_records: 0, fsyncs: 0 };
  private unsynced = false;
  private size = 0;

  constructor(readonly path: string, readonly fsync: LedgerFsync = 'always') {
    try {
      this.fd = openSync(path, 'a+', 0o600);
    } catch (err) {
      throw new ClientMt5Error('BACKEND_LEDGER', `the ledger file ${path} cannot be opened: ${(err as Error).message}`, { cause: err });
    }
    this.catchUp();
  }

  /** The ledger's view of a client (after the last catchUp). */
  client(id: string): LedgerClient | undefined {
    return this.clients.get(id);
  }

  /** Reads what was appended since the last call (by any backend); cheap when nothing was. */
  catchUp(): void {
    const size = fstatSync(this.fd).size;
    // Truncated under us (someone started the store over): read it again from the start.
    if (size < this.readOffset) this.readOffset = 0;
    this.size = size;
    while (this.readOffset + HEADER_BYTES <= size) {
      const available = size - this.readOffset;
      const n = readSync(this.fd, this.buffer, 0, Math.min(this.buffer.length, available), this.readOffset);
      const consumed = this.parse(this.buffer.subarray(0, n));
      if (consumed > 0) {
        this.readOffset += consumed;
      } else if (n < available && this.buffer.length < MAX_BODY_BYTES + HEADER_BYTES) {
        // One record longer than the buffer: read it whole.
        this.buffer = Buffer.alloc(Math.min(this.buffer.length * 4, MAX_BODY_BYTES + HEADER_BYTES));
      } else {
        return;
      }
    }
  }

  /**
   * Appends one record (one write, so concurrent appenders never interleave inside a record) and
   * applies it here too. It is durable once commit() returns: the backend appends every batch of
   * what it read from a socket, commits once, then acks them (group commit: one fsync, 3-4 ms on
   * this machine's ext4, per read instead of per batch).
   */
  append(record: LedgerRecord): void {
    const bytes = encodeRecord(record);
    writeSync(this.fd, bytes);
    this.unsynced = true;
    this.counters.records_written++;
    this.size += bytes.byteLength;
    this.apply(record, false);
  }

  /** Makes every appended record durable, per the fsync policy. */
  commit(): void {
    if (!this.unsynced) return;
    this.unsynced = false;
    if (this.fsync === 'always') {
      fsyncSync(this.fd);
      this.counters.fsyncs++;
    }
  }

  stats(): LedgerStats {
    return { path: this.path, fsync: this.fsync, ...this.counters, bytes: this.size };
  }

  close(): void {
    this.commit();
    closeSync(this.fd);
  }

  /** Parses whole records from the start of `bytes`; returns how many bytes they (and skipped garbage) took. */
  private parse(bytes: Buffer): number {
    let off = 0;
    while (off + HEADER_BYTES <= bytes.length) {
      const magic = bytes.readUInt32LE(off);
      const length = bytes.readUInt32LE(off + 4);
      if (magic !== MAGIC || length > MAX_BODY_BYTES) {
        this.counters.corrupt_records++;
        off = nextMagic(bytes, off + 1);
        continue;
      }
      const end = off + HEADER_BYTES + length;
      if (end > bytes.length) {
        // Not all here: being written, torn by a crash, or beyond this read. A later record's
        // magic in what we have means torn; otherwise wait for (or read) the rest.
        const later = nextMagic(bytes, off + HEADER_BYTES);
        if (later >= bytes.length) break;
        this.counters.corrupt_records++;
        off = later;
        continue;
      }
      const body = bytes.subarray(off + HEADER_BYTES, end);
      if (crc32c(body) !== bytes.readUInt32LE(off + 8)) {
        this.counters.corrupt_records++;
        off = nextMagic(bytes, off + 1);
        continue;
      }
      this.counters.records_read++;
      this.apply(decodeBody(body), true);
      off = end;
    }
    return off;
  }

  private apply(r: LedgerRecord, fromFile: boolean): void {
    let c = this.clients.get(r.client);
    if (c === undefined) this.clients.set(r.client, c = new LedgerClient());
    let moved = false;
    if (r.batch > c.lastBatch) {
      c.lastBatch = r.batch;
      c.ticks += r.ticks;
      moved = true;
    }
    if (c.firstBatch === 0 || r.batch < c.firstBatch) c.firstBatch = r.batch;
    for (const s of r.symbols) {
      const p = c.symbols.get(s.symbol);
      if (p === undefined) {
        c.symbols.set(s.symbol, { lastSeq: s.lastSeq, lastTimeMsc: s.lastTimeMsc, warm: s.warm });
        moved = true;
      } else {
        if (s.lastSeq > p.lastSeq) { p.lastSeq = s.lastSeq; p.warm = s.warm; moved = true; }
        if (s.lastTimeMsc > p.lastTimeMsc) p.lastTimeMsc = s.lastTimeMsc;
      }
    }
    // Our own records come back through catchUp too; they move nothing.
    if (moved && fromFile) {
      c.version++;
      this.counters.records_from_others++;
    }
  }
}

function nextMagic(bytes: Buffer, from: number): number {
  for (let i = from; i + 4 <= bytes.length; i++) if (bytes.readUInt32LE(i) === MAGIC) return i;
  return bytes.length;
}

export function encodeRecord(r: LedgerRecord): Uint8Array {
  const client = Buffer.from(r.client, 'utf8').subarray(0, 255);
  const names = r.symbols.map((s) => Buffer.from(s.symbol, 'utf8').subarray(0, 255));
  let length = 15 + client.length;
  for (const n of names) length += 1 + n.length + 17;
  const out = Buffer.alloc(HEADER_BYTES + length);
  let o = HEADER_BYTES;
  o = out.writeDoubleLE(r.batch, o);
  o = out.writeUInt32LE(r.ticks, o);
  o = out.writeUInt16LE(r.symbols.length, o);
  o = out.writeUInt8(client.length, o);
  o += client.copy(out, o);
  r.symbols.forEach((s, i) => {
    o = out.writeUInt8(names[i].length, o);
    o += names[i].copy(out, o);
    o = out.writeDoubleLE(s.lastSeq, o);
    o = out.writeDoubleLE(s.lastTimeMsc, o);
    o = out.writeUInt8(s.warm ? 1 : 0, o);
  });
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(length, 4);
  out.writeUInt32LE(crc32c(out, HEADER_BYTES), 8);
  return out;
}

function decodeBody(b: Buffer): LedgerRecord {
  const batch = b.readDoubleLE(0);
  const ticks = b.readUInt32LE(8);
  const count = b.readUInt16LE(12);
  const clientLength = b.readUInt8(14);
  let o = 15;
  const client = b.toString('utf8', o, o + clientLength);
  o += clientLength;
  const symbols: Array<{ symbol: string; lastSeq: number; lastTimeMsc: number; warm: boolean }> = [];
  for (let i = 0; i < count; i++) {
    const n = b.readUInt8(o++);
    const symbol = b.toString('utf8', o, o + n);
    o += n;
    symbols.push({ symbol, lastSeq: b.readDoubleLE(o), lastTimeMsc: b.readDoubleLE(o + 8), warm: (b.readUInt8(o + 16) & 1) !== 0 });
    o += 17;
  }
  return { client, batch, ticks, symbols };
}
