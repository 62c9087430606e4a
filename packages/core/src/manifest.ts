// Cluster manifests: the only source of voting rights. Member addresses, their keys and roles, the voting rule and the
// round parameters, for one epoch, signed by the operator. A change of membership is a new epoch linked to the last.
import { codedError } from './errors.ts';
import { ADDRESS_LENGTH, PUBLIC_KEY_LENGTH, addressFromPublicKey, addressToText } from './address.ts';
import { compareBytes, equalBytes } from './bytes.ts';
import { decode, encode, type CborValue, type Schema } from './cbor/index.ts';
import { Domain, openEnvelope, sealEnvelope, verifyEnvelope } from './envelope.ts';
import { toHex } from './hex.ts';
import { sha256, type Hash } from './sha256.ts';
import type { Signer, Verifier } from './signer.ts';

export const MANIFEST_VERSION = 1;
export const MAX_MEMBERS = 1024;

export type VotingRule = 'majority' | 'bft';
export type MemberRole = 'full' | 'sensor';
/** `broadcast`: every member publishes its vote to all; `leader`: votes go to the round's leader, who publishes
 * one certificate (linear messages for large clusters, DESIGN §3). */
export type VoteMode = 'broadcast' | 'leader';

export interface Member {
  address: Uint8Array;
  publicKey: Uint8Array;
  /** `full` members sign, vote and co-sign blocks; `sensor` members only submit readings (through a full node). */
  role: MemberRole;
  name?: string;
}

export interface ManifestParams {
  /** Length of a voting round in milliseconds. */
  roundMs: number;
  /** Rounds per block period. */
  blockRounds: number;
  /** Allowed distance between a reading's timestamp and its round, in milliseconds (clock skew). */
  skewMs: number;
  /** How long to wait for a proposer before the next in rotation takes over, in milliseconds. */
  timeoutMs: number;
}

export const DEFAULT_PARAMS: ManifestParams = { roundMs: 1000, blockRounds: 10, skewMs: 2000, timeoutMs: 3000 };

export interface Manifest {
  v: number;
  cluster: string;
  epoch: number;
  rule: VotingRule;
  voteMode: VoteMode;
  /** Sorted by address, unique. */
  members: Member[];
  /** The operator's public key that signs this and the next epoch's manifest. */
  operator: Uint8Array;
  params: ManifestParams;
  /** Start of round 0, milliseconds since the Unix epoch. */
  genesisMs: number;
  /** SHA-256 of the previous epoch's signed manifest; absent in epoch 0. */
  prev?: Uint8Array;
}

const MEMBER_SCHEMA: Schema = {
  map: { address: { bytes: ADDRESS_LENGTH }, key: { bytes: PUBLIC_KEY_LENGTH }, role: 'text', name: { text: { max: 64 } } },
  optional: ['name'],
};

export const MANIFEST_SCHEMA: Schema = {
  map: {
    v: 'uint',
    cluster: { text: { max: 64 } },
    epoch: 'uint',
    rule: 'text',
    voteMode: 'text',
    members: { array: MEMBER_SCHEMA, max: MAX_MEMBERS },
    operator: { bytes: PUBLIC_KEY_LENGTH },
    params: { map: { roundMs: 'uint', blockRounds: 'uint', skewMs: 'uint', timeoutMs: 'uint' } },
    genesisMs: 'uint',
    prev: { bytes: 32 },
  },
  optional: ['prev'],
};

// Member lookup by address without Map (portable): a plain object keyed by hex, built once per manifest.
const INDEX = '__memberIndex';

export function findMember(manifest: Manifest, address: Uint8Array): Member | undefined {
  let index = (manifest as unknown as { [k: string]: { [hex: string]: Member } })[INDEX];
  if (!index) {
    index = {};
    for (const m of manifest.members) index[toHex(m.address)] = m;
    Object.defineProperty(manifest, INDEX, { value: index, enumerable: false });
  }
  return index[toHex(address)];
}

/** Members with voting rights (role `full`), in address order. */
export function voters(manifest: Manifest): Member[] {
  return manifest.members.filter((m) => m.role === 'full');
}

/** Checks the rules a schema cannot express; returns the first problem or undefined. */
export function checkManifest(m: Manifest, hash?: Hash): string | undefined {
  if (m.v !== MANIFEST_VERSION) return `unsupported manifest version ${m.v}`;
  if (m.cluster.length === 0) return 'cluster name is empty';
  if (m.rule !== 'majority' && m.rule !== 'bft') return `rule must be 'majority' or 'bft', got '${m.rule}'`;
  if (m.voteMode !== 'broadcast' && m.voteMode !== 'leader') return `voteMode must be 'broadcast' or 'leader', got '${m.voteMode}'`;
  if (m.members.length === 0) return 'no members';
  for (let i = 0; i < m.members.length; i++) {
    const member = m.members[i]!;
    if (member.role !== 'full' && member.role !== 'sensor') return `members[${i}].role must be 'full' or 'sensor', got '${member.role}'`;
    if (!equalBytes(addressFromPublicKey(member.publicKey, hash), member.address)) return `members[${i}].address is not derived from its key`;
    if (i > 0 && compareBytes(m.members[i - 1]!.address, member.address) >= 0) return `members[${i}] is out of address order or repeated`;
  }
  const n = voters(m).length;
  if (n === 0) return 'no full members: nobody can vote';
  if (m.rule === 'bft' && n < 4) return `rule 'bft' needs at least 4 full members (n = 3f + 1), got ${n}`;
  const p = m.params;
  if (p.roundMs < 10 || p.roundMs > 3600000) return `params.roundMs out of range 10..3600000: ${p.roundMs}`;
  if (p.blockRounds < 1 || p.blockRounds > 100000) return `params.blockRounds out of range 1..100000: ${p.blockRounds}`;
  if (p.timeoutMs < 1) return 'params.timeoutMs must be positive';
  if (m.epoch === 0 && m.prev) return 'epoch 0 has no previous manifest';
  if (m.epoch > 0 && !m.prev) return `epoch ${m.epoch} must name the previous manifest (prev)`;
  return undefined;
}

function memberToCbor(member: Member): CborValue {
  const out: { [k: string]: CborValue } = { address: member.address, key: member.publicKey, role: member.role };
  if (member.name !== undefined) out['name'] = member.name;
  return out;
}

export function encodeManifest(m: Manifest): Uint8Array {
  const members: CborValue[] = [];
  for (const member of m.members) members.push(memberToCbor(member));
  const body: { [k: string]: CborValue } = {
    v: m.v,
    cluster: m.cluster,
    epoch: m.epoch,
    rule: m.rule,
    voteMode: m.voteMode,
    members,
    operator: m.operator,
    params: { roundMs: m.params.roundMs, blockRounds: m.params.blockRounds, skewMs: m.params.skewMs, timeoutMs: m.params.timeoutMs },
    genesisMs: m.genesisMs,
  };
  if (m.prev) body['prev'] = m.prev;
  return encode(body);
}

export interface ManifestInput {
  cluster: string;
  epoch?: number;
  rule: VotingRule;
  voteMode?: VoteMode;
  members: { publicKey: Uint8Array; role?: MemberRole; name?: string }[];
  params?: Partial<ManifestParams>;
  genesisMs: number;
  prev?: Uint8Array;
}

/** Builds, checks and signs a manifest with the operator's key; returns the signed envelope bytes. */
export function createManifest(input: ManifestInput, operator: Signer): Uint8Array {
  const members: Member[] = input.members.map((x) => {
    const m: Member = { address: addressFromPublicKey(x.publicKey), publicKey: x.publicKey, role: x.role ?? 'full' };
    if (x.name !== undefined) m.name = x.name;
    return m;
  });
  members.sort((a, b) => compareBytes(a.address, b.address));
  const p = input.params ?? {};
  const manifest: Manifest = {
    v: MANIFEST_VERSION,
    cluster: input.cluster,
    epoch: input.epoch ?? 0,
    rule: input.rule,
    voteMode: input.voteMode ?? 'broadcast',
    members,
    operator: operator.publicKey,
    params: {
      roundMs: p.roundMs ?? DEFAULT_PARAMS.roundMs,
      blockRounds: p.blockRounds ?? DEFAULT_PARAMS.blockRounds,
      skewMs: p.skewMs ?? DEFAULT_PARAMS.skewMs,
      timeoutMs: p.timeoutMs ?? DEFAULT_PARAMS.timeoutMs,
    },
    genesisMs: input.genesisMs,
  };
  if (input.prev) manifest.prev = input.prev;
  const problem = checkManifest(manifest);
  if (problem) throw codedError('MANIFEST_INVALID', `manifest: ${problem}`);
  return sealEnvelope(Domain.MANIFEST, encodeManifest(manifest), operator);
}

export type ManifestVerdict =
  | { ok: true; manifest: Manifest; digest: Uint8Array }
  | { ok: false; reason: string };

export interface ManifestCheckOptions {
  /** The operator key the caller trusts; without it the manifest is checked for self-consistency only. */
  operator?: Uint8Array;
  /** The previous epoch's verified manifest: the new one must follow it and be signed by its operator. */
  previous?: { manifest: Manifest; digest: Uint8Array };
  hash?: Hash;
}

/** Verifies a signed manifest and says why when it does not verify. Never throws. */
export function verifyManifest(bytes: Uint8Array, verifier: Verifier, opts?: ManifestCheckOptions): ManifestVerdict {
  const o = opts ?? {};
  const opened = openEnvelope(bytes, 1 << 20);
  if (!opened.ok) return { ok: false, reason: `manifest ${opened.reason}` };
  const d = decode(opened.envelope.body, MANIFEST_SCHEMA);
  if (!d.ok) return { ok: false, reason: `manifest: ${d.reason} at byte ${d.offset}` };
  const raw = d.value as { [k: string]: unknown };
  const members: Member[] = [];
  for (const x of raw['members'] as { [k: string]: unknown }[]) {
    const m: Member = { address: x['address'] as Uint8Array, publicKey: x['key'] as Uint8Array, role: x['role'] as MemberRole };
    if (x['name'] !== undefined) m.name = x['name'] as string;
    members.push(m);
  }
  const manifest: Manifest = {
    v: raw['v'] as number,
    cluster: raw['cluster'] as string,
    epoch: raw['epoch'] as number,
    rule: raw['rule'] as VotingRule,
    voteMode: raw['voteMode'] as VoteMode,
    members,
    operator: raw['operator'] as Uint8Array,
    params: raw['params'] as unknown as ManifestParams,
    genesisMs: raw['genesisMs'] as number,
  };
  if (raw['prev'] !== undefined) manifest.prev = raw['prev'] as Uint8Array;
  const problem = checkManifest(manifest, o.hash);
  if (problem) return { ok: false, reason: `manifest: ${problem}` };
  const signerKey = o.previous ? o.previous.manifest.operator : manifest.operator;
  if (o.operator && !equalBytes(o.operator, signerKey)) {
    return { ok: false, reason: 'manifest: signed by an operator key other than the trusted one' };
  }
  if (!verifyEnvelope(Domain.MANIFEST, opened.envelope, signerKey, verifier)) {
    return { ok: false, reason: o.previous ? "manifest: not signed by the previous epoch's operator" : "manifest: operator signature does not verify" };
  }
  if (o.previous) {
    if (manifest.cluster !== o.previous.manifest.cluster) return { ok: false, reason: 'manifest: cluster differs from the previous epoch' };
    if (manifest.epoch !== o.previous.manifest.epoch + 1) return { ok: false, reason: `manifest: epoch ${manifest.epoch} does not follow ${o.previous.manifest.epoch}` };
    if (!manifest.prev || !equalBytes(manifest.prev, o.previous.digest)) return { ok: false, reason: 'manifest: prev does not name the previous epoch' };
  }
  return { ok: true, manifest, digest: (o.hash ?? sha256)(bytes) };
}

/** Human-readable view of a manifest (for `cluster init` and inspection). */
export function manifestToJson(m: Manifest): { [k: string]: unknown } {
  return {
    cluster: m.cluster,
    epoch: m.epoch,
    rule: m.rule,
    voteMode: m.voteMode,
    genesisMs: m.genesisMs,
    params: m.params,
    operator: toHex(m.operator),
    prev: m.prev ? toHex(m.prev) : undefined,
    members: m.members.map((x) => ({ address: addressToText(x.address), publicKey: toHex(x.publicKey), role: x.role, name: x.name })),
  };
}
