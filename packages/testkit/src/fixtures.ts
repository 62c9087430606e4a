// Shared test and benchmark data: one reading-sized CBOR value (text keys, a byte string, an array of channel maps,
// a millisecond timestamp; about 210 bytes), built fresh on each call so callers may change it.
import type { CborValue } from '@meterchain/core';

export function sampleReadingValue(): CborValue {
  return {
    v: 1,
    cluster: 'north-7',
    meter: new Uint8Array(20).fill(0xab),
    seq: 48213,
    ts: 1732400000123,
    clock: 0,
    channels: [
      { id: '1-0:1.8.0', unit: 'Wh', scale: 0, value: 123456789 },
      { id: '1-0:32.7.0', unit: 'V', scale: -1, value: 2301 },
      { id: '1-0:31.7.0', unit: 'A', scale: -2, value: 1234 },
    ],
    quality: 0,
  };
}
