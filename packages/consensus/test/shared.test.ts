// What the nodes of one process share: a signature is recalled only on the key and message it was found valid for,
// the memory keeps its own copy of the bytes, and it stays within its bound.
import { describe, expect, test } from '@jest/globals';
import { signerFrom } from '@meterchain/testkit';
import { SharedChecks } from '../src/index.ts';

const alice = signerFrom('shared:alice');
const bob = signerFrom('shared:bob');
const message = new TextEncoder().encode('reading 42');
const signature = alice.sign(message);

describe('SharedChecks', () => {
  test('recalls a recorded signature on its key and message, and nothing else', () => {
    const shared = new SharedChecks();
    expect(shared.recall(alice.publicKey, message, signature)).toBe(false);
    shared.remember(alice.publicKey, message, signature);
    expect(shared.recall(alice.publicKey, message, signature)).toBe(true);
    // The same signature bytes offered for another message or another key: a check would fail, so must the recall.
    expect(shared.recall(alice.publicKey, new TextEncoder().encode('reading 43'), signature)).toBe(false);
    expect(shared.recall(bob.publicKey, message, signature)).toBe(false);
    expect(shared.recall(alice.publicKey, message.subarray(1), signature)).toBe(false);
    const other = Uint8Array.from(signature);
    other[0]! ^= 1;
    expect(shared.recall(alice.publicKey, message, other)).toBe(false);
  });

  test('keeps its own copy: the caller reusing its buffers changes nothing', () => {
    const shared = new SharedChecks();
    const pk = Uint8Array.from(alice.publicKey);
    const msg = Uint8Array.from(message);
    const sig = Uint8Array.from(signature);
    shared.remember(pk, msg, sig);
    pk.fill(0);
    msg.fill(0);
    sig.fill(0);
    expect(shared.recall(alice.publicKey, message, signature)).toBe(true);
    expect(shared.recall(pk, msg, signature)).toBe(false);
  });

  test('recalls a signature that sits inside a larger buffer (a frame being decoded)', () => {
    const shared = new SharedChecks();
    const frame = new Uint8Array(200);
    frame.set(signature, 100);
    shared.remember(alice.publicKey, message, frame.subarray(100, 164));
    expect(shared.recall(alice.publicKey, message, signature)).toBe(true);
  });

  test('holds at most twice its limit, dropping the older half first', () => {
    const shared = new SharedChecks({ signatures: 4 });
    const messages = Array.from({ length: 11 }, (_, i) => new TextEncoder().encode(`reading ${i}`));
    const signatures = messages.map((m) => alice.sign(m));
    messages.forEach((m, i) => shared.remember(alice.publicKey, m, signatures[i]!));
    expect(messages.filter((m, i) => shared.recall(alice.publicKey, m, signatures[i]!)).length).toBeLessThanOrEqual(8);
    expect(shared.recall(alice.publicKey, messages[0]!, signatures[0]!)).toBe(false);
    expect(shared.recall(alice.publicKey, messages[10]!, signatures[10]!)).toBe(true);
    expect(shared.recall(alice.publicKey, messages[5]!, signatures[5]!)).toBe(true);
    expect(shared.recorded).toBe(11);
  });
});
