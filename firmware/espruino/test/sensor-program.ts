// The sensor node as the board runs it, minus the board: a meter reader on a UART and the sensor node, with the
// board's services handed in by whoever runs the bundle (the test runs it in the gate's Espruino-like context and
// hands it a pty's bytes and Node's timers). Bytes crossing in are copied into this context's Uint8Arrays.
import { crc32, fromHex, sha256 } from '@meterchain/core';
import { createMeterReader } from '../src/acquire.ts';
import { createMeterEdge } from '../src/edge.ts';
import { createSensorNode } from '../src/node.ts';

export interface Board {
  writeMeter: (bytes: Uint8Array) => void;
  onMeterData: (handler: (chunk: ArrayLike<number>) => void) => void;
  setTimeout: (run: () => void, ms: number) => unknown;
  clearTimeout: (handle: unknown) => void;
  /** The link to the full node. */
  send: (frame: Uint8Array) => void;
  now: () => number;
  /** The flash: the sequence high-water mark kept across reboots. */
  readMark: () => number;
  writeMark: (mark: number) => void;
  key: string;
  meter: string;
  log: (line: string) => void;
}

function copy(chunk: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(chunk.length);
  for (let i = 0; i < chunk.length; i++) out[i] = chunk[i]!;
  return out;
}

export function startSensor(board: Board): { sample: (done: () => void) => void } {
  const reader = createMeterReader(
    {
      port: { write: board.writeMeter, onData: (handler) => board.onMeterData((chunk) => handler(copy(chunk))) },
      setTimeout: board.setTimeout,
      clearTimeout: board.clearTimeout,
    },
    { model: 'SDM630', unit: 1, timeoutMs: 1000 },
  );
  const edge = createMeterEdge();
  const node = createSensorNode(
    {
      hash: sha256,
      crc32: (bytes) => crc32(bytes),
      key: fromHex(board.key),
      now: board.now,
      send: board.send,
      reserveSequence: (count) => {
        const first = board.readMark();
        board.writeMark(first + count);
        return first;
      },
    },
    { cluster: 'cluster-1', meter: fromHex(board.meter) },
  );
  return {
    sample: (done) =>
      reader.sample((s) => {
        for (let i = 0; i < s.errors.length; i++) board.log(s.errors[i]!);
        if (s.channels.length > 0) node.publish(s.channels, (s.quality | edge.step(board.now(), s.channels).quality) >>> 0);
        done();
      }),
  };
}

declare const globalThis: { startSensor?: typeof startSensor };

/** Bundle entry: leaves startSensor where the host can call it. */
export function smoke(): void {
  globalThis.startSensor = startSensor;
}
