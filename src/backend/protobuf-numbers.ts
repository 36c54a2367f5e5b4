/**
 * Side effect, imported before the generated code: protobufjs decodes int64 as plain numbers
 * (`util.Long = null`), as DESIGN.md specifies. Every int64 on this link (times in ms, sequences)
 * is far below 2^53. It must run before src/gen/clientmt5.js is evaluated, because the generated
 * classes pick their int64 defaults (Long or 0) when they load; wire.ts imports it first.
 */
import $protobuf from 'protobufjs/minimal.js';

$protobuf.util.Long = null as unknown as typeof $protobuf.util.Long;
$protobuf.configure();
