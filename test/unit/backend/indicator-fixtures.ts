/** Reads the TA-Lib oracle fixtures in shared/fixtures/indicators/ (see its README). */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const FIXTURE_DIR = resolve(repoRoot, '..', 'shared', 'fixtures', 'indicators');

export interface IndicatorFixture {
  name: string;
  prices: Float64Array;
  timesMsc: Float64Array;
  /** Column name -> values, NaN where the CSV cell is empty. */
  columns: Map<string, Float64Array>;
}

export function fixtureFiles(): string[] {
  return readdirSync(FIXTURE_DIR).filter((f) => f.endsWith('.csv')).sort();
}

export function loadFixture(file: string): IndicatorFixture {
  const lines = readFileSync(join(FIXTURE_DIR, file), 'utf8').trim().split('\n');
  const header = lines[0].split(',');
  const rows = lines.length - 1;
  const data = header.map(() => new Float64Array(rows));
  for (let r = 0; r < rows; r++) {
    const cells = lines[r + 1].split(',');
    for (let c = 0; c < header.length; c++) data[c][r] = cells[c] === '' ? NaN : Number(cells[c]);
  }
  const columns = new Map(header.map((h, c) => [h, data[c]] as const));
  return { name: file, prices: columns.get('price')!, timesMsc: columns.get('time_msc')!, columns };
}
