// Portable self-check of @meterchain/core, run by the portability gate in an Espruino-like sandbox (and usable on a
// board): hex, CRC-16/MODBUS and CRC-CCITT check values, deterministic CBOR both ways, SHA-256 and HMAC-SHA256.
// Throws on the first wrong result.
import { crc16Modbus, crcCcitt, decode, encode, equalBytes, fromHex, hmacSha256, sha256, toHex, utf8Encode } from './src/index.ts';

function check(condition: boolean, what: string): void {
  if (!condition) {
    const error = new Error(`core smoke: ${what}`) as Error & { code: string };
    error.code = 'SMOKE_FAILED';
    throw error;
  }
}

/** Runs the checks; returns how many passed. */
export function smoke(): number {
  let passed = 0;
  // Hex both ways, either case in.
  check(toHex(fromHex('00FFa5')) === '00ffa5', 'hex round trip');
  passed++;
  // CRC catalogue check values over the ASCII digits "123456789".
  const digits = utf8Encode('123456789');
  check(crc16Modbus(digits) === 0x4b37, 'CRC-16/MODBUS check value 0x4B37');
  check(crcCcitt(digits) === 0x29b1, 'CRC-16/CCITT-FALSE check value 0x29B1');
  passed += 2;
  // RFC 8949 Appendix A: {"a": 1, "b": [2, 3]} is a26161016162820203; keys come out sorted whatever the input order.
  const encoded = encode({ b: [2, 3], a: 1 });
  check(toHex(encoded) === 'a26161016162820203', 'CBOR encoding of {"a": 1, "b": [2, 3]}');
  const decoded = decode(encoded);
  check(decoded.ok && equalBytes(encode(decoded.value), encoded), 'CBOR decode and re-encode');
  // A non-shortest integer head (0x18 0x01 for 1) is refused with a verdict, not a throw.
  const refused = decode(fromHex('1801'));
  check(!refused.ok, 'CBOR decoder refuses a non-shortest integer');
  passed += 3;
  // FIPS 180-2 example "abc".
  check(toHex(sha256(utf8Encode('abc'))) === 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', 'SHA-256 of "abc"');
  passed++;
  // RFC 4231 test case 2.
  const tag = hmacSha256(utf8Encode('Jefe'), utf8Encode('what do ya want for nothing?'));
  check(toHex(tag) === '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843', 'HMAC-SHA256 RFC 4231 case 2');
  passed++;
  console.log(`core smoke: ${passed} checks passed`);
  return passed;
}
