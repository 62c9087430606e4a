// IEC 62056-21 mode C readout over a serial port (optical probe or RS-485): sign-on at 300 baud 7E1, identification,
// option select with baud rate switch, data message checked by its BCC (one NAK repeat, §6.3.5), back to 300 baud.
import { QualityFlag, type SampledChannel } from '@meterchain/core';
import {
  dataMessageEnd, optionSelectMessage, parseDataMessage, parseIdentification, requestMessage, MODE_C_BAUD, NAK, SIGN_ON_BAUD,
  type DataSet, type Identification,
} from '@meterchain/meters';
import type { MeterDriver, MeterSample } from './driver.ts';
import { SerialLine, lineEnd } from './serial-line.ts';

export interface Iec62056Options {
  /** Serial port of the optical probe or RS-485 adapter. */
  path: string;
  /** Device address for multi-drop lines; empty on a point-to-point probe. */
  deviceAddress?: string;
  /** Highest baud rate to switch to (the meter's offer is capped by it); 300 keeps the sign-on rate. */
  maxBaudRate?: number;
  /** Timeout for the identification; the data message gets a timeout scaled to 300 baud transfer times. */
  timeoutMs?: number;
  /** Data message timeout. */
  dataTimeoutMs?: number;
}

export interface Iec62056Sample extends MeterSample {
  device: string;
  identification: Identification;
  baudRate: number;
  channels: SampledChannel[];
  dataSets: DataSet[];
  quality: number;
  /** BCC failures met (a repeat was asked with NAK). */
  bccErrors: number;
}

export class Iec62056Reader implements MeterDriver<Iec62056Sample> {
  device: string;
  private readonly options: Iec62056Options;
  private readonly line: SerialLine;

  constructor(options: Iec62056Options) {
    if (!options || typeof options.path !== 'string' || options.path === '') throw new Error('expected options {path} naming the serial port');
    this.options = options;
    this.line = new SerialLine(options.path);
    this.device = `IEC 62056-21 meter on ${options.path}`;
  }

  async configure(): Promise<void> {
    if (!this.line.isOpen) await this.line.open({ path: this.options.path, baudRate: SIGN_ON_BAUD, dataBits: 7, parity: 'even', stopBits: 1 });
  }

  /** One complete readout. Rejects with a message saying which step failed. */
  async sample(): Promise<Iec62056Sample> {
    await this.configure();
    const line = this.line;
    const timeoutMs = this.options.timeoutMs ?? 3000;
    await line.setBaudRate(SIGN_ON_BAUD);
    line.discardInput();
    await line.write(requestMessage(this.options.deviceAddress ?? ''));
    const idLine = await line.receive((b) => lineEnd(b, '/'), timeoutMs, 'identification message');
    const text = idLine.toString('latin1');
    const verdict = parseIdentification(text.slice(text.indexOf('/')));
    if (!verdict.ok) throw new Error(`${this.device}: ${verdict.reason}`);
    const identification = verdict.identification;
    this.device = `${identification.manufacturer} ${identification.identification} on ${this.options.path}`;
    const offered = identification.baudRate ?? SIGN_ON_BAUD;
    const cap = this.options.maxBaudRate ?? 19200;
    let baudChar = '0';
    for (const char of Object.keys(MODE_C_BAUD)) if (MODE_C_BAUD[char]! <= Math.min(offered, cap)) baudChar = char;
    const baudRate = MODE_C_BAUD[baudChar]!;
    const select = optionSelectMessage(baudChar);
    await line.write(select);
    if (baudRate !== SIGN_ON_BAUD) {
      // serialport's update() flushes both queues, and a drained pty or USB adapter may not have sent the
      // bytes yet: wait for the option select's time on the wire (10 bits per 7E1 character) before switching.
      await new Promise((resolve) => setTimeout(resolve, Math.ceil((select.length * 10 * 1000) / SIGN_ON_BAUD) + 40));
      await line.setBaudRate(baudRate);
    }
    const dataTimeoutMs = this.options.dataTimeoutMs ?? 10000;
    let bccErrors = 0;
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        const message = await line.receive((b) => dataMessageEnd(b, b.length), dataTimeoutMs, 'data message');
        const readout = parseDataMessage(message);
        if (readout.ok) {
          const quality = bccErrors > 0 ? QualityFlag.COMM_ERROR : 0;
          return { device: this.device, identification, baudRate, channels: readout.readout.channels, dataSets: readout.readout.dataSets, quality, bccErrors };
        }
        if (!readout.reason.startsWith('block check character')) throw new Error(`${this.device}: ${readout.reason}`);
        bccErrors++;
        if (attempt === 0) await line.write(Uint8Array.of(NAK));
        else throw new Error(`${this.device}: ${readout.reason} (after one repeat)`);
      }
      throw new Error('unreachable');
    } finally {
      if (line.isOpen) await line.setBaudRate(SIGN_ON_BAUD).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await this.line.close();
  }
}
