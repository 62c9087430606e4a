// Errors of the Modbus bus, one class per failure kind; every message names the device, the unit and the register.
import { registerReference } from '@meterchain/meters';

/** What was being asked when a request failed. */
export interface RequestContext {
  /** Name of the device in the integrator's words (profile or configured name). */
  device: string;
  unit: number;
  fn: number;
  address: number;
  count: number;
  /** The link, e.g. `rtu /dev/ttyUSB0 9600 8E1` or `tcp 10.0.0.5:502`. */
  link: string;
}

/** Modbus exception codes (Modbus application protocol v1.1b3 §7). */
export const EXCEPTION_NAMES: { [code: number]: string } = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'server device failure',
  5: 'acknowledge (long operation in progress)',
  6: 'server device busy',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target device failed to respond',
};

const TABLES: { [fn: number]: string } = { 1: 'coils', 2: 'discrete inputs', 3: 'holding registers', 4: 'input registers' };

/** "reading input registers 0x0000 (30001), 80 registers" */
export function describeRequest(context: RequestContext): string {
  const table = TABLES[context.fn] ?? `function ${context.fn}`;
  return `reading ${table} ${registerReference(context.fn, context.address)}, ${context.count} register${context.count === 1 ? '' : 's'}`;
}

export abstract class ModbusError extends Error {
  abstract readonly code: string;
  readonly context: RequestContext;
  constructor(context: RequestContext, what: string) {
    super(`${context.device} (unit ${context.unit} on ${context.link}): ${what} ${describeRequest(context)}`);
    this.context = context;
  }
}

/** No (valid) reply within the timeout: wrong unit id, wrong serial settings, device off line or bus unplugged. */
export class ModbusTimeoutError extends ModbusError {
  override name = 'ModbusTimeoutError';
  readonly code = 'TIMEOUT';
  constructor(context: RequestContext, timeoutMs: number) {
    super(context, `no reply within ${timeoutMs} ms (wrong unit id, wrong baud rate or parity, or device off line)`);
  }
}

/** A reply arrived with a bad CRC: noise, wrong baud rate, or two devices answering. */
export class ModbusCrcError extends ModbusError {
  override name = 'ModbusCrcError';
  readonly code = 'CRC';
  constructor(context: RequestContext) {
    super(context, 'reply failed its CRC');
  }
}

/** The device answered with a Modbus exception. */
export class ModbusExceptionError extends ModbusError {
  override name = 'ModbusExceptionError';
  readonly code = 'EXCEPTION';
  readonly exceptionCode: number;
  constructor(context: RequestContext, exceptionCode: number) {
    super(context, `exception ${exceptionCode} (${EXCEPTION_NAMES[exceptionCode] ?? 'unknown exception code'})`);
    this.exceptionCode = exceptionCode;
  }
}

/** A reply that does not answer the request: another unit id, another function code, or the wrong length. */
export class ModbusReplyMismatchError extends ModbusError {
  override name = 'ModbusReplyMismatchError';
  readonly code = 'REPLY_MISMATCH';
  constructor(context: RequestContext, detail: string) {
    super(context, `reply does not match the request (${detail})`);
  }
}

/** The link could not be opened or reopened (port gone, connection refused). */
export class ModbusBusClosedError extends ModbusError {
  override name = 'ModbusBusClosedError';
  readonly code = 'BUS_CLOSED';
  constructor(context: RequestContext, cause: string) {
    super(context, `bus not available (${cause}) while`);
  }
}
