import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { QualityFlag } from '@meterchain/core';
import { EastronMeter, ModbusBus, RegisterMapMeter, SunSpecMeter, parseRegisterMap } from '../src/index.ts';
import { startSimulator, type RunningSimulator } from '../src/sim/index.ts';

let sdm: RunningSimulator;
let sunspec: RunningSimulator;

beforeAll(async () => {
  sdm = await startSimulator({ profile: 'sdm630', link: { kind: 'tcp', host: '127.0.0.1', port: 0 }, unit: 1, seed: 9, tickMs: 0 });
  sunspec = await startSimulator({ profile: 'sunspec-203', link: { kind: 'tcp', host: '127.0.0.1', port: 0 }, unit: 2, seed: 9, tickMs: 0 });
});

afterAll(async () => {
  await sdm.close();
  await sunspec.close();
});

const bus = (sim: RunningSimulator) => new ModbusBus({ link: { kind: 'tcp', host: '127.0.0.1', port: sim.port }, timeoutMs: 1000, retries: 0 });

describe('Eastron driver', () => {
  test('a register the device refuses on its own is named as lacking, flagged PARTIAL, and not asked again', async () => {
    sdm.slave!.faults = { exceptionAt: [{ address: 0xe0, code: 2 }] };
    const b = bus(sdm);
    try {
      const meter = new EastronMeter({ bus: b, unit: 1, model: 'SDM630' });
      const sample = await meter.sample();
      expect(sample.missing).toEqual(['1-0:91.7.0']);
      expect(sample.absent).toEqual({ '1-0:91.7.0': 'the device lacks 224 (0x00E0, 30225) (illegal data address, exception 2)' });
      expect(sample.quality).toBe(QualityFlag.PARTIAL);
      const requests = sdm.slave!.counters.requests;
      const again = await meter.sample();
      expect(again.missing).toEqual(['1-0:91.7.0']);
      expect(sdm.slave!.counters.requests - requests).toBe(meter.reads.length);
      expect(meter.reads.some((r) => r.address === 0xe0)).toBe(false);
    } finally {
      sdm.slave!.faults = {};
      await b.close();
    }
  });

  test('a refusal that does not come again (a request garbled on its way) keeps the channel: asked again, read, COMM_ERROR', async () => {
    const slave = sdm.slave!;
    const handle = slave.handle.bind(slave);
    let refusals = 0;
    slave.handle = (unit, pdu) => {
      const address = (pdu[1]! << 8) | pdu[2]!;
      if (refusals === 0 && address === 0xe0) {
        refusals++;
        return { kind: 'reply', pdu: Uint8Array.of(pdu[0]! | 0x80, 2), corruptCrc: false, delayMs: 0 };
      }
      return handle(unit, pdu);
    };
    const b = bus(sdm);
    try {
      const meter = new EastronMeter({ bus: b, unit: 1, model: 'SDM630' });
      const sample = await meter.sample();
      expect(refusals).toBe(1);
      expect(sample.missing).toEqual([]);
      expect(sample.absent).toBeUndefined();
      expect(sample.quality).toBe(QualityFlag.COMM_ERROR);
      expect((await meter.sample()).quality).toBe(0);
      expect(meter.reads.some((r) => r.address === 0xe0)).toBe(true);
    } finally {
      slave.handle = handle;
      await b.close();
    }
  });

  test('a device failure on a block (exception 4) is trouble on the bus: COMM_ERROR, the error kept', async () => {
    sdm.slave!.faults = { exceptionAt: [{ address: 0xe0, code: 4 }] };
    const b = bus(sdm);
    try {
      const sample = await new EastronMeter({ bus: b, unit: 1, model: 'SDM630' }).sample();
      expect(sample.missing).toEqual(['1-0:91.7.0']);
      expect(sample.quality).toBe(QualityFlag.PARTIAL | QualityFlag.COMM_ERROR);
      expect(sample.error!.message).toMatch(/exception 4 \(server device failure\) reading input registers 224 \(0x00E0, 30225\)/);
    } finally {
      sdm.slave!.faults = {};
      await b.close();
    }
  });

  test('a clean sample has no quality bits and all channels', async () => {
    const b = bus(sdm);
    try {
      const sample = await new EastronMeter({ bus: b, unit: 1, model: 'SDM630' }).sample();
      expect(sample.quality).toBe(0);
      expect(sample.channels).toHaveLength(32);
    } finally {
      await b.close();
    }
  });
});

describe('SunSpec driver', () => {
  test('discovers the simulated 203 meter and names it from the common model', async () => {
    const b = bus(sunspec);
    try {
      const meter = new SunSpecMeter({ bus: b, unit: 2 });
      const sample = await meter.sample();
      expect(meter.device).toBe('meterchain sim-203');
      expect(meter.discovered!.models.map((m) => m.id)).toEqual([1, 203]);
      expect(sample.channels.find((c) => c.id === '1-0:32.7.0')!.scale).toBe(-1);
      expect(sample.channels.find((c) => c.id === '1-0:25.8.0')!.value).toBeNull();
    } finally {
      await b.close();
    }
  });

  test('a device without the SunS marker is refused with the bases tried', async () => {
    const b = bus(sdm);
    try {
      const error = await new SunSpecMeter({ bus: b, unit: 1 }).configure().then(() => null, (e: unknown) => e);
      expect((error as Error).message).toMatch(/no 'SunS' marker at 40000, 50000, 0/);
    } finally {
      await b.close();
    }
  });
});

describe('register map driver', () => {
  const yaml = `
device: SDM630 via generic map
registers:
  - { channel: "1-0:32.7.0", address: 0, function: input, type: float32, scale: -2, unit: V }
  - { channel: "1-0:14.7.0", address: 70, function: input, type: float32, scale: -3, unit: Hz }
`;
  test('a YAML map reads the same values as the built-in profile', async () => {
    const loaded = parseRegisterMap(yaml);
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    const b = bus(sdm);
    try {
      const generic = await new RegisterMapMeter({ bus: b, unit: 1, map: loaded.map }).sample();
      const builtin = await new EastronMeter({ bus: b, unit: 1, model: 'SDM630' }).sample();
      for (const channel of generic.channels) expect(channel).toEqual(builtin.channels.find((c) => c.id === channel.id));
    } finally {
      await b.close();
    }
  });

  test('a map with an unknown key is refused with its path', () => {
    expect(parseRegisterMap('device: x\nregisters:\n  - { channel: a, address: 0, function: input, type: int16, unit: V, gain: 2 }\n', 'pm.yaml')).toEqual({
      ok: false, reason: "pm.yaml: /registers/0 must NOT have additional properties 'gain'",
    });
  });

  test('text that is not YAML is refused without throwing', () => {
    const verdict = parseRegisterMap('device: [unclosed', 'bad.yaml');
    expect(verdict.ok).toBe(false);
  });
});
