// Seeded number sources for simulations, synthetic data and fault injection (never for keys or anything secret):
// the same seed gives the same sequence on Node and on Espruino, so a seed replays a run.

/**
 * The low 32 bits of a × b, as Math.imul gives them (Espruino has no Math.imul). Each partial product stays below
 * 2^53, so the arithmetic is exact in doubles.
 */
export function mul32(a: number, b: number): number {
  const high = ((a >>> 16) * b) & 0xffff;
  return ((a & 0xffff) * b + high * 65536) | 0;
}

/**
 * mulberry32 (Tommy Ettinger): uniform in [0, 1). The generator of the cluster simulator, the Modbus device
 * simulator, the ledger's generated chains and crash runs, and the fault campaign's schedule.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = mul32(t ^ (t >>> 15), t | 1);
    t ^= t + mul32(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * xorshift32 (Marsaglia 2003): uniform in [0, 1), shifts and xors only. The generator of the edge's synthetic data
 * and fault injection and of the simulated load curve, whose recorded runs pin its sequence.
 */
export function xorshift32(seed: number): () => number {
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
