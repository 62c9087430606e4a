// The topic scheme: meterchain/<cluster>/<kind>/<address>. A meter publishes only under its own address, so a broker
// ACL (`pattern write meterchain/+/+/%u`) can enforce who speaks for an address before any signature is checked.
import { isAddressText } from '@meterchain/core';

export const TOPIC_ROOT = 'meterchain';

// A kind is one topic level: the protocol's message names (docs/protocol.md §12: submission, vote, certificate,
// proposal, block-vote, timeout, evidence, block, sync; `<name>-to-<member index>` for a frame meant for one member).
const KIND_PATTERN = /^[a-z][a-z0-9-]{0,15}$/;
// Cluster names become one topic level: no separators, no wildcards, no control characters, not empty.
const CLUSTER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function isFrameKind(kind: string): boolean {
  return KIND_PATTERN.test(kind);
}

export function isClusterName(cluster: string): boolean {
  return CLUSTER_PATTERN.test(cluster);
}

export function assertClusterName(cluster: string): void {
  if (typeof cluster !== 'string' || !isClusterName(cluster)) {
    throw new TypeError(`transport: expected a cluster name of 1-64 characters [A-Za-z0-9._-], got ${JSON.stringify(cluster)}`);
  }
}

export function assertFrameKind(kind: string): void {
  if (typeof kind !== 'string' || !isFrameKind(kind)) {
    throw new TypeError(`transport: expected a frame kind of 1-16 characters [a-z0-9-] starting with a letter, got ${JSON.stringify(kind)}`);
  }
}

export function assertAddressText(address: string): void {
  if (typeof address !== 'string' || !isAddressText(address)) {
    throw new TypeError(`transport: expected a member address ("mc" + 40 hex digits), got ${JSON.stringify(address)}`);
  }
}

/** The topic a member publishes `kind` frames on. */
export function frameTopic(cluster: string, kind: string, address: string): string {
  assertClusterName(cluster);
  assertFrameKind(kind);
  assertAddressText(address);
  return `${TOPIC_ROOT}/${cluster}/${kind}/${address}`;
}

/** Which frames a subscription wants: one kind or all, one publisher or all. */
export interface FrameFilter {
  kind?: string;
  from?: string;
  /** Another cluster whose frames this member reads (a wide-area substation reading a region's anchors); default
   * the transport's own. It publishes only in its own. */
  cluster?: string;
}

/** The MQTT topic filter for a subscription. */
export function filterTopic(own: string, filter: FrameFilter): string {
  const cluster = filter.cluster ?? own;
  assertClusterName(cluster);
  if (filter.kind !== undefined) assertFrameKind(filter.kind);
  if (filter.from !== undefined) assertAddressText(filter.from);
  return `${TOPIC_ROOT}/${cluster}/${filter.kind ?? '+'}/${filter.from ?? '+'}`;
}

/** Whether a frame of `cluster` matches a subscription of a transport in cluster `own`. */
export function filterMatches(filter: FrameFilter, kind: string, from: string, cluster?: string, own?: string): boolean {
  if (cluster !== undefined && cluster !== (filter.cluster ?? own)) return false;
  return (filter.kind === undefined || filter.kind === kind) && (filter.from === undefined || filter.from === from);
}

export type TopicVerdict = { ok: true; cluster: string; kind: string; from: string } | { ok: false; reason: string };

/** Parses a received topic; a topic from the wire is untrusted, so this returns a verdict instead of throwing. */
export function parseFrameTopic(topic: string): TopicVerdict {
  const parts = topic.split('/');
  if (parts.length !== 4) return { ok: false, reason: 'topic-levels' };
  const [root, cluster, kind, from] = parts as [string, string, string, string];
  if (root !== TOPIC_ROOT) return { ok: false, reason: 'topic-root' };
  if (!isClusterName(cluster)) return { ok: false, reason: 'topic-cluster' };
  if (!isFrameKind(kind)) return { ok: false, reason: 'topic-kind' };
  if (!isAddressText(from)) return { ok: false, reason: 'topic-address' };
  return { ok: true, cluster, kind, from };
}
