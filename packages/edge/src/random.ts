// A seeded source of numbers for synthetic data and fault injection: the same sequence on every platform.

/** xorshift32 (Marsaglia 2003): 32-bit shifts and xors only, which Espruino runs (no Math.imul). */
export function seededRandom(seed: number): () => number {
  let x = seed >>> 0;
  if (x === 0) x = 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}
