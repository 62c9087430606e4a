// SHA-256 on Node behind the core's Hash type: node:crypto's one-shot `hash()`, the fastest measured here (DESIGN
// §4: 860k 64-byte hashes/s against 610k for createHash and about 1.3x the portable hash's time on Merkle nodes).
// Results are plain Uint8Array views, so they compare and encode like the portable hash's.
import { hash } from 'node:crypto';
import type { Hash } from '@meterchain/core';

export const nodeSha256: Hash = (data) => {
  const b = hash('sha256', data, 'buffer');
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
};
