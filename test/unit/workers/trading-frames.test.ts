/**
 * The trading half of the backend link against the golden fixtures (encoded by protoc from
 * test/fixtures/backend-link/*.txtpb): the client's encoders write exactly those bytes, its
 * decoder reads the command, and the outbox keeps reports until Ack.report_sequence, re-sending
 * them in order on every link open.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { clientmt5 } from '../../../src/gen/clientmt5.js';
import type { AccountProfileData, ClientPriceStreamData, ExecutionReportData } from '../../../src/shared/trading.js';
import {
  commandData, encodeAccountProfile, encodeClientPrices, encodeExecutionReport, TradingOutbox,
} from '../../../src/workers/trading-frames.js';

const fixture = (name: string) => new Uint8Array(readFileSync(join(import.meta.dirname, '../../fixtures/backend-link', name)));

const REPORT: ExecutionReportData = {
  command_id: '7f3c9a2e-5b1d-4e8a-9c6f-0d2b4a6e8f10', status: 3, final: true, ticket: '5012345678901', symbol: 'EURUSD',
  volume: 0.1, price: 1.08524, requested_price: 1.08522, slippage_points: 2, retcode: 10009, reason: '', time_msc: 1718006401587,
  report_sequence: 3, price_adjustment: 0.00012, adjustment_reason: 're-based on the user\'s ask 1.08522 (reference 1.0851): +12.0 points',
  source: 'server', message: 'Request executed', requested_volume: 0.1, order: '5012345678901', deal: '4012345678902',
  stop_loss: 1.08222, take_profit: 1.09122, correction: false, repeat: false,
};

describe('golden fixtures', () => {
  test('ExecutionReport', () => {
    expect(Buffer.from(encodeExecutionReport(REPORT)).toString('hex')).toBe(Buffer.from(fixture('execution-report.bin')).toString('hex'));
  });

  test('AccountProfile', () => {
    const p: AccountProfileData = {
      user_id: 'user-42', account_number: '51234567', broker_name: 'Simulated Broker Ltd', server_name: 'SimBroker-Demo', account_type: 0,
      base_currency: 'USD', balance: 10000, equity: 9998.4, margin_used: 107.52, margin_free: 9890.88, leverage: 100, margin_level: 9299.11,
      trade_allowed: true, margin_mode: 2, time_msc: 1718006401600, day_start_balance: 10000, peak_equity: 10012.5, open_positions: 1,
      risk_profile: { max_risk_per_trade: 2, max_daily_loss: 500, max_drawdown: 10, allow_news_trading: false, allowed_symbols: ['EURUSD', 'USDJPY'], max_lot: 1, deviation_points: 10 },
      preferences: { preferred_lot_size: 0.1, max_open_positions: 5, auto_close_friday: false, conservative_mode: false },
    };
    expect(Buffer.from(encodeAccountProfile(p)).toString('hex')).toBe(Buffer.from(fixture('account-profile.bin')).toString('hex'));
  });

  test('ClientPriceStream', () => {
    const p: ClientPriceStreamData = {
      user_id: 'user-42', broker_name: 'Simulated Broker Ltd', account_number: '51234567', batch_timestamp: 1718006401300,
      prices: [
        { symbol: 'EURUSD', bid: 1.0851, ask: 1.08522, spread: 12, timestamp: 1718006401250, broker_server: 'SimBroker-Demo' },
        { symbol: 'USDJPY', bid: 157.231, ask: 157.245, spread: 14, timestamp: 1718006401180, broker_server: 'SimBroker-Demo' },
      ],
    };
    expect(Buffer.from(encodeClientPrices(p)).toString('hex')).toBe(Buffer.from(fixture('client-prices.bin')).toString('hex'));
  });

  test('TradingCommand decodes to the command data main gets', () => {
    const env = clientmt5.v1.Envelope.decode(fixture('trading-command.bin'));
    expect(commandData(env.trading_command!)).toEqual({
      command_id: '7f3c9a2e-5b1d-4e8a-9c6f-0d2b4a6e8f10', user_id: 'user-42', type: 0, symbol: 'EURUSD', order_type: 0, lot_size: 0.1,
      entry_price: 0, stop_loss: 1.0821, take_profit: 1.0911, reason: 'RSI(14) crossed above 30', confidence_score: 0.72,
      expires_at: 1718006430000, original_entry: 1.0851, price_adjustment: 0, adjustment_reason: '', ticket: '', deviation_points: 10,
      order_expiration: 0, magic: 0,
    });
  });

  test('Ack carries report_sequence beside batch_sequence', () => {
    const env = clientmt5.v1.Envelope.decode(fixture('ack-reports.bin'));
    expect(env.ack).toMatchObject({ batch_sequence: 7, report_sequence: 3 });
  });
});

describe('TradingOutbox', () => {
  test('reports go out while open, stay until acked, go again in order on open, and are not queued twice', () => {
    const sent: number[] = [];
    const link = { isOpen: false, send: (b: Uint8Array) => { sent.push(Number(clientmt5.v1.Envelope.decode(b).execution_report?.report_sequence ?? -1)); } };
    const outbox = new TradingOutbox(link);
    const r = (n: number) => ({ ...REPORT, report_sequence: n });
    outbox.take({ type: 'reports', reports: [r(1), r(2)] });
    expect(sent).toEqual([]);
    link.isOpen = true;
    outbox.onOpen();
    outbox.take({ type: 'reports', reports: [r(2), r(3)] }); // 2 again: main re-sent after a restart
    expect(sent).toEqual([1, 2, 3]);
    expect(outbox.ackThrough(2)).toBe(true);
    expect(outbox.ackThrough(1)).toBe(false);
    sent.length = 0;
    outbox.onOpen();
    expect(sent).toEqual([3]);
    expect(outbox.unacked).toBe(1);
  });
});
