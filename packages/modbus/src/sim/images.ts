// Register images the simulators serve: an Eastron SDM630 (input registers, float32) and a SunSpec meter
// (holding registers from 40000: 'SunS', common model 1, meter model 203 or 213, end marker), filled from a
// MeterSimulation.
import { encodeRegisters, sunspecLayout, type SunSpecLayout, type SunSpecModelDef } from '@meterchain/meters';
import { phaseQuantities, type MeterSimulation } from './physics.ts';

/** What a simulated device serves: one table per function. */
export interface RegisterImage {
  /** Human name of the device. */
  readonly device: string;
  /** Holding registers (function 3), or null when the device has none. */
  readonly holding: Uint16Array | null;
  /** Input registers (function 4), or null. */
  readonly input: Uint16Array | null;
  /** Registers that exist, per table: reads outside them get exception 2 (illegal data address). */
  readonly ranges: { fn: 3 | 4; from: number; to: number }[];
  /** Refreshes the registers from the simulation. */
  update(simulation: MeterSimulation): void;
}

function putFloat(words: Uint16Array, address: number, value: number): void {
  encodeRegisters(words, address, 'float32', value, 'big', 'big');
}

export class Sdm630Image implements RegisterImage {
  readonly device = 'SDM630 (simulated)';
  readonly holding = null;
  readonly input = new Uint16Array(0x200);
  readonly ranges = [{ fn: 4 as const, from: 0x0000, to: 0x0180 }];

  update(simulation: MeterSimulation): void {
    const w = this.input;
    const s = simulation.state;
    const q = s.phases.map(phaseQuantities);
    let sumP = 0, sumQ = 0, sumS = 0, sumI = 0, sumV = 0;
    for (let i = 0; i < 3; i++) {
      const p = q[i]!;
      putFloat(w, 0x00 + 2 * i, p.voltage);
      putFloat(w, 0x06 + 2 * i, p.current);
      putFloat(w, 0x0c + 2 * i, p.activePower);
      putFloat(w, 0x12 + 2 * i, p.apparentPower);
      putFloat(w, 0x18 + 2 * i, p.reactivePower);
      putFloat(w, 0x1e + 2 * i, p.powerFactor);
      putFloat(w, 0x24 + 2 * i, p.angle);
      sumP += p.activePower;
      sumQ += p.reactivePower;
      sumS += p.apparentPower;
      sumI += p.current;
      sumV += p.voltage;
    }
    putFloat(w, 0x2a, sumV / 3);
    putFloat(w, 0x2e, sumI / 3);
    putFloat(w, 0x30, sumI);
    putFloat(w, 0x34, sumP);
    putFloat(w, 0x38, sumS);
    putFloat(w, 0x3c, sumQ);
    putFloat(w, 0x3e, sumS === 0 ? 1 : sumP / sumS);
    putFloat(w, 0x42, (Math.acos(Math.max(-1, Math.min(1, sumS === 0 ? 1 : sumP / sumS))) * 180) / Math.PI);
    putFloat(w, 0x46, s.frequency);
    putFloat(w, 0x48, s.importWh / 1000);
    putFloat(w, 0x4a, s.exportWh / 1000);
    putFloat(w, 0x4c, s.importVarh / 1000);
    putFloat(w, 0x4e, s.exportVarh / 1000);
    putFloat(w, 0x50, s.apparentVAh / 1000);
    putFloat(w, 0xc8, Math.sqrt(3) * (q[0]!.voltage + q[1]!.voltage) / 2);
    putFloat(w, 0xca, Math.sqrt(3) * (q[1]!.voltage + q[2]!.voltage) / 2);
    putFloat(w, 0xcc, Math.sqrt(3) * (q[2]!.voltage + q[0]!.voltage) / 2);
    putFloat(w, 0xce, (Math.sqrt(3) * sumV) / 3);
    putFloat(w, 0xe0, Math.abs(q[0]!.current - q[1]!.current) * 0.3 + 0.05);
    putFloat(w, 0x156, (s.importWh + s.exportWh) / 1000);
    putFloat(w, 0x158, (s.importVarh + s.exportVarh) / 1000);
  }
}

/** Scale factors the simulated 20x meter uses (exponents of ten). */
const SF: { [name: string]: number } = { A_SF: -2, V_SF: -1, Hz_SF: -2, W_SF: 0, VA_SF: 0, VAR_SF: 0, PF_SF: -1, TotWh_SF: 0, TotVAh_SF: 0, TotVArh_SF: 0 };

function putString(words: Uint16Array, address: number, size: number, text: string): void {
  for (let i = 0; i < size; i++) {
    const high = text.charCodeAt(2 * i) || 0;
    const low = text.charCodeAt(2 * i + 1) || 0;
    words[address + i] = (high << 8) | low;
  }
}

/** A SunSpec meter: 'SunS' at `base`, model 1, one meter model (203 or 213), end marker. */
export class SunSpecImage implements RegisterImage {
  readonly device: string;
  readonly holding = new Uint16Array(65536);
  readonly input = null;
  readonly ranges: { fn: 3 | 4; from: number; to: number }[];
  readonly base: number;
  private readonly common: SunSpecLayout;
  private readonly meter: SunSpecLayout;
  private readonly meterAddress: number;

  constructor(models: SunSpecModelDef[], meterModel: 203 | 213, options: { base?: number; unit?: number; serial?: string } = {}) {
    const find = (id: number) => {
      const def = models.find((m) => m.id === id);
      if (!def) throw new Error(`SunSpec model ${id} definition not loaded`);
      return sunspecLayout(def);
    };
    this.common = find(1);
    this.meter = find(meterModel);
    this.base = options.base ?? 40000;
    this.device = `SunSpec ${meterModel} (simulated)`;
    const w = this.holding;
    const base = this.base;
    w[base] = 0x5375;
    w[base + 1] = 0x6e53;
    const commonAt = base + 2;
    w[commonAt] = 1;
    w[commonAt + 1] = this.common.size - 2;
    const field = (name: string) => this.common.points.find((p) => p.name === name)!;
    putString(w, commonAt + field('Mn').offset, field('Mn').size, 'meterchain');
    putString(w, commonAt + field('Md').offset, field('Md').size, `sim-${meterModel}`);
    putString(w, commonAt + field('Vr').offset, field('Vr').size, '0.1.0');
    putString(w, commonAt + field('SN').offset, field('SN').size, options.serial ?? 'SIM0001');
    w[commonAt + field('DA').offset] = options.unit ?? 1;
    this.meterAddress = commonAt + this.common.size;
    w[this.meterAddress] = meterModel;
    w[this.meterAddress + 1] = this.meter.size - 2;
    // Points a real meter often leaves out are "not implemented": the sentinel of their type.
    for (const point of this.meter.points) {
      const at = this.meterAddress + point.offset;
      if (point.type === 'int16') w[at] = 0x8000;
      else if (point.type === 'float32') (w[at] = 0x7fc0), (w[at + 1] = 0);
      else if (point.type === 'sunssf') w[at] = SF[point.name] ?? 0x8000;
    }
    const end = this.meterAddress + this.meter.size;
    w[end] = 0xffff;
    w[end + 1] = 0;
    this.ranges = [{ fn: 3, from: base, to: end + 2 }];
  }

  /** Address of the meter model's ID register. */
  get meterModelAddress(): number {
    return this.meterAddress;
  }

  update(simulation: MeterSimulation): void {
    const s = simulation.state;
    const q = s.phases.map(phaseQuantities);
    const avg = (f: (p: (typeof q)[number]) => number) => (f(q[0]!) + f(q[1]!) + f(q[2]!)) / 3;
    const sum = (f: (p: (typeof q)[number]) => number) => f(q[0]!) + f(q[1]!) + f(q[2]!);
    const ll = (a: number, b: number) => (Math.sqrt(3) * (q[a]!.voltage + q[b]!.voltage)) / 2;
    const values: { [name: string]: number } = {
      A: sum((p) => p.current), AphA: q[0]!.current, AphB: q[1]!.current, AphC: q[2]!.current,
      PhV: avg((p) => p.voltage), PhVphA: q[0]!.voltage, PhVphB: q[1]!.voltage, PhVphC: q[2]!.voltage,
      PPV: (ll(0, 1) + ll(1, 2) + ll(2, 0)) / 3, PhVphAB: ll(0, 1), PhVphBC: ll(1, 2), PhVphCA: ll(2, 0),
      PPVphAB: ll(0, 1), PPVphBC: ll(1, 2), PPVphCA: ll(2, 0),
      Hz: s.frequency,
      W: sum((p) => p.activePower), WphA: q[0]!.activePower, WphB: q[1]!.activePower, WphC: q[2]!.activePower,
      VA: sum((p) => p.apparentPower), VAphA: q[0]!.apparentPower, VAphB: q[1]!.apparentPower, VAphC: q[2]!.apparentPower,
      VAR: sum((p) => p.reactivePower), VARphA: q[0]!.reactivePower, VARphB: q[1]!.reactivePower, VARphC: q[2]!.reactivePower,
      TotWhExp: s.exportWh, TotWhImp: s.importWh, TotVAhImp: s.apparentVAh, TotVArhImpQ1: s.importVarh, TotVArhExpQ4: s.exportVarh,
      Evt: 0,
    };
    const pf = sum((p) => p.activePower) / sum((p) => p.apparentPower);
    const w = this.holding;
    for (const point of this.meter.points) {
      const at = this.meterAddress + point.offset;
      let value = values[point.name];
      if (point.name === 'PF' || point.name.startsWith('PFph')) {
        const phase = point.name === 'PF' ? pf : q['ABC'.indexOf(point.name.slice(-1))]!.powerFactor;
        value = point.units === 'Pct' ? phase * 100 : phase;
      }
      if (value === undefined) continue;
      if (point.type === 'float32') encodeRegisters(w, at, 'float32', value, 'big', 'big');
      else if (point.type === 'int16') encodeRegisters(w, at, 'int16', Math.round(value / Math.pow(10, SF[point.sf!] ?? 0)), 'big', 'big');
      else if (point.type === 'acc32' || point.type === 'bitfield32' || point.type === 'uint32') {
        const sf = point.sf ? SF[point.sf] ?? 0 : 0;
        encodeRegisters(w, at, 'uint32', Math.round(value / Math.pow(10, sf)) >>> 0, 'big', 'big');
      }
    }
  }
}
