/**
 * The ledger the reference backend's endpoints share: records written by one process are read by
 * another (here: two Ledger instances on one file, as two backends open it), applying them twice
 * changes nothing, and a torn or corrupt record is skipped and counted, never applied.
 */
import { appendFileSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { encodeRecord, Ledger } from '../../../src/backend/ledger.js';

const file = () => join(mkdtempSync(join(tmpdir(), 'client-mt5-ledger-')), 'ledger.bin');
const rec = (batch: number, seq: number, time: number, client = 'c1') => ({
  client, batch, ticks: 2, symbols: [{ symbol: 'EURUSD', lastSeq: seq, lastTimeMsc: time, warm: seq > 3 }, { symbol: 'USDJPY', lastSeq: seq - 1, lastTimeMsc: time - 5, warm: false }],
});

describe('backend ledger', () => {
  test('what one backend appends, another reads on catch-up; its own records move nothing twice', () => {
    const path = file();
    const a = new Ledger(path, 'always');
    const b = new Ledger(path, 'never');
    a.append(rec(1, 2, 1000));
    a.append(rec(2, 4, 1010));
    expect(b.client('c1')).toBeUndefined();
    b.catchUp();
    const seen = b.client('c1')!;
    expect({ last: seen.lastBatch, first: seen.firstBatch, ticks: seen.ticks, version: seen.version }).toEqual({ last: 2, first: 1, ticks: 4, version: 2 });
    expect(seen.symbols.get('EURUSD')).toEqual({ lastSeq: 4, lastTimeMsc: 1010, warm: true });
    expect(seen.symbols.get('USDJPY')).toEqual({ lastSeq: 3, lastTimeMsc: 1005, warm: false });
    // b takes over, a reads b's record; a's own records, read back, are not "from others".
    b.append(rec(3, 6, 1020));
    a.catchUp();
    expect(a.client('c1')!.lastBatch).toBe(3);
    expect(a.stats()).toMatchObject({ records_written: 2, records_read: 3, records_from_others: 1, corrupt_records: 0 });
    // A third process starting now reads the whole history.
    const c = new Ledger(path);
    expect(c.client('c1')).toMatchObject({ lastBatch: 3, firstBatch: 1, ticks: 6 });
    for (const l of [a, b, c]) l.close();
  });

  test('records apply as maxima: an old record read late does not move a stream back', () => {
    const path = file();
    writeFileSync(path, Buffer.concat([encodeRecord(rec(5, 10, 2000)), encodeRecord(rec(4, 8, 1990)), encodeRecord(rec(1, 2, 100, 'c2'))]));
    const l = new Ledger(path);
    expect(l.client('c1')).toMatchObject({ lastBatch: 5, firstBatch: 4 });
    expect(l.client('c1')!.symbols.get('EURUSD')).toEqual({ lastSeq: 10, lastTimeMsc: 2000, warm: true });
    expect(l.client('c2')).toMatchObject({ lastBatch: 1, firstBatch: 1 });
    l.close();
  });

  test('a torn tail waits (it may be mid-write); a corrupt record is skipped and counted, and what follows is read', () => {
    const path = file();
    const one = encodeRecord(rec(1, 2, 1000));
    const two = encodeRecord(rec(2, 4, 1010));
    writeFileSync(path, Buffer.concat([one, two.subarray(0, two.length - 3)]));
    const l = new Ledger(path);
    expect(l.client('c1')!.lastBatch).toBe(1);
    expect(l.stats().corrupt_records).toBe(0);
    // The rest of the record arrives: it is read whole.
    appendFileSync(path, two.subarray(two.length - 3));
    l.catchUp();
    expect(l.client('c1')!.lastBatch).toBe(2);

    // A record torn by a crash, then another backend's record after it: skipped, counted.
    const torn = encodeRecord(rec(3, 6, 1020));
    appendFileSync(path, torn.subarray(0, 20));
    appendFileSync(path, encodeRecord(rec(4, 8, 1030)));
    // A record whose body was damaged: CRC mismatch.
    const bad = Buffer.from(encodeRecord(rec(5, 10, 1040)));
    bad[bad.length - 1] ^= 0xff;
    appendFileSync(path, bad);
    appendFileSync(path, encodeRecord(rec(6, 12, 1050)));
    l.catchUp();
    expect(l.client('c1')!.lastBatch).toBe(6);
    expect(l.client('c1')!.symbols.get('EURUSD')).toEqual({ lastSeq: 12, lastTimeMsc: 1050, warm: true });
    expect(l.stats().corrupt_records).toBe(2);
    expect(readFileSync(path).length).toBe(l.stats().bytes);
    l.close();
    truncateSync(path, 0);
  });

  test('a ledger that cannot be opened is refused with BACKEND_LEDGER naming the file', () => {
    const path = join(tmpdir(), 'no-such-dir-client-mt5', 'ledger.bin');
    expect(() => new Ledger(path)).toThrow(expect.objectContaining({ code: 'BACKEND_LEDGER', message: expect.stringContaining(path) }));
  });
});
