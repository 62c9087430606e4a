// @meterchain/crypto: Ed25519 on Node behind the core's Signer/Verifier interfaces — node:crypto (the default) and
// @noble/ed25519 (the cross-check) — under one strict rule set; key generation and key files; SHA-256 on node:crypto.
// Keys from seed texts for simulations: @meterchain/crypto/sim.
export { createNodeSigner, nodeVerifier, publicKeyFromSeed, DEFAULT_KEY_CACHE_SIZE } from './node.ts';
export type { BatchItem, NodeVerifier, NodeVerifierOptions } from './node.ts';
export { createNobleSigner, nobleVerifier } from './noble.ts';
export { strictPrecheck, isCanonicalPointEncoding, isCanonicalScalar, isSmallOrderEncoding } from './strict.ts';
export type { StrictReason } from './strict.ts';
export { verifyBatchParallel, explainVerdict } from './batch.ts';
export { nodeSha256 } from './hash.ts';
export {
  generateSeed,
  writeKeyFile,
  readKeyFile,
  writePublicKeyFile,
  readPublicKeyFile,
  writeKeyPair,
  PRIVATE_KEY_TYPE,
  PUBLIC_KEY_TYPE,
  KEY_FILE_VERSION,
} from './keys.ts';
export type { KeyFileError, KeyFileErrorCode, KeyPairFiles, PublicKeyFile } from './keys.ts';
