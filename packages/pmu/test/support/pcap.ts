// A classic pcap file (Ethernet, IPv4, TCP or UDP) holding frames the codec wrote, for tshark to dissect. Each
// frame is one segment; TCP sequence numbers advance per direction so tshark's reassembly sees a clean stream.
import { concatBytes } from '@meterchain/core';

export interface Segment {
  /** true: from the PMU (port `pmuPort`) to the PDC; false: the other way. */
  fromPmu: boolean;
  payload: Uint8Array;
}

function ipChecksum(b: Uint8Array, start: number, end: number): number {
  let sum = 0;
  for (let i = start; i < end; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export function writePcap(segments: Segment[], transport: 'tcp' | 'udp', pmuPort: number, pdcPort: number): Uint8Array {
  const records: Uint8Array[] = [];
  const global = new Uint8Array(24);
  const g = new DataView(global.buffer);
  g.setUint32(0, 0xa1b2c3d4, true);
  g.setUint16(4, 2, true);
  g.setUint16(6, 4, true);
  g.setUint32(16, 65535, true);
  g.setUint32(20, 1, true);
  records.push(global);
  const seq = { pmu: 1000, pdc: 5000 };
  let t = 0;
  for (const s of segments) {
    const l4 = transport === 'tcp' ? 20 : 8;
    const ipLength = 20 + l4 + s.payload.length;
    const packet = new Uint8Array(14 + ipLength);
    const v = new DataView(packet.buffer);
    packet.set([0, 0, 0, 0, 0, s.fromPmu ? 2 : 1, 0, 0, 0, 0, 0, s.fromPmu ? 1 : 2], 0);
    v.setUint16(12, 0x0800);
    const ip = 14;
    packet[ip] = 0x45;
    v.setUint16(ip + 2, ipLength);
    packet[ip + 8] = 64;
    packet[ip + 9] = transport === 'tcp' ? 6 : 17;
    packet.set(s.fromPmu ? [127, 0, 0, 2] : [127, 0, 0, 1], ip + 12);
    packet.set(s.fromPmu ? [127, 0, 0, 1] : [127, 0, 0, 2], ip + 16);
    v.setUint16(ip + 10, ipChecksum(packet, ip, ip + 20));
    const p = ip + 20;
    v.setUint16(p, s.fromPmu ? pmuPort : pdcPort);
    v.setUint16(p + 2, s.fromPmu ? pdcPort : pmuPort);
    if (transport === 'tcp') {
      v.setUint32(p + 4, s.fromPmu ? seq.pmu : seq.pdc);
      v.setUint32(p + 8, s.fromPmu ? seq.pdc : seq.pmu);
      packet[p + 12] = 0x50;
      packet[p + 13] = 0x18; // PSH, ACK
      v.setUint16(p + 14, 65535);
      if (s.fromPmu) seq.pmu += s.payload.length;
      else seq.pdc += s.payload.length;
    } else {
      v.setUint16(p + 4, 8 + s.payload.length);
    }
    packet.set(s.payload, p + l4);
    const header = new Uint8Array(16);
    const h = new DataView(header.buffer);
    t += 20_000;
    h.setUint32(0, 1_700_000_000 + Math.floor(t / 1e6), true);
    h.setUint32(4, t % 1e6, true);
    h.setUint32(8, packet.length, true);
    h.setUint32(12, packet.length, true);
    records.push(header, packet);
  }
  return concatBytes(records);
}
