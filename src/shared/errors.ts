/**
 * One error vocabulary for every thread and process. Callers and tests match on `code`, never on
 * message text. Errors cross thread boundaries as `{ code, message }` and are rebuilt with
 * {@link fromWire}.
 */
export const ERROR_CODES = [
  'CONFIG_INVALID',
  'CONFIG_FILE_UNREADABLE',
  'UWS_NOT_NATIVE',
  'WASM_MISSING',
  'WASM_LAYOUT_MISMATCH',
  'EA_BAD_HELLO',
  'EA_BAD_TOKEN',
  'EA_PROTOCOL_VERSION',
  'EA_BAD_FRAME',
  'EA_UNKNOWN_SYMBOL',
  'EA_NOT_READY',
  'RING_CAPACITY',
  'BACKEND_AUTH',
  'BACKEND_BAD_FRAME',
  'BACKEND_SEQUENCE_GAP',
  'BACKEND_UNREACHABLE',
  'BACKEND_LISTEN',
  'BACKEND_LEDGER',
  'CSV_BAD_INPUT',
  'WORKER_CRASHED',
  'CLI_USAGE',
  /** The spool's disk is full (ENOSPC) or over quota (EDQUOT): ticks stop, held batches are retried. */
  'SPOOL_DISK_FULL',
  /** Any other failure to write the spool; handled like a full disk. */
  'SPOOL_WRITE_FAILED',
  /** The spool directory cannot be opened or read at start-up. */
  'SPOOL_UNREADABLE',
  /** Client → backend (Envelope.error): batches up to batch_sequence were dropped by the spool and will not come. */
  'SPOOL_DROPPED_BATCHES',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class ClientMt5Error extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ClientMt5Error';
    this.code = code;
  }

  toWire(): WireError {
    return { code: this.code, message: this.message };
  }
}

export interface WireError {
  code: string;
  message: string;
}

/** Rebuilds an error that crossed a thread or process boundary. */
export function fromWire(wire: WireError): ClientMt5Error {
  const code = (ERROR_CODES as readonly string[]).includes(wire.code) ? (wire.code as ErrorCode) : 'WORKER_CRASHED';
  return new ClientMt5Error(code, wire.message);
}

/** Any thrown value as a wire error; unknown failures keep their message under WORKER_CRASHED. */
export function toWire(err: unknown): WireError {
  if (err instanceof ClientMt5Error) return err.toWire();
  if (err instanceof Error) return { code: 'WORKER_CRASHED', message: err.stack ?? err.message };
  return { code: 'WORKER_CRASHED', message: String(err) };
}
