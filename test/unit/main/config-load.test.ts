import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadConfig } from '../../../src/main/config-load.js';
import { ClientMt5Error } from '../../../src/shared/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'client-mt5-config-'));
const minimal = { eaLink: { token: 'a-long-token' }, backend: { endpoints: ['ws://127.0.0.1:8001/api/v1/ws/mt5'], jwt: 'jwt' } };

function codeOf(fn: () => unknown): string {
  try { fn(); } catch (err) { return (err as ClientMt5Error).code; }
  return 'no error';
}

describe('configuration', () => {
  test('a YAML file with only the required settings gets every default', () => {
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'eaLink:\n  token: a-long-token\nbackend:\n  endpoints: [ws://127.0.0.1:8001/api/v1/ws/mt5, ws://127.0.0.1:8002/api/v1/ws/mt5]\n  jwt: jwt\n');
    const c = loadConfig({ file, env: {} });
    expect(c.workers).toBe(2);
    expect(c.eaLink).toEqual({ host: '127.0.0.1', port: 9000, path: '/ea', token: 'a-long-token' });
    expect(c.backend.endpoints).toHaveLength(2);
    expect(c.transport.maxBatchDelayMs).toBe(5);
    expect(c.validation.maxSpreadPoints).toBe(100);
    expect(Object.isFrozen(c) && Object.isFrozen(c.transport)).toBe(true);
  });

  test('environment overrides the file and flags override the environment', () => {
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ ...minimal, workers: 1 }));
    expect(loadConfig({ file, env: {} }).workers).toBe(1);
    expect(loadConfig({ file, env: { CLIENT_MT5_WORKERS: '3' } }).workers).toBe(3);
    expect(loadConfig({ file, env: { CLIENT_MT5_WORKERS: '3' }, overrides: { workers: 4 } }).workers).toBe(4);
    expect(loadConfig({ file, env: { CLIENT_MT5_BACKEND_URLS: 'ws://a:1/x, ws://b:2/x' } }).backend.endpoints).toEqual(['ws://a:1/x', 'ws://b:2/x']);
  });

  test('a bad value is named with the setting, the range and the value given', () => {
    expect(() => loadConfig({ env: {}, overrides: { ...minimal, workers: 0 } }))
      .toThrow('workers must be an integer from 1 to 16, got 0');
    expect(() => loadConfig({ env: { CLIENT_MT5_WORKERS: 'many' }, overrides: minimal }))
      .toThrow(/workers must be an integer from 1 to 16, got null/);
    expect(() => loadConfig({ env: {}, overrides: { ...minimal, ringCapacityTicks: 10000 } }))
      .toThrow(/ringCapacityTicks must be a power of two from 8192/);
    expect(() => loadConfig({ env: {}, overrides: { ...minimal, backend: { endpoints: ['http://x'], jwt: 'j' } } }))
      .toThrow(/backend.endpoints must be ws:\/\/ or wss:\/\/ URLs, got "http:\/\/x"/);
    expect(codeOf(() => loadConfig({ env: {}, overrides: { workers: 2 } }))).toBe('CONFIG_INVALID');
  });

  test('an unreadable or malformed file is a clear error, not a crash', () => {
    expect(codeOf(() => loadConfig({ file: join(dir, 'missing.yaml'), env: {} }))).toBe('CONFIG_FILE_UNREADABLE');
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ "workers": ');
    expect(codeOf(() => loadConfig({ file: bad, env: {} }))).toBe('CONFIG_INVALID');
    const list = join(dir, 'list.yaml');
    writeFileSync(list, '- a\n- b\n');
    expect(() => loadConfig({ file: list, env: {} })).toThrow(/top level must be a mapping/);
  });
});
