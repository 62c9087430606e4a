// Quick start: make a cluster, let three meters sign readings, and verify them against the manifest as a peer would.
// Runs with no hardware: `npx tsx examples/quickstart.ts`.
import {
  ClockStatus,
  addressFromPublicKey,
  addressToText,
  createManifest,
  signReading,
  verifyManifest,
  verifySignedReading,
  type Reading,
} from '@meterchain/core';
import { createNodeSigner, generateSeed, nodeVerifier } from '@meterchain/crypto';

const verifier = nodeVerifier();

// 1. An operator and three meters; the operator signs the manifest that gives each meter its vote.
const operator = createNodeSigner(generateSeed());
const meters = [0, 1, 2].map(() => createNodeSigner(generateSeed()));
const genesisMs = Date.now() - (Date.now() % 1000);
const manifestBytes = createManifest({ cluster: 'quickstart', rule: 'majority', members: meters.map((m) => ({ publicKey: m.publicKey })), genesisMs }, operator);
const checked = verifyManifest(manifestBytes, verifier, { operator: operator.publicKey });
if (!checked.ok) throw new Error(checked.reason);
console.log(`cluster 'quickstart': ${checked.manifest.members.length} members, rule ${checked.manifest.rule}`);

// 2. Each meter signs a reading: fixed-point channels (230.1 V is 2301 at scale -1), timestamp in ms.
const signed = meters.map((m, i) => {
  const reading: Reading = {
    v: 1,
    cluster: 'quickstart',
    meter: addressFromPublicKey(m.publicKey),
    seq: 1,
    ts: genesisMs + 250,
    clock: ClockStatus.SYNCED,
    channels: [
      { id: '1-0:32.7.0', unit: 'V', scale: -1, value: 2301 + i },
      { id: '1-0:31.7.0', unit: 'A', scale: -2, value: 520 + 10 * i },
      { id: '1-0:1.8.0', unit: 'Wh', scale: 0, value: 1_000_000 + i },
    ],
    quality: 0,
  };
  return signReading(reading, m);
});

// 3. A peer verifies every signed reading against the manifest alone.
for (const bytes of signed) {
  const v = verifySignedReading(bytes, checked.manifest, verifier);
  console.log(v.ok ? `valid   ${addressToText(v.reading.meter)} seq ${v.reading.seq} (${bytes.length} bytes)` : `INVALID ${v.reason}`);
}

// 4. One flipped bit is caught.
const tampered = signed[0]!.slice();
tampered[tampered.length - 70]! ^= 1;
const t = verifySignedReading(tampered, checked.manifest, verifier);
console.log(t.ok ? 'tampered reading passed: this is a bug' : `tampered reading refused: ${t.reason}`);
