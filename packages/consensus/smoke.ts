// Portable self-check run by the portability gate in a stripped, Espruino-like context: RFC 6962 roots, thresholds,
// and a 4-member cluster that votes, accepts and commits a block that then verifies. Ed25519 cannot run there, so a
// stand-in signer (SHA-256 of key and message) takes its place; nothing else is faked. Throws on the first failure.
import { compareBytes, concatBytes, sha256, toHex, utf8Encode, type Manifest, type Member, type Reading, type Signer, type Verifier } from '@meterchain/core';
import { effectsOf, ConsensusNode, merkleRoot, threshold, verifyChain, type Effect, type Topic } from './src/index.ts';

function check(condition: boolean, what: string): void {
  if (!condition) {
    const error = new Error(`consensus smoke: ${what}`) as Error & { code: string };
    error.code = 'SMOKE_FAILED';
    throw error;
  }
}

function fakeSigner(name: string): Signer {
  const publicKey = sha256(utf8Encode(name));
  return {
    publicKey,
    sign: (msg: Uint8Array) => concatBytes([sha256(concatBytes([publicKey, msg])), sha256(concatBytes([msg, publicKey]))]),
  };
}

const fakeVerifier: Verifier = {
  name: 'smoke',
  verify: (pk: Uint8Array, msg: Uint8Array, sig: Uint8Array) => toHex(sig) === toHex(concatBytes([sha256(concatBytes([pk, msg])), sha256(concatBytes([msg, pk]))])),
};

interface Queued {
  to: number;
  topic: Topic;
  bytes: Uint8Array;
}

/** Runs the checks; returns how many passed. */
export function smoke(): number {
  let passed = 0;
  const leaves = [new Uint8Array(0), new Uint8Array([0]), new Uint8Array([0x10])];
  check(toHex(merkleRoot(sha256, leaves)) === 'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77', 'RFC 6962 root of three leaves');
  passed++;
  check(threshold('majority', 7) === 4 && threshold('bft', 7) === 5 && threshold('bft', 4) === 3, 'thresholds');
  passed++;

  const signers: Signer[] = [];
  const members: Member[] = [];
  for (let i = 0; i < 4; i++) {
    const signer = fakeSigner(`member ${i}`);
    signers.push(signer);
    // The address rule of core (address.ts), copied with subarray: a typed array's slice() is a plain Array there.
    const digest = sha256(concatBytes([utf8Encode('meterchain:address:v1'), new Uint8Array(1), signer.publicKey]));
    members.push({ address: new Uint8Array(digest.subarray(0, 20)), publicKey: signer.publicKey, role: 'full' });
  }
  members.sort((a, b) => compareBytes(a.address, b.address));
  const genesisMs = 1767225600000;
  const manifest: Manifest = {
    v: 1,
    cluster: 'smoke',
    epoch: 0,
    rule: 'bft',
    voteMode: 'broadcast',
    members,
    operator: fakeSigner('operator').publicKey,
    params: { roundMs: 1000, blockRounds: 2, skewMs: 100, timeoutMs: 500 },
    genesisMs,
  };
  const verdict = { digest: sha256(utf8Encode('smoke manifest')) };
  passed++;

  const nodes: ConsensusNode[] = [];
  for (const s of signers) nodes.push(new ConsensusNode({ manifest, manifestDigest: verdict.digest, signer: s, verifier: fakeVerifier, hash: sha256 }));
  const queue: Queued[] = [];
  const committed: Uint8Array[] = [];
  let accepted = 0;
  const handle = (from: number, effects: Effect[]): void => {
    for (const e of effects) {
      if (e.type === 'publish') {
        for (let j = 0; j < nodes.length; j++) {
          if (j === from) continue;
          if (e.to && toHex(e.to) !== toHex(nodes[j]!.self)) continue;
          queue.push({ to: j, topic: e.topic, bytes: e.bytes });
        }
      } else if (e.type === 'accepted' && from === 0) accepted++;
      else if (e.type === 'committed' && from === 0) committed.push(e.block);
    }
  };
  for (let now = genesisMs; now < genesisMs + 5000; now += 50) {
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i]!;
      if (now % 1000 === 200 && now < genesisMs + 2000) {
        const reading: Reading = {
          v: 1,
          cluster: 'smoke',
          meter: node.self,
          seq: Math.floor((now - genesisMs) / 1000) + 1,
          ts: now,
          clock: 0,
          channels: [{ id: '1-0:32.7.0', unit: 'V', scale: -1, value: 2301 + i }],
          quality: 0,
        };
        handle(i, effectsOf(node.step({ type: 'reading', now, reading })));
      }
      handle(i, effectsOf(node.step({ type: 'tick', now })));
    }
    while (queue.length > 0) {
      const m = queue.shift()!;
      handle(m.to, effectsOf(nodes[m.to]!.step({ type: 'message', now, topic: m.topic, bytes: m.bytes })));
    }
  }
  check(accepted === 8, `8 readings accepted, got ${accepted}`);
  passed++;
  check(committed.length >= 1, 'a block is committed');
  passed++;
  const chain = verifyChain([{ manifest, digest: verdict.digest }], committed, fakeVerifier, sha256);
  check(chain.ok && chain.readings === 8, 'the committed chain verifies with its 8 readings');
  passed++;
  return passed;
}
