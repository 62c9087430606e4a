// CRC-16/MODBUS (Modbus RTU frames) and CRC-16/CCITT-FALSE (IEEE C37.118.2 synchrophasor frames), table-driven.

function makeTable(poly: number, reflected: boolean): Uint16Array {
  const table = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let c = reflected ? n : n << 8;
    for (let k = 0; k < 8; k++) {
      if (reflected) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
      else c = c & 0x8000 ? ((c << 1) ^ poly) & 0xffff : (c << 1) & 0xffff;
    }
    table[n] = c;
  }
  return table;
}

// Pure: a bundle that never computes one of them (the Espruino firmware has no CCITT frame) does not build its table.
const MODBUS_TABLE = /* @__PURE__ */ makeTable(0xa001, true);
const CCITT_TABLE = /* @__PURE__ */ makeTable(0x1021, false);

/** CRC-16/MODBUS: poly 0x8005 reflected, init 0xFFFF. On the wire the low byte goes first. */
export function crc16Modbus(bytes: Uint8Array, start?: number, end?: number): number {
  const from = start ?? 0;
  const to = end ?? bytes.length;
  let crc = 0xffff;
  for (let i = from; i < to; i++) crc = (crc >>> 8) ^ MODBUS_TABLE[(crc ^ bytes[i]!) & 0xff]!;
  return crc;
}

/** CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection (IEEE C37.118.2 §6.2). High byte first on the wire. */
export function crcCcitt(bytes: Uint8Array, start?: number, end?: number): number {
  const from = start ?? 0;
  const to = end ?? bytes.length;
  let crc = 0xffff;
  for (let i = from; i < to; i++) crc = ((crc << 8) & 0xffff) ^ CCITT_TABLE[((crc >>> 8) ^ bytes[i]!) & 0xff]!;
  return crc;
}

/** Built on first use: a board that has a native CRC-32 (Espruino's E.CRC32) never holds it. */
let crc32Table: Uint32Array | undefined;

/**
 * CRC-32 (ISO-HDLC: zlib's, Ethernet's, Espruino's native E.CRC32): poly 0x04C11DB7 reflected, init and final XOR
 * 0xFFFFFFFF; check value 0xCBF43926. An unsigned 32-bit integer.
 */
export function crc32(bytes: Uint8Array, start?: number, end?: number): number {
  if (!crc32Table) {
    crc32Table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
      crc32Table[n] = c >>> 0;
    }
  }
  const from = start ?? 0;
  const to = end ?? bytes.length;
  let crc = 0xffffffff;
  for (let i = from; i < to; i++) crc = (crc >>> 8) ^ crc32Table[(crc ^ bytes[i]!) & 0xff]!;
  return (crc ^ 0xffffffff) >>> 0;
}
