/**
 * The CSV side of `client-mt5 indicators`: reading the header, splitting rows and formatting the
 * appended indicator columns. Kept apart from the worker so it can be read (and tested) alone.
 *
 * Accepted input: a header row, then one row per price. The delimiter is taken from the header
 * (tab as in MT5's own tick export, else semicolon when the header has no comma, else comma).
 * Column names are matched case-insensitively, with MT5's angle brackets removed (`<BID>` = bid).
 * Quoted fields ("…", "" for a quote) are understood; a row may not span lines.
 */
import { ClientMt5Error } from '../shared/errors.js';
import { INDICATOR_NAMES } from '../shared/ring-layout.js';

export interface CsvHeader {
  delimiter: string;
  fields: number;
  /** Column of `price`, or -1 when the mid of bid and ask is used. */
  price: number;
  bid: number;
  ask: number;
  /** Indicator names the input already has as columns (the appended ones repeat them). */
  shadowed: string[];
}

export function badInput(file: string, line: number, what: string): ClientMt5Error {
  return new ClientMt5Error('CSV_BAD_INPUT', `${file}:${line}: ${what}`);
}

function normalise(name: string): string {
  const n = name.trim().toLowerCase();
  return n.startsWith('<') && n.endsWith('>') ? n.slice(1, -1).trim() : n;
}

export function parseHeader(file: string, line: string): CsvHeader {
  const text = line.charCodeAt(0) === 0xfeff ? line.slice(1) : line;
  const delimiter = text.includes('\t') ? '\t' : !text.includes(',') && text.includes(';') ? ';' : ',';
  const names = splitFields(text, delimiter).map(normalise);
  const price = names.indexOf('price');
  const bid = names.indexOf('bid');
  const ask = names.indexOf('ask');
  if (price < 0 && (bid < 0 || ask < 0)) {
    throw badInput(file, 1, `no price column and no bid and ask columns (the header has: ${names.join(', ')})`);
  }
  const shadowed = INDICATOR_NAMES.filter((n) => names.includes(n));
  return { delimiter, fields: names.length, price, bid, ask, shadowed };
}

/** Splits one row; quotes are removed from quoted fields. */
export function splitFields(line: string, delimiter: string): string[] {
  if (!line.includes('"')) return line.split(delimiter);
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) { field += line.slice(i); i = line.length; break; }
        field += line.slice(i, q);
        i = q + 1;
        if (line[i] === '"') { field += '"'; i++; } else break;
      }
      const next = line.indexOf(delimiter, i);
      field += line.slice(i, next < 0 ? line.length : next); // anything between the quote and the delimiter
      i = next < 0 ? line.length + 1 : next + delimiter.length;
    } else {
      const next = line.indexOf(delimiter, i);
      field = line.slice(i, next < 0 ? line.length : next);
      i = next < 0 ? line.length + 1 : next + delimiter.length;
    }
    fields.push(field);
    if (i > line.length) return fields;
  }
}

/**
 * A price cell: a finite number, or undefined when empty (MT5 leaves bid or ask empty on rows
 * where only the other side changed).
 */
export function parsePrice(file: string, lineNo: number, column: string, text: string): number | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  const v = Number(t);
  if (!Number.isFinite(v)) throw badInput(file, lineNo, `${column} "${text}" is not a number`);
  return v;
}

/**
 * A double as 17 significant digits, enough for every double to read back bit for bit, without
 * the trailing zeros toPrecision pads with ("1.5", not "1.5000000000000000"): the format of the
 * TA-Lib fixtures, so equal values are equal text.
 */
export function formatValue(v: number): string {
  const s = v.toPrecision(17);
  if (!s.includes('.')) return s;
  const e = s.indexOf('e');
  const mantissaEnd = e < 0 ? s.length : e;
  let end = mantissaEnd;
  while (s.charCodeAt(end - 1) === 48 /* 0 */) end--;
  if (s.charCodeAt(end - 1) === 46 /* . */) end--;
  return end === mantissaEnd ? s : s.slice(0, end) + s.slice(mantissaEnd);
}

/** Appends `delimiter` + the 13 indicator values of `row` to `line`, empty where there is no value. */
export function appendValues(line: string, delimiter: string, columns: readonly Float64Array[], row: number): string {
  let out = line;
  for (let k = 0; k < columns.length; k++) {
    const v = columns[k][row];
    out += v === v ? delimiter + formatValue(v) : delimiter;
  }
  return out;
}

export function appendEmpty(line: string, delimiter: string): string {
  return line + delimiter.repeat(INDICATOR_NAMES.length);
}

export function headerLine(line: string, delimiter: string): string {
  return line + delimiter + INDICATOR_NAMES.join(delimiter);
}
