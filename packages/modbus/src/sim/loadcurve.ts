// A three-phase household/small-business installation whose load follows the time of day: a standard residential
// load shape (night trough, morning and evening peaks), appliances that switch on and off, and a supply voltage that
// sags with load. Deterministic: the same seed and the same timestamps give the same values.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { xorshift32 } from '@meterchain/core';

/** Relative load by hour of day (0..23), shaped like the standard residential profile (trough at night, peaks at
 * 07-09 and 18-21 h); interpolated linearly between hours. */
const DAILY_SHAPE = [0.32, 0.28, 0.26, 0.25, 0.26, 0.3, 0.45, 0.7, 0.75, 0.62, 0.56, 0.58, 0.62, 0.58, 0.52, 0.5, 0.55, 0.72, 0.92, 1.0, 0.95, 0.82, 0.62, 0.43];

export function dailyShape(ms: number): number {
  const hours = ((ms / 3_600_000) % 24 + 24) % 24;
  const h = Math.floor(hours);
  const frac = hours - h;
  return DAILY_SHAPE[h]! * (1 - frac) + DAILY_SHAPE[(h + 1) % 24]! * frac;
}

export interface PhaseValues {
  voltage: number;
  current: number;
  activePower: number;
  reactivePower: number;
}

/** One instant of the installation, in SI units (V, A, W, var, Hz, Wh). */
export interface InstallationValues {
  phases: [PhaseValues, PhaseValues, PhaseValues];
  activePower: number;
  reactivePower: number;
  frequency: number;
  energyImport: number;
  energyExport: number;
}

interface Appliance {
  phase: number;
  amps: number;
  until: number;
}

export interface LoadCurveOptions {
  seed: number;
  /** Peak current per phase at the top of the daily shape, A (default 12 to 20, by seed). */
  peakAmps?: number;
  /** Initial import register, Wh. */
  startWh?: number;
  /**
   * A file that keeps the energy registers across process restarts, as a real meter keeps them in non-volatile
   * memory: a restarted simulation goes on from at least the last value it served, instead of from `startWh` again
   * (which peers refuse as energy going backwards). See `REGISTER_RESERVE_WH`.
   */
  registerFile?: string;
}

/**
 * The register file holds a value ahead of what was served: it is written (and synced) whenever a register passes
 * it, before that value is returned, so even a SIGKILL or a power cut leaves a file at or above every value served. A
 * restart then continues from the file, at most this many Wh above the last value served: about 10 s of the
 * installation's peak power (some 19 kW), one write per such step.
 */
export const REGISTER_RESERVE_WH = 50;

export class ThreePhaseLoad {
  private readonly random: () => number;
  private readonly peak: number;
  private readonly base: [number, number, number];
  private appliances: Appliance[] = [];
  private lastMs: number | undefined;
  private importWh: number;
  private exportWh = 0;
  private frequency = 50;
  private readonly angle: [number, number, number];
  private readonly registerFile: string | undefined;
  /** The values in the register file: no register is served above them. */
  private reserved = { importWh: Infinity, exportWh: Infinity };

  constructor(opts: LoadCurveOptions) {
    this.random = xorshift32(Math.imul(opts.seed + 1, 2654435761));
    const r = this.random;
    this.peak = opts.peakAmps ?? 12 + 8 * r();
    this.base = [0.8 + 0.4 * r(), 0.8 + 0.4 * r(), 0.8 + 0.4 * r()];
    this.angle = [12 + 14 * r(), 12 + 14 * r(), 12 + 14 * r()];
    this.importWh = opts.startWh ?? Math.round(2_000_000 + 8_000_000 * r());
    this.registerFile = opts.registerFile;
    if (this.registerFile !== undefined) {
      const saved = readRegisters(this.registerFile);
      if (saved) {
        this.importWh = Math.max(this.importWh, saved.importWh);
        this.exportWh = Math.max(this.exportWh, saved.exportWh);
      }
      this.reserved = { importWh: this.importWh, exportWh: this.exportWh };
    }
  }

  /** The installation's values at `ms` (milliseconds since the epoch; calls must not go back in time). */
  at(ms: number): InstallationValues {
    const r = this.random;
    const dt = this.lastMs === undefined ? 0 : Math.max(0, (ms - this.lastMs) / 1000);
    this.lastMs = ms;
    // Appliances: a kettle, an oven, a heat pump compressor switching now and then.
    this.appliances = this.appliances.filter((a) => a.until > ms);
    if (r() < Math.min(1, 0.03 * dt)) {
      this.appliances.push({ phase: Math.floor(3 * r()), amps: 3 + 9 * r(), until: ms + (20 + 200 * r()) * 1000 });
    }
    this.frequency += (50 - this.frequency) * Math.min(1, 0.1 * dt) + (r() - 0.5) * 0.01 * Math.min(1, dt);
    const shape = dailyShape(ms);
    const phases = [0, 1, 2].map((p) => {
      let current = this.peak * shape * this.base[p]! * (0.97 + 0.06 * r());
      for (const a of this.appliances) if (a.phase === p) current += a.amps;
      // 0.25 ohm of line and transformer impedance: the voltage sags as the load grows.
      const voltage = 233 - 0.25 * current + (r() - 0.5) * 0.6;
      const rad = (this.angle[p]! * Math.PI) / 180;
      return { voltage, current, activePower: voltage * current * Math.cos(rad), reactivePower: voltage * current * Math.sin(rad) };
    }) as [PhaseValues, PhaseValues, PhaseValues];
    const activePower = phases[0].activePower + phases[1].activePower + phases[2].activePower;
    const reactivePower = phases[0].reactivePower + phases[1].reactivePower + phases[2].reactivePower;
    if (activePower >= 0) this.importWh += (activePower * dt) / 3600;
    else this.exportWh -= (activePower * dt) / 3600;
    this.keepRegisters();
    return { phases, activePower, reactivePower, frequency: this.frequency, energyImport: this.importWh, energyExport: this.exportWh };
  }

  /** Writes a new reserve before a register passes the last one; a register that cannot be written holds still. */
  private keepRegisters(): void {
    if (this.registerFile === undefined) return;
    if (this.importWh <= this.reserved.importWh && this.exportWh <= this.reserved.exportWh) return;
    const next = { importWh: this.importWh + REGISTER_RESERVE_WH, exportWh: this.exportWh + REGISTER_RESERVE_WH };
    try {
      writeRegisters(this.registerFile, next);
      this.reserved = next;
    } catch {
      // A full or failing disk: hold the registers at what the file promises (never above, never back).
      this.importWh = Math.min(this.importWh, this.reserved.importWh);
      this.exportWh = Math.min(this.exportWh, this.reserved.exportWh);
    }
  }
}

function readRegisters(path: string): { importWh: number; exportWh: number } | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`simulated meter: cannot read its register file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let saved: { importWh?: unknown; exportWh?: unknown };
  try {
    saved = JSON.parse(text) as typeof saved;
  } catch {
    throw new Error(`simulated meter: register file ${path} is not JSON`);
  }
  if (saved === null || typeof saved.importWh !== 'number' || typeof saved.exportWh !== 'number' || !(saved.importWh >= 0) || !(saved.exportWh >= 0)) {
    throw new Error(`simulated meter: register file ${path} does not hold {importWh, exportWh}`);
  }
  return { importWh: saved.importWh, exportWh: saved.exportWh };
}

/** Replaces the file whole (temporary file, sync, rename): a crash leaves the old or the new content, never half. */
function writeRegisters(path: string, registers: { importWh: number; exportWh: number }): void {
  const temporary = `${path}.tmp`;
  const fd = openSync(temporary, 'w', 0o644);
  try {
    writeSync(fd, JSON.stringify(registers) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}
