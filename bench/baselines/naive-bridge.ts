/**
 * The naive baseline of bench:e2e: what a straightforward Node bridge does. One thread; the EA
 * link on `ws`; per tick: parse the MqlTick record into an object, validate simply, update
 * `trading-signals` indicators, `JSON.stringify` the tick with its indicators and `ws.send` it to
 * the backend as one message. No rings, no workers, no WASM, no batching, no flow control.
 *
 *   EA (ea-sim) ──ws /ea, hello + binary MqlTick frames──► this process ──ws, JSON per tick──► json-sink
 *
 *   node --import tsx bench/baselines/naive-bridge.ts --port 0 --token T --sink ws://127.0.0.1:P/json
 *
 * IPC (forked): → {type:'ready', port} once the sink link is open and the EA link listens;
 * {type:'stats'} → {type:'stats', stats}; {type:'stop'} → exits.
 */
import { parseArgs } from 'node:util';
import { BollingerBands, EMA, MACD, RSI, SMA } from 'trading-signals';
import WebSocket, { WebSocketServer } from 'ws';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, token: { type: 'string' }, sink: { type: 'string' } } });
if (!values.token || !values.sink) throw new Error('naive-bridge needs --token and --sink');

interface SymbolState {
  name: string;
  lastTimeMsc: number;
  sequence: number;
  sma20: SMA; sma50: SMA; ema12: EMA; ema26: EMA; ema20: EMA; ema50: EMA; rsi: RSI; macd: MACD; bb: BollingerBands;
}

function newSymbol(name: string): SymbolState {
  return {
    name, lastTimeMsc: 0, sequence: 0,
    sma20: new SMA(20), sma50: new SMA(50), ema12: new EMA(12), ema26: new EMA(26), ema20: new EMA(20), ema50: new EMA(50),
    rsi: new RSI(14), macd: new MACD(new EMA(12), new EMA(26), new EMA(9)), bb: new BollingerBands(20, 2),
  };
}

const stats = { frames: 0, ticks_in: 0, accepted: 0, rejected: 0, sent: 0, sink_buffered_bytes: 0, sessions: 0 };
let symbols: SymbolState[] = [];
let offsetMs = 0;

const sink = new WebSocket(values.sink, { perMessageDeflate: false });
await new Promise<void>((resolve, reject) => { sink.once('open', () => resolve()); sink.once('error', reject); });

function onTickFrame(buf: Buffer): void {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const type = view.getUint8(0);
  const symbolId = view.getUint16(2, true);
  const count = view.getUint32(4, true);
  let p = type === 2 ? 16 : 8;
  const sym = symbols[symbolId];
  if (!sym) return;
  stats.frames++;
  const receivedAt = Date.now();
  for (let i = 0; i < count; i++, p += 60) {
    stats.ticks_in++;
    const tick = {
      symbol: sym.name,
      time_msc: Number(view.getBigInt64(p + 40, true)) - offsetMs,
      bid: view.getFloat64(p + 8, true),
      ask: view.getFloat64(p + 16, true),
      last: view.getFloat64(p + 24, true),
      volume: Number(view.getBigUint64(p + 32, true)),
      flags: view.getUint32(p + 48, true) & 0x7e,
      volume_real: view.getFloat64(p + 52, true),
      sequence_number: 0,
      received_at_ms: receivedAt,
      indicators: {} as Record<string, number | null>,
    };
    if (!(tick.bid > 0) || !(tick.ask >= tick.bid) || !Number.isFinite(tick.ask) || tick.time_msc < sym.lastTimeMsc
      || tick.time_msc < receivedAt - 5000) {
      stats.rejected++;
      continue;
    }
    sym.lastTimeMsc = tick.time_msc;
    const mid = (tick.bid + tick.ask) / 2;
    const macd = sym.macd.add(mid);
    const bb = sym.bb.add(mid);
    tick.indicators = {
      sma_20: sym.sma20.add(mid), sma_50: sym.sma50.add(mid), ema_12: sym.ema12.add(mid), ema_26: sym.ema26.add(mid),
      ema_20: sym.ema20.add(mid), ema_50: sym.ema50.add(mid), rsi: sym.rsi.add(mid),
      macd_line: macd?.macd ?? null, macd_signal: macd?.signal ?? null, macd_hist: macd?.histogram ?? null,
      bollinger_upper: bb?.upper ?? null, bollinger_middle: bb?.middle ?? null, bollinger_lower: bb?.lower ?? null,
    };
    tick.sequence_number = ++sym.sequence;
    stats.accepted++;
    sink.send(JSON.stringify(tick));
    stats.sent++;
  }
}

const server = new WebSocketServer({ host: '127.0.0.1', port: Number(values.port), path: '/ea', perMessageDeflate: false });
server.on('connection', (ea) => {
  ea.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) return onTickFrame(data);
    const msg = JSON.parse(data.toString('utf8')) as { type: string; token?: string; server_time_offset_s?: number; symbols?: Array<{ name: string }> };
    if (msg.type === 'hello') {
      if (msg.token !== values.token) return ea.close(4001, 'bad token');
      offsetMs = (msg.server_time_offset_s ?? 0) * 1000;
      // Keep per-symbol state across sessions, by name.
      const byName = new Map(symbols.map((s) => [s.name, s]));
      symbols = (msg.symbols ?? []).map((s) => byName.get(s.name) ?? newSymbol(s.name));
      stats.sessions++;
      ea.send(JSON.stringify({
        type: 'welcome', protocol: 1, session_id: String(stats.sessions), max_ticks_per_frame: 4096,
        symbols: symbols.map((s, id) => ({ name: s.name, id, cursor: { time_msc: 0, count_at_msc: 0 } })),
      }));
    } else if (msg.type === 'heartbeat') {
      offsetMs = (msg.server_time_offset_s ?? 0) * 1000;
    }
  });
});
await new Promise<void>((resolve) => server.once('listening', () => resolve()));
const port = (server.address() as { port: number }).port;

process.on('message', (m: { type?: string }) => {
  if (m?.type === 'stats') process.send?.({ type: 'stats', stats: { ...stats, sink_buffered_bytes: sink.bufferedAmount } });
  else if (m?.type === 'stop') process.exit(0);
});
process.once('disconnect', () => process.exit(0));
process.send?.({ type: 'ready', port });
