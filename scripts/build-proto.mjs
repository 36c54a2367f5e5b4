// Generates static protobufjs code for proto/clientmt5/v1/*.proto into src/gen/ (git-ignored).
// int64 decodes to number (--force-number); field names keep the .proto spelling (--keep-case).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const protoDir = join(root, 'proto');
const outDir = join(root, 'src', 'gen');
// envelope.proto imports every other file; naming them again would load them twice.
const entry = join('clientmt5', 'v1', 'envelope.proto');
mkdirSync(outDir, { recursive: true });
const bin = (name) => join(root, 'node_modules', 'protobufjs-cli', 'bin', name);
const js = join(outDir, 'clientmt5.js');
execFileSync(process.execPath, [bin('pbjs'), '-t', 'static-module', '-w', 'es6', '--keep-case', '--force-number',
  '--no-verify', '--no-convert', '--no-delimited', '--no-typeurl', '-p', protoDir, '-o', js, entry],
{ cwd: protoDir, stdio: 'inherit' });
// protobufjs/minimal has no ESM export map entry under that name; Node resolves the explicit file.
// int64 fields decode to JavaScript numbers, not Long objects (every int64 here is a time, a count
// or a sequence well below 2^53): without Long, protobufjs's reader returns numbers.
writeFileSync(js, readFileSync(js, 'utf8')
  .replace(/from "protobufjs\/minimal"/g, 'from "protobufjs/minimal.js"')
  .replace('// Common aliases', '$protobuf.util.Long = null;\n$protobuf.configure();\n\n// Common aliases'));
execFileSync(process.execPath, [bin('pbts'), '--no-comments', '-o', join(outDir, 'clientmt5.d.ts'), js], { stdio: 'inherit' });
