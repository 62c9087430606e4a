// IEC 62056-21 (ex IEC 61107) mode C readout, the pure half: messages of §6.3, the baud rate table of §6.3.14 and the
// block check character of §6.3 (XOR of every byte after STX up to and including ETX). The serial I/O lives on the host.
import type { SampledChannel } from '@meterchain/core';
import { meterError, normaliseUnit } from './channel.ts';

export const SOH = 0x01;
export const STX = 0x02;
export const ETX = 0x03;
export const ACK = 0x06;
export const NAK = 0x15;

/** Every mode C session starts at 300 baud, 7 data bits, even parity, 1 stop bit (§6.1). */
export const SIGN_ON_BAUD = 300;

/** Mode C baud rate identification characters (§6.3.14, table 2). */
export const MODE_C_BAUD: { [char: string]: number } = { '0': 300, '1': 600, '2': 1200, '3': 2400, '4': 4800, '5': 9600, '6': 19200 };

/** Request message (§6.3.1): `/?` device address `!` CR LF; the empty address asks any meter on a point-to-point link. */
function isAlphanumeric(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

export function requestMessage(deviceAddress: string): string {
  let valid = deviceAddress.length <= 32;
  for (let i = 0; i < deviceAddress.length; i++) {
    const code = deviceAddress.charCodeAt(i);
    if (!isAlphanumeric(code) && code !== 0x20) valid = false;
  }
  if (!valid) throw new Error(`expected a device address of up to 32 letters and digits, got '${deviceAddress}'`);
  return `/?${deviceAddress}!\r\n`;
}

export interface Identification {
  /** Three-letter manufacturer code (FLAG association). */
  manufacturer: string;
  /** Baud rate identification character. */
  baudChar: string;
  /** Highest baud rate the meter offers in mode C, or null when the character is not a mode C one. */
  baudRate: number | null;
  /** Identification text after the baud character (with the `\W` enhanced-capability sequence removed). */
  identification: string;
  /** Third manufacturer letter in lower case: the meter answers within 20 ms (§6.3.2, note). */
  fastReaction: boolean;
}

export type IdentificationVerdict = { ok: true; identification: Identification } | { ok: false; reason: string };

/** Longest identification taken: twice the standard's 16, for meters that send more. */
export const MAX_IDENTIFICATION = 32;

/** Identification message (§6.3.2): `/` XXX Z [\W] identification CR LF. */
export function parseIdentification(line: string): IdentificationVerdict {
  let text = line;
  if (text.slice(-1) === '\n') text = text.slice(0, -1);
  if (text.slice(-1) === '\r') text = text.slice(0, -1);
  const refused: IdentificationVerdict = { ok: false, reason: `not an identification message: ${JSON.stringify(line)}` };
  if (text.charAt(0) !== '/' || text.length < 6) return refused;
  const manufacturer = text.slice(1, 4);
  for (let i = 0; i < 3; i++) {
    const code = manufacturer.charCodeAt(i);
    if (!isAlphanumeric(code) || code <= 0x39) return refused;
  }
  const baudChar = text.charAt(4);
  const baudCode = baudChar.charCodeAt(0);
  if (!(baudCode >= 0x30 && baudCode <= 0x39) && !(baudCode >= 0x41 && baudCode <= 0x5a)) return refused;
  let rest = text.slice(5);
  // Enhanced capability sequence \W (§6.3.2) is not part of the identification.
  if (rest.charAt(0) === '\\' && rest.length > 1) rest = rest.slice(2);
  // §6.3.2 allows 16 characters; real meters send more (a Kamstrup DSMR 2.2 meter 17: `/KMP5 KA6U001585575011`).
  if (rest.length < 1 || rest.length > MAX_IDENTIFICATION) return refused;
  for (let i = 0; i < rest.length; i++) {
    const code = rest.charCodeAt(i);
    if (code < 0x20 || code > 0x7e) return refused;
  }
  const third = manufacturer.charCodeAt(2);
  return {
    ok: true,
    identification: {
      manufacturer,
      baudChar,
      baudRate: MODE_C_BAUD[baudChar] ?? null,
      identification: rest,
      fastReaction: third >= 0x61 && third <= 0x7a,
    },
  };
}

/** Identification message a meter sends, as simulators need it. */
export function identificationMessage(manufacturer: string, baudChar: string, identification: string): string {
  return `/${manufacturer}${baudChar}${identification}\r\n`;
}

/**
 * Acknowledgement/option select message (§6.3.3): ACK, protocol control '0' (normal), the baud character, mode
 * '0' (data readout), CR LF. Both ends switch to the new baud rate after it is sent.
 */
export function optionSelectMessage(baudChar: string): string {
  if (MODE_C_BAUD[baudChar] === undefined) throw new Error(`expected a mode C baud character 0-6, got '${baudChar}'`);
  return `\x060${baudChar}0\r\n`;
}

/** Parses an option select message; null when `text` is not one. */
export function parseOptionSelect(text: string): { protocol: string; baudChar: string; mode: string } | null {
  const match = /^\x06([0-9])([0-9])([0-9])\r\n$/.exec(text);
  if (match === null) return null;
  return { protocol: match[1]!, baudChar: match[2]!, mode: match[3]! };
}

/** Block check character: XOR of `bytes[from..to)` (callers pass from = after STX, to = after ETX). */
export function blockCheck(bytes: Uint8Array, from: number, to: number): number {
  let bcc = 0;
  for (let i = from; i < to; i++) bcc ^= bytes[i]!;
  return bcc;
}

/** Builds a data message (§6.3.5): STX, data lines, `!` CR LF, ETX, BCC. */
export function dataMessage(lines: string[]): Uint8Array {
  let body = '';
  for (const line of lines) body += line + '\r\n';
  body += '!\r\n';
  const bytes = new Uint8Array(body.length + 3);
  bytes[0] = STX;
  for (let i = 0; i < body.length; i++) bytes[i + 1] = body.charCodeAt(i) & 0x7f;
  bytes[body.length + 1] = ETX;
  bytes[body.length + 2] = blockCheck(bytes, 1, body.length + 2);
  return bytes;
}

/** One value of a data set: `(value*unit)`. */
export interface DataValue {
  value: string;
  unit: string;
}

/** A data set (§6.3.6): address (OBIS code in the reduced form the meter uses) and its values. */
export interface DataSet {
  address: string;
  values: DataValue[];
}

export interface Readout {
  dataSets: DataSet[];
  /** Data sets with a numeric first value, as fixed-point channels (exact: decimals counted, no float). */
  channels: SampledChannel[];
}

export type ReadoutVerdict = { ok: true; readout: Readout } | { ok: false; reason: string };

/** Index just past a complete data message in `bytes` (STX … ETX BCC), or -1 while it is incomplete. */
export function dataMessageEnd(bytes: Uint8Array, length: number): number {
  let start = -1;
  for (let i = 0; i < length; i++) {
    if (start < 0 && bytes[i] === STX) start = i;
    else if (start >= 0 && bytes[i] === ETX) return i + 2 <= length ? i + 2 : -1;
  }
  return -1;
}

/** `001234.567` → 1234567 at scale -3; null when the text is not a plain decimal number. */
function allDigits(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x30 || code > 0x39) return false;
  }
  return true;
}

export function parseDecimal(text: string): { value: number; scale: number } | null {
  let body = text.trim();
  let negative = false;
  if (body.charAt(0) === '+' || body.charAt(0) === '-') {
    negative = body.charAt(0) === '-';
    body = body.slice(1);
  }
  const dot = body.indexOf('.');
  const whole = dot < 0 ? body : body.slice(0, dot);
  const fraction = dot < 0 ? '' : body.slice(dot + 1);
  if (whole.length === 0 || !allDigits(whole) || !allDigits(fraction)) return null;
  let digits = whole + fraction;
  while (digits.length > 1 && digits.charAt(0) === '0') digits = digits.slice(1);
  if (digits.length > 15) return null;
  let value = parseInt(digits, 10);
  if (negative && value !== 0) value = -value;
  return { value, scale: -fraction.length };
}

/** Channel name for a data set address: `1-0:1.8.0*255` and `1.8.0` keep their groups; the F group 255 is dropped. */
export function obisName(address: string): string {
  return address.replace(/[*&]255$/, '');
}

/**
 * Parses and checks a data message: STX, data sets, `!` end line, ETX, BCC. Untrusted bytes from the line:
 * returns a verdict, never throws.
 */
export function parseDataMessage(bytes: Uint8Array): ReadoutVerdict {
  let stx = -1;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === STX) {
      stx = i;
      break;
    }
  }
  if (stx < 0) return { ok: false, reason: 'no STX: not a data message' };
  let etx = -1;
  for (let i = stx + 1; i < bytes.length; i++) {
    if (bytes[i] === ETX) {
      etx = i;
      break;
    }
  }
  if (etx < 0) return { ok: false, reason: 'no ETX: data message truncated' };
  if (etx + 1 >= bytes.length) return { ok: false, reason: 'no block check character after ETX' };
  const expected = blockCheck(bytes, stx + 1, etx + 1);
  const got = bytes[etx + 1]!;
  if (expected !== got) return { ok: false, reason: `block check character mismatch: computed 0x${expected.toString(16)}, received 0x${got.toString(16)}` };
  let text = '';
  for (let i = stx + 1; i < etx; i++) text += String.fromCharCode(bytes[i]! & 0x7f);
  const end = text.lastIndexOf('!');
  if (end < 0) return { ok: false, reason: "no end line '!' before ETX" };
  const dataSets: DataSet[] = [];
  const channels: SampledChannel[] = [];
  const lines = text.slice(0, end).split(/\r\n|\n/);
  // A line that starts with '(' continues the data set of the line before (DSMR 2.2 meters put the gas reading of
  // `0-1:24.3.0(…)(m3)` on the next line): its values belong to that set, not to a new one without an address.
  let current: DataSet | null = null;
  for (const line of lines) {
    if (line === '') continue;
    const pattern = /([^()]*)\(([^()]*)\)/g;
    let consumed = 0;
    if (line.charAt(0) !== '(') current = null;
    let match = pattern.exec(line);
    while (match !== null) {
      if (match.index !== consumed) return { ok: false, reason: `malformed data line: ${JSON.stringify(line)}` };
      consumed = pattern.lastIndex;
      const address = match[1]!;
      const content = match[2]!;
      const star = content.indexOf('*');
      const value: DataValue = star < 0 ? { value: content, unit: '' } : { value: content.slice(0, star), unit: content.slice(star + 1) };
      if (address !== '' || current === null) {
        current = { address, values: [] };
        dataSets.push(current);
      }
      current.values.push(value);
      match = pattern.exec(line);
    }
    if (consumed !== line.length) return { ok: false, reason: `malformed data line: ${JSON.stringify(line)}` };
  }
  for (const set of dataSets) {
    const first = set.values[0];
    if (first === undefined || first.unit === '') continue;
    const number = parseDecimal(first.value);
    if (number === null) continue;
    const normal = normaliseUnit(first.unit);
    channels.push({ id: obisName(set.address), value: number.value, scale: number.scale + normal.shift, unit: normal.unit });
  }
  return { ok: true, readout: { dataSets, channels } };
}

/** Throws the verdict's reason as an Error with code IEC62056_BAD_MESSAGE (for hosts that prefer exceptions). */
export function expectReadout(verdict: ReadoutVerdict): Readout {
  if (verdict.ok) return verdict.readout;
  throw meterError('IEC62056_BAD_MESSAGE', verdict.reason);
}
