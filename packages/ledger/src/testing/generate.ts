// A generator of committed chains with real signatures, for benchmarks, crash tests and tool tests: every member
// submits a signed reading each round, every voter signs one vote accepting them all, and the threshold co-signs each
// header. Deterministic for a seed, so a generated chain can be cached and compared byte for byte.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClockStatus, Domain, addressFromPublicKey, equalBytes, signingInput, createManifest, signReading, verifyManifest, mulberry32, type Manifest, type Signer, type VotingRule } from '@meterchain/core';
import { createNodeSigner, nodeVerifier, nodeSha256 } from '@meterchain/crypto';
import {
  Phase,
  Verdict,
  blockVoteBody,
  buildRoundCertificate,
  countCertificates,
  emptyJudgments,
  encodeBody,
  encodeHeader,
  encodeStoredBlock,
  leafHash,
  makeEvidence,
  merkleRoot,
  proposerOf,
  setJudgment,
  signVote,
  threshold,
  type BlockCertificate,
  type HeldVote,
  type RoundCertificate,
} from '../consensus.ts';
// The round summaries must be computed exactly as the chain checker does; the consensus package keeps this helper
// out of its entry point, so it is taken from its module (test support only).
import { addReadingToSummary } from '../../../consensus/src/block.ts';
import { ChainStore } from '../chain-store.ts';
import { BLOCKS_DIR, blockFileName } from '../chain-source.ts';

export interface GenerateOptions {
  /** Full members (default 4). */
  members?: number;
  rule?: VotingRule;
  /** Rounds per block (default 10). */
  blockRounds?: number;
  blocks: number;
  /** Seeds every key and value (default 1). */
  seed?: number;
  cluster?: string;
  /** Every `rejectEvery`-th submission is judged invalid by all voters and left out (0: none, the default). */
  rejectEvery?: number;
  /** Put one piece of equivocation evidence (two signed readings of one member for one round) in these heights. */
  evidenceAt?: number[];
}

export interface GeneratedChain {
  /** Signed manifest bytes (what `cluster init` writes). */
  manifest: Uint8Array;
  /** Stored blocks (header, body, commit certificate) by height from 0. */
  blocks: Uint8Array[];
  /** Accepted readings in the chain. */
  readings: number;
}

function seedOf(seed: number, role: string, i: number): Uint8Array {
  return nodeSha256(new TextEncoder().encode(`meterchain test key ${seed} ${role} ${i}`));
}

export function generateChain(opts: GenerateOptions): GeneratedChain {
  const n = opts.members ?? 4;
  const rule = opts.rule ?? 'bft';
  const blockRounds = opts.blockRounds ?? 10;
  const seed = opts.seed ?? 1;
  const cluster = opts.cluster ?? 'test-cluster';
  const rejectEvery = opts.rejectEvery ?? 0;
  const evidenceAt = opts.evidenceAt ?? [];
  const operator = createNodeSigner(seedOf(seed, 'operator', 0));
  const signers: Signer[] = [];
  for (let i = 0; i < n; i++) signers.push(createNodeSigner(seedOf(seed, 'member', i)));
  const genesisMs = 1700000000000;
  const roundMs = 1000;
  const manifestBytes = createManifest(
    { cluster, rule, members: signers.map((s, i) => ({ publicKey: s.publicKey, name: `meter-${i}` })), params: { blockRounds, roundMs, skewMs: 2000, timeoutMs: 3000 }, genesisMs },
    operator,
  );
  const mv = verifyManifest(manifestBytes, nodeVerifier());
  if (!mv.ok) throw new Error(`generate: ${mv.reason}`);
  const manifest: Manifest = mv.manifest;
  // Signers in manifest order (members are sorted by address).
  const byIndex: Signer[] = manifest.members.map((m) => signers.find((s) => equalBytes(addressFromPublicKey(s.publicKey), m.address))!);
  const t = threshold(rule, n);
  const random = mulberry32(seed);
  const energy: number[] = manifest.members.map(() => Math.floor(random() * 1e6));

  const blocks: Uint8Array[] = [];
  let prev = mv.digest;
  let readings = 0;
  let submissionCount = 0;
  for (let height = 0; height < opts.blocks; height++) {
    const first = height * blockRounds;
    const last = first + blockRounds - 1;
    const submissions: Uint8Array[] = [];
    const certs: RoundCertificate[] = [];
    const evidence: Uint8Array[] = [];
    const accepted: { bytes: Uint8Array; reading: Parameters<typeof addReadingToSummary>[1]; round: number }[] = [];
    for (let round = first; round <= last; round++) {
      const records = emptyJudgments(n);
      const roundSubs: { bytes: Uint8Array; reading: Parameters<typeof addReadingToSummary>[1] }[] = [];
      for (let i = 0; i < n; i++) {
        energy[i]! += 1 + Math.floor(random() * 50);
        const reading = {
          v: 1,
          cluster,
          meter: manifest.members[i]!.address,
          seq: round,
          ts: genesisMs + round * roundMs + 100 + i,
          clock: ClockStatus.SYNCED,
          channels: [
            { id: '1-0:1.8.0', unit: 'Wh', scale: 0, value: energy[i]! },
            { id: '1-0:16.7.0', unit: 'W', scale: 0, value: 200 + Math.floor(random() * 3000) },
            { id: '1-0:32.7.0', unit: 'V', scale: -1, value: 2250 + Math.floor(random() * 150) },
          ],
          quality: 0,
        };
        const bytes = signReading(reading, byIndex[i]!);
        submissionCount++;
        if (rejectEvery > 0 && submissionCount % rejectEvery === 0) {
          setJudgment(records, i, Verdict.REJECT, 10, leafHash(nodeSha256, bytes));
          continue;
        }
        setJudgment(records, i, Verdict.ACCEPT, 0, leafHash(nodeSha256, bytes));
        roundSubs.push({ bytes, reading });
      }
      const votes: HeldVote[] = [];
      for (let v = 0; v < n; v++) {
        const signed = signVote(manifest, round, byIndex[v]!, manifest.members[v]!.address, records, nodeSha256);
        votes.push({ voter: v, records, root: signed.root, sig: signed.sig });
      }
      certs.push(buildRoundCertificate(round, votes));
      for (const s of roundSubs) accepted.push({ ...s, round });
    }
    if (evidenceAt.indexOf(height) >= 0 && accepted.length > 0) {
      // The member of the block's first accepted reading signed a second, different one for that round: submission
      // equivocation, caught and carried as evidence.
      const a = accepted[0]!;
      const index = manifest.members.findIndex((m) => equalBytes(m.address, a.reading.meter));
      const other = signReading({ ...a.reading, channels: a.reading.channels.map((c) => ({ ...c, value: c.value + 1 })) }, byIndex[index]!);
      evidence.push(makeEvidence('submission', a.bytes, other));
    }
    const counted = countCertificates(manifest, first, last, certs, {});
    for (const a of accepted) {
      submissions.push(a.bytes);
      const summary = counted.summaries[a.round - first]!;
      summary.accepted++;
      addReadingToSummary(summary, a.reading);
    }
    const bodyBytes = encodeBody({ v: 1, submissions, certs, evidence });
    const headerBytes = encodeHeader({
      v: 1,
      cluster,
      epoch: manifest.epoch,
      height,
      prev,
      first,
      last,
      root: merkleRoot(nodeSha256, submissions),
      count: submissions.length,
      rounds: counted.summaries,
      body: nodeSha256(bodyBytes),
      proposer: proposerOf(manifest, height, 0),
    });
    const hash = nodeSha256(headerBytes);
    const commit: BlockCertificate = { phase: Phase.COMMIT, height, view: 0, block: hash, votes: [] };
    for (let v = 0; v < t; v++) {
      const body = blockVoteBody(manifest, height, 0, Phase.COMMIT, hash, manifest.members[v]!.address);
      commit.votes.push({ voter: v, sig: byIndex[v]!.sign(signingInput(Domain.BLOCK, body)) });
    }
    blocks.push(encodeStoredBlock({ header: headerBytes, body: bodyBytes, commit }));
    readings += submissions.length;
    prev = hash;
  }
  return { manifest: manifestBytes, blocks, readings };
}


/** Writes a generated chain the way the simulator's --out does: DIR/manifest.cbor and DIR/blocks/<height>.cbor. */
export function writeChainFiles(dir: string, chain: GeneratedChain): void {
  mkdirSync(join(dir, BLOCKS_DIR), { recursive: true });
  writeFileSync(join(dir, 'manifest.cbor'), chain.manifest);
  for (let h = 0; h < chain.blocks.length; h++) writeFileSync(join(dir, BLOCKS_DIR, blockFileName(h)), chain.blocks[h]!);
}

/** Appends a generated chain to a block store in DIR (created), with the manifest beside it. */
export async function writeChainStore(dir: string, chain: GeneratedChain): Promise<void> {
  const { store } = await ChainStore.open(dir, { genesis: nodeSha256(chain.manifest) });
  for (let i = 0; i < chain.blocks.length; i += 64) await Promise.all(chain.blocks.slice(i, i + 64).map((b) => store.append(b)));
  await store.close();
  writeFileSync(join(dir, 'manifest.cbor'), chain.manifest);
}
