import { describe, expect, it } from 'vitest';
import { formatValue, parseHeader, splitFields } from '../../../src/workers/indicators-csv.js';

describe('indicators CSV', () => {
  it('formats doubles so that they read back bit for bit, without padding zeros', () => {
    const bits = new BigUint64Array(1);
    const asDouble = new Float64Array(bits.buffer);
    let seed = 0x9e3779b97f4a7c15n;
    for (let i = 0; i < 100_000; i++) {
      seed = (seed * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
      bits[0] = seed;
      const v = asDouble[0];
      if (!Number.isFinite(v)) continue;
      const text = formatValue(v);
      if (!Object.is(Number(text), v === 0 ? 0 : v)) throw new Error(`${v} formatted as ${text}`);
      expect(text).not.toMatch(/\.\d*0(e|$)/);
    }
    expect([1.5, 100, 0, 1e21, 7.9174006477871131e-7, 0.000031074702634636964, -2.5].map(formatValue))
      .toEqual(['1.5', '100', '0', '1e+21', '7.9174006477871131e-7', '0.000031074702634636964', '-2.5']);
  });

  it('splits quoted fields, with doubled quotes and delimiters inside', () => {
    expect(splitFields('a,"b,c","say ""hi""",,d', ',')).toEqual(['a', 'b,c', 'say "hi"', '', 'd']);
    expect(splitFields('1,2,', ',')).toEqual(['1', '2', '']);
    expect(splitFields('"x"\t"y"', '\t')).toEqual(['x', 'y']);
  });

  it('finds price or bid/ask columns in MT5, semicolon and comma headers', () => {
    expect(parseHeader('f', '<DATE>\t<TIME>\t<BID>\t<ASK>\t<LAST>')).toMatchObject({ delimiter: '\t', price: -1, bid: 2, ask: 3, fields: 5 });
    expect(parseHeader('f', '\ufefftime;Price')).toMatchObject({ delimiter: ';', price: 1 });
    expect(parseHeader('f', 'i,price,sma20,rsi14')).toMatchObject({ delimiter: ',', price: 1, shadowed: ['sma20', 'rsi14'] });
    expect(() => parseHeader('f.csv', 'a,b')).toThrow(/f\.csv:1: no price column/);
  });
});
