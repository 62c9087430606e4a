// Receiver-side tracking: duplicates by payload, and the header's reports (gaps, late arrivals, incarnations), which
// never decide whether a frame is delivered.
import { describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { SequenceTracker } from '../src/index.ts';

/** The digest of a payload named by `text` (in the transport: SHA-256 of header and frame). */
function d(text: string | number): Uint8Array {
  return createHash('sha256').update(String(text)).digest();
}

/** Observes frame (incarnation, seq) whose payload is told apart by `content` (default: its numbers). */
function see(t: SequenceTracker, stream: string, incarnation: number, seq: number, content: string = `${incarnation}/${seq}`) {
  return t.observe(stream, incarnation, seq, d(content));
}

describe('SequenceTracker', () => {
  test('the first frame of a stream is delivered with nothing missed, whatever its number', () => {
    expect(see(new SequenceTracker(), 's', 1, 57)).toEqual({ deliver: true, missed: 0, late: false, restarted: false });
  });

  test('consecutive numbers are delivered in order with nothing missed', () => {
    const t = new SequenceTracker();
    expect([1, 2, 3].map((n) => see(t, 's', 1, n))).toEqual([1, 2, 3].map(() => ({ deliver: true, missed: 0, late: false, restarted: false })));
  });

  test('a jump reports how many numbers were skipped', () => {
    const t = new SequenceTracker();
    see(t, 's', 1, 1);
    expect(see(t, 's', 1, 5)).toEqual({ deliver: true, missed: 3, late: false, restarted: false });
  });

  test('the same payload again is a duplicate', () => {
    const t = new SequenceTracker();
    see(t, 's', 1, 1);
    see(t, 's', 1, 2);
    expect(see(t, 's', 1, 1)).toEqual({ deliver: false, reason: 'duplicate' });
    expect(see(t, 's', 1, 2)).toEqual({ deliver: false, reason: 'duplicate' });
  });

  test('a number seen before with a different payload is delivered, marked late: the header alone drops nothing', () => {
    const t = new SequenceTracker();
    see(t, 's', 1, 1, 'forged');
    expect(see(t, 's', 1, 1, 'real')).toEqual({ deliver: true, missed: 0, late: true, restarted: false });
  });

  test('a number inside a reported gap is delivered once as late, then is a duplicate', () => {
    const t = new SequenceTracker();
    see(t, 's', 1, 1);
    see(t, 's', 1, 6);
    expect(see(t, 's', 1, 3)).toEqual({ deliver: true, missed: 0, late: true, restarted: false });
    expect(see(t, 's', 1, 3)).toEqual({ deliver: false, reason: 'duplicate' });
    expect(see(t, 's', 1, 2)).toMatchObject({ deliver: true, late: true });
    expect(see(t, 's', 1, 5)).toMatchObject({ deliver: true, late: true });
    expect(see(t, 's', 1, 4)).toMatchObject({ deliver: true, late: true });
  });

  test('a newer incarnation restarts at 1: numbers below the first one seen count as missed', () => {
    const t = new SequenceTracker();
    see(t, 's', 1, 40);
    expect(see(t, 's', 2, 1)).toEqual({ deliver: true, missed: 0, late: false, restarted: true });
    const u = new SequenceTracker();
    see(u, 's', 1, 40);
    expect(see(u, 's', 2, 3)).toEqual({ deliver: true, missed: 2, late: false, restarted: true });
  });

  test('a frame of an older incarnation is delivered, marked late', () => {
    const t = new SequenceTracker();
    see(t, 's', 2, 1);
    expect(see(t, 's', 1, 99)).toEqual({ deliver: true, missed: 0, late: true, restarted: false });
  });

  test('after a forged incarnation 0xFFFFFFFF and a forged jump, the real stream is still delivered', () => {
    const t = new SequenceTracker();
    see(t, 's', 7, 1);
    see(t, 's', 0xffffffff, 1, 'forged-incarnation');
    see(t, 's', 7, 2 ** 48 - 1, 'forged-jump');
    see(t, 's', 7, 2, 'forged-next');
    expect([2, 3, 4].map((n) => see(t, 's', 7, n).deliver)).toEqual([true, true, true]);
  });

  test('streams are independent', () => {
    const t = new SequenceTracker();
    see(t, 'a', 1, 1);
    expect(see(t, 'b', 1, 1)).toMatchObject({ deliver: true, missed: 0 });
    expect(t.streamCount).toBe(2);
  });

  test('only the newest maxGaps gaps are remembered: an older late frame is still delivered as late', () => {
    const t = new SequenceTracker({ maxGaps: 2 });
    for (const n of [1, 3, 5, 7]) see(t, 's', 1, n); // gaps at 2, 4, 6
    expect(see(t, 's', 1, 2)).toMatchObject({ deliver: true, late: true });
    expect(see(t, 's', 1, 4)).toMatchObject({ deliver: true, late: true });
  });

  test('duplicates are recognised within the last dedupWindow payloads of a stream, across the ring growing and wrapping', () => {
    const t = new SequenceTracker({ dedupWindow: 40 });
    for (let n = 1; n <= 100; n++) see(t, 's', 1, n);
    for (let n = 61; n <= 100; n++) expect(see(t, 's', 1, n)).toEqual({ deliver: false, reason: 'duplicate' });
    // Past the window a resent payload is delivered again (late), never lost.
    expect(see(t, 's', 1, 60)).toEqual({ deliver: true, missed: 0, late: true, restarted: false });
  });

  test('at most maxStreams streams are kept; the least recently seen is forgotten', () => {
    const t = new SequenceTracker({ maxStreams: 3 });
    for (const s of ['a', 'b', 'c']) see(t, s, 1, 1);
    see(t, 'a', 1, 2);
    see(t, 'd', 1, 1); // forgets b, the least recently seen
    expect(t.streamCount).toBe(3);
    expect(see(t, 'a', 1, 2)).toEqual({ deliver: false, reason: 'duplicate' });
    expect(see(t, 'b', 1, 1)).toEqual({ deliver: true, missed: 0, late: false, restarted: false });
  });

  test('forget() makes the next frame of the stream a first frame again', () => {
    const t = new SequenceTracker();
    see(t, 's', 1, 10);
    t.forget('s');
    expect(see(t, 's', 1, 3)).toEqual({ deliver: true, missed: 0, late: false, restarted: false });
  });

  test('a digest shorter than 8 bytes is a programmer mistake', () => {
    expect(() => new SequenceTracker().observe('s', 1, 1, new Uint8Array(4))).toThrow(/digest of at least 8 bytes/);
  });
});
