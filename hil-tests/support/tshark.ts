// tshark as a protocol oracle: capture loopback traffic of one port, then dissect it.
import { spawnSync } from 'node:child_process';
import { startProcess, type Peer } from './process.ts';

/** Starts capturing TCP traffic of `port` on the loopback interface into `file`; resolves once capturing. */
export async function startCapture(port: number, file: string): Promise<Peer> {
  const capture = startProcess('tshark', ['-i', 'lo', '-f', `tcp port ${port}`, '-w', file]);
  await capture.waitFor(/Capture started|Capturing on/, 20_000);
  // dumpcap reports before its filter is attached: give it a moment so the first packets are not missed.
  await new Promise((r) => setTimeout(r, 1500));
  return capture;
}

/** Stops a capture after the last packets had time to be written. */
export async function stopCapture(capture: Peer): Promise<void> {
  await new Promise((r) => setTimeout(r, 1000));
  await capture.stop();
}

/** Dissects `file` and returns the requested fields of every packet matching `filter`, one array per packet. */
export function dissect(file: string, extraArgs: string[], filter: string, fields: string[]): string[][] {
  const args = ['-r', file, ...extraArgs, '-Y', filter, '-T', 'fields', '-E', 'separator=|'];
  for (const field of fields) args.push('-e', field);
  const run = spawnSync('tshark', args, { encoding: 'utf8', timeout: 30_000 });
  if (run.status !== 0) throw new Error(`tshark failed (${run.status}):\n${run.stderr}`);
  return run.stdout.split('\n').filter((line) => line.trim() !== '').map((line) => line.split('|'));
}
