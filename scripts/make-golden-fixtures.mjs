// Writes the EA link's golden fixtures (test/fixtures/ea-link/) from the explicit values below, and
// their README with annotated hex dumps. The bytes are the contract (docs/protocol.md): they are
// committed, and tests check the TypeScript encoder and the bridge's reader against them. This
// script encodes on its own, with Buffer and BigInt, and imports nothing from src/, so that it is
// an independent second implementation of the layout.
//
//   node scripts/make-golden-fixtures.mjs          (re-run only to add fixtures; diff the result)
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'ea-link');

// ── values ─────────────────────────────────────────────────────────────────────────────────────
// Server clock GMT+2 (server_time_offset_s 7200): 1718013600123 reads 2024-06-10 10:00:00.123 on
// the broker's clock, which is 2024-06-10 08:00:00.123 UTC (1718006400123).
const EURUSD_ID = 1;
const USDJPY_ID = 258; // > 255 so that the u16's byte order shows
const OFFSET_S = 7200;

const tick = (timeMsc, bid, ask, last, volume, flags, volumeReal) => ({ timeMsc, bid, ask, last, volume, flags, volumeReal });

const FRAMES = {
  'ticks-eurusd-3.bin': {
    type: 1, symbolId: EURUSD_ID,
    what: 'FRAME_TICKS, EURUSD, 3 ticks: two in the same millisecond, an undocumented flag bit (bit 31), volume above 2^32',
    ticks: [
      tick(1718013600123, 1.07512, 1.07519, 0, 0, 0x00000006, 0),
      tick(1718013600123, 1.07512, 1.0752, 0, 0, 0x80000004, 0),
      tick(1718013601007, 1.07515, 1.07521, 1.07518, 6000000000, 0x0000011e, 6000000000.25),
    ],
  },
  'backfill-eurusd-2.bin': {
    type: 2, symbolId: EURUSD_ID, capturedAtMs: 1718006402000.5,
    what: 'FRAME_TICKS_BACKFILL, EURUSD, 2 ticks, captured_at_ms 1718006402000.5 (UTC)',
    ticks: [
      tick(1718013601500, 1.07516, 1.07522, 0, 0, 0x00000006, 0),
      tick(1718013601999, 1.07517, 1.07522, 0, 0, 0x00000002, 0),
    ],
  },
  'ticks-usdjpy-1.bin': {
    type: 1, symbolId: USDJPY_ID,
    what: 'FRAME_TICKS, USDJPY (3 digits, symbol id 258 = 0x0102), 1 tick',
    ticks: [tick(1718013602250, 157.123, 157.131, 0, 0, 0x00000006, 0)],
  },
};

function encode(f) {
  const extra = f.type === 2 ? 8 : 0;
  const b = Buffer.alloc(8 + extra + f.ticks.length * 60);
  b.writeUInt8(f.type, 0);
  b.writeUInt8(1, 1);
  b.writeUInt16LE(f.symbolId, 2);
  b.writeUInt32LE(f.ticks.length, 4);
  if (extra) b.writeDoubleLE(f.capturedAtMs, 8);
  f.ticks.forEach((t, i) => {
    const p = 8 + extra + i * 60;
    b.writeBigInt64LE(BigInt(Math.floor(t.timeMsc / 1000)), p);
    b.writeDoubleLE(t.bid, p + 8);
    b.writeDoubleLE(t.ask, p + 16);
    b.writeDoubleLE(t.last, p + 24);
    b.writeBigUInt64LE(BigInt(t.volume), p + 32);
    b.writeBigInt64LE(BigInt(t.timeMsc), p + 40);
    b.writeUInt32LE(t.flags, p + 48);
    b.writeDoubleLE(t.volumeReal, p + 52);
  });
  return b;
}

const good = Object.fromEntries(Object.entries(FRAMES).map(([name, f]) => [name, encode(f)]));
const base = good['ticks-eurusd-3.bin'];
const patched = (at, write) => { const b = Buffer.from(base); write(b, at); return b; };
const header = (type, count, len = 8) => { const b = Buffer.alloc(len); b.writeUInt8(type, 0); b.writeUInt8(1, 1); b.writeUInt16LE(EURUSD_ID, 2); b.writeUInt32LE(count, 4); return b; };

const BAD = {
  'bad-truncated-record.bin': [base.subarray(0, base.length - 10), 'ticks-eurusd-3.bin without its last 10 bytes (the third record is cut)',
    'frame of 178 bytes for 3 ticks, expected 188 (60-byte MqlTick records)'],
  'bad-count-mismatch.bin': [patched(4, (b) => b.writeUInt32LE(4, 4)), 'ticks-eurusd-3.bin with count 4 in the header but 3 records',
    'frame of 188 bytes for 4 ticks, expected 248 (60-byte MqlTick records)'],
  'bad-version.bin': [patched(1, (b) => b.writeUInt8(2, 1)), 'ticks-eurusd-3.bin with protocol version 2',
    'frame protocol version 2, expected 1'],
  'bad-unknown-type.bin': [patched(0, (b) => b.writeUInt8(3, 0)), 'ticks-eurusd-3.bin with frame type 3',
    'unknown frame type 3'],
  'bad-zero-count.bin': [header(1, 0), 'an 8-byte FRAME_TICKS header with count 0 and no records',
    'tick count 0 outside 1..4096'],
  'bad-too-many-ticks.bin': [header(1, 4097), 'an 8-byte FRAME_TICKS header with count 4097 (the maximum is 4096)',
    'tick count 4097 outside 1..4096'],
  'bad-short-header.bin': [base.subarray(0, 6), 'the first 6 bytes of ticks-eurusd-3.bin',
    'frame of 6 bytes is shorter than the 8-byte header'],
  'bad-backfill-no-captured.bin': [header(2, 1, 12), 'a FRAME_TICKS_BACKFILL header (count 1) and 4 bytes: no room for captured_at_ms',
    'backfill frame of 12 bytes has no captured_at_ms'],
};

// ── JSON control messages ──────────────────────────────────────────────────────────────────────
const spec = (name, digits, stops) => ({
  name, digits, point: digits === 3 ? 0.001 : 0.00001, contract_size: 100000, volume_min: 0.01, volume_step: 0.01,
  volume_max: 100, stops_level: stops, freeze_level: 0, filling_modes: 3,
  // for commands: prices are multiples of tick_size; SYMBOL_TRADE_MODE_FULL (4); market execution (2);
  // SYMBOL_ORDER_MODE: every order kind (1|2|4|8|16|32|64); SYMBOL_EXPIRATION_MODE: GTC, day, specified (1|2|4)
  tick_size: digits === 3 ? 0.001 : 0.00001, trade_mode: 4, execution_mode: 2, order_modes: 127, expiration_modes: 7,
});
// A command in doubt is matched by the comment the bridge put on its order: `cm5:` + its ref.
const COMMAND_ID = '7f3c9a2e-5b1d-4e8a-9c6f-0d2b4a6e8f10';
const MAGIC = 5350001;
const JSON_MESSAGES = {
  'hello.json': ['EA -> bridge, first frame', {
    type: 'hello', protocol: 1, token: 'fixture-token-0123',
    ea: { name: 'ClientMT5', version: '1.0.0', magic: MAGIC, run_id: '1718013590-4021' },
    account: {
      login: '51234567', server: 'SimBroker-Demo', company: 'Simulated Broker Ltd', currency: 'USD', leverage: 100, trade_mode: 0,
      margin_mode: 2,
    },
    server_time_offset_s: OFFSET_S,
    symbols: [spec('EURUSD', 5, 0), spec('USDJPY', 3, 10)],
  }],
  'welcome.json': ['bridge -> EA, answer to hello: ids and resume cursors (EURUSD: the bridge holds 2 ticks at 1718013600123; USDJPY: nothing, start live)', {
    type: 'welcome', protocol: 1, session_id: '1', max_ticks_per_frame: 4096,
    symbols: [
      { name: 'EURUSD', id: EURUSD_ID, cursor: { time_msc: 1718013600123, count_at_msc: 2 } },
      { name: 'USDJPY', id: USDJPY_ID, cursor: { time_msc: 0, count_at_msc: 0 } },
    ],
  }],
  'heartbeat-ea.json': ['EA -> bridge, every few seconds (server clock, and the offset again)', {
    type: 'heartbeat', time_msc: 1718013605000, server_time_offset_s: OFFSET_S,
  }],
  'heartbeat-bridge.json': ['bridge -> EA, optional (UTC clock)', { type: 'heartbeat', time_msc: 1718006405000 }],
  'pause.json': ['bridge -> EA: stop sending ticks', { type: 'pause', reason: 'lane 0 ring full' }],
  'resume.json': ['bridge -> EA: send again; nothing was dropped, continue where you stopped', { type: 'resume', symbols: [] }],
  'resume-cursor.json': ['bridge -> EA: send again from this cursor (EURUSD: everything after the 1 tick at 1718013601007)', {
    type: 'resume', symbols: [{ id: EURUSD_ID, cursor: { time_msc: 1718013601007, count_at_msc: 1 } }],
  }],
  'error.json': ['either direction: what was wrong with what the peer sent', {
    type: 'error', code: 'EA_BAD_FRAME', message: 'frame of 178 bytes for 3 ticks, expected 188 (60-byte MqlTick records)',
  }],
  // ── trading half ──
  'command-open.json': ['bridge -> EA: open 0.10 lot EURUSD at market with SL/TP, at most 10 points of slippage, valid until 08:00:30 UTC', {
    type: 'command', command_id: COMMAND_ID, kind: 'open', symbol: 'EURUSD', symbol_id: EURUSD_ID, order_type: 'buy',
    volume: 0.1, price: 0, sl: 1.07312, tp: 1.07912, deviation_points: 10, expires_at_ms: 1718006430000,
    order_expiration_ms: 0, ticket: '', magic: MAGIC, comment: 'cm5:1042',
  }],
  'command-close.json': ['bridge -> EA: close 0.05 lot of position 5012345678901 (a partial close; 0 closes it all)', {
    type: 'command', command_id: 'c1d2e3f4-0000-4000-8000-000000000002', kind: 'close', symbol: 'EURUSD', symbol_id: EURUSD_ID,
    order_type: '', volume: 0.05, price: 0, sl: 0, tp: 0, deviation_points: 10, expires_at_ms: 1718006460000,
    order_expiration_ms: 0, ticket: '5012345678901', magic: MAGIC, comment: 'cm5:1043',
  }],
  'execution-received.json': ['EA -> bridge: the first stage of every command', {
    type: 'execution', command_id: COMMAND_ID, stage: 'received', source: 'ea', retcode: 0, retcode_text: '', reason: '',
    symbol: 'EURUSD', ticket: '', order: '', deal: '', volume: 0, price: 0, requested_volume: 0.1, requested_price: 0,
    sl: 1.07312, tp: 1.07912, filling: '', time_msc: 1718013601520, replay: false,
  }],
  'execution-filled.json': ['EA -> bridge: final, the whole volume filled 2 points above the requested price (deal from OnTradeTransaction)', {
    type: 'execution', command_id: COMMAND_ID, stage: 'filled', source: 'server', retcode: 10009, retcode_text: 'Request executed',
    reason: '', symbol: 'EURUSD', ticket: '5012345678901', order: '5012345678901', deal: '4012345678902', volume: 0.1,
    price: 1.07524, requested_volume: 0.1, requested_price: 1.07522, sl: 1.07312, tp: 1.07912, filling: 'fok',
    time_msc: 1718013601587, replay: false,
  }],
  'execution-rejected.json': ['EA -> bridge: final, the trade server refused (requote, 10004)', {
    type: 'execution', command_id: COMMAND_ID, stage: 'rejected', source: 'server', retcode: 10004, retcode_text: 'Requote',
    reason: '', symbol: 'EURUSD', ticket: '', order: '', deal: '', volume: 0, price: 0, requested_volume: 0.1,
    requested_price: 1.07522, sl: 1.07312, tp: 1.07912, filling: 'fok', time_msc: 1718013601590, replay: false,
  }],
  'execution-ea-rejected.json': ['EA -> bridge: final, refused by the EA before the trade server (volume above the symbol maximum)', {
    type: 'execution', command_id: COMMAND_ID, stage: 'rejected', source: 'ea', retcode: 10014, retcode_text: 'volume 250 above SYMBOL_VOLUME_MAX 100',
    reason: 'EA_INVALID_VOLUME', symbol: 'EURUSD', ticket: '', order: '', deal: '', volume: 0, price: 0, requested_volume: 250,
    requested_price: 0, sl: 1.07312, tp: 1.07912, filling: '', time_msc: 1718013601521, replay: false,
  }],
  'account.json': ['EA -> bridge: the account, at each welcome, on change (at most 1/s) and every 60 s', {
    type: 'account', time_msc: 1718013601600, login: '51234567', server: 'SimBroker-Demo', company: 'Simulated Broker Ltd',
    currency: 'USD', leverage: 100, trade_mode: 0, margin_mode: 2, balance: 10000, equity: 9998.4, profit: -1.6,
    margin: 107.52, margin_free: 9890.88, margin_level: 9299.11, trade_allowed: true,
  }],
  'positions.json': ['EA -> bridge: every open position and pending order, at each welcome, on change and every 60 s', {
    type: 'positions', time_msc: 1718013601600,
    positions: [{
      ticket: '5012345678901', identifier: '5012345678901', symbol: 'EURUSD', type: 'buy', volume: 0.1, price_open: 1.07524,
      price_current: 1.07508, sl: 1.07312, tp: 1.07912, profit: -1.6, swap: 0, time_msc: 1718013601587, magic: MAGIC,
      comment: 'cm5:1042',
    }],
    orders: [{
      ticket: '5012345678950', symbol: 'USDJPY', type: 'sell_limit', volume: 0.2, price: 157.5, sl: 158, tp: 156.5,
      time_setup_msc: 1718013590000, expiration_msc: 0, magic: MAGIC, comment: 'cm5:1040',
    }],
  }],
  'deals.json': ['EA -> bridge: deals of the EA (its magic, or a `cm5:` comment) in [from_msc, to_msc], answering sync 7', {
    type: 'deals', sync_id: '7', from_msc: 1718013000000, to_msc: 1718013602000, unknown_command_ids: ['c1d2e3f4-0000-4000-8000-000000000002'],
    deals: [{
      ticket: '4012345678902', order: '5012345678901', position: '5012345678901', symbol: 'EURUSD', type: 'buy', entry: 'in',
      volume: 0.1, price: 1.07524, profit: 0, swap: 0, commission: -0.35, time_msc: 1718013601587, magic: MAGIC,
      comment: 'cm5:1042', reason: 'expert',
    }],
  }],
  'sync.json': ['bridge -> EA: after a reconnect with commands in doubt: replay what you know of these, and list deals since 07:50 UTC', {
    type: 'sync', sync_id: '7', command_ids: [COMMAND_ID, 'c1d2e3f4-0000-4000-8000-000000000002'], deals_from_ms: 1718005800000,
  }],
};

// ── README ─────────────────────────────────────────────────────────────────────────────────────
const hex = (b, from, to) => [...b.subarray(from, to)].map((x) => x.toString(16).padStart(2, '0')).join(' ');
const dump = (b) => {
  const lines = [];
  for (let i = 0; i < b.length; i += 16) lines.push(`${i.toString(16).padStart(4, '0')}  ${hex(b, i, Math.min(i + 16, b.length))}`);
  return lines.join('\n');
};
const hexU32 = (v) => `0x${v.toString(16).padStart(8, '0')}`;
const utc = (ms) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

function fieldTable(f, b) {
  const extra = f.type === 2 ? 8 : 0;
  const rows = [
    [0, 1, 'type u8', `${f.type} (${f.type === 1 ? 'FRAME_TICKS' : 'FRAME_TICKS_BACKFILL'})`],
    [1, 1, 'version u8', '1'],
    [2, 2, 'symbol id u16', String(f.symbolId)],
    [4, 4, 'count u32', String(f.ticks.length)],
  ];
  if (extra) rows.push([8, 8, 'captured_at_ms f64', `${f.capturedAtMs} (UTC ${utc(f.capturedAtMs)})`]);
  f.ticks.forEach((t, i) => {
    const p = 8 + extra + i * 60;
    const masked = t.flags & 0x7e;
    rows.push(
      [p, 8, `[${i}] time i64`, `${Math.floor(t.timeMsc / 1000)} s, server clock`],
      [p + 8, 8, `[${i}] bid f64`, String(t.bid)],
      [p + 16, 8, `[${i}] ask f64`, String(t.ask)],
      [p + 24, 8, `[${i}] last f64`, String(t.last)],
      [p + 32, 8, `[${i}] volume u64`, String(t.volume)],
      [p + 40, 8, `[${i}] time_msc i64`, `${t.timeMsc} (server ${utc(t.timeMsc)}; UTC ${t.timeMsc - OFFSET_S * 1000})`],
      [p + 48, 4, `[${i}] flags u32`, `${hexU32(t.flags)}${masked !== t.flags ? ` (masked: ${hexU32(masked)})` : ''}`],
      [p + 52, 8, `[${i}] volume_real f64`, String(t.volumeReal)],
    );
  });
  return ['| offset | bytes | field | value |', '|---:|---|---|---|',
    ...rows.map(([o, n, name, v]) => `| ${o} | \`${hex(b, o, o + n)}\` | ${name} | ${v} |`)].join('\n');
}

const readme = [
  '# EA link golden fixtures (protocol version 1)',
  '',
  'Generated by `node scripts/make-golden-fixtures.mjs` from explicit values; the bytes are committed',
  'and are the contract of docs/protocol.md. `test/unit/ea-sim/frame-writer.test.ts` checks that the',
  'simulated EA\'s encoder writes exactly these bytes, and `test/unit/ea-frame.test.ts` that the',
  'bridge\'s FrameReader decodes them (server offset 7200 s removed, flags masked with 0x7e) and',
  'rejects each malformed one with the error given here.',
  '',
  'All integers and doubles are little-endian. The server clock is GMT+2 (`server_time_offset_s`',
  '7200): `time_msc` 1718013600123 is 2024-06-10 10:00:00.123 on the broker\'s clock, 08:00:00.123 UTC.',
  '',
  '## Tick frames',
  '',
  ...Object.entries(FRAMES).flatMap(([name, f]) => [
    `### \`${name}\` (${good[name].length} bytes)`, '', `${f.what}.`, '', fieldTable(f, good[name]), '',
    '```', dump(good[name]), '```', '',
  ]),
  '## Malformed frames',
  '',
  'Each must be refused whole (nothing of it reaches a ring); the bridge answers with an `error`',
  'message `EA_BAD_FRAME` carrying the reader\'s error.',
  '',
  '| file | bytes | what | FrameReader error |', '|---|---:|---|---|',
  ...Object.entries(BAD).map(([name, [b, what, err]]) => `| \`${name}\` | ${b.length} | ${what} | ${err} |`),
  '',
  'Their first bytes (the longer ones continue as `ticks-eurusd-3.bin` does):',
  '',
  '```',
  ...Object.entries(BAD).map(([name, [b]]) => `${name.padEnd(30)} ${hex(b, 0, Math.min(16, b.length))}${b.length > 16 ? ' ...' : ''}`),
  '```',
  '',
  '## Control messages (JSON text frames)',
  '',
  '| file | direction and meaning |', '|---|---|',
  ...Object.entries(JSON_MESSAGES).map(([name, [what]]) => `| \`${name}\` | ${what} |`),
  '',
];

mkdirSync(OUT, { recursive: true });
for (const [name, b] of Object.entries(good)) writeFileSync(join(OUT, name), b);
for (const [name, [b]] of Object.entries(BAD)) writeFileSync(join(OUT, name), b);
for (const [name, [, msg]] of Object.entries(JSON_MESSAGES)) writeFileSync(join(OUT, name), `${JSON.stringify(msg, null, 2)}\n`);
writeFileSync(join(OUT, 'README.md'), readme.join('\n'));
process.stdout.write(`wrote ${Object.keys(good).length + Object.keys(BAD).length} frames and ${Object.keys(JSON_MESSAGES).length} messages to ${OUT}\n`);
