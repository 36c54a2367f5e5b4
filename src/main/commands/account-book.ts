/**
 * The account as the EA reports it (`account`, `positions`), the daily-loss and drawdown baselines
 * kept durably in the command store, and the AccountProfile the backend gets from them with the
 * risk profile and preferences from config (docs/protocol.md, section 2, "AccountProfile").
 */
import type { TradingConfig } from '../../shared/config.js';
import type { AccountMessage, PositionsMessage } from '../../shared/protocol.js';
import type { AccountProfileData } from '../../shared/trading.js';
import type { AccountBaselines, CommandStore } from './command-store.js';

const DAY_MS = 86_400_000;

/** Start (UTC ms) of the trading day that contains `nowMs`, days starting at `hourUtc`. */
export function tradingDayStart(nowMs: number, hourUtc: number): number {
  const shift = hourUtc * 3_600_000;
  return Math.floor((nowMs - shift) / DAY_MS) * DAY_MS + shift;
}

export class AccountBook {
  account: AccountMessage | null = null;
  /** UTC ms the EA read the account. */
  accountTimeMs = 0;
  positions: PositionsMessage | null = null;
  /** Opens that filled since the last `positions` (which does not show them yet). */
  filledSincePositions = 0;

  constructor(private readonly config: TradingConfig, private readonly store: CommandStore) {}

  get baselines(): AccountBaselines {
    return this.store.baselines;
  }

  get equity(): number | null {
    return this.account?.equity ?? null;
  }

  /** Takes an `account`; true when the backend should get a new profile. */
  onAccount(msg: AccountMessage, offsetMs: number, nowMs: number): boolean {
    const prev = this.account;
    this.account = msg;
    this.accountTimeMs = msg.time_msc - offsetMs;
    const b = this.store.baselines;
    const day = tradingDayStart(nowMs, this.config.dayStartUtcHour);
    const next: AccountBaselines = { ...b };
    if (b.dayStartMs !== day) {
      next.dayStartMs = day;
      next.dayStartBalance = msg.balance;
    }
    if (msg.equity > next.peakEquity) next.peakEquity = msg.equity;
    if (next.dayStartMs !== b.dayStartMs || next.peakEquity !== b.peakEquity || next.dayStartBalance !== b.dayStartBalance) {
      this.store.saveBaselines(next);
    }
    return prev === null || prev.balance !== msg.balance || prev.equity !== msg.equity || prev.margin !== msg.margin
      || prev.margin_free !== msg.margin_free || prev.trade_allowed !== msg.trade_allowed || prev.login !== msg.login;
  }

  /** Takes a `positions`; true when the count of open positions changed. */
  onPositions(msg: PositionsMessage): boolean {
    const before = this.positions?.positions.length ?? -1;
    this.positions = msg;
    this.filledSincePositions = 0;
    return before !== msg.positions.length;
  }

  /** The profile, or null before the EA's first `account`. */
  profile(): AccountProfileData | null {
    const a = this.account;
    if (a === null) return null;
    const c = this.config;
    return {
      user_id: c.userId,
      account_number: a.login,
      broker_name: a.company,
      server_name: a.server,
      // ACCOUNT_TRADE_MODE 0 demo, 1 contest, 2 real -> AccountType 0 demo, 2 contest, 1 live.
      account_type: a.trade_mode === 2 ? 1 : a.trade_mode === 1 ? 2 : 0,
      base_currency: a.currency,
      balance: a.balance,
      equity: a.equity,
      margin_used: a.margin,
      margin_free: a.margin_free,
      leverage: a.leverage,
      margin_level: a.margin_level,
      trade_allowed: a.trade_allowed,
      margin_mode: a.margin_mode,
      time_msc: this.accountTimeMs,
      day_start_balance: this.baselines.dayStartBalance,
      peak_equity: this.baselines.peakEquity,
      open_positions: this.positions?.positions.length ?? 0,
      risk_profile: {
        max_risk_per_trade: c.maxRiskPerTradePercent, max_daily_loss: c.maxDailyLoss, max_drawdown: c.maxDrawdownPercent,
        allow_news_trading: c.allowNewsTrading, allowed_symbols: [...c.allowedSymbols], max_lot: c.maxLot, deviation_points: c.deviationPoints,
      },
      preferences: {
        preferred_lot_size: c.preferences.preferredLotSize, max_open_positions: c.maxOpenPositions,
        auto_close_friday: c.preferences.autoCloseFriday, conservative_mode: c.preferences.conservativeMode,
      },
    };
  }
}
