/**
 * The TA-Lib oracle fixtures in ../shared/fixtures/indicators (outside the repo, shared by the
 * team) and helpers to compare engine outputs with them.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const fixturesDir = resolve(repoRoot, '..', 'shared', 'fixtures', 'indicators');
export const FIXTURE_FILES = ['eurusd-10k.csv', 'usdjpy-5k.csv'] as const;

export interface Fixture {
  file: string;
  path: string;
  rows: number;
  /** Column name → values; an empty cell is NaN. */
  columns: Map<string, Float64Array>;
}

const cache = new Map<string, Fixture>();

export function loadFixture(file: string): Fixture {
  const cached = cache.get(file);
  if (cached) return cached;
  const path = resolve(fixturesDir, file);
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0);
  const header = lines[0].split(',');
  const rows = lines.length - 1;
  const columns = new Map<string, Float64Array>();
  for (const name of header) columns.set(name, new Float64Array(rows));
  for (let r = 0; r < rows; r++) {
    const cells = lines[r + 1].split(',');
    for (let c = 0; c < header.length; c++) {
      columns.get(header[c])![r] = cells[c] === '' ? Number.NaN : Number(cells[c]);
    }
  }
  const fixture = { file, path, rows, columns };
  cache.set(file, fixture);
  return fixture;
}

export function column(f: Fixture, name: string): Float64Array {
  const c = f.columns.get(name);
  if (!c) throw new Error(`${f.file} has no column ${name}`);
  return c;
}

export interface Agreement {
  /** Rows where exactly one side has a value. */
  presenceMismatches: number;
  firstMismatchRow: number;
  compared: number;
  identical: number;
  maxAbs: number;
  maxRel: number;
}

/** Compares where both have values; |a − e| / |e| (|a − e| when e = 0). */
export function agreement(actual: ArrayLike<number>, expected: ArrayLike<number>): Agreement {
  const out: Agreement = { presenceMismatches: 0, firstMismatchRow: -1, compared: 0, identical: 0, maxAbs: 0, maxRel: 0 };
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(a) !== Number.isNaN(e)) {
      if (out.firstMismatchRow < 0) out.firstMismatchRow = i;
      out.presenceMismatches++;
      continue;
    }
    if (Number.isNaN(e)) continue;
    out.compared++;
    if (Object.is(a, e)) out.identical++;
    const abs = Math.abs(a - e);
    const rel = e === 0 ? abs : abs / Math.abs(e);
    if (abs > out.maxAbs) out.maxAbs = abs;
    if (rel > out.maxRel) out.maxRel = rel;
  }
  return out;
}

/** Index of the first non-NaN value, or -1. */
export function firstValueIndex(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) return i;
  return -1;
}
