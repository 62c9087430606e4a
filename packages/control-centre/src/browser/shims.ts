// What the bundled verifier's modules import from Node and never call in the browser: node:util's inspect (a
// signer's printed form) and node:crypto (the node backend's signer). Buffer comes from the `buffer` package.
export const inspect = Object.assign(() => '', { custom: Symbol('inspect') });
function unavailable(): never {
  throw new Error('node:crypto is not available in the browser');
}
export const createPrivateKey = unavailable;
export const createPublicKey = unavailable;
export const sign = unavailable;
export const verify = unavailable;
export const hash = unavailable;
export const createHash = unavailable;
export const randomBytes = unavailable;
