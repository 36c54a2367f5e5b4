// The simulated EA's trading half against a small bridge written from docs/protocol.md section 1
// ("Trading"): a `ws` server that welcomes the EA, sends `command` and `sync` messages and keeps
// what comes back. Stages in order, every paper-broker retcode through its `sim:` directive, the
// EA's own checks, duplicates, the queue limit, `sync` answers (also after a dropped link and an EA
// restart), account/positions at welcome and unsolicited deals.
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { startEaSim, type EaSimHandle } from '../../../src/ea-sim/ea-sim.js';
import type {
  CommandMessage, DealsMessage, ExecutionMessage, HelloMessage, PositionsMessage,
} from '../../../src/shared/protocol.js';

const TOKEN = 'test-token-0123456789';

interface Msg { type: string; [k: string]: unknown }

class Bridge {
  readonly hellos: HelloMessage[] = [];
  /** Every text message of every session, in order. */
  readonly messages: Msg[] = [];
  socket: WebSocket | null = null;
  private constructor(private readonly server: WebSocketServer) {
    server.on('connection', (ws) => {
      ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        const msg = JSON.parse(String(data)) as Msg;
        if (msg.type === 'hello') {
          const hello = msg as unknown as HelloMessage;
          this.hellos.push(hello);
          this.socket = ws;
          ws.send(JSON.stringify({
            type: 'welcome', protocol: 1, session_id: String(this.hellos.length), max_ticks_per_frame: 4096,
            symbols: hello.symbols.map((s, i) => ({ name: s.name, id: i + 1, cursor: { time_msc: 0, count_at_msc: 0 } })),
          }));
        }
        this.messages.push(msg);
      });
    });
  }

  static async start(): Promise<Bridge> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/ea' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    return new Bridge(server);
  }

  get url(): string {
    const a = this.server.address();
    return `ws://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/ea`;
  }

  send(msg: object): void {
    this.socket?.send(JSON.stringify(msg));
  }

  executions(id: string): ExecutionMessage[] {
    return this.messages.filter((m) => m.type === 'execution' && m.command_id === id) as unknown as ExecutionMessage[];
  }

  final(id: string): ExecutionMessage | undefined {
    return this.executions(id).find((e) => ['filled', 'partially_filled', 'rejected'].includes(e.stage) && !e.replay);
  }

  async close(): Promise<void> {
    for (const c of this.server.clients) c.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

async function until(what: string, cond: () => unknown, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

let ref = 0;
function command(over: Partial<CommandMessage>): CommandMessage {
  ref++;
  return {
    type: 'command', command_id: `cmd-${ref}`, kind: 'open', symbol: 'EURUSD', symbol_id: 1, order_type: 'buy', volume: 0.1, price: 0,
    sl: 0, tp: 0, deviation_points: 10, expires_at_ms: 0, order_expiration_ms: 0, ticket: '', magic: 0, comment: `cm5:${ref}`, ...over,
  };
}

let bridge: Bridge | null = null;
let sim: EaSimHandle | null = null;
afterEach(async () => {
  await sim?.stop();
  await bridge?.close();
  sim = null;
  bridge = null;
});

async function start(): Promise<{ b: Bridge; s: EaSimHandle }> {
  bridge = await Bridge.start();
  sim = await startEaSim({ url: bridge.url, token: TOKEN, log: () => {}, symbols: 3, ratePerS: 3000, invalidRate: 0, tradeLatencyMs: 0 });
  await until('account and positions', () => bridge!.messages.some((m) => m.type === 'positions'));
  return { b: bridge, s: sim };
}

async function run(b: Bridge, cmd: CommandMessage): Promise<ExecutionMessage> {
  b.send(cmd);
  await until(`the final stage of ${cmd.command_id}`, () => b.final(cmd.command_id));
  return b.final(cmd.command_id)!;
}

describe('ea-sim trading half', () => {
  it('reports account then positions at welcome, and received, sent, filled for a market order, then the new position', async () => {
    const { b, s } = await start();
    expect(b.messages.filter((m) => m.type !== 'hello' && m.type !== 'heartbeat').slice(0, 2).map((m) => m.type)).toEqual(['account', 'positions']);
    expect(b.messages.find((m) => m.type === 'account')).toMatchObject({ login: '51234567', balance: 10000, equity: 10000, margin: 0, margin_mode: 2, trade_allowed: true });
    expect(b.hellos[0].ea).toMatchObject({ magic: 5350001, run_id: expect.any(String) });
    const cmd = command({ sl: 0, tp: 0 });
    const final = await run(b, cmd);
    expect(b.executions(cmd.command_id).map((e) => e.stage)).toEqual(['received', 'sent', 'filled']);
    const sent = b.executions(cmd.command_id)[1];
    expect(sent).toMatchObject({ source: 'ea', retcode: 0, filling: 'fok', requested_volume: 0.1 });
    expect(final).toMatchObject({ source: 'server', retcode: 10009, volume: 0.1, filling: 'fok', replay: false });
    expect(final.ticket).toMatch(/^\d+$/);
    expect(final.deal).toMatch(/^\d+$/);
    expect(Math.abs(final.price - sent.requested_price)).toBeLessThanOrEqual(2e-5 + 1e-12); // slippage within 2 points
    await until('positions with the new position', () => b.messages.some((m) => m.type === 'positions'
      && (m as unknown as PositionsMessage).positions.some((p) => p.ticket === final.ticket && p.comment === cmd.comment)));
    expect(s.broker.book.positions.get(final.ticket)).toMatchObject({ volume: 0.1, magic: 5350001 });
  });

  it('answers each trade-server retcode its sim: directive asks for, and 10008 for a pending order', async () => {
    const { b, s } = await start();
    const cases: Array<[string, string, number]> = [
      ['requote', 'rejected', 10004], ['price_changed', 'rejected', 10020], ['no_money', 'rejected', 10019],
      ['invalid_stops', 'rejected', 10016], ['invalid_volume', 'rejected', 10014], ['market_closed', 'rejected', 10018],
      ['invalid_fill', 'rejected', 10030], ['reject', 'rejected', 10006], ['partial', 'partially_filled', 10010],
    ];
    for (const [name, stage, retcode] of cases) {
      const final = await run(b, command({ command_id: `x-sim:${name}`, volume: 0.3 }));
      expect(final, name).toMatchObject({ stage, retcode, source: 'server' });
    }
    expect(b.final('x-sim:partial')).toMatchObject({ volume: 0.15, filling: 'ioc' });
    expect(b.final('x-sim:invalid_fill')).toMatchObject({ filling: 'ioc' }); // the one retry after FOK
    expect(s.broker.book.positions.size).toBe(1); // only the partial fill executed
    const ask = s.broker.quotes.quote('EURUSD')!.ask;
    const pending = await run(b, command({ order_type: 'buy_limit', price: Math.round((ask - 0.005) * 1e5) / 1e5 }));
    expect(pending).toMatchObject({ stage: 'filled', retcode: 10008, volume: 0.1, filling: 'return' });
    expect(s.broker.book.orders.get(pending.ticket)).toMatchObject({ type: 'buy_limit' });
  });

  it('refuses with its own checks (source ea) and executes a command_id once, replaying its latest stage', async () => {
    const { b, s } = await start();
    const ask = s.broker.quotes.quote('EURUSD')!.ask;
    expect(await run(b, command({ volume: 250 }))).toMatchObject({ stage: 'rejected', source: 'ea', reason: 'EA_INVALID_VOLUME', retcode: 10014 });
    expect(await run(b, command({ expires_at_ms: Date.now() - 1 }))).toMatchObject({ reason: 'EA_EXPIRED', retcode: 0 });
    expect(await run(b, command({ symbol: 'XAUUSD' }))).toMatchObject({ reason: 'EA_UNKNOWN_SYMBOL', retcode: 10013 });
    expect(await run(b, command({ sl: ask + 0.001 }))).toMatchObject({ reason: 'EA_INVALID_STOPS', retcode: 10016 });
    expect(await run(b, command({ kind: 'close', order_type: '', volume: 0, ticket: '123' }))).toMatchObject({ reason: 'EA_NOT_FOUND', retcode: 10036 });
    expect(await run(b, command({ kind: 'launch' as never }))).toMatchObject({ reason: 'EA_BAD_COMMAND' });
    const once = command({});
    await run(b, once);
    b.send(once);
    await until('the replay', () => b.executions(once.command_id).some((e) => e.replay));
    expect(b.executions(once.command_id).map((e) => [e.stage, e.replay])).toEqual([['received', false], ['sent', false], ['filled', false], ['filled', true]]);
    expect(s.broker.book.positions.size).toBe(1);
    expect(s.trading()).toMatchObject({ commands_received: 7, commands_replayed: 1 });
  });

  it('holds 256 commands while one executes and rejects the next with EA_BUSY', async () => {
    const { b } = await start();
    b.send(command({ command_id: 'slow-sim:delay=1500' }));
    const burst = Array.from({ length: 257 }, () => command({ volume: 0.01 }));
    for (const c of burst) b.send(c);
    await until('every final', () => burst.every((c) => b.final(c.command_id)), 30000);
    const busy = burst.filter((c) => b.final(c.command_id)!.reason === 'EA_BUSY');
    expect(busy.map((c) => c.command_id)).toEqual([burst[256].command_id]);
    expect(b.final(busy[0].command_id)).toMatchObject({ stage: 'rejected', retcode: 10024 });
  });

  it('answers sync with the latest stage of each known command, then deals with the unknown ids — also after a dropped link, not after a restart', async () => {
    const { b, s } = await start();
    const done = command({});
    const final = await run(b, done);
    // sim:drop: the trade executes, then the link drops before the final stage goes out.
    const dropped = command({ command_id: 'lost-sim:drop' });
    b.send(dropped);
    await until('the reconnect', () => b.hellos.length === 2 && b.messages.filter((m) => m.type === 'positions').length >= 3);
    expect(b.executions(dropped.command_id).map((e) => e.stage)).toEqual(['received', 'sent']);
    expect(b.hellos[1].ea.run_id).toBe(b.hellos[0].ea.run_id);
    const sync = (id: string, ids: string[]) => b.send({ type: 'sync', sync_id: id, command_ids: ids, deals_from_ms: Date.now() - 60_000 });
    sync('7', [done.command_id, dropped.command_id, 'never-sent']);
    await until('the deals answer', () => b.messages.some((m) => m.type === 'deals' && m.sync_id === '7'));
    const answer = b.messages.slice(b.messages.findIndex((m) => m.type === 'execution' && m.replay));
    expect(answer.slice(0, 3).map((m) => [m.type, m.command_id ?? m.sync_id, m.stage ?? null])).toEqual([
      ['execution', done.command_id, 'filled'], ['execution', dropped.command_id, 'filled'], ['deals', '7', null],
    ]);
    const deals = answer[2] as unknown as DealsMessage;
    expect(deals.unknown_command_ids).toEqual(['never-sent']);
    expect(deals.deals.map((d) => [d.ticket, d.comment, d.entry])).toContainEqual([final.deal, done.comment, 'in']);
    expect(deals.deals.filter((d) => d.comment === dropped.comment && d.entry === 'in')).toHaveLength(1);

    expect(s.restartEa()).toBe(true);
    await until('the new run', () => b.hellos.length === 3);
    expect(b.hellos[2].ea.run_id).not.toBe(b.hellos[0].ea.run_id);
    await until('positions after the restart', () => b.messages.filter((m) => m.type === 'positions').length >= 4);
    sync('8', [done.command_id]);
    await until('the deals answer', () => b.messages.some((m) => m.type === 'deals' && m.sync_id === '8'));
    const after = b.messages.find((m) => m.type === 'deals' && m.sync_id === '8') as unknown as DealsMessage;
    expect(after.unknown_command_ids).toEqual([done.command_id]);
    expect(after.deals.some((d) => d.comment === done.comment)).toBe(true); // the trade server kept the history
  });

  it('reports unsolicited deals when the sim\'s quotes fill a pending order, and close_all closes and deletes the rest', async () => {
    const { b, s } = await start();
    const q = s.broker.quotes.quote('EURUSD')!;
    const near = (x: number) => Math.round(x * 1e5) / 1e5;
    await run(b, command({ order_type: 'buy_stop', price: near(q.ask + 2e-5) }));
    await run(b, command({ order_type: 'sell_stop', price: near(q.bid - 2e-5) }));
    await until('a pending order filled by the quotes', () => b.messages.some((m) => m.type === 'deals' && m.sync_id === ''));
    const deals = b.messages.find((m) => m.type === 'deals' && m.sync_id === '') as unknown as DealsMessage;
    expect(deals).toMatchObject({ from_msc: 0, to_msc: 0, unknown_command_ids: [] });
    expect(deals.deals[0]).toMatchObject({ entry: 'in', reason: 'expert', volume: 0.1, symbol: 'EURUSD' });
    const all = await run(b, command({ kind: 'close_all', symbol: '', order_type: '', volume: 0 }));
    expect(all).toMatchObject({ stage: 'filled', retcode: 10009 });
    expect(s.broker.book.positions.size + s.broker.book.orders.size).toBe(0);
    const empty = await run(b, command({ kind: 'close_all', symbol: '', order_type: '', volume: 0 }));
    expect(empty).toMatchObject({ stage: 'filled', volume: 0 });
    // nothing to close: done by the EA itself, without a `sent` (protocol.md, close_all)
    expect(b.executions(empty.command_id).map((e) => e.stage)).toEqual(['received', 'filled']);
    expect(empty).toMatchObject({ source: 'ea', retcode: 10009, ticket: '' });
  });

  it('a modify to the levels already there is filled with 10025; a rejected close or modify carries no ticket', async () => {
    const { b, s } = await start();
    const open = await run(b, command({}));
    const bid = s.broker.quotes.quote('EURUSD')!.bid;
    const sl = Math.round((bid - 0.005) * 1e5) / 1e5;
    const tp = Math.round((bid + 0.005) * 1e5) / 1e5;
    const modify = (over: Partial<CommandMessage>) => command({ kind: 'modify', order_type: '', volume: 0, ticket: open.ticket, sl, tp, ...over });
    expect(await run(b, modify({}))).toMatchObject({ stage: 'filled', retcode: 10009, ticket: open.ticket });
    const again = await run(b, modify({}));
    expect(again).toMatchObject({ stage: 'filled', source: 'server', retcode: 10025, ticket: open.ticket, volume: 0 });
    expect(b.executions(again.command_id).map((e) => e.stage)).toEqual(['received', 'sent', 'filled']);
    expect(await run(b, modify({ sl: bid + 0.001 }))).toMatchObject({ stage: 'rejected', reason: 'EA_INVALID_STOPS', ticket: '' });
    expect(await run(b, command({ kind: 'close', order_type: '', volume: 0, ticket: '999999' }))).toMatchObject({ stage: 'rejected', ticket: '' });
  });
});
