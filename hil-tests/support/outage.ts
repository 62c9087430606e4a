// An outage during a polling run: unplug at one moment, replug later, and account for every slot.
import { poll, type MeterDriver, type PollEvent } from '@meterchain/modbus';

export interface OutageRun {
  events: PollEvent[];
  samples: Extract<PollEvent, { kind: 'sample' }>[];
  gaps: Extract<PollEvent, { kind: 'gap' }>[];
  /** Slots that produced no sample. */
  lost: number;
  /** Slots that fell due while the link was down (from unplug to the peer being back). */
  outageSlots: number;
  /** The first and last of those slots. */
  downFrom: number;
  downTo: number;
  unpluggedAt: number;
  backAt: number;
  start: number;
}

export async function pollThroughOutage(options: {
  driver: MeterDriver;
  periodMs: number;
  slots: number;
  unplugAtMs: number;
  replugAtMs: number;
  unplug: () => Promise<void>;
  replug: () => Promise<void>;
}): Promise<OutageRun> {
  const start = Date.now();
  let unpluggedAt = 0;
  let backAt = 0;
  const outage = (async () => {
    await new Promise((r) => setTimeout(r, options.unplugAtMs));
    unpluggedAt = Date.now();
    await options.unplug();
    await new Promise((r) => setTimeout(r, Math.max(0, start + options.replugAtMs - Date.now())));
    await options.replug();
    backAt = Date.now();
  })();
  const events = await poll(options.driver, { periodMs: options.periodMs, slots: options.slots });
  await outage;
  const samples = events.filter((e): e is Extract<PollEvent, { kind: 'sample' }> => e.kind === 'sample');
  const gaps = events.filter((e): e is Extract<PollEvent, { kind: 'gap' }> => e.kind === 'gap');
  const firstDown = Math.floor((unpluggedAt - start) / options.periodMs);
  const lastDown = Math.ceil((backAt - start) / options.periodMs);
  return { events, samples, gaps, lost: options.slots - samples.length, outageSlots: lastDown - firstDown + 1, downFrom: firstDown, downTo: lastDown, unpluggedAt, backAt, start };
}

const OVERRAN = 'sampling overran its period';

/**
 * The one gap of the outage, reported with the reason the reads failed, after checking that every other gap is a
 * poll cycle that overran its period (a machine busy with other tests may cause those, and they are reported rightly)
 * and that the gaps account for every lost slot. Throws, listing the gaps, when that is not so.
 */
export function outageGap(run: OutageRun): Extract<PollEvent, { kind: 'gap' }> {
  const failures = run.gaps.filter((g) => g.reason !== OVERRAN);
  const gap = failures[0];
  const widths = run.gaps.reduce((sum, g) => sum + g.toSlot - g.fromSlot + 1, 0);
  const inOutage = gap !== undefined && gap.toSlot >= run.downFrom - 1 && gap.fromSlot <= run.downTo + 1;
  if (failures.length !== 1 || !inOutage || widths !== run.lost) {
    throw new Error(`expected one failure gap in slots ${run.downFrom}..${run.downTo}, other gaps overruns only, ${run.lost} slots lost in all; got ${JSON.stringify(run.gaps)}`);
  }
  return gap;
}
