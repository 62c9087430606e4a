// What the nodes of one process share: a signature is recalled only on the key and message it was found valid for,
// the memory keeps its own copy of them, and it stays within its bound.
import { describe, expect, test } from '@jest/globals';
import { toHex } from '@meterchain/core';
import { signerFrom } from '@meterchain/testkit';
import { SharedChecks, type Submission } from '../src/index.ts';

const alice = signerFrom('shared:alice');
const bob = signerFrom('shared:bob');
const message = new TextEncoder().encode('reading 42');
const signature = alice.sign(message);

describe('SharedChecks', () => {
  test('recalls a recorded signature on its key and message, and nothing else', () => {
    const shared = new SharedChecks();
    expect(shared.recall(toHex(signature), alice.publicKey, message)).toBe(false);
    shared.remember(toHex(signature), alice.publicKey, message);
    expect(shared.recall(toHex(signature), alice.publicKey, message)).toBe(true);
    // The same signature bytes offered for another message or another key: a check would fail, so must the recall.
    expect(shared.recall(toHex(signature), alice.publicKey, new TextEncoder().encode('reading 43'))).toBe(false);
    expect(shared.recall(toHex(signature), bob.publicKey, message)).toBe(false);
    expect(shared.recall(toHex(signature), alice.publicKey, message.subarray(1))).toBe(false);
    const other = Uint8Array.from(signature);
    other[0]! ^= 1;
    expect(shared.recall(toHex(other), alice.publicKey, message)).toBe(false);
  });

  test('keeps its own copy of the key and message: the caller reusing its buffers changes nothing', () => {
    const shared = new SharedChecks();
    const pk = Uint8Array.from(alice.publicKey);
    const msg = Uint8Array.from(message);
    shared.remember(toHex(signature), pk, msg);
    pk.fill(0);
    msg.fill(0);
    expect(shared.recall(toHex(signature), alice.publicKey, message)).toBe(true);
    expect(shared.recall(toHex(signature), pk, msg)).toBe(false);
  });

  test('recalls an opened submission only for the same bytes under the same manifest', () => {
    const shared = new SharedChecks();
    const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff);
    const sub = { bytes } as unknown as Submission;
    expect(shared.openedSubmission('m1', bytes)).toBeUndefined();
    shared.rememberSubmission('m1', sub);
    expect(shared.openedSubmission('m1', Uint8Array.from(bytes))).toBe(sub);
    expect(shared.openedSubmission('m2', bytes)).toBeUndefined();
    // One byte changed, or one byte fewer: not the submission that was checked.
    for (const at of [0, 150, 299]) {
      const other = Uint8Array.from(bytes);
      other[at]! ^= 1;
      expect(shared.openedSubmission('m1', other)).toBeUndefined();
    }
    expect(shared.openedSubmission('m1', bytes.subarray(1))).toBeUndefined();
  });

  test('holds at most twice its limit, dropping the older half first', () => {
    const shared = new SharedChecks({ signatures: 4 });
    const messages = Array.from({ length: 11 }, (_, i) => new TextEncoder().encode(`reading ${i}`));
    const signatures = messages.map((m) => alice.sign(m));
    messages.forEach((m, i) => shared.remember(toHex(signatures[i]!), alice.publicKey, m));
    expect(messages.filter((m, i) => shared.recall(toHex(signatures[i]!), alice.publicKey, m)).length).toBeLessThanOrEqual(8);
    expect(shared.recall(toHex(signatures[0]!), alice.publicKey, messages[0]!)).toBe(false);
    expect(shared.recall(toHex(signatures[10]!), alice.publicKey, messages[10]!)).toBe(true);
    expect(shared.recall(toHex(signatures[5]!), alice.publicKey, messages[5]!)).toBe(true);
    expect(shared.recorded).toBe(11);
  });
});
