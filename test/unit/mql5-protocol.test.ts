/**
 * The MQL5 side must speak the same protocol: every constant of mql5/Include/ClientMT5/Protocol.mqh
 * equals its TypeScript twin in src/shared/protocol.ts, its message names and field layouts are
 * those of the golden fixtures in test/fixtures/ea-link/, docs/protocol.md documents every field
 * of them, and the binary fixtures read right with the include's header and record offsets.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import * as protocol from '../../src/shared/protocol.js';

const mqh = readFileSync(new URL('../../mql5/Include/ClientMT5/Protocol.mqh', import.meta.url), 'utf8');
const defines = new Map<string, string | number>();
for (const m of mqh.matchAll(/^#define[ \t]+CM5_(\w+)[ \t]+(.+?)[ \t]*$/gm)) { // a guard (#define without a value) is not a constant
  const raw = m[2];
  defines.set(m[1], raw.startsWith('"') ? JSON.parse(raw) as string : Number(raw));
}
const num = (name: string): number => {
  const v = defines.get(name);
  if (typeof v !== 'number') throw new Error(`Protocol.mqh has no numeric CM5_${name}`);
  return v;
};

const fixtureDir = new URL('../fixtures/ea-link/', import.meta.url);
const fixtures = readdirSync(fixtureDir).filter((f) => f.endsWith('.json')).sort()
  .map((file) => ({ file, msg: JSON.parse(readFileSync(new URL(file, fixtureDir), 'utf8')) as Record<string, unknown> & { type: string } }));

/** CM5_FIELDS_<TYPE>[_<KEY>...] -> the keys seen there, over every fixture of that type. */
function fixtureLayouts(): Map<string, Set<string>> {
  const groups = new Map<string, Set<string>>();
  const walk = (name: string, v: unknown): void => {
    if (Array.isArray(v)) return v.forEach((x) => walk(name, x));
    if (v === null || typeof v !== 'object') return;
    const keys = groups.get(name) ?? new Set<string>();
    groups.set(name, keys);
    for (const [k, x] of Object.entries(v)) {
      keys.add(k);
      walk(`${name}_${k.toUpperCase()}`, x);
    }
  };
  for (const { msg } of fixtures) walk(`FIELDS_${msg.type.toUpperCase()}`, msg);
  return groups;
}

/** Every key path of a message: `symbols[].cursor.time_msc`. */
function keyPaths(v: unknown, prefix = ''): string[] {
  if (Array.isArray(v)) return v.flatMap((x) => keyPaths(x, `${prefix}[]`));
  if (v === null || typeof v !== 'object') return [];
  return Object.entries(v).flatMap(([k, x]) => [`${prefix ? `${prefix}.` : ''}${k}`, ...keyPaths(x, `${prefix ? `${prefix}.` : ''}${k}`)]);
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
    // and the other way round: every protocol constant of the include has its TypeScript twin
    const orphans = [...defines.keys()].filter((k) => !k.startsWith('FIELDS_') && !(k in protocol));
    expect(orphans).toEqual([]);
  });

  test('message names are the golden fixtures\' types', () => {
    const types = new Set(fixtures.map(({ msg }) => msg.type));
    const names = new Set([...defines].filter(([k]) => k.startsWith('MSG_')).map(([, v]) => v));
    expect([...names].sort()).toEqual([...types].sort());
    for (const t of types) expect(defines.get(`MSG_${t.toUpperCase()}`), t).toBe(t);
  });

  test('field layouts (CM5_FIELDS_*) are exactly the fixtures\' keys, message by message', () => {
    const expected = fixtureLayouts();
    const declared = new Map([...defines].filter(([k]) => k.startsWith('FIELDS_'))
      .map(([k, v]) => [k, new Set(String(v).split(' '))] as const));
    expect([...declared.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [name, keys] of expected) expect([...declared.get(name)!].sort(), name).toEqual([...keys].sort());
    // 22 groups for 12 message types when written; a new fixture field must be declared in the include
    expect(expected.size).toBeGreaterThanOrEqual(22);
  });

  test('the trading values the EA sends are the names the fixtures use', () => {
    const cmd = fixtures.filter(({ msg }) => msg.type === 'command').map(({ msg }) => msg);
    const exec = fixtures.filter(({ msg }) => msg.type === 'execution').map(({ msg }) => msg);
    const kinds = [protocol.CMD_OPEN, protocol.CMD_CLOSE, protocol.CMD_MODIFY, protocol.CMD_CLOSE_ALL];
    const orders = [protocol.ORDER_BUY, protocol.ORDER_SELL, protocol.ORDER_BUY_LIMIT, protocol.ORDER_SELL_LIMIT,
      protocol.ORDER_BUY_STOP, protocol.ORDER_SELL_STOP, ''];
    const stages = [protocol.STAGE_RECEIVED, protocol.STAGE_SENT, protocol.STAGE_FILLED, protocol.STAGE_PARTIALLY_FILLED,
      protocol.STAGE_REJECTED];
    for (const c of cmd) {
      expect(kinds).toContain(c.kind);
      expect(orders).toContain(c.order_type);
      expect(String(c.comment).startsWith(protocol.COMMENT_PREFIX)).toBe(true);
      expect(String(c.comment).length).toBeLessThanOrEqual(protocol.COMMENT_MAX_CHARS);
    }
    for (const e of exec) {
      expect(stages).toContain(e.stage);
      expect([protocol.SOURCE_EA, protocol.SOURCE_SERVER]).toContain(e.source);
      expect([protocol.FILL_FOK, protocol.FILL_IOC, protocol.FILL_RETURN, '']).toContain(e.filling);
      if (e.source === protocol.SOURCE_EA && e.stage === protocol.STAGE_REJECTED) {
        expect(Object.entries(protocol).filter(([k]) => k.startsWith('REASON_')).map(([, v]) => v)).toContain(e.reason);
      }
      if (e.source === protocol.SOURCE_SERVER) expect(Object.values(protocol.TRADE_RETCODE)).toContain(e.retcode);
    }
    // tickets are strings everywhere
    for (const { file, msg } of fixtures) {
      for (const path of keyPaths(msg).filter((p) => /(^|\.)(ticket|order|deal|position|identifier|login)$/.test(p))) {
        const leaf = path.split('.').reduce<unknown[]>((vals, k) => vals.flatMap((v) => {
          const key = k.replace('[]', '');
          const x = (v as Record<string, unknown>)[key];
          return k.endsWith('[]') ? (x as unknown[]) : [x];
        }), [msg]);
        for (const v of leaf) expect(typeof v, `${file} ${path}`).toBe('string');
      }
    }
  });

  test('docs/protocol.md section 1 documents every field of every fixture', () => {
    const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');
    const section1 = doc.slice(doc.indexOf('## 1. EA link'), doc.indexOf('## 2. Backend link'));
    const trading = new Set(['command', 'execution', 'account', 'positions', 'deals', 'sync']);
    const missing: string[] = [];
    for (const { file, msg } of fixtures) {
      expect(section1, file).toContain(`\`${file}\``); // named as its example
      let text = section1;
      if (trading.has(msg.type)) {
        const start = section1.indexOf(`#### \`${msg.type}\``);
        expect(start, `a "#### \`${msg.type}\`" subsection`).toBeGreaterThan(0);
        text = section1.slice(start, section1.indexOf('\n#### ', start + 1));
      }
      // the words inside code spans: a table row names a field alone (`volume`), with its parent
      // (`positions[].volume`) or in an example (`{type: "error", code, message}`)
      const words = new Set([...text.matchAll(/`([^`\n]+)`/g)].flatMap((m) => m[1].split(/[^A-Za-z0-9_]+/)));
      for (const path of keyPaths(msg)) {
        const leaf = path.split('.').pop()!.replace('[]', '');
        if (!words.has(leaf)) missing.push(`${file}: ${path}`);
      }
    }
    expect(missing).toEqual([]);
  });

  test('the binary fixtures read right with the include\'s header and MqlTick offsets', () => {
    for (const [file, type, symbolId, count] of [['ticks-eurusd-3.bin', 'FRAME_TICKS', 1, 3], ['backfill-eurusd-2.bin', 'FRAME_TICKS_BACKFILL', 1, 2], ['ticks-usdjpy-1.bin', 'FRAME_TICKS', 258, 1]] as const) {
      const b = readFileSync(new URL(file, fixtureDir));
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      expect(b[num('FH_TYPE')], file).toBe(num(type));
      expect(b[num('FH_VERSION')]).toBe(num('PROTOCOL_VERSION'));
      expect(dv.getUint16(num('FH_SYMBOL_ID'), true)).toBe(symbolId);
      expect(dv.getUint32(num('FH_COUNT'), true)).toBe(count);
      const first = num('FRAME_HEADER_BYTES') + (type === 'FRAME_TICKS_BACKFILL' ? num('BACKFILL_EXTRA_BYTES') : 0);
      expect(b.length).toBe(first + count * num('MQLTICK_BYTES'));
      for (let i = 0; i < count; i++) {
        const r = first + i * num('MQLTICK_BYTES');
        const timeMsc = Number(dv.getBigInt64(r + num('MT_TIME_MSC'), true));
        expect(Number(dv.getBigInt64(r + num('MT_TIME'), true))).toBe(Math.floor(timeMsc / 1000));
        expect(dv.getFloat64(r + num('MT_ASK'), true)).toBeGreaterThan(dv.getFloat64(r + num('MT_BID'), true));
      }
    }
  });

  test('the MqlTick record layout ends where the record does', () => {
    expect(Number(defines.get('MT_VOLUME_REAL')) + 8).toBe(defines.get('MQLTICK_BYTES'));
    expect(defines.get('MQLTICK_BYTES')).toBe(60);
  });
});
