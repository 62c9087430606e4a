// Portable self-check run by the portability gate inside a stripped context: decodes a known SDM630 register
// block, a SunSpec 203 block and an IEC 62056-21 data message with its BCC. Throws on the first wrong value.
import { decodePoints, eastronPoints, planPointReads, EASTRON_MAX_READ, EASTRON_MAX_GAP, sunspecLayout, decodeSunSpecMeter, parseDataMessage, SUNSPEC_MODELS } from './src/index.ts';
import type { SampledChannel } from '@meterchain/core';

function check(condition: boolean, what: string): void {
  if (!condition) {
    const error = new Error(`meters smoke: ${what}`) as Error & { code: string };
    error.code = 'SMOKE_FAILED';
    throw error;
  }
}

function find(channels: SampledChannel[], name: string): SampledChannel {
  for (const channel of channels) if (channel.id === name) return channel;
  check(false, `channel ${name} missing`);
  return channels[0]!;
}

/** Runs the checks; returns how many passed. */
export function smoke(): number {
  let passed = 0;
  // SDM630: 230.5 V on L1 (0x4366 0x8000), 5.125 A on L1 (0x40A4 0x0000), 49.98 Hz (0x4247 0xEB85).
  const points = eastronPoints('SDM630', 'big');
  const blocks = planPointReads(points, EASTRON_MAX_GAP, EASTRON_MAX_READ);
  const results = [];
  for (const block of blocks) results.push(new Uint16Array(block.count));
  const first = results[0]!;
  first[0x00] = 0x4366;
  first[0x01] = 0x8000;
  first[0x06] = 0x40a4;
  first[0x46] = 0x4247;
  first[0x47] = 0xeb85;
  const sdm = decodePoints(points, blocks, results);
  check(find(sdm.channels, '1-0:32.7.0').value === 23050, 'SDM630 L1 voltage 230.5 V');
  check(find(sdm.channels, '1-0:31.7.0').value === 5125, 'SDM630 L1 current 5.125 A');
  check(find(sdm.channels, '1-0:14.7.0').value === 49980, 'SDM630 frequency 49.98 Hz');
  passed += 3;
  // SunSpec 203 from the built-in tables: A = 1234 with A_SF = -2, PhV not implemented (0x8000); channels by OBIS code.
  let model203 = SUNSPEC_MODELS[0]!;
  for (const model of SUNSPEC_MODELS) if (model.id === 203) model203 = model;
  const layout = sunspecLayout(model203);
  check(layout.size === 107, 'SunSpec 203 is 107 registers');
  const words: number[] = [];
  for (let i = 0; i < layout.size; i++) words.push(0);
  words[0] = 203;
  words[1] = 105;
  words[2] = 1234;
  words[6] = 0xfffe;
  words[7] = 0x8000;
  words[15] = 0xffff;
  const sunspec = decodeSunSpecMeter(layout, words);
  const amps = find(sunspec, '1-0:90.7.0');
  check(amps.value === 1234 && amps.scale === -2 && amps.unit === 'A', 'SunSpec 203 A = 12.34 A');
  check(find(sunspec, '1-0:12.7.0').value === null, 'SunSpec not-implemented 0x8000 is null');
  passed += 3;
  // IEC 62056-21 data message whose BCC is 0x16.
  const text = '\x020.0.0(12345678)\r\n1.8.0(001234.567*kWh)\r\n32.7.0(230.1*V)\r\n!\r\n\x03\x16';
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  const readout = parseDataMessage(bytes);
  check(readout.ok, 'IEC 62056-21 message with a good BCC is accepted');
  if (readout.ok) {
    const energy = find(readout.readout.channels, '1.8.0');
    check(energy.value === 1234567 && energy.scale === 0 && energy.unit === 'Wh', 'IEC 62056-21 1.8.0 = 1234.567 kWh');
  }
  bytes[bytes.length - 1] = 0x17;
  check(!parseDataMessage(bytes).ok, 'IEC 62056-21 message with a bad BCC is refused');
  passed += 3;
  return passed;
}
