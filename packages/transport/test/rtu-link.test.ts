// The Modbus RTU link's pure parts: finding RTU frames in a drop's byte stream, and cutting messages into pieces and
// putting them back together across lost pieces.
import { describe, expect, test } from '@jest/globals';
import { encodeReadRequest, encodeReadResponse, encodeWriteRequest, encodeWriteResponse, RtuFrameDecoder } from '../src/rtu/frames.ts';
import { encodeMessage, MessageAssembler, NO_START, PieceWriter, type LinkMessage } from '../src/rtu/pieces.ts';
import { testAddress } from '../compliance/index.ts';

describe('RTU frame decoder', () => {
  test('finds requests and answers of both function codes, split across chunks at every byte', () => {
    const stream = Buffer.concat([
      encodeReadRequest(3, 0x1234, 4),
      encodeReadResponse(3, new Uint8Array(8).fill(7)),
      encodeWriteRequest(0, 9, new Uint8Array([1, 2, 3, 4])),
      encodeWriteRequest(5, 10, new Uint8Array([5, 6])),
      encodeWriteResponse(5, 10, 1),
    ]);
    for (let cut = 1; cut < stream.length; cut++) {
      const decoder = new RtuFrameDecoder();
      const frames = [...decoder.push(stream.subarray(0, cut)), ...decoder.push(stream.subarray(cut))];
      expect(frames.map((f) => f.kind)).toEqual(['read-request', 'read-response', 'write-request', 'write-request', 'write-response']);
      expect(decoder.skipped).toBe(0);
    }
  });

  test('skips garbage and a frame with a bad CRC, and finds the frames after them', () => {
    const damaged = encodeReadResponse(2, new Uint8Array(6).fill(1));
    damaged[5] ^= 0x10;
    const decoder = new RtuFrameDecoder();
    const frames = decoder.push(Buffer.concat([Buffer.from([0x99, 0x42]), damaged, encodeReadRequest(2, 7, 4)]));
    expect(frames).toEqual([{ kind: 'read-request', unit: 2, address: 7, quantity: 4 }]);
    expect(decoder.skipped).toBe(2 + damaged.length);
  });

  test('after a silence, keeps a partial frame the new bytes complete (the reader was held up, not the line)', () => {
    const broadcast = encodeWriteRequest(0, 9, new Uint8Array(200).fill(3));
    const decoder = new RtuFrameDecoder();
    expect(decoder.push(broadcast.subarray(0, 50))).toEqual([]);
    const frames = decoder.pushAfterSilence(Buffer.concat([broadcast.subarray(50), encodeReadRequest(2, 7, 4)]));
    expect(frames.map((f) => f.kind)).toEqual(['write-request', 'read-request']);
    expect(decoder.skipped).toBe(0);
  });

  test('after a silence, drops a partial frame the new bytes do not complete, and finds the frame after it', () => {
    const broadcast = encodeWriteRequest(0, 9, new Uint8Array(200).fill(3));
    const decoder = new RtuFrameDecoder();
    decoder.push(broadcast.subarray(0, 50));
    const frames = decoder.pushAfterSilence(encodeReadRequest(2, 7, 4));
    expect(frames).toEqual([{ kind: 'read-request', unit: 2, address: 7, quantity: 4 }]);
    expect(decoder.skipped).toBe(50);
  });
});

describe('pieces and messages', () => {
  const a = testAddress(1);
  const messages: LinkMessage[] = [
    { kind: 'vote', from: a, payload: new Uint8Array(300).map((_, i) => i) },
    { kind: 'sub', from: a, payload: new Uint8Array([1, 2, 3]) },
    { kind: 'block', from: a, payload: new Uint8Array(1000).map((_, i) => i * 7) },
  ];

  function cut(size: number): { start: number; data: Uint8Array }[] {
    const writer = new PieceWriter<number>();
    messages.forEach((m, i) => writer.push(encodeMessage(m), i));
    const pieces = [];
    while (writer.pendingBytes > 0) {
      const { piece, consumed } = writer.take(size);
      writer.commit(consumed);
      pieces.push(piece);
    }
    return pieces;
  }

  test('messages cut into pieces of any size come back whole and in order', () => {
    for (const size of [1, 7, 40, 242]) {
      const assembler = new MessageAssembler(4096);
      const out = cut(size).flatMap((p) => assembler.push(p));
      expect(out).toEqual(messages.map((message) => ({ ok: true, message })));
    }
  });

  test('a lost piece costs the message it was in; the next message is picked up at its start', () => {
    const pieces = cut(100);
    const assembler = new MessageAssembler(4096);
    const out = pieces.filter((_, i) => i !== 1).flatMap((p) => assembler.push(p));
    // Piece 1 held the middle of the vote: the vote is lost (reported), the submission and the block arrive.
    expect(out.filter((r) => r.ok).map((r) => (r.ok ? r.message.kind : ''))).toEqual(['sub', 'block']);
    expect(out.filter((r) => !r.ok)).toEqual([{ ok: false, reason: 'message-truncated' }]);
  });

  test('a receiver that joins mid-stream waits for a piece with a start', () => {
    const pieces = cut(100);
    const assembler = new MessageAssembler(4096);
    expect(pieces[1]!.start).toBe(NO_START);
    const out = pieces.slice(1).flatMap((p) => assembler.push(p));
    expect(out.map((r) => (r.ok ? r.message.kind : r.reason))).toEqual(['sub', 'block']);
  });

  test('a message over the limit is reported and skipped, not buffered', () => {
    const assembler = new MessageAssembler(500);
    const out = cut(242).flatMap((p) => assembler.push(p));
    expect(out.map((r) => (r.ok ? r.message.kind : r.reason))).toEqual(['vote', 'sub', 'message-too-large']);
  });

  test('a piece not committed is built again with the same bytes; restartHead() resends a message from its start', () => {
    const writer = new PieceWriter<number>();
    messages.forEach((m, i) => writer.push(encodeMessage(m), i));
    const first = writer.take(100);
    expect(writer.take(100)).toEqual(first);
    expect(writer.commit(first.consumed)).toEqual([]);
    const second = writer.take(100);
    expect(second.piece.start).toBe(NO_START);
    writer.restartHead();
    expect(writer.take(100)).toEqual(first);
  });
});
