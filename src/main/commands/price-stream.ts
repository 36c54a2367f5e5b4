/**
 * ClientPriceStream (docs/protocol.md, section 2): every second, the user's own broker bid, ask and
 * spread (whole points) of each symbol that had a tick since the previous stream.
 */
import type { AccountMessage, EaSymbolSpec } from '../../shared/protocol.js';
import type { ClientPriceData, ClientPriceStreamData } from '../../shared/trading.js';
import type { PriceTable } from './price-table.js';

export function buildPriceStream(
  table: PriceTable,
  symbols: ReadonlyMap<string, { id: number; spec: EaSymbolSpec }>,
  userId: string,
  account: AccountMessage,
  nowMs: number,
): ClientPriceStreamData {
  const prices: ClientPriceData[] = [];
  for (const [name, { id, spec }] of symbols) {
    if (id < 0 || !table.takeChanged(id)) continue;
    const q = table.quote(id);
    if (q === null) continue;
    prices.push({
      symbol: name, bid: q.bid, ask: q.ask, spread: Math.round((q.ask - q.bid) / spec.point), timestamp: q.timeMs,
      broker_server: account.server,
    });
  }
  return { user_id: userId, broker_name: account.company, account_number: account.login, prices, batch_timestamp: nowMs };
}
