/**
 * The client's half of the tick-encoding negotiation, against `ws` servers that pick what a real
 * backend might: the first offer, row only, or no subprotocol at all.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { WebSocketServer } from 'ws';
import { ENCODING_SUBPROTOCOLS, type TransportEncoding, type WireEncoding } from '../../../src/shared/config.js';
import { BackendLink, negotiatedEncoding, offeredSubprotocols, preferredEncoding } from '../../../src/workers/backend-link.js';

const COLUMNAR = ENCODING_SUBPROTOCOLS.columnar;
const ROW = ENCODING_SUBPROTOCOLS.row;
const LATEST = ENCODING_SUBPROTOCOLS['columnar-latest'];

interface Server {
  url: string;
  /** The Sec-WebSocket-Protocol offer of every upgrade, in order. */
  offers: string[];
  close(): Promise<void>;
}

const servers: Server[] = [];
const links: BackendLink[] = [];

afterEach(async () => {
  await Promise.all(links.splice(0).map((l) => l.stop()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A server whose subprotocol choice is `pick` (false: none). */
async function server(pick: (offered: Set<string>) => string | false): Promise<Server> {
  const offers: string[] = [];
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: (protocols) => pick(protocols) });
  wss.on('headers', (_h, req) => offers.push(req.headers['sec-websocket-protocol'] ?? ''));
  await new Promise((resolve) => wss.once('listening', resolve));
  const { port } = wss.address() as { port: number };
  const s = {
    url: `ws://127.0.0.1:${port}/`,
    offers,
    close: () => new Promise<void>((resolve) => { for (const c of wss.clients) c.terminate(); wss.close(() => resolve()); }),
  };
  servers.push(s);
  return s;
}

/** Starts a link to `url` and resolves with the encoding of its first open, or the refusal. */
function open(url: string, encoding: TransportEncoding): Promise<{ encoding?: WireEncoding; refused?: string }> {
  return new Promise((resolve) => {
    const link = new BackendLink(
      { endpoints: [url], jwt: 'x', heartbeatIntervalMs: 60000, reconnectMinMs: 10, reconnectMaxMs: 20, encoding },
      {
        onOpen: (_i, e) => resolve({ encoding: e }),
        onMessage: () => {},
        onClose: () => {},
        onEncodingRefused: (_i, reason) => resolve({ refused: reason }),
      },
    );
    links.push(link);
    link.start();
  });
}

describe('BackendLink: tick encoding negotiation', () => {
  test('offers per setting, most preferred first; the picked subprotocol decides, none is row', () => {
    expect(offeredSubprotocols('auto')).toEqual([COLUMNAR, LATEST, ROW]);
    expect(offeredSubprotocols('row')).toEqual([ROW]);
    expect(offeredSubprotocols('columnar')).toEqual([COLUMNAR]);
    expect(offeredSubprotocols('columnar-latest')).toEqual([LATEST]);
    expect([negotiatedEncoding(COLUMNAR), negotiatedEncoding(LATEST), negotiatedEncoding(ROW), negotiatedEncoding('')])
      .toEqual(['columnar', 'columnar-latest', 'row', 'row']);
    expect((['auto', 'row', 'columnar', 'columnar-latest'] as const).map(preferredEncoding)).toEqual(['columnar', 'row', 'columnar', 'columnar-latest']);
  });

  test('auto: columnar from a backend that takes the first offer, row from one that only speaks row', async () => {
    const first = await server((p) => [...p][0]);
    expect(await open(first.url, 'auto')).toEqual({ encoding: 'columnar' });
    expect(first.offers).toEqual([`${COLUMNAR},${LATEST},${ROW}`]);
    const rowOnly = await server((p) => (p.has(ROW) ? ROW : false));
    expect(await open(rowOnly.url, 'auto')).toEqual({ encoding: 'row' });
  });

  test('the row setting offers only row, even to a backend that prefers columnar', async () => {
    const prefersColumnar = await server((p) => (p.has(COLUMNAR) ? COLUMNAR : [...p][0] ?? false));
    expect(await open(prefersColumnar.url, 'row')).toEqual({ encoding: 'row' });
    expect(prefersColumnar.offers).toEqual([ROW]);
  });

  test('a backend that picks no subprotocol gets a second handshake without an offer, and speaks row', async () => {
    const legacy = await server(() => false);
    expect(await open(legacy.url, 'auto')).toEqual({ encoding: 'row' });
    expect(legacy.offers).toEqual([`${COLUMNAR},${LATEST},${ROW}`, '']);
  });

  test('the columnar setting does not settle for row: the refusal is reported and the link keeps trying', async () => {
    const legacy = await server(() => false);
    const outcome = await open(legacy.url, 'columnar');
    expect(outcome.refused).toContain('does not negotiate clientmt5.v1.columnar and transport.encoding is "columnar"');
    expect(legacy.offers[0]).toBe(COLUMNAR);
  });

  test('auto: columnar-latest from a backend that supports only it and row; the columnar-latest setting insists on it', async () => {
    const latestAndRow = await server((p) => (p.has(LATEST) ? LATEST : p.has(ROW) ? ROW : false));
    expect(await open(latestAndRow.url, 'auto')).toEqual({ encoding: 'columnar-latest' });
    expect(await open(latestAndRow.url, 'columnar-latest')).toEqual({ encoding: 'columnar-latest' });
    expect(latestAndRow.offers).toEqual([`${COLUMNAR},${LATEST},${ROW}`, LATEST]);
    const legacy = await server(() => false);
    const outcome = await open(legacy.url, 'columnar-latest');
    expect(outcome.refused).toContain('does not negotiate clientmt5.v1.columnar-latest and transport.encoding is "columnar-latest"');
  });
});
