// Entry point of the `meterchain` command: finds the command module by name and maps errors to exit codes.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError, InvalidError, UsageError, type Command, type Io } from './command.ts';

const commandsDir = join(dirname(fileURLToPath(import.meta.url)), 'commands');

const stdio: Io = {
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
  try {
    const cmd = await load(name);
    if (!cmd) {
      io.err(`meterchain: unknown command '${name}' (see meterchain --help)`);
      return 2;
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(cmd.usage);
      return 0;
    }
    return await cmd.run(rest, io);
  } catch (e) {
    if (process.env.MC_DEBUG) io.err(String((e as Error).stack));
    io.err(`meterchain ${name}: ${oneLine(e)}`);
    if (e instanceof InvalidError) return 1;
    if (e instanceof UsageError || e instanceof InputError) return 2;
    return 2;
  }
}
