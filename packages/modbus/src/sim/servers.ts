// Framing for the simulators: Modbus TCP (MBAP header, §4.1 of Modbus Messaging on TCP/IP), and RTU (unit, PDU,
// CRC) on a serial line or on a raw TCP socket (what an RS-485 gateway puts on the network).
import { createServer, type Server, type Socket } from 'node:net';
import { crc16, crcOk } from '../crc16.ts';
import type { ModbusSlave } from './slave.ts';

export interface RunningServer {
  /** `tcp 127.0.0.1:5020`, `rtu /dev/pts/3`. */
  readonly where: string;
  /** Bound TCP port (0 for serial). */
  readonly port: number;
  close(): Promise<void>;
}

function rtuFrame(unit: number, pdu: Uint8Array, corruptCrc: boolean): Buffer {
  const frame = Buffer.alloc(pdu.length + 3);
  frame[0] = unit;
  frame.set(pdu, 1);
  const crc = crc16(frame, 0, pdu.length + 1);
  frame[pdu.length + 1] = crc & 0xff;
  frame[pdu.length + 2] = (crc >> 8) ^ (corruptCrc ? 0x5a : 0);
  return frame;
}

/** Length of the RTU request at the start of `buffer`, or 0 when more bytes are needed, or -1 when unknown. */
function requestLength(buffer: Buffer): number {
  if (buffer.length < 2) return 0;
  const fn = buffer[1]!;
  if (fn >= 1 && fn <= 6) return 8;
  if (fn === 15 || fn === 16) return buffer.length < 7 ? 0 : 9 + buffer[6]!;
  return -1;
}

/**
 * Reads RTU requests from a byte stream and answers them. Frames are cut by the length their function code
 * implies; a frame that fails its CRC is dropped byte by byte until the stream resynchronises (a real slave
 * stays silent on a bad CRC, Modbus over serial line §2.4.1).
 */
function rtuResponder(slave: ModbusSlave, write: (bytes: Buffer) => void, paceBaud = 0): (chunk: Buffer) => void {
  let buffer = Buffer.alloc(0);
  let timers: NodeJS.Timeout[] = [];
  return (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (let guard = 0; guard < 64 && buffer.length > 0; guard++) {
      const length = requestLength(buffer);
      if (length === 0 || length > buffer.length) return;
      if (length < 0) {
        buffer = buffer.subarray(1);
        continue;
      }
      const frame = buffer.subarray(0, length);
      if (!crcOk(frame)) {
        buffer = buffer.subarray(1);
        continue;
      }
      buffer = buffer.subarray(length);
      const unit = frame[0]!;
      if (unit === 0) continue; // broadcast: never answered
      const action = slave.handle(unit, frame.subarray(1, length - 2));
      if (action.kind === 'silent') continue;
      const reply = rtuFrame(unit, action.pdu, action.corruptCrc);
      // Line pacing: a real 9600 baud line takes the request's and the reply's character times, with a
      // 3.5-character silence before each frame (Modbus over serial line §2.5.1.1); a pty takes none.
      const wireMs = paceBaud > 0 ? ((length + reply.length + 7) * 11 * 1000) / paceBaud : 0;
      if (action.delayMs + wireMs > 0) {
        const timer = setTimeout(() => {
          timers = timers.filter((t) => t !== timer);
          write(reply);
        }, action.delayMs + wireMs);
        timers.push(timer);
      } else write(reply);
    }
    if (buffer.length > 512) buffer = Buffer.alloc(0);
  };
}

/** Serves Modbus TCP on host:port (port 0 picks a free one). */
export function serveTcp(slave: ModbusSlave, host: string, port: number): Promise<RunningServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= 7) {
        const length = buffer.readUInt16BE(4);
        if (length < 2 || length > 254) {
          socket.destroy();
          return;
        }
        if (buffer.length < 6 + length) return;
        const transaction = buffer.readUInt16BE(0);
        const unit = buffer[6]!;
        const pdu = buffer.subarray(7, 6 + length);
        buffer = buffer.subarray(6 + length);
        let action = slave.handle(unit, pdu);
        // A TCP device that is asked for another unit answers like a gateway whose target is absent.
        if (action.kind === 'silent' && unit !== slave.unit) action = { kind: 'reply', pdu: Uint8Array.of(pdu[0]! | 0x80, 11), corruptCrc: false, delayMs: 0 };
        if (action.kind === 'silent') continue;
        const reply = Buffer.alloc(7 + action.pdu.length);
        reply.writeUInt16BE(transaction, 0);
        reply.writeUInt16BE(0, 2);
        reply.writeUInt16BE(action.pdu.length + 1, 4);
        reply[6] = unit;
        reply.set(action.pdu, 7);
        if (action.delayMs > 0) setTimeout(() => socket.writable && socket.write(reply), action.delayMs);
        else socket.write(reply);
      }
    });
  });
  return listen(server, sockets, host, port, 'tcp');
}

/** Serves raw RTU frames over TCP (like an RS-485 gateway in transparent mode) on host:port. */
export function serveRtuOverTcp(slave: ModbusSlave, host: string, port: number): Promise<RunningServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.on('data', rtuResponder(slave, (bytes) => socket.writable && socket.write(bytes)));
  });
  return listen(server, sockets, host, port, 'rtu-over-tcp');
}

function listen(server: Server, sockets: Set<Socket>, host: string, port: number, kind: string): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : port;
      resolve({
        where: `${kind} ${host}:${bound}`,
        port: bound,
        close: () => new Promise<void>((done) => {
          for (const socket of sockets) socket.destroy();
          server.close(() => done());
        }),
      });
    });
  });
}

/** Serves RTU on a serial port (a real line or one end of a pty pair). */
export async function serveRtu(slave: ModbusSlave, path: string, baudRate: number, parity: 'none' | 'even' | 'odd' = 'none', paceLine = false): Promise<RunningServer> {
  const { SerialPort } = await import('serialport');
  const port = new SerialPort({ path, baudRate, parity, dataBits: 8, stopBits: 1, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
  port.on('error', () => undefined);
  port.on('data', rtuResponder(slave, (bytes) => port.isOpen && port.write(bytes), paceLine ? baudRate : 0));
  return {
    where: `rtu ${path}`,
    port: 0,
    close: () => new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())),
  };
}
