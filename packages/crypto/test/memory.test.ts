// The memory of valid signatures that the nodes of one process share: it recalls a signature only on the key and
// message it was found valid for, keeps its own copy of the bytes, and stays within its bound.
import { describe, expect, test } from '@jest/globals';
import { createNodeSigner } from '../src/node.ts';
import { SignatureMemory } from '../src/memory.ts';
import { seededBytes } from './support/vectors.ts';

const alice = createNodeSigner(seededBytes(1)(32));
const bob = createNodeSigner(seededBytes(2)(32));
const message = new TextEncoder().encode('reading 42');
const signature = alice.sign(message);

describe('SignatureMemory', () => {
  test('recalls a remembered signature on its key and message, and nothing else', () => {
    const memory = new SignatureMemory();
    expect(memory.recall(alice.publicKey, message, signature)).toBe(false);
    memory.remember(alice.publicKey, message, signature);
    expect(memory.recall(alice.publicKey, message, signature)).toBe(true);
    // The same signature bytes offered for another message or another key: a check would fail, so must the recall.
    expect(memory.recall(alice.publicKey, new TextEncoder().encode('reading 43'), signature)).toBe(false);
    expect(memory.recall(bob.publicKey, message, signature)).toBe(false);
    expect(memory.recall(alice.publicKey, message.subarray(1), signature)).toBe(false);
    const other = Uint8Array.from(signature);
    other[0]! ^= 1;
    expect(memory.recall(alice.publicKey, message, other)).toBe(false);
  });

  test('keeps its own copy: the caller reusing its buffers changes nothing', () => {
    const memory = new SignatureMemory();
    const pk = Uint8Array.from(alice.publicKey);
    const msg = Uint8Array.from(message);
    const sig = Uint8Array.from(signature);
    memory.remember(pk, msg, sig);
    pk.fill(0);
    msg.fill(0);
    sig.fill(0);
    expect(memory.recall(alice.publicKey, message, signature)).toBe(true);
    expect(memory.recall(pk, msg, signature)).toBe(false);
  });

  test('recalls a signature that sits inside a larger buffer (a frame being decoded)', () => {
    const memory = new SignatureMemory();
    const frame = new Uint8Array(200);
    frame.set(signature, 100);
    memory.remember(alice.publicKey, message, frame.subarray(100, 164));
    expect(memory.recall(alice.publicKey, message, signature)).toBe(true);
  });

  test('holds at most twice its limit, dropping the older half first', () => {
    const memory = new SignatureMemory(4);
    const messages = Array.from({ length: 11 }, (_, i) => new TextEncoder().encode(`reading ${i}`));
    const signatures = messages.map((m) => alice.sign(m));
    messages.forEach((m, i) => memory.remember(alice.publicKey, m, signatures[i]!));
    expect(memory.size).toBeLessThanOrEqual(8);
    expect(memory.recall(alice.publicKey, messages[0]!, signatures[0]!)).toBe(false);
    expect(memory.recall(alice.publicKey, messages[10]!, signatures[10]!)).toBe(true);
    expect(memory.recall(alice.publicKey, messages[5]!, signatures[5]!)).toBe(true);
  });

  test('refuses a limit that is not a positive whole number', () => {
    for (const limit of [0, -1, 1.5, Number.NaN]) expect(() => new SignatureMemory(limit)).toThrow(/limit must be a positive integer/);
  });
});
