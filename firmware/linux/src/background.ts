// Work that may wait behind a round's traffic: the messages of block agreement. A round must be voted and certified
// within its second, while a block may take a few seconds more; at 64 members every node of a process receives the
// proposal and 126 block votes in the same moment, and handled as they arrive they held the event loop for up to a
// second, with the round traffic waiting behind them. Here they run in arrival order, a slice of at most `sliceMs` per
// turn of the event loop, so the sockets are read (and the round messages handled) between slices.

export class Background {
  private readonly tasks: (() => void)[] = [];
  private head = 0;
  private scheduled = false;
  private readonly sliceMs: number;
  private readonly onError: (e: unknown) => void;

  constructor(sliceMs: number, onError: (e: unknown) => void) {
    this.sliceMs = sliceMs;
    this.onError = onError;
  }

  /** Tasks waiting. */
  get length(): number {
    return this.tasks.length - this.head;
  }

  add(task: () => void): void {
    this.tasks.push(task);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.run);
  }

  private readonly run = (): void => {
    const until = performance.now() + this.sliceMs;
    do {
      const task = this.tasks[this.head]!;
      this.tasks[this.head] = undefined as unknown as () => void;
      this.head++;
      try {
        task();
      } catch (e) {
        this.onError(e);
      }
    } while (this.head < this.tasks.length && performance.now() < until);
    if (this.head === this.tasks.length) {
      this.tasks.length = 0;
      this.head = 0;
      this.scheduled = false;
      return;
    }
    if (this.head > 1024) {
      this.tasks.splice(0, this.head);
      this.head = 0;
    }
    setImmediate(this.run);
  };
}
