// Test keys: a minimal node:crypto Ed25519 signer and verifier for the core's own tests (the real backends live in
// @meterchain/crypto, which depends on core).
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import type { Signer, Verifier } from '../../src/signer.ts';

const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function testSigner(seedByte: number): Signer {
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, Buffer.alloc(32, seedByte)]), format: 'der', type: 'pkcs8' });
  const publicKey = new Uint8Array(createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(12));
  return { publicKey, sign: (m) => new Uint8Array(sign(null, m, key)) };
}

export const testVerifier: Verifier = {
  name: 'test',
  verify(pk, m, s) {
    try {
      const key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pk]), format: 'der', type: 'spki' });
      return verify(null, m, key, s);
    } catch {
      return false;
    }
  },
};
