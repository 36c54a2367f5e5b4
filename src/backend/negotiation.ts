/**
 * The backend's half of the tick-encoding negotiation (docs/protocol.md, section 2): the client
 * offers WebSocket subprotocols in its order of preference (`Sec-WebSocket-Protocol:
 * clientmt5.v1.columnar, clientmt5.v1.columnar-latest, clientmt5.v1.row`), the backend answers
 * with the first one it supports, or with none — and then the link speaks row, the seeds' form
 * every backend takes. The client's order decides, not the backend's: a backend that supports
 * only columnar-latest and row gets columnar-latest from a client on `auto`.
 */
import { ENCODING_SUBPROTOCOLS, type WireEncoding } from '../shared/config.js';

/** Every encoding the reference backend reads, in the order it would pick them. */
export const ALL_BACKEND_ENCODINGS: readonly WireEncoding[] = ['columnar', 'columnar-latest', 'row'];

/**
 * What a reference backend negotiates unless told otherwise (BackendOptions.encodings): all three,
 * so a client on `auto` (the default) gets the column-packed form with every indicator value, one
 * that insists on columnar-latest gets it, and a row-only client still works.
 */
export const DEFAULT_BACKEND_ENCODINGS: readonly WireEncoding[] = ALL_BACKEND_ENCODINGS;

export interface Negotiated {
  /** The subprotocol to answer with; '' for none. */
  subprotocol: string;
  encoding: WireEncoding;
}

/**
 * Picks from the client's offer (the raw header value: a comma-separated list, most preferred
 * first) the first subprotocol naming an encoding in `supported`.
 */
export function pickEncoding(offer: string, supported: readonly WireEncoding[]): Negotiated {
  for (const item of offer.split(',')) {
    const name = item.trim();
    for (const encoding of supported) {
      if (ENCODING_SUBPROTOCOLS[encoding] === name) return { subprotocol: name, encoding };
    }
  }
  return { subprotocol: '', encoding: 'row' };
}
