/** Markdown pieces for bench:report: tables, numbers, and a section for any benchmark's JSON. */

export type Json = Record<string, unknown>;

export function fmt(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '-';
  const a = Math.abs(x);
  if (Number.isInteger(x) && a < 1000) return String(x);
  if (a >= 1000) return Math.round(x).toLocaleString('en-US');
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x === 0 ? '0' : x.toPrecision(3);
}

export function cell(x: unknown): string {
  if (typeof x === 'number') return fmt(x);
  if (x === null || x === undefined) return '-';
  if (typeof x === 'boolean') return x ? 'yes' : 'no';
  if (typeof x === 'object') return JSON.stringify(x).replace(/\|/g, '\\|');
  return String(x).replace(/\|/g, '\\|');
}

export function mdTable(headers: string[], rows: unknown[][]): string {
  return [
    `| ${headers.join(' | ')} |`,
    `|${headers.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}

/**
 * A benchmark this report has no special layout for: its scalar figures, then each object of
 * figures keyed by variant as a table (variant rows, metric columns when the values are objects).
 */
export function genericSection(name: string, r: Json): string[] {
  const out = [`## ${name}`, ''];
  const m = r.machine as Json | undefined;
  if (r.command || m) out.push(`\`${String(r.command ?? `npm run bench:${name} -- --json`)}\`${m ? ` — ${String(m.date)}` : ''}`, '');
  const scalars = Object.entries(r).filter(([k, v]) => !['bench', 'machine', 'command'].includes(k) && (typeof v !== 'object' || v === null));
  if (scalars.length) out.push(mdTable(['figure', 'value'], scalars), '');
  for (const [k, v] of Object.entries(r)) {
    if (!v || typeof v !== 'object' || k === 'machine' || Array.isArray(v)) continue;
    const rows = Object.entries(v as Json);
    if (rows.length === 0) continue;
    const nested = rows.every(([, x]) => x && typeof x === 'object' && !Array.isArray(x));
    if (nested) {
      const cols = [...new Set(rows.flatMap(([, x]) => Object.keys(x as Json)))].slice(0, 8);
      out.push(`**${k}**`, '', mdTable(['', ...cols], rows.map(([rk, x]) => [rk, ...cols.map((c) => (x as Json)[c])])), '');
    } else {
      out.push(`**${k}**`, '', mdTable(['', 'value'], rows), '');
    }
  }
  return out;
}
