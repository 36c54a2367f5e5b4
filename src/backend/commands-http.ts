/**
 * `POST /commands` on the reference backend's HTTP port: a trading command by hand.
 *
 *   curl -s -X POST http://127.0.0.1:8001/commands -H 'content-type: application/json' \
 *     -d '{"symbol":"EURUSD","order_type":"BUY","lot_size":0.1,"stop_loss":1.08,"take_profit":1.09}'
 *   → 202 {"command_id":"http-…","client_id":"demo-client"}
 *
 * The body is a JSON object with TradingCommand's field names (proto/clientmt5/v1/commands.proto);
 * enums by name (`OPEN_POSITION` or `open`, `BUY` or `buy`, …) or number. Defaults: `type`
 * OPEN_POSITION, `command_id` a new `http-<uuid>`, `expires_at` now + `expires_in_ms` (default
 * 60 s). `client_id` (a JWT `sub`) picks the client; without it, the one connected client.
 * Answers: 202 with the command_id, 400 naming the bad field, 404 for an unknown client_id,
 * 409 when no client is connected (or several and none named) or the command_id was used, 413 for a
 * body over 64 KiB. `GET /commands/<command_id>` answers where that command stands: `state` (`issued`
 * until its final report, then `filled`, `partially_filled`, `rejected`, `expired` or `unknown`),
 * `retcode`, `reason`, `source`, `ticket`, `volume`, `price`, `slippage_points`.
 */
import { randomUUID } from 'node:crypto';
import type { HttpResponse, TemplatedApp } from '@trufflesuite/uws-js-unofficial';
import { z } from 'zod';
import type { TradingCommand } from './wire.js';

export const MAX_COMMAND_BODY_BYTES = 64 * 1024;
export const DEFAULT_HTTP_EXPIRY_MS = 60_000;

const COMMAND_TYPES = ['OPEN_POSITION', 'CLOSE_POSITION', 'MODIFY_POSITION', 'CLOSE_ALL'];
const COMMAND_ALIASES: Record<string, number> = { open: 0, close: 1, modify: 2, close_all: 3 };
const ORDER_TYPES = ['BUY', 'SELL', 'BUY_LIMIT', 'SELL_LIMIT', 'BUY_STOP', 'SELL_STOP'];

/** An enum by its proto name, a lower-case alias, or its number. */
const enumOf = (field: string, names: string[], aliases: Record<string, number> = {}) =>
  z.union([z.string(), z.number()], { error: `${field} must be one of ${names.join(', ')}` }).transform((v, ctx) => {
    const n = typeof v === 'number' ? v : names.indexOf(v.toUpperCase()) >= 0 ? names.indexOf(v.toUpperCase()) : aliases[v] ?? -1;
    if (!Number.isInteger(n) || n < 0 || n >= names.length) {
      ctx.addIssue({ code: 'custom', message: `${field} must be one of ${names.join(', ')}, got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return n;
  });
const price = (field: string) => z.number({ error: `${field} must be a number >= 0` }).finite().min(0, `${field} must be >= 0`);
const millis = (field: string) => z.number({ error: `${field} must be a time in UTC ms` }).int(`${field} must be an integer (UTC ms)`).min(0);

const bodySchema = z.strictObject({
  client_id: z.string({ error: 'client_id must be a string (the client\'s JWT sub)' }).optional(),
  command_id: z.string({ error: 'command_id must be a string' }).min(1, 'command_id must not be empty').max(64, 'command_id must be at most 64 characters').optional(),
  user_id: z.string({ error: 'user_id must be a string' }).optional(),
  type: enumOf('type', COMMAND_TYPES, COMMAND_ALIASES).optional(),
  symbol: z.string({ error: 'symbol must be a string' }).max(32, 'symbol must be at most 32 characters'),
  order_type: enumOf('order_type', ORDER_TYPES).optional(),
  lot_size: price('lot_size').optional(),
  entry_price: price('entry_price').optional(),
  stop_loss: price('stop_loss').optional(),
  take_profit: price('take_profit').optional(),
  reason: z.string({ error: 'reason must be a string' }).max(500).optional(),
  confidence_score: z.number({ error: 'confidence_score must be a number from 0 to 1' }).min(0, 'confidence_score must be from 0 to 1').max(1, 'confidence_score must be from 0 to 1').optional(),
  expires_at: millis('expires_at').optional(),
  expires_in_ms: z.number({ error: 'expires_in_ms must be a number of ms' }).int().min(1, 'expires_in_ms must be >= 1').optional(),
  original_entry: price('original_entry').optional(),
  ticket: z.string({ error: 'ticket must be a decimal string' }).regex(/^\d*$/, 'ticket must be a decimal string').optional(),
  deviation_points: z.number({ error: 'deviation_points must be an integer >= 0' }).int().min(0).optional(),
  order_expiration: millis('order_expiration').optional(),
  magic: z.number({ error: 'magic must be an integer >= 0' }).int().min(0).optional(),
}, { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}` : 'the body must be a JSON object') });

export class BadCommandInput extends Error {}

/** The command a POST body asks for; throws BadCommandInput saying what is wrong. */
export function parseCommandBody(text: string, nowMs: number): { clientId?: string; command: TradingCommand } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new BadCommandInput(`the body is not JSON: ${(err as Error).message}`);
  }
  const parsed = bodySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length > 0 && !issue.message.includes(String(issue.path[0])) ? `${issue.path.join('.')}: ` : '';
    throw new BadCommandInput(`${where}${issue.message}`);
  }
  const b = parsed.data;
  const type = b.type ?? 0;
  if (type === 0 && b.order_type === undefined) throw new BadCommandInput('order_type is required for OPEN_POSITION');
  if (type === 0 && !(b.lot_size! > 0)) throw new BadCommandInput('lot_size must be > 0 for OPEN_POSITION');
  if (type === 0 && (b.order_type ?? 0) >= 2 && !(b.entry_price! > 0)) throw new BadCommandInput('entry_price is required for a pending order');
  if ((type === 1 || type === 2) && !b.ticket) throw new BadCommandInput(`ticket is required for ${COMMAND_TYPES[type]}`);
  if (type !== 3 && b.symbol === '') throw new BadCommandInput('symbol must not be empty');
  const command: TradingCommand = {
    command_id: b.command_id ?? `http-${randomUUID()}`, user_id: b.user_id ?? '', type, symbol: b.symbol,
    order_type: b.order_type ?? 0, lot_size: b.lot_size ?? 0, entry_price: b.entry_price ?? 0, stop_loss: b.stop_loss ?? 0,
    take_profit: b.take_profit ?? 0, reason: b.reason ?? 'posted by hand', confidence_score: b.confidence_score ?? 1,
    expires_at: b.expires_at ?? nowMs + (b.expires_in_ms ?? DEFAULT_HTTP_EXPIRY_MS), original_entry: b.original_entry ?? 0,
    ticket: b.ticket ?? '', deviation_points: b.deviation_points ?? 0, order_expiration: b.order_expiration ?? 0, magic: b.magic ?? 0,
  };
  return { clientId: b.client_id, command };
}

/** What the route asks of the backend: issue the command, or say why not (status + message). */
export type IssueHandler = (clientId: string | undefined, command: TradingCommand) =>
  { ok: true; clientId: string } | { ok: false; status: string; message: string };

export function registerCommandRoutes(app: TemplatedApp, issue: IssueHandler, outcome: (id: string) => object | undefined): void {
  app.get('/commands/:id', (res, req) => {
    const id = decodeURIComponent(req.getParameter(0) ?? '');
    const found = outcome(id);
    if (found === undefined) reply(res, '404 Not Found', { error: `no command ${JSON.stringify(id)} was issued by this backend` });
    else reply(res, '200 OK', found);
  });
  app.post('/commands', (res) => {
    let aborted = false;
    let size = 0;
    const chunks: Buffer[] = [];
    res.onAborted(() => { aborted = true; });
    res.onData((chunk, isLast) => {
      if (aborted) return;
      size += chunk.byteLength;
      if (size > MAX_COMMAND_BODY_BYTES) {
        aborted = true;
        reply(res, '413 Payload Too Large', { error: `the body is over ${MAX_COMMAND_BODY_BYTES} bytes` });
        return;
      }
      chunks.push(Buffer.from(chunk.slice(0))); // uWS reuses the chunk's memory after this callback
      if (!isLast) return;
      let parsed: ReturnType<typeof parseCommandBody>;
      try {
        parsed = parseCommandBody(Buffer.concat(chunks).toString('utf8'), Date.now());
      } catch (err) {
        reply(res, '400 Bad Request', { error: (err as Error).message });
        return;
      }
      const outcome = issue(parsed.clientId, parsed.command);
      if (outcome.ok) reply(res, '202 Accepted', { command_id: parsed.command.command_id, client_id: outcome.clientId });
      else reply(res, outcome.status, { error: outcome.message });
    });
  });
}

function reply(res: HttpResponse, status: string, body: object): void {
  res.cork(() => {
    res.writeStatus(status).writeHeader('Content-Type', 'application/json').end(`${JSON.stringify(body)}\n`);
  });
}
