// The strict Ed25519 rule set every backend applies before its curve arithmetic, so that node:crypto and noble give
// one verdict on every input (votes must not split; see docs/crypto.md and the speccheck table in the vectors).
// Only byte compares against fixed tables: it runs on every verification, and the hot path must stay within 10%.

/** Why a signature fails the strict rule before any curve arithmetic; `bad-signature` when the equation fails. */
export type StrictReason =
  | 'not-bytes'
  | 'public-key-length'
  | 'signature-length'
  | 'public-key-non-canonical'
  | 'public-key-small-order'
  | 'r-non-canonical'
  | 'r-small-order'
  | 's-out-of-range'
  | 'bad-signature';

const hex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));

/**
 * The y coordinates (sign bit cleared) of the eight points of order 1, 2, 4 and 8, plus the two encodings with
 * y ≥ p that reduce to one of them (y = p ≡ 0, y = p + 1 ≡ 1). Matching with the sign bit masked also catches
 * "x = 0 with the sign bit set", which RFC 8032 §5.1.3 refuses to decode. A point from this table makes the
 * verification equation hold for many keys or messages (speccheck cases 0–2), so the strict rule refuses it as a
 * public key and as R.
 */
const SMALL_ORDER_Y: readonly Uint8Array[] = [
  hex('0000000000000000000000000000000000000000000000000000000000000000'), // order 4 (x = ±sqrt(-1))
  hex('0100000000000000000000000000000000000000000000000000000000000000'), // order 1, the identity
  hex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05'), // order 8
  hex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'), // order 8
  hex('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'), // order 2, y = p - 1
  hex('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'), // y = p, non-canonical 0
  hex('eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'), // y = p + 1, non-canonical 1
];

/** L = 2^252 + 27742317777372353535851937790883648493, the prime order of the base point, little-endian. */
const L = hex('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010');

/** True when the 32 bytes at `offset` hold y < p = 2^255 - 19 (the sign bit is not part of y). */
export function isCanonicalPointEncoding(bytes: Uint8Array, offset = 0): boolean {
  // y ≥ p only when bits 8..254 are all ones and the low byte is ≥ 0xed.
  if ((bytes[offset + 31]! & 0x7f) !== 0x7f) return true;
  for (let i = 30; i >= 1; i--) if (bytes[offset + i] !== 0xff) return true;
  return bytes[offset]! < 0xed;
}

/** True when the 32 bytes at `offset` encode one of the eight small-order points (any sign bit, any encoding). */
export function isSmallOrderEncoding(bytes: Uint8Array, offset = 0): boolean {
  const first = bytes[offset]!;
  for (const y of SMALL_ORDER_Y) {
    if (y[0] !== first) continue; // the seven first bytes differ, so at most one full compare happens
    let i = 1;
    while (i < 31 && bytes[offset + i] === y[i]) i++;
    if (i === 31 && (bytes[offset + 31]! & 0x7f) === y[31]) return true;
  }
  return false;
}

/** True when the 32 little-endian bytes at `offset` hold S < L (RFC 8032 §5.1.7 step 1; refuses malleable S). */
export function isCanonicalScalar(bytes: Uint8Array, offset = 0): boolean {
  for (let i = 31; i >= 0; i--) {
    const b = bytes[offset + i]!;
    if (b !== L[i]) return b < L[i]!;
  }
  return false; // S = L
}

/**
 * The strict checks on a (public key, message, signature) triple that need no curve arithmetic: types, lengths,
 * canonical A and R, A and R not of small order, S < L. Returns the first reason to reject, or undefined.
 * What is left for the backend is decoding the points and the cofactorless equation [S]B = R + [k]A.
 */
export function strictPrecheck(publicKey: unknown, message: unknown, signature: unknown): StrictReason | undefined {
  if (!(publicKey instanceof Uint8Array) || !(message instanceof Uint8Array) || !(signature instanceof Uint8Array)) {
    return 'not-bytes';
  }
  if (publicKey.length !== 32) return 'public-key-length';
  if (signature.length !== 64) return 'signature-length';
  if (!isCanonicalScalar(signature, 32)) return 's-out-of-range';
  if (!isCanonicalPointEncoding(publicKey, 0)) return 'public-key-non-canonical';
  if (isSmallOrderEncoding(publicKey, 0)) return 'public-key-small-order';
  if (!isCanonicalPointEncoding(signature, 0)) return 'r-non-canonical';
  if (isSmallOrderEncoding(signature, 0)) return 'r-small-order';
  return undefined;
}
