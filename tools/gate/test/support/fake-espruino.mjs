#!/usr/bin/env node
// A stand-in for Espruino's console, enough to test how the gate saves a program to flash and boots it: each line is
// echoed and answered like the REPL does (`=true` for a Storage write, `=undefined` otherwise); `load()` runs what
// was written to `.bootcde` with `print`, `process.memory()` and `quit()`. Lines sent before the previous answer
// are lost, as the real console's small input buffer loses them (FIFO_FULL).
// FAKE_ESPRUINO_HEAP sets the heap process.memory() reports (default 2630); FAKE_ESPRUINO_BOOT=oom makes load() run
// out of memory as the real one reports it. With a file argument it runs that file instead (how the gate asks the
// heap size).
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const heap = Number(process.env.FAKE_ESPRUINO_HEAP ?? 2630);
if (process.argv[2]) {
  process.stdout.write('banner\nhttp://espruino.com/Donate\n');
  new Function('print', 'process', 'quit', readFileSync(process.argv[2], 'utf8'))((...a) => process.stdout.write(a.join(' ') + '\n'), { memory: () => ({ usage: 1, total: heap }) }, () => process.exit(0));
  process.exit(0);
}
let bootcde = '';
let busy = false;
const out = (text) => process.stdout.write(text);
out('banner\nhttp://espruino.com/Donate\n>');
createInterface({ input: process.stdin }).on('line', (line) => {
  if (busy) {
    out('New interpreter error: FIFO_FULL\n');
    return;
  }
  busy = true;
  setTimeout(() => {
    busy = false;
    out(line + '\n');
    const write = /^require\("Storage"\)\.write\("\.bootcde",("(?:[^"\\]|\\.)*"),(\d+),(\d+)\);$/.exec(line);
    if (write) {
      const at = Number(write[2]);
      if (at !== bootcde.length) out(`Uncaught Error: piece at ${at}, expected ${bootcde.length}\n`);
      bootcde += JSON.parse(write[1]);
      out('=true\n>');
    } else if (line === 'load();') {
      out('=undefined\n');
      if (process.env.FAKE_ESPRUINO_BOOT === 'oom') {
        out('New interpreter error: LOW_MEMORY,MEMORY\n');
        return;
      }
      const print = (...args) => out(args.join(' ') + '\n');
      try {
        new Function('print', 'process', 'quit', 'setTimeout', 'console', 'Map', 'Set', bootcde)(print, { memory: () => ({ usage: 42, total: heap }) }, () => process.exit(0), setTimeout, { log: print }, undefined, undefined);
      } catch (e) {
        out(`Uncaught ${e.message}\n`);
      }
    } else out('=undefined\n>');
  }, 5);
});
