// The 12-byte frame header and the topic scheme.
import { describe, expect, test } from '@jest/globals';
import { decodeFramed, encodeFramed, filterTopic, frameTopic, HEADER_LENGTH, parseFrameTopic } from '../src/index.ts';

const ADDRESS = 'mc' + '0123456789'.repeat(4);

describe('frame header', () => {
  test('encodes version, flags, incarnation and a 48-bit sequence number big-endian, then the frame', () => {
    const out = encodeFramed({ incarnation: 0x01020304, seq: 0x0a0b0c0d0e0f }, new Uint8Array([0xaa, 0xbb]));
    expect(Buffer.from(out).toString('hex')).toBe('01' + '00' + '01020304' + '0a0b0c0d0e0f' + 'aabb');
    expect(HEADER_LENGTH).toBe(12);
  });

  test('decodes what it encodes, up to the largest sequence number', () => {
    const framed = encodeFramed({ incarnation: 0xffffffff, seq: 2 ** 48 - 1 }, new Uint8Array([1, 2]));
    const verdict = decodeFramed(framed);
    expect(verdict.ok && { header: verdict.header, frame: Array.from(verdict.frame) }).toEqual({ header: { incarnation: 0xffffffff, seq: 2 ** 48 - 1 }, frame: [1, 2] });
  });

  test('an empty frame is allowed', () => {
    const verdict = decodeFramed(encodeFramed({ incarnation: 1, seq: 1 }, new Uint8Array(0)));
    expect(verdict.ok && verdict.frame.length).toBe(0);
  });

  test.each([
    ['header-short', '0100000000010000000000'],
    ['header-version', '020000000001000000000001'],
    ['header-flags', '010100000001000000000001'],
    ['header-sequence', '010000000001000000000000'],
  ])('a payload with a bad header gets the verdict %s', (reason, hex) => {
    expect(decodeFramed(Buffer.from(hex, 'hex'))).toEqual({ ok: false, reason });
  });

  test('out-of-range numbers are programmer mistakes and throw', () => {
    expect(() => encodeFramed({ incarnation: -1, seq: 1 }, new Uint8Array(0))).toThrow(/incarnation/);
    expect(() => encodeFramed({ incarnation: 1, seq: 0 }, new Uint8Array(0))).toThrow(/sequence number in 1\.\.2\^48-1, got 0/);
    expect(() => encodeFramed({ incarnation: 1, seq: 2 ** 48 }, new Uint8Array(0))).toThrow(/sequence/);
  });
});

describe('topic scheme', () => {
  test('a frame topic is meterchain/<cluster>/<kind>/<address>', () => {
    expect(frameTopic('feeder-7', 'vote', ADDRESS)).toBe(`meterchain/feeder-7/vote/${ADDRESS}`);
  });

  test('filters leave out what they do not fix as single-level wildcards', () => {
    expect(filterTopic('feeder-7', {})).toBe('meterchain/feeder-7/+/+');
    expect(filterTopic('feeder-7', { kind: 'sub' })).toBe('meterchain/feeder-7/sub/+');
    expect(filterTopic('feeder-7', { from: ADDRESS })).toBe(`meterchain/feeder-7/+/${ADDRESS}`);
  });

  test('names that would break the topic structure are refused', () => {
    expect(() => frameTopic('a/b', 'sub', ADDRESS)).toThrow(/cluster name/);
    expect(() => frameTopic('feeder', '#', ADDRESS)).toThrow(/frame kind/);
    expect(() => frameTopic('feeder', 'sub', '+')).toThrow(/member address/);
  });

  test('a received topic is parsed into cluster, kind and publisher', () => {
    expect(parseFrameTopic(`meterchain/feeder-7/cert/${ADDRESS}`)).toEqual({ ok: true, cluster: 'feeder-7', kind: 'cert', from: ADDRESS });
  });

  test.each([
    ['topic-levels', `meterchain/feeder-7/sub/${ADDRESS}/extra`],
    ['topic-root', `other/feeder-7/sub/${ADDRESS}`],
    ['topic-cluster', `meterchain/$SYS/sub/${ADDRESS}`],
    ['topic-kind', `meterchain/feeder-7/SUB/${ADDRESS}`],
    ['topic-address', 'meterchain/feeder-7/sub/mcXYZ'],
  ])('a received topic that does not fit gets the verdict %s', (reason, topic) => {
    expect(parseFrameTopic(topic)).toEqual({ ok: false, reason });
  });
});
