/**
 * What a reviewer checks first in the MQL5 sources, which cannot be compiled here (no MetaEditor):
 * every #include resolves, the Expert Advisor has its event handlers with MetaTrader's signatures,
 * nothing imports a DLL, brackets balance, every CM5_ name used is defined, every method called on
 * the project's objects is declared, and every field of the EA link's fixtures is spelled in the
 * sources that read or write it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const root = fileURLToPath(new URL('../../mql5/', import.meta.url));
const includeDir = join(root, 'Include');
const files = [
  ...readdirSync(join(root, 'Experts')).filter((f) => f.endsWith('.mq5')).map((f) => join(root, 'Experts', f)),
  ...readdirSync(join(includeDir, 'ClientMT5')).filter((f) => f.endsWith('.mqh')).map((f) => join(includeDir, 'ClientMT5', f)),
];
const source = new Map(files.map((f) => [f, readFileSync(f, 'utf8')]));
/** The terminal's standard library files the EA may include (written with a backslash, as the MQL5 reference does). */
const STANDARD_INCLUDES = new Set(['Trade\\Trade.mqh']);
/**
 * CTrade methods the EA may call, with their [fewest, most] arguments, as declared in the standard
 * library's Include/Trade/Trade.mqh (MetaQuotes, 2000-2025): a call with another argument count
 * would not compile.
 */
const CTRADE_METHODS = new Map<string, [number, number]>([
  ['SetExpertMagicNumber', [1, 1]], ['SetDeviationInPoints', [1, 1]], ['SetTypeFilling', [1, 1]], ['SetAsyncMode', [1, 1]],
  ['LogLevel', [1, 1]], ['Buy', [1, 6]], ['Sell', [1, 6]], ['BuyLimit', [2, 8]], ['SellLimit', [2, 8]], ['BuyStop', [2, 8]],
  ['SellStop', [2, 8]], ['PositionClose', [1, 2]], ['PositionClosePartial', [2, 3]], ['PositionModify', [3, 3]],
  ['OrderModify', [6, 7]], ['OrderDelete', [1, 1]], ['ResultRetcode', [0, 0]], ['ResultComment', [0, 0]],
  ['ResultRetcodeDescription', [0, 0]], ['ResultOrder', [0, 0]], ['ResultDeal', [0, 0]], ['ResultPrice', [0, 0]],
  ['ResultVolume', [0, 0]], ['RequestTypeFilling', [0, 0]],
]);
/** CTrade's protected members a subclass may use (same file). */
const CTRADE_PROTECTED = ['m_request', 'm_result', 'm_type_filling', 'm_magic', 'ClearStructures'];

/** The code without comments and with string and character literals emptied. */
function code(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/"(?:[^"\\\n]|\\.)*"/g, '""')
    .replace(/'(?:[^'\\\n]|\\.)'/g, "''")
    .replace(/\/\/.*$/gm, '');
}

const expert = [...source].find(([f]) => f.endsWith('ClientMT5.mq5'))?.[1] ?? '';

/** Whether `name` is declared as a method or function in this code (then it is not CTrade's). */
function declaredIn(body: string, name: string): boolean {
  return new RegExp(`^\\s*(?:static\\s+|virtual\\s+)?(?:const\\s+)?[A-Za-z_]\\w*\\s+[*&]?\\s*${name}\\s*\\(`, 'm').test(body);
}

/** The number of top-level arguments of the call whose argument list starts at `from` (after its "("). */
function argumentCount(body: string, from: number): number {
  let depth = 0;
  let args = 0;
  let any = false;
  for (let i = from; i < body.length; i++) {
    const ch = body[i];
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') {
      if (depth === 0) return any ? args + 1 : 0;
      depth--;
    } else if (ch === ',' && depth === 0) args++;
    else if (!/\s/.test(ch)) any = true;
  }
  return -1;
}

describe('MQL5 sources', () => {
  test('the Expert Advisor and its includes are there', () => {
    expect(files.some((f) => f.endsWith('Experts/ClientMT5.mq5'))).toBe(true);
    for (const name of ['Protocol', 'Json', 'Clock', 'WebSocketClient', 'TickStreamer', 'Account', 'Trader', 'TradeTypes', 'TradeChecks',
      'Filling', 'CommandMemory', 'FillTracker', 'TradeContext', 'ExecuteOpen', 'ExecuteClose', 'ExecuteModify', 'CloseAll']) {
      expect(files.some((f) => f.endsWith(`ClientMT5/${name}.mqh`)), name).toBe(true);
    }
  });

  test('every #include resolves to a project file or a standard library file, written as the MQL5 reference does (<Dir\\File.mqh>)', () => {
    const missing: string[] = [];
    for (const [file, text] of source) {
      for (const m of text.matchAll(/^#include\s+[<"]([^>"]+)[>"]/gm)) {
        const inc = m[1];
        expect(inc, `${file}: ${inc}`).not.toContain('/');
        if (STANDARD_INCLUDES.has(inc)) continue;
        if (!files.includes(join(includeDir, ...inc.split('\\')))) missing.push(`${file}: ${inc}`);
      }
    }
    expect(missing).toEqual([]);
  });

  test('the EA has MetaTrader\'s event handlers with their signatures', () => {
    expect(expert).toMatch(/^int\s+OnInit\(\s*(void)?\s*\)/m);
    expect(expert).toMatch(/^void\s+OnDeinit\(\s*const\s+int\s+\w+\s*\)/m);
    expect(expert).toMatch(/^void\s+OnTimer\(\s*(void)?\s*\)/m);
    expect(expert).toMatch(/^void\s+OnTradeTransaction\(\s*const\s+MqlTradeTransaction\s*&\s*\w+\s*,\s*const\s+MqlTradeRequest\s*&\s*\w+\s*,\s*const\s+MqlTradeResult\s*&\s*\w+\s*\)/m);
    expect(expert).toMatch(/EventSetMillisecondTimer\(/);
    expect(expert).toMatch(/EventKillTimer\(\)/);
    expect(expert).toMatch(/^input\s+string\s+InpToken\b/m);
  });

  test('no DLL: no #import and no DLL property anywhere', () => {
    for (const [file, text] of source) {
      expect(text, file).not.toMatch(/^\s*#import\b/m);
      expect(text, file).not.toMatch(/#property\s+\w*dll/i);
    }
  });

  test('brackets balance in every file', () => {
    for (const [file, text] of source) {
      const stack: string[] = [];
      const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
      for (const ch of code(text)) {
        if (ch === '(' || ch === '[' || ch === '{') stack.push(ch);
        else if (ch in pairs) expect(stack.pop(), `${file}: unbalanced ${ch}`).toBe(pairs[ch]);
      }
      expect(stack, file).toEqual([]);
    }
  });

  test('every CM5_ name used is defined by a #define, and include guards are unique', () => {
    const all = [...source.values()].join('\n');
    const defined = new Set([...all.matchAll(/^#define\s+(CM5_\w+)/gm)].map((m) => m[1]));
    const declared = new Set([...all.matchAll(/\b(?:struct|class|union)\s+(CM5\w+)/g)].map((m) => m[1]));
    const used = new Set([...[...source.values()].map(code).join('\n').matchAll(/\bCM5_\w+/g)].map((m) => m[0]));
    expect([...used].filter((n) => !defined.has(n) && !declared.has(n))).toEqual([]);
    const guards = [...all.matchAll(/^#ifndef\s+(\w+)/gm)].map((m) => m[1]);
    expect(new Set(guards).size).toBe(guards.length);
  });

  test('every method called on an object is declared in the sources or is CTrade\'s', () => {
    const bodies = [...source.values()].map(code).join('\n');
    const keywords = new Set(['return', 'else', 'new', 'delete', 'case']);
    const declared = new Set([...bodies.matchAll(/^\s*(?:static\s+|virtual\s+)?(?:const\s+)?([A-Za-z_]\w*)(?:\s+[*&]?\s*|\s*[*&]\s*)(\w+)\s*\(/gm)]
      .filter((m) => !keywords.has(m[1])).map((m) => m[2]));
    const called = new Set([...bodies.matchAll(/\.\s*([A-Za-z_]\w*)\s*\(/g)].map((m) => m[1]));
    expect([...called].filter((n) => !declared.has(n) && !CTRADE_METHODS.has(n)).sort()).toEqual([]);
  });

  test('every call of a CTrade method has an argument count CTrade declares', () => {
    const wrong: string[] = [];
    for (const [file, text] of source) {
      const body = code(text);
      for (const m of body.matchAll(/\.\s*([A-Za-z_]\w*)\s*\(/g)) {
        const limits = CTRADE_METHODS.get(m[1]);
        if (!limits || declaredIn(body, m[1])) continue;
        const n = argumentCount(body, m.index! + m[0].length);
        if (n < limits[0] || n > limits[1]) wrong.push(`${file}: ${m[1]} with ${n} arguments`);
      }
    }
    expect(wrong).toEqual([]);
  });

  test('the CTrade subclass uses only what CTrade declares protected, and the include that declares CTrade', () => {
    const filling = [...source].find(([f]) => f.endsWith('Filling.mqh'))?.[1] ?? '';
    expect(filling).toMatch(/^#include <Trade\\Trade\.mqh>/m);
    expect(filling).toMatch(/class\s+CM5Trade\s*:\s*public\s+CTrade/);
    const members = new Set([...code(filling).matchAll(/\b(m_\w+|ClearStructures)\b/g)].map((m) => m[1]));
    expect([...members].filter((n) => !CTRADE_PROTECTED.includes(n))).toEqual([]);
  });

  test('every field of the EA link\'s messages is spelled in the EA\'s sources', () => {
    const mqh = source.get(join(includeDir, 'ClientMT5', 'Protocol.mqh'))!;
    const others = [...source].filter(([f]) => !f.endsWith('Protocol.mqh')).map(([, t]) => t).join('\n');
    const literals = new Set([...others.matchAll(/"([a-z_]+)"/g)].map((m) => m[1]));
    const fields = new Set([...mqh.matchAll(/^#define\s+CM5_FIELDS_\w+\s+"([^"]*)"/gm)].flatMap((m) => m[1].split(' ')));
    fields.delete('type'); // written and read through CM5_MSG_* and the "type" key
    expect(fields.size).toBeGreaterThan(80);
    expect([...fields].filter((f) => !literals.has(f)).sort()).toEqual([]);
    expect(literals.has('type')).toBe(true);
  });
});
