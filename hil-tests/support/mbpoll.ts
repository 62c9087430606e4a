// mbpoll as a third-party Modbus master: runs one poll and returns the register values it printed.
import { runProgram } from './process.ts';

/** Runs mbpoll once (-1) and parses its `[ref]: value` lines into a map from reference to text. */
export async function mbpollOnce(args: string[]): Promise<{ code: number | string; output: string; values: Map<number, string> }> {
  const { code, output } = await runProgram('mbpoll', [...args, '-1'], 20_000);
  const values = new Map<number, string>();
  for (const match of output.matchAll(/^\[(\d+)\]:\s+(\S+)/gm)) values.set(Number(match[1]), match[2]!);
  return { code, output, values };
}
