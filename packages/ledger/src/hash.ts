// SHA-256 on node:crypto behind the core's Hash type (the portable one is about 1.3x slower on 64-byte Merkle nodes,
// DESIGN §4); results are plain Uint8Array views so they compare and encode like the portable hash's.
import { createHash } from 'node:crypto';
import type { Hash } from '@meterchain/core';

export const nodeSha256: Hash = (data: Uint8Array): Uint8Array => {
  const d = createHash('sha256').update(data).digest();
  return new Uint8Array(d.buffer, d.byteOffset, d.length);
};
