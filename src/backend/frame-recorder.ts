/**
 * Records every binary frame the backend receives, for replay and diagnosis.
 *
 * File format (append-only, no header): repeated records of
 *   u32 little-endian  frame length N
 *   N bytes            the frame exactly as received (one clientmt5.v1.Envelope)
 *
 * Frames are copied into a 1 MiB staging buffer (uWS frees a message's memory when its callback
 * returns, so a copy is needed anyway) and handed to the file stream when the buffer fills, every
 * second, and on close, so the socket thread never waits for the disk.
 */
import { createWriteStream, openSync, readFileSync, type WriteStream } from 'node:fs';
import { ClientMt5Error } from '../shared/errors.js';

const STAGING_BYTES = 1 << 20;
const FLUSH_INTERVAL_MS = 1000;
const LENGTH_BYTES = 4;

export class FrameRecorder {
  private readonly stream: WriteStream;
  private readonly timer: NodeJS.Timeout;
  private staging = Buffer.allocUnsafe(STAGING_BYTES);
  private used = 0;
  private closing: Promise<void> | undefined;
  /** Frames recorded so far. */
  frames = 0;
  /** Bytes written to the file so far, length prefixes included. */
  bytes = 0;

  /** Opens (creating or appending to) `path`; throws at once if the file cannot be opened. */
  constructor(readonly path: string) {
    const fd = openSync(path, 'a');
    this.stream = createWriteStream(path, { fd, autoClose: true });
    this.stream.on('error', (err) => {
      process.stderr.write(`client-mt5 backend: recording to ${path} failed: ${err.message}\n`);
    });
    this.timer = setInterval(() => this.flush(), FLUSH_INTERVAL_MS).unref();
  }

  /** Appends one frame; the bytes are copied before this returns. */
  record(frame: Uint8Array): void {
    if (this.closing !== undefined) return;
    const need = LENGTH_BYTES + frame.byteLength;
    if (this.used + need > this.staging.length) this.flush();
    if (need > this.staging.length) {
      const own = Buffer.allocUnsafe(need);
      own.writeUInt32LE(frame.byteLength, 0);
      own.set(frame, LENGTH_BYTES);
      this.stream.write(own);
    } else {
      this.staging.writeUInt32LE(frame.byteLength, this.used);
      this.staging.set(frame, this.used + LENGTH_BYTES);
      this.used += need;
    }
    this.frames++;
    this.bytes += need;
  }

  /** Hands what is staged to the file stream (which writes it asynchronously, in order). */
  flush(): void {
    if (this.used === 0) return;
    this.stream.write(this.staging.subarray(0, this.used));
    this.staging = Buffer.allocUnsafe(STAGING_BYTES);
    this.used = 0;
  }

  /** Flushes, then closes the file; resolves once every byte is written. */
  close(): Promise<void> {
    if (this.closing === undefined) {
      clearInterval(this.timer);
      this.flush();
      this.closing = new Promise<void>((resolve) => {
        if (this.stream.destroyed) {
          resolve();
          return;
        }
        this.stream.once('close', () => resolve());
        this.stream.end();
      });
    }
    return this.closing;
  }
}

/** Reads a file written by FrameRecorder back into frames (each a copy); throws BACKEND_BAD_FRAME if cut short. */
export function readRecordedFrames(path: string): Uint8Array[] {
  const data = readFileSync(path);
  const frames: Uint8Array[] = [];
  let offset = 0;
  while (offset + LENGTH_BYTES <= data.length) {
    const length = data.readUInt32LE(offset);
    offset += LENGTH_BYTES;
    if (offset + length > data.length) {
      throw new ClientMt5Error('BACKEND_BAD_FRAME', `${path}: truncated record at byte ${offset - LENGTH_BYTES}: needs ${length} bytes, ${data.length - offset} left`);
    }
    frames.push(new Uint8Array(data.subarray(offset, offset + length)));
    offset += length;
  }
  if (offset !== data.length) throw new ClientMt5Error('BACKEND_BAD_FRAME', `${path}: ${data.length - offset} trailing bytes after the last record`);
  return frames;
}
