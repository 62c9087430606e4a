// @meterchain/crypto as the browser bundle sees it: SHA-256 is core's (the same function as node:crypto's hash).
export { sha256 as nodeSha256 } from '@meterchain/core';
