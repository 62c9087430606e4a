import { describe, expect, test } from '@jest/globals';
import { MeterSimulation, ModbusSlave, Sdm630Image, parseFaults } from '../src/sim/index.ts';

describe('simulated meter', () => {
  test('the same seed and steps give the same registers', () => {
    const a = new Sdm630Image();
    const b = new Sdm630Image();
    const simA = new MeterSimulation(42);
    const simB = new MeterSimulation(42);
    simA.advance(30);
    simB.advance(30);
    a.update(simA);
    b.update(simB);
    expect(a.input).toEqual(b.input);
  });
  test('values change over time and energy only grows', () => {
    const sim = new MeterSimulation(1);
    const v0 = sim.state.phases[0].voltage;
    const e0 = sim.state.importWh;
    sim.advance(60);
    expect(sim.state.phases[0].voltage).not.toBe(v0);
    expect(sim.state.importWh).toBeGreaterThan(e0);
  });
  test('a stuck meter does not change', () => {
    const sim = new MeterSimulation(1);
    sim.stuck = true;
    const before = JSON.stringify(sim.state);
    sim.advance(60);
    expect(JSON.stringify(sim.state)).toBe(before);
  });
});

describe('fault injection', () => {
  test('fault text parses into probabilities, codes and register rules', () => {
    expect(parseFaults('timeout:0.1,crc:0.05,exception:0.2:6,delay:0.5:900,stuck,exception@70:2')).toEqual({
      timeout: 0.1, crc: 0.05, exception: 0.2, exceptionCode: 6, delay: 0.5, delayMs: 900, stuck: true, exceptionAt: [{ address: 70, code: 2 }],
    });
  });
  test('an unknown fault or a bad probability is refused', () => {
    expect(() => parseFaults('smoke:1')).toThrow(/unknown fault 'smoke'/);
    expect(() => parseFaults('crc:2')).toThrow(/expected a probability/);
  });
  test('the simulated slave answers exceptions 1, 2 and 3 where the protocol says', () => {
    const image = new Sdm630Image();
    const slave = new ModbusSlave({ unit: 1, image });
    const pdu = (...bytes: number[]) => Uint8Array.from(bytes);
    const code = (action: ReturnType<ModbusSlave['handle']>) => (action.kind === 'reply' ? [action.pdu[0], action.pdu[1]] : null);
    expect(code(slave.handle(1, pdu(6, 0, 0, 0, 1)))).toEqual([0x86, 1]);
    expect(code(slave.handle(1, pdu(4, 0x10, 0, 0, 2)))).toEqual([0x84, 2]);
    expect(code(slave.handle(1, pdu(4, 0, 0, 0, 126)))).toEqual([0x84, 3]);
    expect(slave.handle(2, pdu(4, 0, 0, 0, 2)).kind).toBe('silent');
  });
});
