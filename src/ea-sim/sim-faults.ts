/**
 * Test and demo knobs of the paper broker: what makes each trade-server answer happen on purpose.
 *
 * **Directives** — `sim:<name>` anywhere in a command's `command_id` (which the bridge passes
 * through verbatim) or `comment` (which the bridge overwrites with `cm5:<ref>`, so only for tests
 * that talk to the simulator directly). Only the simulator reads them; several may be combined
 * (`sim:partial,sim:delay=200`). They steer that one command:
 *
 *   sim:requote          10004 TRADE_RETCODE_REQUOTE        nothing executed
 *   sim:price_changed    10020 TRADE_RETCODE_PRICE_CHANGED  nothing executed
 *   sim:no_money         10019 TRADE_RETCODE_NO_MONEY       (also for real: a volume beyond free margin)
 *   sim:invalid_stops    10016 TRADE_RETCODE_INVALID_STOPS  from the server (the EA's own check says EA_INVALID_STOPS)
 *   sim:invalid_volume   10014 TRADE_RETCODE_INVALID_VOLUME from the server (the EA's own check says EA_INVALID_VOLUME)
 *   sim:market_closed    10018 TRADE_RETCODE_MARKET_CLOSED  (also for real: EaSimOptions.closedSymbols)
 *   sim:invalid_fill     10030 TRADE_RETCODE_INVALID_FILL   for every filling mode: the EA's one retry (the
 *                                                           next allowed mode, IOC after FOK) fails too
 *   sim:reject           10006 TRADE_RETCODE_REJECT
 *   sim:partial          10010 TRADE_RETCODE_DONE_PARTIAL   the symbol takes IOC only (so the EA sends IOC) and
 *                                                           the book holds half the volume: half fills
 *   sim:delay=MS         the trade server answers MS ms after `sent` (a link can be dropped meanwhile)
 *   sim:drop             the EA drops its link right after the trade, before the final stage goes out
 *                        (the command is then in doubt; the EA replays the stage when asked with `sync`)
 *
 * **Seeded rates** — EaSimOptions.tradeFaults (`--trade-faults requote=0.05,price_changed=0.02`)
 * makes market orders without a directive meet those answers at those rates, drawn from a
 * generator seeded with the simulator's seed: the same run gives the same faults.
 */
import { TRADE_RETCODE } from '../shared/protocol.js';
import { Rng } from './rng.js';

export const FAULT_RETCODES = {
  requote: TRADE_RETCODE.REQUOTE,
  price_changed: TRADE_RETCODE.PRICE_CHANGED,
  no_money: TRADE_RETCODE.NO_MONEY,
  invalid_stops: TRADE_RETCODE.INVALID_STOPS,
  invalid_volume: TRADE_RETCODE.INVALID_VOLUME,
  market_closed: TRADE_RETCODE.MARKET_CLOSED,
  invalid_fill: TRADE_RETCODE.INVALID_FILL,
  reject: TRADE_RETCODE.REJECT,
  partial: TRADE_RETCODE.DONE_PARTIAL,
} as const;
export type FaultName = keyof typeof FAULT_RETCODES;
export const FAULT_NAMES = Object.keys(FAULT_RETCODES) as FaultName[];

/** What the directives of one command ask for. */
export interface Directives {
  fault: FaultName | null;
  /** Extra trade-server latency for this command, ms. */
  delayMs: number;
  /** Drop the link after the trade, before the final stage. */
  drop: boolean;
}

export const NO_DIRECTIVES: Directives = Object.freeze({ fault: null, delayMs: 0, drop: false });

const DIRECTIVE = /sim:([a-z_]+)(?:=(\d+))?/g;

/** The directives in these strings (command_id, comment); unknown names are ignored. */
export function parseDirectives(...texts: string[]): Directives {
  let out: Directives | null = null;
  for (const text of texts) {
    if (!text.includes('sim:')) continue;
    for (const m of text.matchAll(DIRECTIVE)) {
      out ??= { ...NO_DIRECTIVES };
      const name = m[1];
      if (name === 'delay') out.delayMs = Math.min(Number(m[2] ?? 0), 600_000);
      else if (name === 'drop') out.drop = true;
      else if (name in FAULT_RETCODES) out.fault = name as FaultName;
    }
  }
  return out ?? NO_DIRECTIVES;
}

/** Parses `requote=0.05,price_changed=0.02`; throws naming the bad part. */
export function parseFaultRates(text: string): Partial<Record<FaultName, number>> {
  const out: Partial<Record<FaultName, number>> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [name, value] = part.split('=');
    const rate = Number(value);
    if (!(FAULT_NAMES as string[]).includes(name)) throw new Error(`unknown trade fault "${name}" (one of ${FAULT_NAMES.join(', ')})`);
    if (value === undefined || value.trim() === '' || !(rate >= 0 && rate <= 1)) throw new Error(`trade fault ${name} needs a rate from 0 to 1, got "${value ?? ''}"`);
    out[name as FaultName] = rate;
  }
  const total = Object.values(out).reduce((a, b) => a + b, 0);
  if (total > 1) throw new Error(`trade fault rates add up to ${total}, more than 1`);
  return out;
}

/** Draws a fault for each market order from seeded rates. */
export class FaultDice {
  private readonly rng: Rng;
  private readonly entries: Array<[FaultName, number]>;

  constructor(rates: Partial<Record<FaultName, number>>, seed: number) {
    this.rng = new Rng((seed ^ 0x7a11ed) >>> 0);
    this.entries = Object.entries(rates).filter(([, r]) => (r ?? 0) > 0) as Array<[FaultName, number]>;
  }

  roll(): FaultName | null {
    if (this.entries.length === 0) return null;
    let r = this.rng.next();
    for (const [name, rate] of this.entries) {
      if (r < rate) return name;
      r -= rate;
    }
    return null;
  }
}
