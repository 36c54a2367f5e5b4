/**
 * Loads uWebSockets.js from `@trufflesuite/uws-js-unofficial` as the native binary, or fails.
 *
 * The package's own entry point catches a binary that does not load and silently returns a JS
 * shim built on `ws`, which looks like uWS but is an order of magnitude slower and differs in
 * details (backpressure, ArrayBuffer lifetimes). Every server of this project (EA link, dashboard,
 * reference backend) loads through here instead, so a missing binary stops start-up with a clear
 * UWS_NOT_NATIVE rather than a quietly degraded process. Call it from the main thread only: a
 * worker that exits with a uWS socket open takes the whole process down.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as Uws from '@trufflesuite/uws-js-unofficial';
import { ClientMt5Error } from './errors.js';

export type UwsModule = typeof Uws;

const PACKAGE = '@trufflesuite/uws-js-unofficial';
let loaded: UwsModule | undefined;

/** The native uWS module (loaded once per thread). Throws ClientMt5Error('UWS_NOT_NATIVE'). */
export function loadUws(): UwsModule {
  if (loaded !== undefined) return loaded;
  const require = createRequire(import.meta.url);
  let packageDir: string;
  try {
    packageDir = dirname(require.resolve(`${PACKAGE}/package.json`));
  } catch (err) {
    throw new ClientMt5Error('UWS_NOT_NATIVE', `${PACKAGE} is not installed (run npm ci)`, { cause: err });
  }
  const file = `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
  const binary = join(packageDir, 'binaries', file);
  let mod: UwsModule;
  try {
    mod = require(binary) as UwsModule;
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new ClientMt5Error('UWS_NOT_NATIVE',
      `uWebSockets.js native binary ${file} does not load on this system (Node ${process.version}, ` +
      `ABI ${process.versions.modules}, ${process.platform}-${process.arch}): ${reason}. ` +
      `${PACKAGE} supports Node 16, 18 and 20 on glibc Linux, macOS and Windows x64; refusing its slow JS fallback`,
      { cause: err });
  }
  if (typeof mod.App !== 'function' || typeof mod.us_listen_socket_close !== 'function') {
    throw new ClientMt5Error('UWS_NOT_NATIVE', `${binary} loaded but does not export the uWebSockets.js API`);
  }
  loaded = mod;
  return mod;
}
