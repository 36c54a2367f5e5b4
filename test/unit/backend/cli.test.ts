import { describe, expect, test } from 'vitest';
import { parseBackendArgs } from '../../../src/backend/cli.js';

describe('client-mt5 backend arguments', () => {
  test('defaults: 127.0.0.1:8001, secret from CLIENT_MT5_JWT_SECRET', () => {
    expect(parseBackendArgs([], { CLIENT_MT5_JWT_SECRET: 's3cret' })).toEqual({ host: '127.0.0.1', port: 8001, jwtSecret: 's3cret' });
  });

  test('flags override the environment', () => {
    expect(parseBackendArgs(['--host', '0.0.0.0', '--port', '0', '--jwt-secret', 'flag', '--record', '/tmp/f.bin', '--path', '/ws'],
      { CLIENT_MT5_JWT_SECRET: 'env' })).toEqual({ host: '0.0.0.0', port: 0, jwtSecret: 'flag', recordPath: '/tmp/f.bin', path: '/ws' });
  });

  test('--ledger shares what is stored between backends; --ledger-fsync and --heartbeat-ms tune it', () => {
    expect(parseBackendArgs(['--jwt-secret', 's', '--ledger', '/tmp/l.bin', '--ledger-fsync', 'never', '--heartbeat-ms', '0'], {}))
      .toMatchObject({ ledgerPath: '/tmp/l.bin', ledgerFsync: 'never', heartbeatIntervalMs: 0 });
    const usage = (argv: string[]) => {
      try {
        parseBackendArgs(['--jwt-secret', 's', ...argv], {});
      } catch (err) {
        return (err as { code: string; message: string });
      }
      throw new Error('accepted');
    };
    expect(usage(['--ledger', '/tmp/l', '--ledger-fsync', 'sometimes'])).toMatchObject({
      code: 'CLI_USAGE', message: '--ledger-fsync must be one of always, never, got "sometimes"',
    });
    expect(usage(['--ledger-fsync', 'always']).message).toBe('--ledger-fsync needs --ledger FILE');
    expect(usage(['--heartbeat-ms', 'often']).message).toBe('--heartbeat-ms must be an integer from 0 (off) to 3600000, got "often"');
  });

  test('bad usage names the option and the value', () => {
    const usage = (argv: string[]) => {
      try {
        parseBackendArgs(argv, {});
      } catch (err) {
        return err as { code: string; message: string };
      }
      throw new Error('accepted');
    };
    expect(usage(['--jwt-secret', 'x', '--port', '70000'])).toMatchObject({ code: 'CLI_USAGE', message: '--port must be an integer from 0 to 65535, got "70000"' });
    expect(usage([]).message).toContain('pass --jwt-secret S or set CLIENT_MT5_JWT_SECRET');
    expect(usage(['--jwt-secret', 'x', '--bogus']).code).toBe('CLI_USAGE');
    expect(usage(['--jwt-secret', 'x', '--path', 'ws']).message).toContain('--path must start with "/"');
  });
});
