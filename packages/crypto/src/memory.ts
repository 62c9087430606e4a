// Signatures found valid, remembered for the nodes of one process. A gateway that hosts several meters of one cluster
// receives every signed message once per meter; each node would check it again. With one memory shared by the
// process, the first node to check a signature records it and the others recall it. Only valid signatures are
// remembered, each with its key and message, so a recall answers exactly what a check would.

export class SignatureMemory {
  readonly #limit: number;
  #young = new Map<string, { publicKey: Buffer; message: Buffer }>();
  #old = new Map<string, { publicKey: Buffer; message: Buffer }>();

  /** Keeps at most 2·limit signatures: when the newer half is full the older one is dropped. */
  constructor(limit = 16384) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`SignatureMemory: limit must be a positive integer, got ${limit}`);
    this.#limit = limit;
  }

  /** True when this signature was found valid on this key and message. */
  recall(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    const key = keyOf(signature);
    const hit = this.#young.get(key) ?? this.#old.get(key);
    return hit !== undefined && hit.publicKey.equals(publicKey) && hit.message.equals(message);
  }

  /** Records a signature found valid. The bytes are copied: the caller's buffers may be reused. */
  remember(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): void {
    if (this.#young.size >= this.#limit) {
      this.#old = this.#young;
      this.#young = new Map();
    }
    this.#young.set(keyOf(signature), { publicKey: Buffer.from(publicKey), message: Buffer.from(message) });
  }

  /** Signatures remembered now. */
  get size(): number {
    return this.#young.size + this.#old.size;
  }
}

function keyOf(signature: Uint8Array): string {
  return Buffer.from(signature.buffer, signature.byteOffset, signature.byteLength).toString('latin1');
}
