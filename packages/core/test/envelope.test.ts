import { describe, expect, test } from '@jest/globals';
import { utf8Encode } from '../src/bytes.ts';
import { encode } from '../src/cbor/index.ts';
import { Domain, openEnvelope, sealEnvelope, signingInput } from '../src/envelope.ts';
import { testSigner } from './support/keys.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('signing input', () => {
  test('is utf8(domain) || 0x00 || body for every domain', () => {
    const body = new Uint8Array([0xa1, 0x61, 0x76, 0x01]);
    for (const domain of Object.values(Domain)) {
      expect(hex(signingInput(domain, body))).toBe(Buffer.from(domain, 'utf8').toString('hex') + '00' + hex(body));
    }
  });

  test('a domain outside ASCII is written as UTF-8', () => {
    const body = new Uint8Array([1, 2]);
    expect(hex(signingInput('zähler:v1', body))).toBe(hex(utf8Encode('zähler:v1')) + '000102');
    expect(() => signingInput('lone \ud800', body)).toThrow(/lone surrogate/);
  });
});

describe('openEnvelope', () => {
  const signer = testSigner(4);
  const body = encode({ v: 1, note: 'reading' });
  const bytes = sealEnvelope(Domain.READING, body, signer);

  test('gives back the body exactly as signed, and the signature', () => {
    const opened = openEnvelope(bytes);
    expect(opened.ok).toBe(true);
    if (!opened.ok) return;
    expect(hex(opened.envelope.body)).toBe(hex(body));
    expect(hex(opened.envelope.sig)).toBe(hex(signer.sign(signingInput(Domain.READING, body))));
  });

  test('body and signature are views of the envelope bytes, not copies', () => {
    const opened = openEnvelope(bytes);
    if (!opened.ok) throw new Error(opened.reason);
    expect(opened.envelope.body.buffer).toBe(bytes.buffer);
    expect(opened.envelope.sig.buffer).toBe(bytes.buffer);
  });

  test('an envelope read into a Buffer opens to plain Uint8Arrays', () => {
    const opened = openEnvelope(Buffer.from(bytes));
    if (!opened.ok) throw new Error(opened.reason);
    expect(Object.getPrototypeOf(opened.envelope.body)).toBe(Uint8Array.prototype);
    expect(hex(opened.envelope.body)).toBe(hex(body));
  });

  test('a third field, a short signature or trailing bytes are refused', () => {
    expect(openEnvelope(encode({ body, sig: new Uint8Array(64), x: 1 }))).toEqual({ ok: false, reason: 'envelope: $: unknown key "x" at byte 1' });
    expect(openEnvelope(encode({ body, sig: new Uint8Array(63) }))).toEqual({ ok: false, reason: 'envelope: $.sig: expected bytes(64) at byte 5' });
    expect(openEnvelope(new Uint8Array([...bytes, 0]))).toEqual({ ok: false, reason: `envelope: trailing bytes at byte ${bytes.length}` });
  });
});
