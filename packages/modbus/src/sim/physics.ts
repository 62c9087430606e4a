// A three-phase installation that changes like a real one: mains voltage wandering around 230 V, frequency around
// 50 Hz, loads that switch and drift, energy registers that only grow. Deterministic: the same seed and the same
// sequence of `advance` calls give the same values, so tests and labs can reproduce a run.
import { mulberry32 } from '@meterchain/core';

export interface PhaseState {
  voltage: number;
  current: number;
  /** Displacement angle of current behind voltage, degrees (positive: inductive). */
  angle: number;
}

export interface MeterState {
  phases: [PhaseState, PhaseState, PhaseState];
  frequency: number;
  /** Energies in Wh / varh / VAh since the simulation started (plus the initial register value). */
  importWh: number;
  exportWh: number;
  importVarh: number;
  exportVarh: number;
  apparentVAh: number;
}

export interface PhaseQuantities {
  voltage: number;
  current: number;
  activePower: number;
  reactivePower: number;
  apparentPower: number;
  powerFactor: number;
  angle: number;
}

export function phaseQuantities(phase: PhaseState): PhaseQuantities {
  const radians = (phase.angle * Math.PI) / 180;
  const apparentPower = phase.voltage * phase.current;
  return {
    voltage: phase.voltage,
    current: phase.current,
    activePower: apparentPower * Math.cos(radians),
    reactivePower: apparentPower * Math.sin(radians),
    apparentPower,
    powerFactor: Math.cos(radians),
    angle: phase.angle,
  };
}

export class MeterSimulation {
  readonly state: MeterState;
  /** Stuck sensor fault: values stop changing (energy too). */
  stuck = false;
  private readonly random: () => number;
  private elapsed = 0;

  constructor(seed: number) {
    this.random = mulberry32(seed);
    const r = this.random;
    const phase = (): PhaseState => ({ voltage: 228 + 4 * r(), current: 2 + 8 * r(), angle: 10 + 20 * r() });
    this.state = {
      phases: [phase(), phase(), phase()],
      frequency: 50 + (r() - 0.5) * 0.04,
      importWh: Math.round(1_000_000 + 9_000_000 * r()),
      exportWh: Math.round(10_000 * r()),
      importVarh: Math.round(200_000 * r()),
      exportVarh: Math.round(1_000 * r()),
      apparentVAh: 0,
    };
    this.state.apparentVAh = this.state.importWh * 1.05;
  }

  /** Seconds simulated so far. */
  get seconds(): number {
    return this.elapsed;
  }

  /** Moves the installation forward by `seconds` (split into steps of at most one second). */
  advance(seconds: number): void {
    if (!(seconds >= 0)) throw new Error(`expected seconds >= 0, got ${seconds}`);
    let left = seconds;
    while (left > 0) {
      const step = Math.min(1, left);
      left -= step;
      this.elapsed += step;
      if (this.stuck) continue;
      this.step(step);
    }
  }

  private step(dt: number): void {
    const r = this.random;
    const s = this.state;
    s.frequency += (50 - s.frequency) * 0.05 * dt + (r() - 0.5) * 0.004 * dt;
    for (const phase of s.phases) {
      phase.voltage += (230 - phase.voltage) * 0.02 * dt + (r() - 0.5) * 0.3 * dt;
      // Loads switch now and then (a kettle, a compressor), and drift in between.
      if (r() < 0.02 * dt) phase.current = Math.max(0.2, phase.current + (r() < 0.5 ? -1 : 1) * (2 + 6 * r()));
      phase.current = Math.max(0.05, phase.current + (r() - 0.5) * 0.05 * dt);
      phase.angle = Math.min(60, Math.max(-5, phase.angle + (r() - 0.5) * 0.5 * dt));
      const q = phaseQuantities(phase);
      const hours = dt / 3600;
      if (q.activePower >= 0) s.importWh += q.activePower * hours;
      else s.exportWh -= q.activePower * hours;
      if (q.reactivePower >= 0) s.importVarh += q.reactivePower * hours;
      else s.exportVarh -= q.reactivePower * hours;
      s.apparentVAh += q.apparentPower * hours;
    }
  }
}
