// @meterchain/modbus/compliance: the shared meter driver suite (STYLE 2). Every MeterDriver, whatever its line
// (Modbus RTU or TCP, an IEC 62056-21 readout), passes it. Usage, in a Jest test file of the driver:
//   meterDriverSuite('SDM630 over TCP', async () => harness)
// It runs under Jest (the caller's @jest/globals).
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { QualityFlag, UNITS } from '@meterchain/core';
import type { MeterDriver, MeterSample } from '../src/index.ts';

export interface DriverHarness {
  driver: MeterDriver<MeterSample>;
  /** Channel ids every sample of this device carries with a value. */
  channels: string[];
  /** Makes the device stop answering (its simulator stopped, its line cut); absent for a device with no line to lose
   * (a simulated meter inside the process), declared so to the suite with `{ line: false }`. */
  silence?(): Promise<void>;
  /** Frees what the harness opened (the driver is closed by the suite). */
  teardown(): Promise<void>;
}

const ACQUISITION_BITS = QualityFlag.COMM_ERROR | QualityFlag.PARTIAL;

/** Why a channel is not one a reading can carry, or undefined when it is. */
function channelFault(c: { id: string; unit: string; scale: number; value: number | null }): string | undefined {
  if (typeof c.id !== 'string' || c.id.length === 0 || c.id.length > 32) return `id ${JSON.stringify(c.id)} is not 1..32 characters`;
  if (!UNITS.includes(c.unit)) return `${c.id}: unit ${JSON.stringify(c.unit)} is not one of ${UNITS.map((u) => JSON.stringify(u)).join(' ')}`;
  if (!Number.isInteger(c.scale) || c.scale < -12 || c.scale > 12) return `${c.id}: scale ${c.scale} is not an integer in -12..12`;
  if (c.value !== null && !Number.isSafeInteger(c.value)) return `${c.id}: value ${c.value} is not a safe integer`;
  return undefined;
}

export interface SuiteOptions {
  /** The device sits behind a line that can fall silent (default true): the suite tests that too. */
  line?: boolean;
}

export function meterDriverSuite(name: string, factory: () => Promise<DriverHarness>, options: SuiteOptions = {}): void {
  describe(`meter driver suite: ${name}`, () => {
    let h: DriverHarness;
    beforeEach(async () => {
      h = await factory();
    });
    afterEach(async () => {
      await h.driver.close();
      await h.teardown();
    });

    test('names its device', () => {
      expect(typeof h.driver.device).toBe('string');
      expect(h.driver.device.length).toBeGreaterThan(0);
    });

    test('configure() a second time changes nothing', async () => {
      await h.driver.configure();
      await h.driver.configure();
      const s = await h.driver.sample();
      expect(s.channels.length).toBeGreaterThan(0);
    });

    test('a sample carries fixed-point channels a reading can carry, each once, the device’s own among them', async () => {
      await h.driver.configure();
      const s = await h.driver.sample();
      expect(s.channels.map(channelFault).filter((f) => f !== undefined)).toEqual([]);
      const ids = s.channels.map((c) => c.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const id of h.channels) expect([id, s.channels.find((c) => c.id === id)?.value ?? null]).not.toEqual([id, null]);
    });

    test('a device that answers cleanly gives no quality bits but acquisition ones, and no COMM_ERROR', async () => {
      await h.driver.configure();
      const s = await h.driver.sample();
      expect(s.quality & ~ACQUISITION_BITS).toBe(0);
      expect(s.quality & QualityFlag.COMM_ERROR).toBe(0);
    });

    if (options.line === false) return;
    test('a device that stops answering: the sample is refused, or carries COMM_ERROR, and never hangs', async () => {
      if (h.silence === undefined) throw new Error(`${name}: a device behind a line needs silence() in its harness`);
      await h.driver.configure();
      await h.driver.sample();
      await h.silence();
      const outcome = await h.driver.sample().then(
        (s) => (s.quality & QualityFlag.COMM_ERROR ? 'flagged' : 'clean'),
        () => 'refused',
      );
      expect(['flagged', 'refused']).toContain(outcome);
    });
  });
}
