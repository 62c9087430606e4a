#!/usr/bin/env node
// Runs the TypeScript sources directly (no build step for the user).
import { register } from 'tsx/esm/api';

register();
// `meterchain … | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));
