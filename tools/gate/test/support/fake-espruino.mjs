#!/usr/bin/env node
// A stand-in for Espruino's console, enough to test how the gate saves a program to flash and boots it: each line is
// echoed and answered like the REPL does (`=true` for a Storage write, `=undefined` otherwise); `load()` runs what
// was written to `.bootcde` with `print`, `process.memory()` and `quit()`. Lines sent before the previous answer
// are lost, as the real console's small input buffer loses them (FIFO_FULL).
import { createInterface } from 'node:readline';

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
      const print = (...args) => out(args.join(' ') + '\n');
      try {
        new Function('print', 'process', 'quit', 'setTimeout', bootcde)(print, { memory: () => ({ usage: 42, total: 2630 }) }, () => process.exit(0), setTimeout);
      } catch (e) {
        out(`Uncaught ${e.message}\n`);
      }
    } else out('=undefined\n>');
  }, 5);
});
