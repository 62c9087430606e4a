import { describe, expect, test } from '@jest/globals';
import { addressFromPublicKey } from '../src/address.ts';
import { decode, encode } from '../src/cbor/index.ts';
import { openEnvelope, sealEnvelope, Domain } from '../src/envelope.ts';
import { createManifest, findMember, verifyManifest, voters } from '../src/manifest.ts';
import { testSigner, testVerifier } from './support/keys.ts';

const operator = testSigner(200);
const members = [1, 2, 3, 4, 5, 6, 7].map((i) => testSigner(i));
const input = { cluster: 'feeder-12', rule: 'bft' as const, members: members.map((m) => ({ publicKey: m.publicKey })), genesisMs: 1_700_000_000_000 };

describe('cluster manifest', () => {
  test('a manifest created and signed by the operator verifies, members sorted by address', () => {
    const v = verifyManifest(createManifest(input, operator), testVerifier, { operator: operator.publicKey });
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    expect(v.manifest.members).toHaveLength(7);
    const hexes = v.manifest.members.map((m) => Buffer.from(m.address).toString('hex'));
    expect([...hexes].sort()).toEqual(hexes);
    expect(voters(v.manifest)).toHaveLength(7);
    expect(findMember(v.manifest, addressFromPublicKey(members[3]!.publicKey))?.publicKey).toEqual(members[3]!.publicKey);
    expect(findMember(v.manifest, new Uint8Array(20))).toBeUndefined();
    expect(v.digest).toHaveLength(32);
  });

  test('is refused when signed by another key than the trusted operator', () => {
    const v = verifyManifest(createManifest(input, testSigner(201)), testVerifier, { operator: operator.publicKey });
    expect(v).toEqual({ ok: false, reason: 'manifest: signed by an operator key other than the trusted one' });
  });

  test('is refused when any byte of it changes', () => {
    const bytes = createManifest(input, operator);
    for (let i = 0; i < bytes.length; i += 7) {
      const m = bytes.slice();
      m[i] ^= 0x01;
      expect(verifyManifest(m, testVerifier).ok).toBe(false);
    }
  });

  test('is refused when a member address is not derived from its key', () => {
    const bytes = createManifest(input, operator);
    const env = openEnvelope(bytes);
    if (!env.ok) throw new Error(env.reason);
    const body = decode(env.envelope.body);
    if (!body.ok) throw new Error(body.reason);
    const value = body.value as { members: { address: Uint8Array }[] };
    value.members[0]!.address = value.members[0]!.address.slice();
    value.members[0]!.address[0] ^= 1;
    const forged = sealEnvelope(Domain.MANIFEST, encode(body.value), operator);
    const v = verifyManifest(forged, testVerifier);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.reason).toMatch(/address is not derived from its key|out of address order/);
  });

  test('bft needs at least four full members', () => {
    expect(() => createManifest({ ...input, members: input.members.slice(0, 3) }, operator)).toThrow(/at least 4 full members/);
  });

  test('a signature made under another domain does not verify as a manifest', () => {
    const env = openEnvelope(createManifest(input, operator));
    if (!env.ok) throw new Error(env.reason);
    const resigned = sealEnvelope(Domain.READING, env.envelope.body, operator);
    expect(verifyManifest(resigned, testVerifier)).toEqual({ ok: false, reason: 'manifest: operator signature does not verify' });
  });

  test('the next epoch must follow the previous one and be signed by its operator', () => {
    const first = createManifest(input, operator);
    const v0 = verifyManifest(first, testVerifier);
    if (!v0.ok) throw new Error(v0.reason);
    const next = createManifest({ ...input, epoch: 1, prev: v0.digest, members: input.members.slice(0, 5) }, operator);
    expect(verifyManifest(next, testVerifier, { previous: v0 }).ok).toBe(true);
    const skipped = createManifest({ ...input, epoch: 2, prev: v0.digest }, operator);
    expect(verifyManifest(skipped, testVerifier, { previous: v0 })).toEqual({ ok: false, reason: 'manifest: epoch 2 does not follow 0' });
    const hijacked = createManifest({ ...input, epoch: 1, prev: v0.digest }, testSigner(99));
    expect(verifyManifest(hijacked, testVerifier, { previous: v0 })).toEqual({ ok: false, reason: "manifest: not signed by the previous epoch's operator" });
  });
});
