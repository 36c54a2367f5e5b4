import { createHmac } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { ClientMt5Error } from '../../src/shared/errors.js';
import { signJwt, verifyJwt } from '../../src/shared/jwt.js';

const SECRET = 'jwt-test-secret';
const NOW_MS = Date.UTC(2026, 0, 5, 12, 0, 0);
const nowS = NOW_MS / 1000;
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const sign = (data: string, secret = SECRET) => createHmac('sha256', secret).update(data).digest('base64url');

function rejected(fn: () => unknown): ClientMt5Error {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ClientMt5Error);
    expect((err as ClientMt5Error).code).toBe('BACKEND_AUTH');
    return err as ClientMt5Error;
  }
  throw new Error('expected the token to be rejected');
}

describe('JWT HS256', () => {
  test('a signed token verifies and returns its claims', () => {
    const token = signJwt({ sub: 'client-1', exp: nowS + 60, tier: 'pro' }, SECRET);
    expect(token.split('.')).toHaveLength(3);
    expect(verifyJwt(token, SECRET, NOW_MS)).toEqual({ sub: 'client-1', exp: nowS + 60, tier: 'pro' });
  });

  test('interoperates with a token built by hand from RFC 7519', () => {
    const data = `${b64({ typ: 'JWT', alg: 'HS256' })}.${b64({ sub: 'x', exp: nowS + 1 })}`;
    expect(verifyJwt(`${data}.${sign(data)}`, SECRET, NOW_MS).sub).toBe('x');
    expect(signJwt({ sub: 'x', exp: 5 }, SECRET).split('.')[2]).toBe(sign(signJwt({ sub: 'x', exp: 5 }, SECRET).split('.').slice(0, 2).join('.')));
  });

  test('bad signature: another secret, or an altered payload', () => {
    const token = signJwt({ sub: 'client-1', exp: nowS + 60 }, 'other-secret');
    expect(rejected(() => verifyJwt(token, SECRET, NOW_MS)).message).toContain('bad signature');
    const good = signJwt({ sub: 'client-1', exp: nowS + 60 }, SECRET).split('.');
    const altered = `${good[0]}.${b64({ sub: 'admin', exp: nowS + 60 })}.${good[2]}`;
    expect(rejected(() => verifyJwt(altered, SECRET, NOW_MS)).message).toContain('bad signature');
    expect(rejected(() => verifyJwt(`${good[0]}.${good[1]}.${good[2].slice(0, 20)}`, SECRET, NOW_MS)).message).toContain('bad signature');
  });

  test('expired at and after exp; nbf in the future is not yet valid', () => {
    const token = signJwt({ sub: 'c', exp: nowS }, SECRET);
    expect(rejected(() => verifyJwt(token, SECRET, NOW_MS)).message).toContain('expired');
    expect(verifyJwt(token, SECRET, NOW_MS - 1).sub).toBe('c');
    const early = signJwt({ sub: 'c', exp: nowS + 100, nbf: nowS + 10 }, SECRET);
    expect(rejected(() => verifyJwt(early, SECRET, NOW_MS)).message).toContain('not yet valid');
  });

  test('malformed: wrong number of parts, not base64url, not JSON, missing claims', () => {
    expect(rejected(() => verifyJwt('', SECRET)).message).toContain('malformed');
    expect(rejected(() => verifyJwt('a.b', SECRET)).message).toContain('expected 3 dot-separated parts');
    expect(rejected(() => verifyJwt('a.b.c.d', SECRET)).message).toContain('malformed');
    expect(rejected(() => verifyJwt('a+b.c/d.e=', SECRET)).message).toContain('base64url');
    const notJson = `${Buffer.from('{nope').toString('base64url')}.${b64({})}`;
    expect(rejected(() => verifyJwt(`${notJson}.${sign(notJson)}`, SECRET)).message).toContain('header is not JSON');
    const noSub = `${b64({ alg: 'HS256' })}.${b64({ exp: nowS + 9 })}`;
    expect(rejected(() => verifyJwt(`${noSub}.${sign(noSub)}`, SECRET, NOW_MS)).message).toContain('"sub"');
    const noExp = `${b64({ alg: 'HS256' })}.${b64({ sub: 'c' })}`;
    expect(rejected(() => verifyJwt(`${noExp}.${sign(noExp)}`, SECRET, NOW_MS)).message).toContain('"exp"');
  });

  test('wrong alg: none and RS256 are refused even when otherwise well-formed', () => {
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'c', exp: nowS + 9 })}`;
    expect(rejected(() => verifyJwt(`${none}.${sign(none)}`, SECRET, NOW_MS)).message).toContain('wrong alg');
    const rs = `${b64({ alg: 'RS256' })}.${b64({ sub: 'c', exp: nowS + 9 })}`;
    expect(rejected(() => verifyJwt(`${rs}.${sign(rs)}`, SECRET, NOW_MS)).message).toContain('got "RS256"');
  });

  test('an empty secret is refused on both sides', () => {
    expect(() => signJwt({ sub: 'c', exp: 1 }, '')).toThrow(/secret must not be empty/);
    expect(() => verifyJwt('a.b.c', '')).toThrow(/secret must not be empty/);
  });
});
