// Entry point of the `meterchain` command: finds the command module by name and maps errors to exit codes.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError, InvalidError, UsageError, type Command, type Io } from './command.ts';

const commandsDir = join(dirname(fileURLToPath(import.meta.url)), 'commands');

/** The process's stdout and stderr, one line per call. */
export const stdio: Io = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
};

function commandNames(): string[] {
  return readdirSync(commandsDir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

async function load(name: string): Promise<Command | undefined> {
  if (!/^[a-z0-9-]+$/.test(name) || !commandNames().includes(name)) return undefined;
  const mod = (await import(join(commandsDir, `${name}.ts`))) as { command: Command };
  return mod.command;
}

async function overview(io: Io): Promise<void> {
  io.out('usage: meterchain <command> [options]\n\ncommands:');
  for (const name of commandNames()) {
    const cmd = await load(name);
    if (cmd) io.out(`  ${cmd.name.padEnd(12)} ${cmd.summary}`);
  }
  io.out('\n`meterchain <command> --help` shows the options of each command.');
}

/** One line on stderr for any error: the message, never a stack (set MC_DEBUG=1 for the stack). */
function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0]!;
}

/** Reports a failed command as one line on stderr (the stack too with MC_DEBUG=1) and returns the exit code its error
 * maps to: 1 for invalid input, 2 for bad usage, unreadable input or anything else. */
export function reportError(name: string, e: unknown, io: Io): number {
  if (process.env.MC_DEBUG) io.err(String((e as Error).stack));
  io.err(`meterchain ${name}: ${oneLine(e)}`);
  if (e instanceof InvalidError) return 1;
  if (e instanceof UsageError || e instanceof InputError) return 2;
  return 2;
}

/** Runs one command as `meterchain NAME ARGS…` does: `--help` prints its usage, errors become one line and an exit
 * code. */
export async function runCommand(name: string, cmd: Command, argv: string[], io: Io = stdio): Promise<number> {
  try {
    if (argv.includes('--help') || argv.includes('-h')) {
      io.out(cmd.usage);
      return 0;
    }
    return await cmd.run(argv, io);
  } catch (e) {
    return reportError(name, e, io);
  }
}

export async function main(argv: string[], io: Io = stdio): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    await overview(io);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    io.out('meterchain 0.1.0');
    return 0;
  }
  let cmd: Command | undefined;
  try {
    cmd = await load(name);
  } catch (e) {
    return reportError(name, e, io);
  }
  if (!cmd) {
    io.err(`meterchain: unknown command '${name}' (see meterchain --help)`);
    return 2;
  }
  return runCommand(name, cmd, rest, io);
}
