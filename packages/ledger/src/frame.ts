// The ledger's record frames are the storage layer's (@meterchain/storage, frame.ts); kept for node-state.ts.
export { encodeFrame, frameLength, frameIsIntact, FRAME_HEADER_LENGTH, CHECK_LENGTH, MAX_PAYLOAD_LENGTH } from '@meterchain/storage';
