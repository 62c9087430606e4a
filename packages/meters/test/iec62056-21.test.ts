import { describe, expect, test } from '@jest/globals';
import { blockCheck, dataMessage, optionSelectMessage, parseDataMessage, parseDecimal, parseIdentification, requestMessage } from '../src/index.ts';

const bytes = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
// BCC 0x16 computed independently (XOR of every byte after STX up to and including ETX).
const MESSAGE = '\x020.0.0(12345678)\r\n1.8.0(001234.567*kWh)\r\n32.7.0(230.1*V)\r\n!\r\n\x03\x16';

describe('IEC 62056-21 mode C messages', () => {
  test('the request message is /?!CRLF, with an optional device address', () => {
    expect(requestMessage('')).toBe('/?!\r\n');
    expect(requestMessage('12345678')).toBe('/?12345678!\r\n');
  });
  test('identification gives manufacturer, baud rate and identification', () => {
    expect(parseIdentification('/ISk5MT174-0001\r\n')).toEqual({ ok: true, identification: { manufacturer: 'ISk', baudChar: '5', baudRate: 9600, identification: 'MT174-0001', fastReaction: true } });
  });
  test('a line that is not an identification is refused with the text', () => {
    const verdict = parseIdentification('garbage\r\n');
    expect(verdict.ok).toBe(false);
  });
  test('option select is ACK 0 Z 0 CR LF', () => {
    expect(optionSelectMessage('5')).toBe('\x06050\r\n');
    expect(() => optionSelectMessage('9')).toThrow(/mode C baud character/);
  });
  test('the BCC is the XOR after STX through ETX', () => {
    const message = bytes(MESSAGE);
    expect(blockCheck(message, 1, message.length - 1)).toBe(0x16);
  });
});

describe('IEC 62056-21 data message', () => {
  test('data sets and fixed-point channels come out exactly (decimals counted, no float)', () => {
    const verdict = parseDataMessage(bytes(MESSAGE));
    expect(verdict.ok).toBe(true);
    if (!verdict.ok) return;
    expect(verdict.readout.dataSets[0]).toEqual({ address: '0.0.0', values: [{ value: '12345678', unit: '' }] });
    expect(verdict.readout.channels).toEqual([
      { id: '1.8.0', value: 1234567, scale: 0, unit: 'Wh' },
      { id: '32.7.0', value: 2301, scale: -1, unit: 'V' },
    ]);
  });
  test('a flipped data byte fails the BCC', () => {
    const message = bytes(MESSAGE);
    message[10] ^= 0x01;
    expect(parseDataMessage(message)).toEqual({ ok: false, reason: expect.stringContaining('block check character mismatch') });
  });
  test('a message cut before ETX is refused', () => {
    expect(parseDataMessage(bytes(MESSAGE.slice(0, 30)))).toEqual({ ok: false, reason: 'no ETX: data message truncated' });
  });
  test('a message without BCC is refused', () => {
    expect(parseDataMessage(bytes(MESSAGE.slice(0, -1)))).toEqual({ ok: false, reason: 'no block check character after ETX' });
  });
  test('a malformed data line is refused', () => {
    const verdict = parseDataMessage(dataMessage(['1.8.0(12*kWh']));
    expect(verdict.ok).toBe(false);
  });
  test('full OBIS addresses drop the F group 255', () => {
    const verdict = parseDataMessage(dataMessage(['1-0:1.8.0*255(0012345.6*kWh)']));
    expect(verdict.ok && verdict.readout.channels[0]).toEqual({ id: '1-0:1.8.0', value: 123456, scale: 2, unit: 'Wh' });
  });
  test('the message builder and parser agree', () => {
    expect(dataMessage(['0.0.0(12345678)', '1.8.0(001234.567*kWh)', '32.7.0(230.1*V)'])).toEqual(bytes(MESSAGE));
  });
  test('decimals keep their written precision', () => {
    expect(parseDecimal('-004.210')).toEqual({ value: -4210, scale: -3 });
    expect(parseDecimal('12:30')).toBeNull();
  });
});

describe('IEC 62056-21 identification details', () => {
  test('the enhanced capability sequence \\W is not part of the identification', () => {
    const verdict = parseIdentification('/LGZ5\\2ZMD3104407.B32\r\n');
    expect(verdict.ok && verdict.identification).toMatchObject({ manufacturer: 'LGZ', baudRate: 9600, identification: 'ZMD3104407.B32', fastReaction: false });
  });
  test('a manufacturer code with a digit is refused', () => {
    expect(parseIdentification('/AB15X\r\n').ok).toBe(false);
  });
  test('a device address with punctuation is refused', () => {
    expect(() => requestMessage('12;34')).toThrow(/device address/);
  });
});

// The shape of a Kamstrup DSMR 2.2 readout as published by integrators: an identification of 17 characters after the
// baud character, full OBIS addresses, empty values, and the gas reading on a continuation line.
const KAMSTRUP_ID = '/KMP5 KA6U001585575011\r\n';
const KAMSTRUP_LINES = [
  '0-0:96.1.1(204B413655303031353835353735303131)',
  '1-0:1.8.1(05339.863*kWh)',
  '1-0:1.8.2(04896.355*kWh)',
  '1-0:2.8.1(00000.000*kWh)',
  '0-0:96.14.0(0001)',
  '1-0:1.7.0(0000.42*kW)',
  '0-0:17.0.0(999*A)',
  '0-0:96.13.1()',
  '0-1:24.3.0(121030140000)(00)(60)(1)(0-1:24.2.1)(m3)',
  '(00610.056)',
  '0-1:24.4.0(1)',
];

describe('IEC 62056-21 leniencies real meters need', () => {
  test('an identification longer than the standard 16 characters (Kamstrup DSMR 2.2: 17) is taken', () => {
    const verdict = parseIdentification(KAMSTRUP_ID);
    expect(verdict).toEqual({ ok: true, identification: { manufacturer: 'KMP', baudChar: '5', baudRate: 9600, identification: ' KA6U001585575011', fastReaction: false } });
  });

  test('an identification past 32 characters is still refused', () => {
    expect(parseIdentification(`/KMP5${'X'.repeat(33)}\r\n`).ok).toBe(false);
  });

  test('a value on a continuation line belongs to the data set of the line before', () => {
    const verdict = parseDataMessage(dataMessage(KAMSTRUP_LINES));
    expect(verdict.ok).toBe(true);
    if (!verdict.ok) return;
    const sets = verdict.readout.dataSets;
    expect(sets.map((s) => s.address)).toEqual(['0-0:96.1.1', '1-0:1.8.1', '1-0:1.8.2', '1-0:2.8.1', '0-0:96.14.0', '1-0:1.7.0', '0-0:17.0.0', '0-0:96.13.1', '0-1:24.3.0', '0-1:24.4.0']);
    expect(sets.find((s) => s.address === '0-1:24.3.0')!.values.map((v) => v.value)).toEqual(['121030140000', '00', '60', '1', '0-1:24.2.1', 'm3', '00610.056']);
    expect(verdict.readout.channels).toContainEqual({ id: '1-0:1.8.1', value: 5339863, scale: 0, unit: 'Wh' });
    expect(verdict.readout.channels).toContainEqual({ id: '1-0:1.7.0', value: 42, scale: 1, unit: 'W' });
  });

  test('a continuation line at the start of the message opens a data set without an address', () => {
    const verdict = parseDataMessage(dataMessage(['(1)', '1.8.0(1*kWh)']));
    expect(verdict.ok && verdict.readout.dataSets.map((s) => s.address)).toEqual(['', '1.8.0']);
  });
});
