// Bounds-checked big-endian reads and writes over one frame. A read past the end never throws: it marks the cursor
// short and returns 0, and the decoder turns that into a verdict (hostile bytes get a reason, not an exception).

/** A copy of bytes[from, to): typed-array slice() returns a plain Array on Espruino. */
export function copyBytes(bytes: Uint8Array, from: number, to: number): Uint8Array {
  const out = new Uint8Array(to - from);
  out.set(bytes.subarray(from, to));
  return out;
}

export class Reader {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  pos: number;
  end: number;
  short: boolean;
  constructor(bytes: Uint8Array, start: number, end: number) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = start;
    this.end = end;
    this.short = false;
  }
  has(n: number): boolean {
    if (this.pos + n > this.end) {
      this.short = true;
      return false;
    }
    return true;
  }
  u8(): number {
    if (!this.has(1)) return 0;
    return this.bytes[this.pos++]!;
  }
  u16(): number {
    if (!this.has(2)) return 0;
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }
  i16(): number {
    if (!this.has(2)) return 0;
    const v = this.view.getInt16(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    if (!this.has(4)) return 0;
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }
  i32(): number {
    if (!this.has(4)) return 0;
    const v = this.view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }
  f32(): number {
    if (!this.has(4)) return 0;
    const v = this.view.getFloat32(this.pos);
    this.pos += 4;
    return v;
  }
  /** `n` bytes as text, one character per byte (C37.118 names are ASCII; CFG-3 allows UTF-8, kept byte for byte). */
  text(n: number): string {
    if (!this.has(n)) return '';
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(this.bytes[this.pos + i]!);
    this.pos += n;
    return s;
  }
  raw(n: number): Uint8Array {
    if (!this.has(n)) return new Uint8Array(0);
    const out = copyBytes(this.bytes, this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

/** A growing big-endian writer: frames are small (a CFG-3 of a large PDC is a few KB), so it doubles its buffer. */
export class Writer {
  bytes: Uint8Array;
  view: DataView;
  pos: number;
  constructor(capacity: number) {
    this.bytes = new Uint8Array(capacity);
    this.view = new DataView(this.bytes.buffer);
    this.pos = 0;
  }
  room(n: number): void {
    if (this.pos + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.bytes);
    this.bytes = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): void {
    this.room(1);
    this.bytes[this.pos++] = v & 0xff;
  }
  u16(v: number): void {
    this.room(2);
    this.view.setUint16(this.pos, v & 0xffff);
    this.pos += 2;
  }
  i16(v: number): void {
    this.room(2);
    this.view.setInt16(this.pos, v);
    this.pos += 2;
  }
  u32(v: number): void {
    this.room(4);
    this.view.setUint32(this.pos, v >>> 0);
    this.pos += 4;
  }
  i32(v: number): void {
    this.room(4);
    this.view.setInt32(this.pos, v | 0);
    this.pos += 4;
  }
  f32(v: number): void {
    this.room(4);
    this.view.setFloat32(this.pos, v);
    this.pos += 4;
  }
  raw(b: Uint8Array): void {
    this.room(b.length);
    this.bytes.set(b, this.pos);
    this.pos += b.length;
  }
  /** `s` one byte per character, padded with spaces to `width` when given (CFG-1/2 names are 16 bytes). */
  text(s: string, width: number): void {
    const n = width > 0 ? width : s.length;
    this.room(n);
    for (let i = 0; i < n; i++) this.bytes[this.pos + i] = i < s.length ? s.charCodeAt(i) & 0xff : 0x20;
    this.pos += n;
  }
  done(): Uint8Array {
    return copyBytes(this.bytes, 0, this.pos);
  }
}
