import { readFileSync } from 'node:fs';

/** The frames of a backend `--record` file: each a u32-LE length, then that many bytes. */
export function readRecording(file: string): Uint8Array[] {
  const data = readFileSync(file);
  const frames: Uint8Array[] = [];
  for (let off = 0; off < data.length;) {
    const len = data.readUInt32LE(off);
    frames.push(data.subarray(off + 4, off + 4 + len));
    off += 4 + len;
  }
  return frames;
}
