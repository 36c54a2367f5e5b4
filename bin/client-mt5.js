#!/usr/bin/env node
// Entry point of `npx client-mt5 <command>`; the code is compiled into dist/ by `npm run build`.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/main/index.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('client-mt5 is not built yet: run `npm run build` (npm start and npm test do it for you)\n');
  process.exit(1);
}
const { main } = await import(entry.href);
try {
  const code = await main(process.argv.slice(2));
  process.exitCode = code;
} catch (err) {
  const e = /** @type {{ code?: string, message?: string }} */ (err);
  if (e && typeof e.code === 'string' && /^[A-Z_]+$/.test(e.code)) {
    process.stderr.write(`client-mt5: ${e.code}: ${e.message}\n`);
    process.exitCode = 2;
  } else {
    throw err;
  }
}
