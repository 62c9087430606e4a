// The pymodbus peer: writes a register map (values encoded by Python, not by meterchain) and serves it.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEBIAN_PYTHON } from './programs.ts';
import { pymodbusServer } from './paths.ts';
import { startProcess, type Peer } from './process.ts';

export interface PeerPoint {
  table: 'ir' | 'hr';
  address: number;
  type: 'uint16' | 'int16' | 'sunssf' | 'uint32' | 'int32' | 'acc32' | 'bitfield32' | 'float32' | 'string';
  value: number | string | null;
  size?: number;
}

/**
 * Starts pymodbus serving `points` over TCP on `port` or RTU on the pty `rtuPath`; resolves when it serves. `points`
 * may give one map per unit id (several meters behind one line or gateway). With `sparse`, only the registers of the
 * map exist: any read touching another gets exception 2.
 */
export async function startPymodbus(
  dir: string,
  points: PeerPoint[] | { [unit: number]: PeerPoint[] },
  link: { tcp: number } | { rtu: string },
  unit = 1,
  options: { sparse?: boolean } = {},
): Promise<Peer> {
  const mapFile = join(dir, `map-${Date.now()}-${Math.floor(Math.random() * 1e6)}.json`);
  writeFileSync(mapFile, JSON.stringify(Array.isArray(points) ? { points } : { units: points }));
  const linkArgs = 'tcp' in link ? ['--tcp', String(link.tcp)] : ['--rtu', link.rtu];
  const peer = startProcess(DEBIAN_PYTHON, [pymodbusServer, '--map', mapFile, '--unit', String(unit), ...linkArgs, ...(options.sparse ? ['--sparse'] : [])]);
  await peer.waitFor(/READY/, 20_000);
  return peer;
}
