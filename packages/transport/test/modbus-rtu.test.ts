// The Modbus RTU transport passes the shared suite on a simulated RS-485 line: every member on its own pty drop, the
// bus master (in a concentrator process) polling them and writing their frames to unit 0.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from '@jest/globals';
import { requirePrograms } from '@meterchain/testkit/programs';
import { openModbusRtuTransport } from '../src/index.ts';
import { testAddress, transportSuite, waitFor } from '../compliance/index.ts';
import { RtuBus } from '@meterchain/testkit/rtu-bus';

const CLUSTER = 'feeder-9';
// 3 Mbaud, an FTDI adapter's top rate: the suite's 16 publishers and its large frame in seconds, not minutes.
const BAUD = 3_000_000;

if (requirePrograms('the Modbus RTU transport suite', 'socat')) {
  transportSuite(
    'Modbus RTU on a simulated RS-485 line',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'mc-rtu-suite-'));
      // Every test closes its members; each then costs 3 unanswered polls before the master counts it gone. 50 ms
      // answers are ample here (the master's own process, one member process).
      const bus = await RtuBus.start({ dir, cluster: CLUSTER, baudRate: BAUD, bitsPerByte: 10, responseTimeoutMs: 50 });
      const addresses = Array.from({ length: 64 }, (_, i) => testAddress(i));
      return {
        cluster: CLUSTER,
        addresses,
        async open(address) {
          const unit = addresses.indexOf(address) + 1;
          const path = await bus.add(unit, address);
          const t = await openModbusRtuTransport({ cluster: CLUSTER, address, unit, path, baudRate: BAUD, spoolDir: join(dir, `spool-${unit}`) });
          await waitFor(() => t.connected, `unit ${unit}'s first poll`, 10_000);
          return t;
        },
        async injectRaw(kind, address, payload) {
          await bus.inject(kind, address, payload);
        },
        async teardown() {
          await bus.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
    // 32 KiB: over 3 times the largest frame of a 12-member cluster (its blocks, 9.3 KB: npm run bench -- rs485); at
    // 3 Mbaud it crosses the line twice in about 0.25 s of wire time, and in seconds to tens of seconds on a loaded
    // 2-core machine (every transaction is a few event-loop turns in three processes, and serial reads share libuv's
    // thread pool with the spool's fsyncs). Waits scaled by 6: at load average 44 on 2 cores the 32 KiB frame took
    // 34 s and the 16 publishers' 400 frames 57 s (alone: 11 s and 8 s).
    { largeFrameBytes: 32 * 1024, timeScale: 6 },
  );
} else {
  test.skip('Modbus RTU transport suite (socat missing)', () => undefined);
}
