/**
 * The pm2 process file is how users run the bridge: it must load as pm2 loads it, and every
 * flag it hands to node must be one this node accepts (a bad one stops the process at start).
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { describe, expect, test } from 'vitest';

const require = createRequire(import.meta.url);

describe('ecosystem.config.js (pm2)', () => {
  const { apps } = require('../../../ecosystem.config.js') as { apps: Array<Record<string, unknown>> };

  test('one fork-mode app that runs `client-mt5 start`', () => {
    expect(apps).toHaveLength(1);
    expect(apps[0]).toMatchObject({ script: './bin/client-mt5.js', exec_mode: 'fork', instances: 1 });
    expect(String(apps[0].args)).toMatch(/^start\b/);
  });

  test('node accepts every node_args flag', () => {
    const args = apps[0].node_args as string[];
    expect(args.length).toBeGreaterThan(0);
    // Throws (non-zero exit: "bad option") if node rejects one. The child allocates enough
    // short-lived objects for V8 to grow its young generation as far as it may (to 8+ MB without
    // the flag on this node), then reports how far it went.
    const script = 'let keep = []; for (let i = 0; i < 3e6; i++) { keep.push({ i }); if (keep.length > 20000) keep = []; } ' +
      'process.stdout.write(String(require("v8").getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size))';
    const capped = Number(execFileSync(process.execPath, [...args, '-e', script]).toString());
    const uncapped = Number(execFileSync(process.execPath, ['-e', script]).toString());
    expect(capped).toBeLessThanOrEqual(3 * 1024 * 1024);
    expect(uncapped).toBeGreaterThan(capped);
  });
});
