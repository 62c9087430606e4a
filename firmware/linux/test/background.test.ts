import { describe, expect, test } from '@jest/globals';
import { Background } from '../src/background.ts';

function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy, as a block's checks are
  }
}

describe('background work', () => {
  test('runs its tasks in the order they came, and a task that throws stops none of the others', async () => {
    const errors: unknown[] = [];
    const bg = new Background(5, (e) => errors.push(e));
    const order: number[] = [];
    for (let i = 0; i < 50; i++) {
      bg.add(() => {
        if (i === 7) throw new Error('task 7');
        order.push(i);
      });
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(order).toEqual([...Array(50).keys()].filter((i) => i !== 7));
    expect(errors.map((e) => (e as Error).message)).toEqual(['task 7']);
    expect(bg.length).toBe(0);
  });

  test('lets the event loop go between slices: a timer due during a long burst fires before the burst ends', async () => {
    const bg = new Background(5, () => {});
    const events: string[] = [];
    for (let i = 0; i < 30; i++) {
      bg.add(() => {
        spin(2);
        events.push(`task ${i}`);
      });
    }
    setTimeout(() => events.push('timer'), 1);
    await new Promise<void>((r) => bg.add(r));
    const at = events.indexOf('timer');
    // 30 tasks of 2 ms take 60 ms; with slices of 5 ms the timer comes after the first slice (3 tasks, or 4 when the
    // clock is coarse), not after all of them.
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(10);
  });

  test('work added while a slice runs waits for a later slice, behind what was there', async () => {
    const bg = new Background(1000, () => {});
    const order: string[] = [];
    bg.add(() => {
      order.push('a');
      bg.add(() => order.push('c'));
    });
    bg.add(() => order.push('b'));
    await new Promise<void>((r) => bg.add(r));
    expect(order).toEqual(['a', 'b', 'c']);
  });
});
