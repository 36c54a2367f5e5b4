/** The EA session as the command desk needs it: run, magic, clock offset and per-symbol specs with ids. */
import type { EaSymbolSpec } from '../../shared/protocol.js';
import type { EaSessionInfo } from '../ea-link.js';
import type { SymbolRegistry } from '../symbol-registry.js';
import type { EaTradingSession } from './command-desk.js';

export function eaTradingSession(info: EaSessionInfo, registry: SymbolRegistry): EaTradingSession {
  const names = new Set(info.symbols);
  const symbols = new Map<string, { id: number; spec: EaSymbolSpec }>();
  for (const entry of registry.all()) if (names.has(entry.name)) symbols.set(entry.name, { id: entry.id, spec: entry.spec });
  return {
    runId: info.ea.run_id ?? '',
    magic: typeof info.ea.magic === 'number' && info.ea.magic > 0 ? info.ea.magic : undefined,
    offsetMs: info.serverTimeOffsetS * 1000,
    server: info.account.server,
    symbols,
  };
}
