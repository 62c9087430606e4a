// SHA-256 (FIPS 180-4) in portable JavaScript: one-shot and incremental. Runs on Espruino, where the firmware may
// hand in the native `crypto.SHA256` instead through the `Hash` type below.

/** A one-shot hash function: bytes in, digest out. Portable code takes one as a parameter so a host can pass a
 * native implementation (Espruino's `crypto.SHA256`, node:crypto) in place of the pure-JS one. */
export type Hash = (data: Uint8Array) => Uint8Array;

// FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64 primes.
const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

// FIPS 180-4 §5.3.3: the initial hash value.
const H0 = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

/** Compresses one 64-byte block of `block` starting at `offset` into `state` (§6.2.2). Only additions, shifts and
 * bitwise operations: every sum is brought back to 32 bits with `| 0`, so no multiplication is needed. */
function compress(state: Int32Array, w: Int32Array, block: Uint8Array, offset: number): void {
  for (let t = 0; t < 16; t++) {
    const i = offset + 4 * t;
    w[t] = (block[i]! << 24) | (block[i + 1]! << 16) | (block[i + 2]! << 8) | block[i + 3]!;
  }
  for (let t = 16; t < 64; t++) {
    const x = w[t - 15]!;
    const y = w[t - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[t] = (s1 + w[t - 7]! + s0 + w[t - 16]!) | 0;
  }
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  let e = state[4]!;
  let f = state[5]!;
  let g = state[6]!;
  let h = state[7]!;
  for (let t = 0; t < 64; t++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const ch = (e & f) ^ (~e & g);
    const t1 = (h + S1 + ch + K[t]! + w[t]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const maj = (a & b) ^ (a & c) ^ (b & c);
    const t2 = (S0 + maj) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0;
  state[5] = (state[5]! + f) | 0;
  state[6] = (state[6]! + g) | 0;
  state[7] = (state[7]! + h) | 0;
}

function writeU32(out: Uint8Array, offset: number, v: number): void {
  out[offset] = (v >>> 24) & 0xff;
  out[offset + 1] = (v >>> 16) & 0xff;
  out[offset + 2] = (v >>> 8) & 0xff;
  out[offset + 3] = v & 0xff;
}

/** Incremental SHA-256: `update` any number of times (hashing a concatenation without building it), then
 * `digest` once. A finished hasher refuses further use, so a caller cannot silently hash a different message. */
export class Sha256 {
  private readonly state: Int32Array;
  private readonly w: Int32Array;
  private readonly buffer: Uint8Array;
  private buffered: number;
  // Message length in bytes, kept as two numbers so lengths past 2^32 bytes stay exact without BigInt.
  private lengthLow: number;
  private lengthHigh: number;
  private finished: boolean;

  constructor() {
    this.state = new Int32Array(H0);
    this.w = new Int32Array(64);
    this.buffer = new Uint8Array(64);
    this.buffered = 0;
    this.lengthLow = 0;
    this.lengthHigh = 0;
    this.finished = false;
  }

  update(data: Uint8Array): this {
    if (this.finished) {
      const err = new Error('sha256: update() after digest(); create a new Sha256') as Error & { code: string };
      err.code = 'HASH_FINISHED';
      throw err;
    }
    if (!(data instanceof Uint8Array)) throw new TypeError(`sha256: expected a Uint8Array, got ${typeof data}`);
    const n = data.length;
    this.lengthLow += n;
    if (this.lengthLow >= 0x100000000) {
      this.lengthHigh += Math.floor(this.lengthLow / 0x100000000);
      this.lengthLow = this.lengthLow % 0x100000000;
    }
    let pos = 0;
    if (this.buffered > 0) {
      const take = Math.min(64 - this.buffered, n);
      this.buffer.set(data.subarray(0, take), this.buffered);
      this.buffered += take;
      pos = take;
      if (this.buffered < 64) return this;
      compress(this.state, this.w, this.buffer, 0);
      this.buffered = 0;
    }
    // Whole blocks straight from the caller's bytes: no copy.
    while (n - pos >= 64) {
      compress(this.state, this.w, data, pos);
      pos += 64;
    }
    if (pos < n) {
      this.buffer.set(data.subarray(pos), 0);
      this.buffered = n - pos;
    }
    return this;
  }

  digest(): Uint8Array {
    if (this.finished) {
      const err = new Error('sha256: digest() called twice; create a new Sha256') as Error & { code: string };
      err.code = 'HASH_FINISHED';
      throw err;
    }
    this.finished = true;
    // §5.1.1 padding: 0x80, zeros to 56 mod 64, then the bit length as a 64-bit big-endian integer.
    const buf = this.buffer;
    let used = this.buffered;
    buf[used++] = 0x80;
    if (used > 56) {
      buf.fill(0, used);
      compress(this.state, this.w, buf, 0);
      used = 0;
    }
    buf.fill(0, used, 56);
    // Bit length = byte length * 8, split across the two 32-bit words.
    const bitsHigh = (this.lengthHigh * 8 + Math.floor(this.lengthLow / 0x20000000)) >>> 0;
    const bitsLow = ((this.lengthLow % 0x20000000) * 8) >>> 0;
    writeU32(buf, 56, bitsHigh);
    writeU32(buf, 60, bitsLow);
    compress(this.state, this.w, buf, 0);
    const out = new Uint8Array(32);
    for (let i = 0; i < 8; i++) writeU32(out, 4 * i, this.state[i]!);
    return out;
  }
}

/** SHA-256 of `data`, 32 bytes. */
export function sha256(data: Uint8Array): Uint8Array {
  return new Sha256().update(data).digest();
}
