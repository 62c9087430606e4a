// The meter node daemon on its own: `node meterchain-node.mjs --config node.yaml` behaves as
// `meterchain node --config node.yaml` (same options, logs, signals, one-line errors and exit codes). This is the
// entry of the single-file bundle a device runs (scripts/build-node.ts); it loads no other command.
import { command } from './commands/node.ts';
import { runCommand } from './main.ts';

// A closed stdout pipe (`… | head`) is the reader's choice, not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
process.exitCode = await runCommand('node', command, process.argv.slice(2));
