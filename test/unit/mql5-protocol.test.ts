/**
 * The MQL5 side must speak the same protocol: every constant of mql5/Include/ClientMT5/Protocol.mqh
 * equals its TypeScript twin in src/shared/protocol.ts, and the message names are those of the
 * golden fixtures in test/fixtures/ea-link/.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import * as protocol from '../../src/shared/protocol.js';

const mqh = readFileSync(new URL('../../mql5/Include/ClientMT5/Protocol.mqh', import.meta.url), 'utf8');
const defines = new Map<string, string | number>();
for (const m of mqh.matchAll(/^#define\s+CM5_(\w+)\s+(.+?)\s*$/gm)) {
  const raw = m[2];
  defines.set(m[1], raw.startsWith('"') ? JSON.parse(raw) as string : Number(raw));
}

describe('MQL5 protocol include', () => {
  test('every numeric and string constant matches src/shared/protocol.ts', () => {
    const shared = Object.entries(protocol).filter(([, v]) => typeof v === 'number' || typeof v === 'string');
    const missing: string[] = [];
    for (const [name, value] of shared) {
      if (name.startsWith('TICK_FLAG_')) continue; // the EA sends flags raw; only the mask matters to it
      if (!defines.has(name)) { missing.push(name); continue; }
      expect(defines.get(name), name).toBe(value);
    }
    expect(missing).toEqual([]);
  });

  test('message names are the golden fixtures\' types', () => {
    const dir = new URL('../fixtures/ea-link/', import.meta.url);
    const types = new Set(readdirSync(dir).filter((f) => f.endsWith('.json'))
      .map((f) => (JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as { type: string }).type));
    const names = new Set([...defines].filter(([k]) => k.startsWith('MSG_')).map(([, v]) => v));
    expect([...names].sort()).toEqual([...types].sort());
  });

  test('the MqlTick record layout ends where the record does', () => {
    expect(Number(defines.get('MT_VOLUME_REAL')) + 8).toBe(defines.get('MQLTICK_BYTES'));
    expect(defines.get('MQLTICK_BYTES')).toBe(60);
  });
});
