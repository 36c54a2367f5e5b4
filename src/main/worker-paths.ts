/**
 * Workers start by path, always from compiled JavaScript in dist/ — also when this module runs
 * from TypeScript sources under vitest — so that src/main never imports src/workers.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ClientMt5Error } from '../shared/errors.js';

export function workerFile(name: string): URL {
  const here = fileURLToPath(import.meta.url);
  const fromDist = here.endsWith('.js') && !here.includes('/src/main/');
  const url = fromDist
    ? new URL(`../workers/${name}.js`, import.meta.url)
    : new URL(`../../dist/workers/${name}.js`, import.meta.url);
  if (!existsSync(url)) {
    throw new ClientMt5Error('WASM_MISSING', `worker ${fileURLToPath(url)} is missing: run \`npm run build\` first`);
  }
  return url;
}
