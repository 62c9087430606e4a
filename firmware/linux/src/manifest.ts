// The cluster manifest a node's configuration names, read and checked (with the operator key when one is given):
// the node and its repair command start from the same manifest, refused the same way.
import { readFile } from 'node:fs/promises';
import { verifyManifest, type Manifest, type Verifier } from '@meterchain/core';
import { nodeSha256, readPublicKeyFile } from '@meterchain/crypto';
import { ConfigError, type NodeConfig } from './config.ts';

/** SHA-256 on node:crypto (the node's one hash; DESIGN.md §4). */
export const sha256 = nodeSha256;

/** Reads and verifies `cluster.manifest`; a problem is a ConfigError naming the key. */
export async function loadClusterManifest(cfg: NodeConfig, verifier: Verifier): Promise<{ manifest: Manifest; digest: Uint8Array }> {
  let manifestBytes: Uint8Array;
  try {
    manifestBytes = new Uint8Array(await readFile(cfg.cluster.manifest));
  } catch (e) {
    throw new ConfigError(`cluster.manifest: cannot read ${cfg.cluster.manifest}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const operator = cfg.cluster.operatorKey ? readPublicKeyFile(cfg.cluster.operatorKey).publicKey : undefined;
  const checked = verifyManifest(manifestBytes, verifier, operator ? { operator, hash: sha256 } : { hash: sha256 });
  if (!checked.ok) throw new ConfigError(`cluster.manifest: ${checked.reason}`);
  return { manifest: checked.manifest, digest: checked.digest };
}
