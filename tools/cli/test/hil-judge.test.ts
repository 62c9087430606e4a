// The lab runner's pure parts: what each fault does to a frame, and how a run's readings are judged.
import { describe, expect, test } from '@jest/globals';
import { QualityFlag, mulberry32 } from '@meterchain/core';
import { crcOk } from '@meterchain/modbus';
import { mangle, zeroProxyCounters, type Fault } from '../src/hil/faults.ts';
import { judge, type RecordedReading } from '../src/hil/judge.ts';
import type { Scenario } from '../src/hil/scenario.ts';

const rtuReply = Uint8Array.of(0x01, 0x04, 0x04, 0x43, 0x66, 0x80, 0x00, 0x00, 0x00);
{
  // CRC-16/MODBUS of the frame, low byte first.
  let crc = 0xffff;
  for (const b of rtuReply.subarray(0, 7)) {
    crc ^= b;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  rtuReply[7] = crc & 0xff;
  rtuReply[8] = crc >> 8;
}
const at = (active: Fault[], direction: 'request' | 'reply' = 'reply', frame = rtuReply, t = 1000) => mangle(frame, direction, active, 'rtu', mulberry32(7), zeroProxyCounters(), t);

describe('faults on a frame', () => {
  test('noise garbles bytes at about its rate (seeded), never leaving a garbled byte unchanged', () => {
    const counters = zeroProxyCounters();
    const random = mulberry32(1);
    const frame = new Uint8Array(1000);
    let changed = 0;
    for (let i = 0; i < 100; i++) {
      const out = mangle(frame, 'reply', [{ kind: 'noise', rate: 0.01 }], 'bytes', random, counters, 0).pieces[0]!.bytes;
      changed += out.filter((b) => b !== 0).length;
    }
    expect(changed).toBe(counters.corruptedBytes);
    expect(changed).toBeGreaterThan(800);
    expect(changed).toBeLessThan(1200);
  });

  test('a wrong unit answers with a well-formed frame: another unit id, a valid CRC', () => {
    const out = at([{ kind: 'wrong-unit', unit: 9 }]).pieces[0]!.bytes;
    expect(out[0]).toBe(9);
    expect(crcOk(out)).toBe(true);
    expect(crcOk(rtuReply)).toBe(true);
  });

  test('a pulled cable carries nothing either way; a slow device delays replies only', () => {
    expect(at([{ kind: 'pull' }]).pieces).toEqual([]);
    expect(at([{ kind: 'pull' }], 'request').pieces).toEqual([]);
    expect(at([{ kind: 'delay', ms: 700 }]).pieces.map((p) => p.afterMs)).toEqual([700]);
    expect(at([{ kind: 'delay', ms: 700 }], 'request').pieces.map((p) => p.afterMs)).toEqual([0]);
  });

  test('a device reset cuts the reply it was sending, then says nothing', () => {
    const reset: Fault = { kind: 'device-reset', from: 1000, ms: 1500 };
    expect(at([reset], 'reply', rtuReply, 1010).pieces[0]!.bytes).toEqual(rtuReply.subarray(0, 4));
    expect(at([reset], 'reply', rtuReply, 1500).pieces).toEqual([]);
  });

  test('duplicate sends the reply twice; fragment sends it a byte at a time', () => {
    expect(at([{ kind: 'duplicate', rate: 1 }]).pieces.map((p) => [...p.bytes])).toEqual([[...rtuReply], [...rtuReply]]);
    const pieces = at([{ kind: 'fragment' }]).pieces;
    expect(pieces.map((p) => p.bytes.length)).toEqual(new Array(rtuReply.length).fill(1));
    expect(Buffer.concat(pieces.map((p) => p.bytes))).toEqual(Buffer.from(rtuReply));
  });

  test('an exception fault answers the request with that exception code, well formed (RTU CRC, MBAP length)', () => {
    const out = at([{ kind: 'exception', code: 6 }]).pieces[0]!.bytes;
    expect([...out.subarray(0, 3)]).toEqual([0x01, 0x84, 6]);
    expect(out.length).toBe(5);
    expect(crcOk(out)).toBe(true);
    // Modbus TCP: transaction 0x0102, protocol 0, length 7 (unit + 6-byte PDU), unit 1, fn 4, 4 bytes.
    const mbap = Uint8Array.of(0x01, 0x02, 0, 0, 0, 7, 1, 4, 4, 0x43, 0x66, 0x80, 0x00);
    const tcp = mangle(mbap, 'reply', [{ kind: 'exception', code: 4 }], 'mbap', mulberry32(7), zeroProxyCounters(), 0).pieces[0]!.bytes;
    expect([...tcp]).toEqual([0x01, 0x02, 0, 0, 0, 3, 1, 0x84, 4]);
    expect(at([{ kind: 'exception', code: 6 }], 'request').pieces[0]!.bytes).toEqual(rtuReply);
  });

  test('a mismatch fault sends the reply one register short, with its byte count and CRC made consistent', () => {
    const counters = zeroProxyCounters();
    const out = mangle(rtuReply, 'reply', [{ kind: 'mismatch' }], 'rtu', mulberry32(7), counters, 0).pieces[0]!.bytes;
    expect([...out.subarray(0, 5)]).toEqual([0x01, 0x04, 0x02, 0x43, 0x66]);
    expect(out.length).toBe(7);
    expect(crcOk(out)).toBe(true);
    expect(counters.rewrittenReplies).toBe(1);
    const mbap = Uint8Array.of(0, 9, 0, 0, 0, 7, 1, 4, 4, 0x43, 0x66, 0x80, 0x00);
    const tcp = mangle(mbap, 'reply', [{ kind: 'mismatch' }], 'mbap', mulberry32(7), zeroProxyCounters(), 0).pieces[0]!.bytes;
    expect([...tcp]).toEqual([0, 9, 0, 0, 0, 5, 1, 4, 2, 0x43, 0x66]);
  });
});

const scenario = (over: Partial<Scenario> = {}): Scenario => ({
  name: 's', file: 's.yaml', summary: 's', profiles: ['sdm630'], periodMs: 100, samples: 4, expect: { reference: 'first-clean' }, faults: [{ kind: 'noise', rate: 0.01, from: 150, to: 250 }], pass: {}, ...over,
});
const reading = (slot: number, volts: number, quality = 0, energy = 1000): RecordedReading => ({
  slot, t: slot * 100 + 10, stamp: slot * 100,
  channels: [{ id: '1-0:32.7.0', unit: 'V', scale: -2, value: volts }, { id: '1-0:1.8.0', unit: 'Wh', scale: 0, value: energy }], quality,
});
const criterion = (v: ReturnType<typeof judge>, name: string) => v.criteria.find((c) => c.name === name);

describe('the verdict', () => {
  test('a wrong value with a quality flag is acceptable; the same value unflagged fails the run, named', () => {
    const flagged = judge(scenario(), [reading(0, 23050), reading(1, 23050), reading(2, 99999, QualityFlag.COMM_ERROR), reading(3, 23050)], [], 4);
    expect(flagged.pass).toBe(true);
    expect(flagged.readings.map((r) => r.class)).toEqual(['exact', 'exact', 'flagged', 'exact']);
    const unflagged = judge(scenario(), [reading(0, 23050), reading(1, 23050), reading(2, 99999), reading(3, 23050)], [], 4);
    expect(unflagged.pass).toBe(false);
    expect(criterion(unflagged, 'no wrong value accepted unflagged')!.detail).toBe('1 unflagged reading(s) wrong; first: slot 2: 1-0:32.7.0 = 999.99 V, reference 230.5 V');
  });

  test('a lost slot must be a reported gap', () => {
    const lost = judge(scenario(), [reading(0, 23050), reading(1, 23050), reading(3, 23050)], [], 4);
    expect(criterion(lost, 'every slot accounted for')!.ok).toBe(false);
    const reported = judge(scenario(), [reading(0, 23050), reading(1, 23050), reading(3, 23050, QualityFlag.GAP)], [{ fromSlot: 2, toSlot: 2, reason: 'no reply' }], 4);
    expect(criterion(reported, 'every slot accounted for')!.ok).toBe(true);
  });

  test('stated values hold within their tolerance plus half the last digit the device reports', () => {
    const s = scenario({ expect: {}, expected: { channels: { '1-0:32.7.0': { value: 230.5, tolerance: 0.5 } } } });
    expect(judge(s, [reading(0, 23100), reading(1, 23050), reading(2, 23000), reading(3, 23050)], [], 4).pass).toBe(true);
    const off = judge(s, [reading(0, 23050), reading(1, 23102), reading(2, 23050), reading(3, 23050)], [], 4);
    expect(criterion(off, 'no wrong value accepted unflagged')!.detail).toContain('slot 1: 1-0:32.7.0 = 231.02 V, expected 230.5 V ± 0.5');
  });

  test('an energy register going backwards in an unflagged reading is wrong (invariant)', () => {
    const s = scenario({ expect: { invariants: ['energy-monotonic'] } });
    const v = judge(s, [reading(0, 1, 0, 1000), reading(1, 1, 0, 1001), reading(2, 1, 0, 990), reading(3, 1, 0, 1002)], [], 4);
    expect(v.readings.map((r) => r.class)).toEqual(['exact', 'exact', 'wrong', 'exact']);
    expect(v.readings[2]!.why).toBe('1-0:1.8.0 went backwards: 1001 Wh then 990 Wh');
  });

  test('the reference is the first clean reading outside the faults; without one nothing is exact', () => {
    const late = judge(scenario({ faults: [{ kind: 'noise', rate: 0.01, from: 0, to: 150 }] }), [reading(0, 5, QualityFlag.COMM_ERROR), reading(1, 23050, QualityFlag.COMM_ERROR), reading(2, 23050), reading(3, 23050)], [], 4);
    expect(late.truth).toMatch(/slot 2/);
    const none = judge(scenario(), [reading(0, 23050, QualityFlag.GAP), reading(1, 23050, QualityFlag.GAP), reading(2, 23050, 1), reading(3, 23050, 1)], [], 4);
    expect(none.pass).toBe(false);
    expect(none.readings.every((r) => r.class !== 'exact')).toBe(true);
  });
});
