// Watches one data stream as a PDC must (C37.118.2 §6.3, Table 6; C37.118.1 on time quality): frames missing, out of
// order or repeated, clocks that lost lock, data flagged bad, and the configuration-change warning. Pure: it is fed
// decoded frames and returns events; the caller decides what to do (the PDC client asks for the new CFG-2).
import { roundHalfAway } from '@meterchain/core';
import { timeQualityText } from './common.ts';
import type { ConfigFrame } from './config.ts';
import type { DataFrame } from './data.ts';

export type StreamEvent =
  | { kind: 'gap'; missing: number; soc: number; fraction: number }
  | { kind: 'out-of-order'; bySeconds: number; soc: number; fraction: number }
  | { kind: 'duplicate'; soc: number; fraction: number }
  | { kind: 'time-quality'; idcode: number; problem: string; soc: number; fraction: number }
  | { kind: 'time-quality-restored'; idcode: number; soc: number; fraction: number }
  | { kind: 'data-error'; idcode: number; dataError: number; soc: number; fraction: number }
  | { kind: 'config-change-announced'; idcode: number; soc: number; fraction: number };

export interface StreamCounts {
  frames: number;
  missing: number;
  outOfOrder: number;
  duplicates: number;
  timeQualityFrames: number;
  dataErrorFrames: number;
}

const DATA_ERRORS = ['good', 'PMU error, no information about data', 'PMU in test mode', 'PMU error, data invalid'];

export function dataErrorText(code: number): string {
  return DATA_ERRORS[code & 3]!;
}

/** What is wrong with the time of one PMU block, or '' when its clock is locked. */
export function timeProblem(quality: number, notSynchronized: boolean, unlockedTime: number): string {
  const parts: string[] = [];
  if (notSynchronized) parts.push('STAT: PMU not synchronized');
  if (unlockedTime > 0) parts.push(`STAT: unlocked for ${['<10', '10-100', '100-1000', '>1000'][unlockedTime]} s`);
  if (quality !== 0) parts.push(`FRACSEC: ${timeQualityText(quality)}`);
  return parts.join('; ');
}

export class StreamMonitor {
  readonly counts: StreamCounts;
  private lastSoc: number;
  private lastFraction: number;
  private started: boolean;
  /** Last time problem per PMU block index: a problem is reported when it starts or changes, not every frame. */
  private problems: string[];
  private announced: boolean[];
  constructor() {
    this.counts = { frames: 0, missing: 0, outOfOrder: 0, duplicates: 0, timeQualityFrames: 0, dataErrorFrames: 0 };
    this.lastSoc = 0;
    this.lastFraction = 0;
    this.started = false;
    this.problems = [];
    this.announced = [];
  }
  /** Forgets the announced configuration change (the new configuration is in force). */
  configApplied(): void {
    this.announced = [];
  }
  observe(frame: DataFrame, config: ConfigFrame): StreamEvent[] {
    const events: StreamEvent[] = [];
    const soc = frame.soc;
    const fraction = frame.fraction;
    this.counts.frames++;
    if (this.started) {
      const delta = soc - this.lastSoc + (fraction - this.lastFraction) / config.timeBase;
      const interval = config.dataRate > 0 ? 1 / config.dataRate : -config.dataRate;
      if (delta === 0) {
        this.counts.duplicates++;
        events.push({ kind: 'duplicate', soc, fraction });
        return events;
      }
      if (delta < 0) {
        this.counts.outOfOrder++;
        events.push({ kind: 'out-of-order', bySeconds: -delta, soc, fraction });
        return events;
      }
      // Half an interval of slack: FRACSEC is rounded to TIME_BASE, so spacing jitters by one count.
      const steps = roundHalfAway(delta / interval);
      if (steps > 1) {
        this.counts.missing += steps - 1;
        events.push({ kind: 'gap', missing: steps - 1, soc, fraction });
      }
    }
    this.started = true;
    this.lastSoc = soc;
    this.lastFraction = fraction;
    let anyTime = false;
    let anyError = false;
    for (let k = 0; k < frame.pmus.length; k++) {
      const d = frame.pmus[k]!;
      const idcode = config.pmus[k] ? config.pmus[k]!.idcode : -1;
      const problem = timeProblem(frame.timeQuality.code, d.stat.notSynchronized, d.stat.unlockedTime);
      if (problem !== '') anyTime = true;
      const before = this.problems[k] ?? '';
      if (problem !== before) {
        if (problem === '') events.push({ kind: 'time-quality-restored', idcode, soc, fraction });
        else events.push({ kind: 'time-quality', idcode, problem, soc, fraction });
        this.problems[k] = problem;
      }
      if (d.stat.dataError !== 0) {
        anyError = true;
        events.push({ kind: 'data-error', idcode, dataError: d.stat.dataError, soc, fraction });
      }
      if (d.stat.configChange && !this.announced[k]) {
        this.announced[k] = true;
        events.push({ kind: 'config-change-announced', idcode, soc, fraction });
      }
    }
    if (anyTime) this.counts.timeQualityFrames++;
    if (anyError) this.counts.dataErrorFrames++;
    return events;
  }
}
