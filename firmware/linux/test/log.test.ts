import { describe, expect, test } from '@jest/globals';
import { createLogger } from '../src/log.ts';

describe('JSON-lines log', () => {
  test('writes one JSON object per line with time, level, message and fields; drops lines below the level', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', write: (l) => lines.push(l), now: () => 0, fields: { meter: 'm01' } });
    log.debug('hidden');
    log.info('round closed', { round: 12, digest: new Uint8Array([0xab, 0x01]) });
    log.child({ part: 'mqtt' }).warn('reconnecting');
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { ts: '1970-01-01T00:00:00.000Z', level: 'info', msg: 'round closed', meter: 'm01', round: 12, digest: 'ab01' },
      { ts: '1970-01-01T00:00:00.000Z', level: 'warn', msg: 'reconnecting', meter: 'm01', part: 'mqtt' },
    ]);
  });
});
