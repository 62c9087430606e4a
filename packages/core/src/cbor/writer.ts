// A growable byte buffer the encoder writes into; one allocation per doubling, one copy at the end.

export class ByteWriter {
  buf: Uint8Array;
  pos: number;

  constructor(initial: number) {
    this.buf = new Uint8Array(initial);
    this.pos = 0;
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos), 0);
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** A copy of exactly the bytes written (the caller owns it; the scratch buffer may be reused). */
  result(): Uint8Array {
    const out = new Uint8Array(this.pos);
    out.set(this.buf.subarray(0, this.pos), 0);
    return out;
  }
}
