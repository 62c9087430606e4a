// Where a node's readings come from: a sensor gives fixed-point channels and acquisition quality bits. The simulated
// sensor follows a daily load curve; the Modbus sensors are the drivers of @meterchain/modbus on a bus the node owns.
import type { Channel } from '@meterchain/core';
import { ThreePhaseLoad } from '@meterchain/testkit/loadcurve';
import { THREE_PHASE_CHANNELS, toFixed } from './channels.ts';

export interface SensorSample {
  channels: Channel[];
  /** QualityFlag bits from acquisition (COMM_ERROR, PARTIAL). */
  quality: number;
}

export interface Sensor {
  readonly name: string;
  configure(): Promise<void>;
  /** One sample at `now` (ms). Rejects when nothing could be read: the node records a gap. */
  sample(now: number): Promise<SensorSample>;
  close(): Promise<void>;
}

/** A simulated three-phase meter on a seeded daily load curve. */
export class SimulatedThreePhase implements Sensor {
  readonly name: string;
  private readonly load: ThreePhaseLoad;

  constructor(seed: number) {
    this.name = `simulated three-phase (seed ${seed})`;
    this.load = new ThreePhaseLoad({ seed });
  }

  async configure(): Promise<void> {}

  async sample(now: number): Promise<SensorSample> {
    const v = this.load.at(now);
    const si: Record<string, number> = {
      activePower: v.activePower,
      reactivePower: v.reactivePower,
      frequency: v.frequency,
      energyImport: v.energyImport,
      energyExport: v.energyExport,
    };
    v.phases.forEach((p, i) => {
      si[`voltageL${i + 1}`] = p.voltage;
      si[`currentL${i + 1}`] = p.current;
      si[`activePowerL${i + 1}`] = p.activePower;
      si[`reactivePowerL${i + 1}`] = p.reactivePower;
    });
    // Energy registers count whole Wh, as a meter's display does: floor, never round up past what was consumed.
    const channels = THREE_PHASE_CHANNELS.map((c) => ({
      id: c.obis,
      unit: c.unit,
      scale: c.scale,
      value: c.unit === 'Wh' ? Math.floor(si[c.edge]!) : toFixed(si[c.edge]!, c.scale),
    }));
    return { channels, quality: 0 };
  }

  async close(): Promise<void> {}
}

/** A Modbus meter on a bus this node owns: SDM120/SDM630 (Eastron) or SunSpec, through @meterchain/modbus. */
export class ModbusSensor implements Sensor {
  readonly name: string;
  constructor(
    private readonly bus: { open(): Promise<void>; close(): Promise<void> },
    private readonly driver: {
      readonly device: string;
      configure(): Promise<void>;
      sample(): Promise<{ channels: { id: string; unit: string; scale: number; value: number | null }[]; quality: number }>;
      close(): Promise<void>;
    },
  ) {
    this.name = driver.device;
  }

  async configure(): Promise<void> {
    await this.bus.open();
    await this.driver.configure();
  }

  async sample(): Promise<SensorSample> {
    const s = await this.driver.sample();
    // "Not implemented" points come back as null: they are left out of the reading, never sent as numbers.
    const channels: Channel[] = [];
    for (const c of s.channels) if (c.value !== null) channels.push({ id: c.id, unit: c.unit, scale: c.scale, value: c.value });
    return { channels, quality: s.quality };
  }

  async close(): Promise<void> {
    await this.driver.close();
    await this.bus.close();
  }
}
