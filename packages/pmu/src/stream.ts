// Cuts a TCP byte stream into frames: hunts for SYNC (0xAA, a defined frame type and version), waits for FRAMESIZE
// bytes, hands the frame on. Garbage between frames is skipped and counted, never fatal (§6.2: FRAMESIZE delimits).
import { MIN_FRAME_LENGTH, SYNC_BYTE } from './common.ts';
import { copyBytes } from './cursor.ts';

export class FrameSplitter {
  private buffer: Uint8Array;
  private held: number;
  /** Bytes skipped while hunting for SYNC. */
  skipped: number;
  constructor() {
    this.buffer = new Uint8Array(1024);
    this.held = 0;
    this.skipped = 0;
  }
  /** Appends `chunk` and returns every complete frame now available (copies: the caller may keep them). */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.held + chunk.length > this.buffer.length) {
      let size = this.buffer.length * 2;
      while (size < this.held + chunk.length) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.buffer.subarray(0, this.held));
      this.buffer = next;
    }
    this.buffer.set(chunk, this.held);
    this.held += chunk.length;
    const frames: Uint8Array[] = [];
    let p = 0;
    while (this.held - p >= 4) {
      const b = this.buffer;
      const low = b[p + 1]!;
      const type = (low >> 4) & 7;
      const version = low & 0x0f;
      const size = (b[p + 2]! << 8) | b[p + 3]!;
      if (b[p] !== SYNC_BYTE || low & 0x80 || type > 5 || version < 1 || version > 2 || size < MIN_FRAME_LENGTH) {
        p++;
        this.skipped++;
        continue;
      }
      if (this.held - p < size) break;
      frames.push(copyBytes(b, p, p + size));
      p += size;
    }
    if (p > 0) {
      this.buffer.set(copyBytes(this.buffer, p, this.held), 0);
      this.held -= p;
    }
    return frames;
  }
  /** Bytes held waiting for the rest of a frame. */
  pending(): number {
    return this.held;
  }
}
