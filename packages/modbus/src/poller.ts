// Polling on a fixed schedule: slot k is due at start + k × period. A slot whose sample fails, or that passes while
// an earlier sample is still running, is lost and reported as a gap; the next sample carries QualityFlag.GAP.
import { QualityFlag } from '@meterchain/core';
import type { MeterDriver, Sample } from './driver.ts';

export type PollEvent =
  | { kind: 'sample'; slot: number; at: number; sample: Sample }
  | { kind: 'gap'; fromSlot: number; toSlot: number; reason: string };

export interface PollOptions {
  periodMs: number;
  /** Number of slots to run (bounded: every loop ends). */
  slots: number;
  onEvent?: (event: PollEvent) => void;
  /** Stops early when it returns true (checked before each slot). */
  stop?: () => boolean;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export async function poll(driver: MeterDriver, options: PollOptions): Promise<PollEvent[]> {
  if (!(options.periodMs > 0) || !Number.isInteger(options.slots) || options.slots < 0) throw new Error(`expected periodMs > 0 and a whole number of slots, got ${options.periodMs} and ${options.slots}`);
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const events: PollEvent[] = [];
  const emit = (event: PollEvent) => {
    events.push(event);
    options.onEvent?.(event);
  };
  const start = now();
  let gapFrom = -1;
  let gapReason = '';
  let slot = 0;
  while (slot < options.slots && !(options.stop && options.stop())) {
    const due = start + slot * options.periodMs;
    const wait = due - now();
    if (wait > 0) await sleep(wait);
    try {
      const sample = await driver.sample();
      if (gapFrom >= 0) {
        emit({ kind: 'gap', fromSlot: gapFrom, toSlot: slot - 1, reason: gapReason });
        sample.quality |= QualityFlag.GAP;
        gapFrom = -1;
      }
      emit({ kind: 'sample', slot, at: due, sample });
    } catch (e) {
      if (gapFrom < 0) {
        gapFrom = slot;
        gapReason = (e as Error).message;
      }
    }
    // Slots that went by while this one ran are lost too: a sample is never taken late and stamped as on time.
    const next = Math.max(slot + 1, Math.floor((now() - start) / options.periodMs) + 1);
    if (next > slot + 1 && gapFrom < 0) {
      gapFrom = slot + 1;
      gapReason = 'sampling overran its period';
    }
    slot = Math.min(next, options.slots);
  }
  if (gapFrom >= 0 && gapFrom < slot) emit({ kind: 'gap', fromSlot: gapFrom, toSlot: slot - 1, reason: gapReason });
  return events;
}
