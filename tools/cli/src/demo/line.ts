// The demo's RS-485 line (`demo --transport modbus-rtu`): a simulated multi-drop line with one drop per meter and this
// process as the concentrator running the Modbus bus master; its figures for the end of the demo.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { addressToText } from '@meterchain/core';
import { MultidropLine } from '@meterchain/modbus/sim';
import { ModbusRtuMaster } from '@meterchain/transport';
import type { ClusterFiles } from '../cluster-files.ts';

export interface DemoLine {
  /** Each member's port, by the member's place in `cluster.members`. */
  paths: string[];
  capture: string;
  /** Stops master and line; resolves with one line of figures. */
  stop(): Promise<string>;
}

export async function startLine(dir: string, cluster: ClusterFiles, baud: number): Promise<DemoLine> {
  mkdirSync(dir, { recursive: true });
  const capture = join(dir, 'line.pcap');
  const line = await MultidropLine.open({ dir, baudRate: baud, bitsPerByte: 11, capture });
  const manifest = cluster.manifest;
  // A member's unit id is its place in the manifest + 1, as node.yaml's rs485.unit defaults to.
  const unitOf = (name: string) => manifest.members.findIndex((x) => x.name === name) + 1;
  try {
    const master = new ModbusRtuMaster({
      cluster: manifest.cluster,
      path: await line.addDrop('concentrator'),
      baudRate: baud,
      bitsPerByte: 11,
      members: manifest.members.map((m, i) => ({ unit: i + 1, address: addressToText(m.address) })),
    });
    const paths: string[] = [];
    for (const m of cluster.members) paths.push(await line.addDrop(`unit-${unitOf(m.name)}`));
    await master.start();
    return {
      paths,
      capture,
      async stop() {
        const s = master.stats();
        const l = line.stats();
        await master.close();
        await line.close();
        const use = (100 * l.busyMs) / Math.max(1, l.elapsedMs);
        return (
          `rs485 line: ${l.bytes.toLocaleString('en-US')} bytes in ${l.frames.toLocaleString('en-US')} frames over ${(l.elapsedMs / 1000).toFixed(1)} s, ` +
          `wire use ${use.toFixed(0)} %; ${s.messages} frames relayed; retries: ${s.rereads} pieces read again, ${s.rebroadcasts} written again, ` +
          `${s.timeouts} answers missed, ${s.lateAnswers} late; ${l.collidedBytes} bytes lost to collisions`
        );
      },
    };
  } catch (e) {
    await line.close();
    throw e;
  }
}
