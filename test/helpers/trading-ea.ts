/**
 * A small EA for tests that follows docs/protocol.md section 1 over a real socket: hello with the
 * trading fields, account and positions after every welcome, and per command what the test asks
 * (fill, reject, or stay silent after `sent`, as a terminal that drops mid-trade would).
 */
import WebSocket from 'ws';
import {
  PROTOCOL_VERSION, type AccountMessage, type CommandMessage, type DealsMessage, type ExecutionMessage, type HelloMessage,
  type PositionsMessage, type SyncMessage,
} from '../../src/shared/protocol.js';

export type Behaviour = 'fill' | 'reject' | 'hang';

export class TradingEa {
  readonly commands: CommandMessage[] = [];
  readonly syncs: SyncMessage[] = [];
  readonly received: Array<Record<string, unknown>> = [];
  positions: PositionsMessage = { type: 'positions', time_msc: 0, positions: [], orders: [] };
  /** Answers to the next sync: replayed executions and the deals message's contents. */
  syncAnswer: ((sync: SyncMessage) => { replay: ExecutionMessage[]; deals: Omit<DealsMessage, 'type' | 'sync_id'> }) | null = null;
  behaviour: Behaviour = 'fill';
  private ws: WebSocket | null = null;
  private welcomed = false;

  constructor(private readonly url: string, private readonly token: string, readonly runId: string, private readonly offsetS = 7200) {}

  async connect(): Promise<void> {
    const ws = new WebSocket(this.url);
    this.ws = ws;
    this.welcomed = false;
    ws.on('message', (data, isBinary) => { if (!isBinary) this.onMessage(JSON.parse(String(data)) as Record<string, unknown>); });
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
    ws.send(JSON.stringify(this.hello()));
  }

  get ready(): boolean {
    return this.welcomed;
  }

  /** Drops the link abruptly (no close handshake), as a terminal that loses its connection. */
  async drop(): Promise<void> {
    const ws = this.ws;
    if (!ws) return;
    const closed = new Promise((resolve) => ws.once('close', resolve));
    ws.terminate();
    await closed;
    this.ws = null;
  }

  send(message: object): void {
    this.ws?.send(JSON.stringify(message));
  }

  /** A tick frame with one tick of symbol id `id` (server clock = UTC + offset). */
  tick(id: number, bid: number, ask: number): void {
    const buf = Buffer.alloc(8 + 60);
    buf.writeUInt8(1, 0);
    buf.writeUInt8(PROTOCOL_VERSION, 1);
    buf.writeUInt16LE(id, 2);
    buf.writeUInt32LE(1, 4);
    const msc = Date.now() + this.offsetS * 1000;
    buf.writeBigInt64LE(BigInt(Math.floor(msc / 1000)), 8);
    buf.writeDoubleLE(bid, 16);
    buf.writeDoubleLE(ask, 24);
    buf.writeBigUInt64LE(1n, 40);
    buf.writeBigInt64LE(BigInt(msc), 48);
    buf.writeUInt32LE(6, 56);
    this.ws?.send(buf);
  }

  account(over: Partial<AccountMessage> = {}): AccountMessage {
    return {
      type: 'account', time_msc: Date.now() + this.offsetS * 1000, login: '51234567', server: 'SimBroker-Demo', company: 'Simulated Broker Ltd',
      currency: 'USD', leverage: 100, trade_mode: 0, margin_mode: 2, balance: 10000, equity: 10000, profit: 0, margin: 0,
      margin_free: 10000, margin_level: 0, trade_allowed: true, ...over,
    };
  }

  execution(c: CommandMessage, stage: ExecutionMessage['stage'], over: Partial<ExecutionMessage> = {}): ExecutionMessage {
    return {
      type: 'execution', command_id: c.command_id, stage, source: stage === 'received' ? 'ea' : 'server', retcode: 0, retcode_text: '',
      reason: '', symbol: c.symbol, ticket: '', order: '', deal: '', volume: 0, price: 0, requested_volume: c.volume,
      requested_price: 0, sl: c.sl, tp: c.tp, filling: '', time_msc: Date.now() + this.offsetS * 1000, replay: false, ...over,
    };
  }

  private hello(): HelloMessage {
    return {
      type: 'hello', protocol: PROTOCOL_VERSION, token: this.token, ea: { name: 'test-ea', version: '1', magic: 5350001, run_id: this.runId },
      account: { login: '51234567', server: 'SimBroker-Demo', company: 'Simulated Broker Ltd', currency: 'USD', leverage: 100, trade_mode: 0, margin_mode: 2 },
      server_time_offset_s: this.offsetS,
      symbols: [{
        name: 'EURUSD', digits: 5, point: 0.00001, contract_size: 100000, volume_min: 0.01, volume_step: 0.01, volume_max: 100,
        stops_level: 0, freeze_level: 0, filling_modes: 3, tick_size: 0.00001, trade_mode: 4, execution_mode: 2, order_modes: 127, expiration_modes: 7,
      }],
    };
  }

  private onMessage(m: Record<string, unknown>): void {
    this.received.push(m);
    if (m.type === 'welcome') {
      this.welcomed = true;
      this.send(this.account());
      this.send({ ...this.positions, time_msc: Date.now() + this.offsetS * 1000 });
    } else if (m.type === 'command') {
      const c = m as unknown as CommandMessage;
      this.commands.push(c);
      this.send(this.execution(c, 'received'));
      if (this.behaviour === 'reject') {
        this.send(this.execution(c, 'rejected', { retcode: 10019, retcode_text: 'No money' }));
        return;
      }
      this.send(this.execution(c, 'sent', { requested_price: 1.08512, filling: 'fok' }));
      if (this.behaviour === 'hang') return;
      this.send(this.execution(c, 'filled', {
        retcode: 10009, retcode_text: 'Request executed', ticket: '70001', order: '70001', deal: '80001', volume: c.volume,
        price: 1.08514, requested_price: 1.08512, filling: 'fok',
      }));
    } else if (m.type === 'sync') {
      const sync = m as unknown as SyncMessage;
      this.syncs.push(sync);
      const answer = this.syncAnswer?.(sync) ?? { replay: [], deals: { from_msc: 0, to_msc: 0, unknown_command_ids: sync.command_ids, deals: [] } };
      for (const e of answer.replay) this.send(e);
      this.send({ type: 'deals', sync_id: sync.sync_id, ...answer.deals });
    }
  }
}
