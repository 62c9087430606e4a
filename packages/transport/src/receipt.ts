// What a publish() receipt names, read back from a spooled or queued frame: its kind (from the topic) and its header's
// incarnation and sequence number. What the 'acknowledged' event carries.
import { decodeFramed } from './header.ts';
import { parseFrameTopic } from './topic.ts';
import type { PublishReceipt } from './transport.ts';

export function receiptOf(topic: string, payload: Uint8Array): PublishReceipt | undefined {
  const parsed = parseFrameTopic(topic);
  const framed = decodeFramed(payload);
  if (!parsed.ok || !framed.ok) return undefined;
  return { kind: parsed.kind, incarnation: framed.header.incarnation, seq: framed.header.seq };
}
