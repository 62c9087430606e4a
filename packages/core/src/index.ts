// @meterchain/core: the portable core. Runs on Node and on Espruino (checked by the portability gate).
export * from './bytes.ts';
export * from './hex.ts';
export * from './crc.ts';
export * from './sha256.ts';
export * from './hmac.ts';
export * from './signer.ts';
export * from './cbor/index.ts';
export * from './address.ts';
export * from './envelope.ts';
export * from './quality.ts';
export * from './reading.ts';
export * from './reading-encoder.ts';
export * from './manifest.ts';
export * from './errors.ts';
export * from './round.ts';
export * from './sensor-link.ts';
export * from './random.ts';
