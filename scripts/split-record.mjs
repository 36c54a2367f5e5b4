#!/usr/bin/env node
// Splits a file recorded with `--record` (each frame as a little-endian u32 length, then the frame
// bytes) into one file per frame, so any protobuf tool can decode them:
//   node scripts/split-record.mjs frames.bin out-dir
//   protoc --decode=clientmt5.v1.Envelope -I proto proto/clientmt5/v1/envelope.proto < out-dir/000001.bin
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [input, outDir] = process.argv.slice(2);
if (!input || !outDir) {
  process.stderr.write('usage: split-record.mjs RECORDED_FILE OUT_DIR\n');
  process.exit(2);
}
const data = readFileSync(input);
mkdirSync(outDir, { recursive: true });
let offset = 0;
let n = 0;
while (offset < data.length) {
  if (offset + 4 > data.length) {
    process.stderr.write(`${input}: truncated length prefix at byte ${offset}\n`);
    process.exit(1);
  }
  const len = data.readUInt32LE(offset);
  if (offset + 4 + len > data.length) {
    process.stderr.write(`${input}: frame ${n + 1} at byte ${offset} claims ${len} bytes, only ${data.length - offset - 4} remain\n`);
    process.exit(1);
  }
  n++;
  writeFileSync(join(outDir, `${String(n).padStart(6, '0')}.bin`), data.subarray(offset + 4, offset + 4 + len));
  offset += 4 + len;
}
process.stdout.write(`${n} frames written to ${outDir}\n`);
