// IEEE C37.118.2-2011 §6.5: the header frame (Table 11): free ASCII text about the PMU, its filters and data sources.
import { finishFrame, readHead, refuse, trailing, startFrame, type FrameHead, type Verdict } from './common.ts';
import { checkName } from './config.ts';

export interface HeaderFrame extends FrameHead {
  kind: 'header';
  text: string;
}

export function encodeHeader(frame: HeaderFrame): Uint8Array {
  checkName(frame.text, 65535 - 16, 'header text');
  const w = startFrame(frame, 16 + frame.text.length);
  w.text(frame.text, 0);
  return finishFrame(w);
}

export function decodeHeader(bytes: Uint8Array): Verdict<HeaderFrame> {
  const start = readHead(bytes);
  if (!start.ok) return start;
  const head = start.value.head;
  const r = start.value.reader;
  if (head.kind !== 'header') return refuse(`not a header frame: ${head.kind}`);
  const text = r.text(r.end - r.pos);
  return trailing(r, 'header frame', { kind: 'header', version: head.version, idcode: head.idcode, soc: head.soc, fraction: head.fraction, timeQuality: head.timeQuality, text });
}
