// `meterchain sensor provision|run`: make a sensor node's keys and manifest entry, or run the Espruino firmware
// without a board (in the portability gate's stripped context, or on Espruino for Linux) wired to serial ports.
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError, intOption, parse, required, UsageError, type Command, type Io } from '../command.ts';
import { buildFirmware, runInContextBoard, runOnEspruino } from '../sensor-board.ts';
import { provisionSensor } from '../sensor-files.ts';

const usage = `usage: meterchain sensor provision --name NAME --cluster CLUSTER --out DIR [--period-ms MS] [--mqtt-node ADDRESS]
       meterchain sensor run --flash DIR --meter-port PATH --link-port PATH [--espruino BIN] [--seconds S]

provision  makes what one sensor node (an Espruino board reading a meter) needs, in DIR/NAME:
             sensor.key, sensor.pub  the sensor's member key pair. The key stays on the full node the board is
                                     wired to: the board authenticates its readings with HMAC-SHA256 (it cannot
                                     afford Ed25519), the full node checks them and signs them in the sensor's name.
             link.key                the HMAC key the board and its full node share (64 hex digits, mode 0600).
             member.json             the manifest entry (public key, role sensor, name): give it to
                                     \`meterchain cluster init --sensor FILE\` (a new epoch for a running cluster).
             board/mc.*              the files for the board's flash (key, address, cluster, period), and
             board.js                a program that writes them there (upload it once from the Espruino IDE).
             node-sensors.yaml       the lines for the full node's node.yaml (sensors:), serial path to fill in.
             broker.json             with --mqtt-node: the board sends its frames over MQTT to the full node with
                                     that address; give the file to \`meterchain cluster broker-config --sensor\`
                                     (the board's login may only publish its frames, only that node reads them).
           Copy board.js to the board and link.key to the full node over a channel you trust; delete DIR's copies.
run        runs the firmware (firmware/espruino, built minified through the portability gate) as a board would,
           with DIR as its flash (the mc.* files from provision), Serial1 on --meter-port (an Eastron SDM630,
           Modbus RTU 9600 8N1, unit 1) and Serial2 on --link-port (its full node, 115200 baud). Without
           --espruino it runs in the gate's stripped context (what CI runs); with --espruino BIN on that
           interpreter (Espruino for Linux), from its flash. Runs until SIGTERM or --seconds.`;

async function provision(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { name: { type: 'string' }, cluster: { type: 'string' }, out: { type: 'string' }, 'period-ms': { type: 'string' }, 'mqtt-node': { type: 'string' } });
  const name = required(values.name, 'name');
  const node = values['mqtt-node'];
  if (node !== undefined && !/^mc[0-9a-f]{40}$/.test(node)) throw new UsageError(`--mqtt-node must be a member address ("mc" + 40 hex digits), got '${node}'`);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) throw new UsageError(`--name must be a file name (letters, digits, '.', '_', '-'), got '${name}'`);
  const cluster = required(values.cluster, 'cluster');
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(cluster)) throw new UsageError(`--cluster must be 1..64 letters, digits, '.', '_' or '-', got '${cluster}'`);
  const periodMs = intOption(values['period-ms'], 'period-ms', 10_000);
  if (periodMs < 100 || periodMs > 86_400_000) throw new UsageError(`--period-ms must be 100..86400000, got ${periodMs}`);
  const dir = join(required(values.out, 'out'), name);
  const pair = provisionSensor(dir, name, cluster, periodMs, node);
  io.out(`sensor ${name}: ${pair.address}, cluster ${cluster}, a reading every ${periodMs} ms${node ? `, over MQTT to ${node}` : ''}; files in ${dir}`);
  return 0;
}

function requirePort(path: string, flag: string): string {
  try {
    if (!statSync(path).isDirectory()) return path;
  } catch {
    // reported below
  }
  throw new InputError(`--${flag}: ${path}: no such serial port`);
}

async function run(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { flash: { type: 'string' }, 'meter-port': { type: 'string' }, 'link-port': { type: 'string' }, espruino: { type: 'string' }, seconds: { type: 'string' } });
  const flash = resolve(required(values.flash, 'flash'));
  const meterPort = requirePort(required(values['meter-port'], 'meter-port'), 'meter-port');
  const linkPort = requirePort(required(values['link-port'], 'link-port'), 'link-port');
  const seconds = values.seconds === undefined ? undefined : intOption(values.seconds, 'seconds');
  for (const f of ['mc.key', 'mc.meter', 'mc.cluster']) {
    try {
      statSync(join(flash, f));
    } catch {
      throw new InputError(`--flash: ${join(flash, f)} is missing: provision the board first (meterchain sensor provision)`);
    }
  }
  if (values.espruino !== undefined) {
    try {
      statSync(values.espruino);
    } catch {
      throw new InputError(`--espruino: ${values.espruino}: no such file`);
    }
  }
  const code = await buildFirmware(join(flash, '.build'));
  const wiring = { flash, meterPort, linkPort, log: (line: string) => io.out(line) };
  const board = values.espruino ? await runOnEspruino(values.espruino, code, wiring) : await runInContextBoard(code, wiring);
  io.out(`sensor board running ${values.espruino ? `on ${values.espruino}` : 'in the stripped context'}: meter on ${meterPort}, link on ${linkPort}`);
  await new Promise<void>((done) => {
    const stop = () => done();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    if (seconds !== undefined) setTimeout(stop, seconds * 1000).unref();
  });
  await board.stop();
  io.out(`sensor board stopped: ${board.linkBytes()} bytes sent to the full node`);
  return 0;
}

export const command: Command = {
  name: 'sensor',
  summary: 'provision a sensor node (keys, manifest entry, board files) or run its firmware without a board',
  usage,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === 'provision') return provision(rest, io);
    if (sub === 'run') return run(rest, io);
    throw new UsageError(sub ? `unknown subcommand 'sensor ${sub}' (provision or run)` : 'missing subcommand: provision or run');
  },
};
