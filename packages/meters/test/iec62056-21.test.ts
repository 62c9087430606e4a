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
