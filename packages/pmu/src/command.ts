// IEEE C37.118.2-2011 §6.6: the command frame (Tables 12, 13): what a PDC asks of a PMU.
import { codedError } from '@meterchain/core';
import { finishFrame, readHead, refuse, startFrame, trailing, type FrameHead, type Verdict } from './common.ts';

/** CMD values (Table 13). 0x0100-0x0FFF are user designated; the others are reserved. */
export const Command = {
  dataOff: 1,
  dataOn: 2,
  sendHeader: 3,
  sendCfg1: 4,
  sendCfg2: 5,
  sendCfg3: 6,
  extended: 8,
} as const;

export interface CommandFrame extends FrameHead {
  kind: 'command';
  command: number;
  /** EXTFRAME: data of an extended frame (command 8) or of a user command, a whole number of 16-bit words. */
  extended: Uint8Array;
}

export function commandName(cmd: number): string {
  if (cmd === 1) return 'turn off transmission of data frames';
  if (cmd === 2) return 'turn on transmission of data frames';
  if (cmd === 3) return 'send header frame';
  if (cmd === 4) return 'send CFG-1 frame';
  if (cmd === 5) return 'send CFG-2 frame';
  if (cmd === 6) return 'send CFG-3 frame';
  if (cmd === 8) return 'extended frame';
  if (cmd >= 0x100 && cmd <= 0xfff) return `user command 0x${cmd.toString(16)}`;
  return `reserved command ${cmd}`;
}

function defined(cmd: number): boolean {
  return (cmd >= 1 && cmd <= 6) || cmd === 8 || (cmd >= 0x100 && cmd <= 0xfff);
}

export function encodeCommand(frame: CommandFrame): Uint8Array {
  if (!defined(frame.command)) throw codedError('PMU_BAD_FIELD', `CMD must be 1-6, 8 or 0x100-0xfff, got ${frame.command}`);
  if (frame.extended.length % 2 !== 0) throw codedError('PMU_BAD_FIELD', `EXTFRAME must be a whole number of 16-bit words, got ${frame.extended.length} bytes`);
  const w = startFrame(frame, 18 + frame.extended.length);
  w.u16(frame.command);
  w.raw(frame.extended);
  return finishFrame(w);
}

export function decodeCommand(bytes: Uint8Array): Verdict<CommandFrame> {
  const start = readHead(bytes);
  if (!start.ok) return start;
  const head = start.value.head;
  const r = start.value.reader;
  if (head.kind !== 'command') return refuse(`not a command frame: ${head.kind}`);
  const command = r.u16();
  if (r.short) return refuse('command frame truncated: no CMD field');
  if (!defined(command)) return refuse(`CMD ${command} is reserved`);
  const rest = r.end - r.pos;
  if (rest % 2 !== 0) return refuse(`EXTFRAME of ${rest} bytes is not a whole number of 16-bit words`);
  if (rest > 0 && command >= 1 && command <= 6) return refuse(`command ${command} (${commandName(command)}) carries ${rest} bytes of EXTFRAME`);
  const extended = r.raw(rest);
  return trailing(r, 'command frame', { kind: 'command', version: head.version, idcode: head.idcode, soc: head.soc, fraction: head.fraction, timeQuality: head.timeQuality, command, extended });
}
