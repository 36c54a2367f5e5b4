/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven, one byte a step: the
 * checksum of every spool record. Castagnoli rather than the zip CRC-32 because its error
 * detection is better for the short-to-medium records a spool holds (and it is what iSCSI, ext4
 * metadata and LevelDB-style logs use). Check value: crc32c("123456789") = 0xE3069283.
 */
const TABLE = buildTable();

function buildTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = (c & 1) !== 0 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/**
 * CRC-32C of `bytes[start, end)`, continuing from `crc` (the result of an earlier call over the
 * bytes just before; 0 to start).
 */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = start; i < end; i++) c = TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
