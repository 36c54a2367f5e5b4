/**
 * Piscina task worker of `client-mt5 indicators`: one task = one input CSV → one output CSV.
 *
 *   read lines ─► split, parse price (or mid) ─► Engine.inPrice rows ─► pushPrices(n) (one call
 *   per batch) ─► append 13 columns to the original lines ─► write (honouring backpressure)
 *
 * Streams: only one batch of lines (Engine.batchCapacity) is held at a time. The output is written
 * to a temporary file next to the target and renamed when complete, so a failed run never leaves
 * a half-written file under the requested name. Errors return as `{ code, message }`.
 */
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { workerData } from 'node:worker_threads';
import { toWire, type WireError } from '../shared/errors.js';
import { Engine } from './engine.js';
import {
  appendEmpty, appendValues, badInput, headerLine, parseHeader, parsePrice, splitFields, type CsvHeader,
} from './indicators-csv.js';

export interface IndicatorsTask {
  in: string;
  out: string;
}

export type IndicatorsTaskResult =
  | { ok: true; rows: number; priceSource: 'price' | 'mid'; shadowedColumns: string[] }
  | { ok: false; error: WireError };

export interface IndicatorsWorkerData {
  module: WebAssembly.Module;
}

/** Series id used for every file (the engine is reset between tasks). */
const SERIES = 0;
let engine: Engine | undefined;

export default async function run(task: IndicatorsTask): Promise<IndicatorsTaskResult> {
  engine ??= Engine.instantiate((workerData as IndicatorsWorkerData).module);
  engine.resetSeries(SERIES);
  const tmp = `${task.out}.${process.pid}.${Date.now()}.partial`;
  const out = createWriteStream(tmp);
  try {
    const result = await convert(engine, task.in, out);
    out.end();
    await once(out, 'close');
    await rename(tmp, task.out);
    return { ok: true, ...result };
  } catch (err) {
    out.destroy();
    await unlink(tmp).catch(() => undefined);
    return { ok: false, error: toWire(err) };
  }
}

/**
 * Encoding and line ending from the first bytes: UTF-16LE when the file starts with its byte order
 * mark (some Windows tools, MT5 among them, write "Unicode" text), else UTF-8; the output keeps
 * the input's CRLF or LF (and is always UTF-8).
 */
async function sniff(file: string): Promise<{ encoding: 'utf8' | 'utf16le'; newline: string }> {
  let handle;
  try {
    handle = await open(file, 'r');
    const head = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const utf16 = bytesRead >= 2 && head[0] === 0xff && head[1] === 0xfe;
    const text = head.subarray(0, bytesRead).toString(utf16 ? 'utf16le' : 'utf8');
    const lf = text.indexOf('\n');
    return { encoding: utf16 ? 'utf16le' : 'utf8', newline: lf > 0 && text[lf - 1] === '\r' ? '\r\n' : '\n' };
  } catch (err) {
    throw badInput(file, 0, `cannot read the file: ${(err as Error).message}`);
  } finally {
    await handle?.close();
  }
}

async function convert(engine: Engine, file: string, out: WriteStream): Promise<{
  rows: number; priceSource: 'price' | 'mid'; shadowedColumns: string[];
}> {
  const { encoding, newline } = await sniff(file);
  const input = createReadStream(file, { encoding });
  const lines = createInterface({ input, crlfDelay: Infinity });
  let header: CsvHeader | undefined;
  let lineNo = 0;
  let rows = 0;
  let bid: number | undefined;
  let ask: number | undefined;

  // One batch: the original lines and, per line, its row in inPrice (-1: no price yet).
  const capacity = engine.batchCapacity;
  const pending: string[] = [];
  const priceRow = new Int32Array(capacity);
  let priced = 0;

  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    engine.pushPrices(SERIES, priced);
    const columns = engine.outInd;
    let chunk = '';
    for (let r = 0; r < pending.length; r++) {
      const p = priceRow[r];
      chunk += (p < 0 ? appendEmpty(pending[r], header!.delimiter) : appendValues(pending[r], header!.delimiter, columns, p)) + newline;
    }
    rows += pending.length;
    pending.length = 0;
    priced = 0;
    if (!out.write(chunk)) await once(out, 'drain');
  };

  try {
    for await (const line of lines) {
      lineNo++;
      if (header === undefined) {
        header = parseHeader(file, line);
        out.write(headerLine(line, header.delimiter) + newline);
        continue;
      }
      if (line.trim() === '') continue;
      const cells = splitFields(line, header.delimiter);
      if (cells.length !== header.fields) {
        throw badInput(file, lineNo, `${cells.length} fields where the header has ${header.fields}`);
      }
      let price: number | undefined;
      if (header.price >= 0) {
        price = parsePrice(file, lineNo, 'price', cells[header.price]);
        if (price === undefined) throw badInput(file, lineNo, 'price is empty');
      } else {
        bid = parsePrice(file, lineNo, 'bid', cells[header.bid]) ?? bid;
        ask = parsePrice(file, lineNo, 'ask', cells[header.ask]) ?? ask;
        if (bid !== undefined && ask !== undefined) price = (bid + ask) / 2;
      }
      if (price === undefined) {
        priceRow[pending.length] = -1;
      } else {
        priceRow[pending.length] = priced;
        engine.inPrice[priced++] = price;
      }
      pending.push(line);
      if (pending.length === capacity) await flush();
    }
  } finally {
    lines.close();
    input.destroy();
  }
  if (header === undefined) throw badInput(file, 1, 'the file is empty (no header row)');
  await flush();
  return { rows, priceSource: header.price >= 0 ? 'price' : 'mid', shadowedColumns: header.shadowed };
}
