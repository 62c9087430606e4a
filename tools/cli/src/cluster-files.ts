// Creates a cluster on disk: operator key, member keys and the signed manifest (`cluster init` and the demo).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createManifest, manifestToJson, type Manifest, type VoteMode, type VotingRule } from '@meterchain/core';
import { createNodeSigner, generateSeed, writeKeyPair } from '@meterchain/crypto';
import { loadManifest, writeOutput } from './files.ts';

export interface ClusterSpec {
  name: string;
  members: number;
  rule: VotingRule;
  voteMode?: VoteMode;
  roundMs?: number;
  blockRounds?: number;
  skewMs?: number;
  timeoutMs?: number;
  genesisMs: number;
  /** Sensor members (role `sensor`: they submit through a full node and do not vote), from `sensor provision`. */
  sensors?: { publicKey: Uint8Array; name: string }[];
}

export interface ClusterFiles {
  dir: string;
  manifestPath: string;
  manifest: Manifest;
  digest: Uint8Array;
  /** Member folder names (m01, m02, …) in manifest order, with their key file. */
  members: { name: string; dir: string; keyPath: string }[];
}

export function memberName(i: number): string {
  return `m${String(i + 1).padStart(2, '0')}`;
}

export function createCluster(dir: string, spec: ClusterSpec): ClusterFiles {
  mkdirSync(dir, { recursive: true });
  const operatorSeed = generateSeed();
  writeKeyPair(dir, operatorSeed, 'operator');
  const inputs: { publicKey: Uint8Array; name: string; role: 'full' | 'sensor' }[] = [];
  for (let i = 0; i < spec.members; i++) {
    const memberDir = join(dir, 'members', memberName(i));
    mkdirSync(memberDir, { recursive: true });
    const { publicKey } = writeKeyPair(memberDir, generateSeed());
    inputs.push({ publicKey, name: memberName(i), role: 'full' as const });
  }
  for (const sensor of spec.sensors ?? []) inputs.push({ publicKey: sensor.publicKey, name: sensor.name, role: 'sensor' as const });
  const params: Record<string, number> = {};
  if (spec.roundMs !== undefined) params['roundMs'] = spec.roundMs;
  if (spec.blockRounds !== undefined) params['blockRounds'] = spec.blockRounds;
  if (spec.skewMs !== undefined) params['skewMs'] = spec.skewMs;
  if (spec.timeoutMs !== undefined) params['timeoutMs'] = spec.timeoutMs;
  const bytes = createManifest(
    { cluster: spec.name, rule: spec.rule, voteMode: spec.voteMode ?? 'broadcast', members: inputs, params, genesisMs: spec.genesisMs },
    createNodeSigner(operatorSeed),
  );
  const manifestPath = join(dir, 'manifest.cbor');
  writeOutput(manifestPath, bytes);
  const { manifest, digest } = loadManifest(manifestPath);
  writeOutput(join(dir, 'manifest.json'), JSON.stringify(manifestToJson(manifest), null, 2) + '\n');
  const members = manifest.members.filter((m) => m.role === 'full').map((m) => ({ name: m.name!, dir: join(dir, 'members', m.name!), keyPath: join(dir, 'members', m.name!, 'meter.key') }));
  members.sort((a, b) => a.name.localeCompare(b.name));
  return { dir, manifestPath, manifest, digest, members };
}
