/**
 * Where the compiled AssemblyScript engine lives and how to compile it. Main compiles it once and
 * passes the WebAssembly.Module to every worker (compiling per worker would cost each one the
 * compile time again); workers instantiate it through src/workers/engine.ts only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ClientMt5Error } from './errors.js';

/** Absolute path of build/engine.wasm, from src/shared/*.ts (vitest) or dist/shared/*.js. */
export function engineWasmPath(): string {
  return fileURLToPath(new URL('../../build/engine.wasm', import.meta.url));
}

export function compileEngineModule(path: string = engineWasmPath()): WebAssembly.Module {
  if (!existsSync(path)) {
    throw new ClientMt5Error('WASM_MISSING', `the WASM engine ${path} is missing: run \`npm run build\` first`);
  }
  return new WebAssembly.Module(readFileSync(path));
}
