// Member addresses: derived from an Ed25519 public key, so holding the key is the only way to speak for an address.
// address = first 20 bytes of SHA-256(utf8("meterchain:address:v1") || 0x00 || publicKey); text form "mc" + 40 hex.
import { codedError } from './errors.ts';
import { concatBytes, utf8Encode } from './bytes.ts';
import { fromHex, isHex, toHex } from './hex.ts';
import { sha256, type Hash } from './sha256.ts';

export const ADDRESS_LENGTH = 20;
/** Sizes fixed by RFC 8032 §5.1. */
export const PUBLIC_KEY_LENGTH = 32;
export const SIGNATURE_LENGTH = 64;
export const SEED_LENGTH = 32;

const ADDRESS_DOMAIN = utf8Encode('meterchain:address:v1');
const SEPARATOR = new Uint8Array([0]);

/** The 20-byte address of a 32-byte public key. `hash` may be a native SHA-256. */
export function addressFromPublicKey(publicKey: Uint8Array, hash?: Hash): Uint8Array {
  if (publicKey.length !== PUBLIC_KEY_LENGTH) {
    throw codedError('ADDRESS_INVALID', `address: expected a ${PUBLIC_KEY_LENGTH}-byte public key, got ${publicKey.length} bytes`);
  }
  const digest = (hash ?? sha256)(concatBytes([ADDRESS_DOMAIN, SEPARATOR, publicKey]));
  // A copy through subarray: on Espruino a typed array's slice() returns a plain Array.
  return new Uint8Array(digest.subarray(0, ADDRESS_LENGTH));
}

export function addressToText(address: Uint8Array): string {
  if (address.length !== ADDRESS_LENGTH) throw codedError('ADDRESS_INVALID', `address: expected ${ADDRESS_LENGTH} bytes, got ${address.length}`);
  return 'mc' + toHex(address);
}

export function isAddressText(text: string): boolean {
  return text.length === 2 + 2 * ADDRESS_LENGTH && text.slice(0, 2) === 'mc' && isHex(text.slice(2));
}

/** Parses "mc" + 40 hex digits; throws an Error (code ADDRESS_INVALID) saying what was expected. */
export function addressFromText(text: string): Uint8Array {
  if (!isAddressText(text)) throw codedError('ADDRESS_INVALID', `address: expected "mc" followed by 40 hex digits, got '${text.slice(0, 60)}'`);
  return fromHex(text.slice(2));
}
