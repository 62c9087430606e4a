// Quality flags: what the edge saw, summarised as bits in every reading before it is signed (part of the wire format).
// Each bit is set when at least one finding of that class was raised for the reading. Bits never change meaning;
// new classes take new bits. See docs/quality-flags.md.

export const QualityFlag = {
  /** Samples are missing before this one (time or sequence gap). */
  GAP: 1 << 0,
  /** Same timestamp or sequence number seen again. */
  DUPLICATE: 1 << 1,
  /** Timestamp or sequence number went backwards. */
  TIME_BACKWARDS: 1 << 2,
  /** The meter's clock is not synchronised (clock status not `synced`). */
  CLOCK_UNSYNCED: 1 << 3,
  /** A channel is outside its limits (voltage band, negative current, frequency band). */
  OUT_OF_LIMITS: 1 << 4,
  /** A channel changed faster than its profile allows. */
  RATE_OF_CHANGE: 1 << 5,
  /** An isolated spike that the neighbouring samples do not explain. */
  SPIKE: 1 << 6,
  /** A channel that always varies did not vary (stuck or frozen sensor). */
  STUCK: 1 << 7,
  /** An energy register rolled over (recognised; informational). */
  ENERGY_ROLLOVER: 1 << 8,
  /** An energy register went backwards without a rollover. */
  ENERGY_ROLLBACK: 1 << 9,
  /** Channels contradict each other physically (S vs V·I, P > S, power factor bounds). */
  PHYSICS: 1 << 10,
  /** Three-phase sums do not match the totals. */
  PHASE_SUM: 1 << 11,
  /** Frequency or rate of change of frequency out of bounds (PMU). */
  FREQUENCY: 1 << 12,
  /** At least one channel carries a filtered value beside its raw value. */
  FILTERED: 1 << 13,
  /** Acquisition trouble: CRC errors, timeouts or exceptions on the bus while sampling. */
  COMM_ERROR: 1 << 14,
  /** Some channels of the device profile are missing from this reading. */
  PARTIAL: 1 << 15,
  /** An energy register advanced more than the metering point's maximum power allows in the elapsed time. */
  ENERGY_JUMP: 1 << 16,
} as const;

export type QualityFlagName = keyof typeof QualityFlag;

/** Names of the bits set in `flags`, in bit order. Unknown bits are named `bitN`. */
export function qualityNames(flags: number): string[] {
  const names: string[] = [];
  const known = QualityFlag as Record<string, number>;
  // Doubling, not Math.pow: Math.pow is inexact on Espruino.
  let mask = 1;
  for (let bit = 0; bit < 32; bit++, mask *= 2) {
    if (Math.floor(flags / mask) % 2 !== 1) continue;
    let name = `bit${bit}`;
    for (const key of Object.keys(known)) if (known[key] === mask) name = key;
    names.push(name);
  }
  return names;
}
