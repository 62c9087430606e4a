// `meterchain iec62056 read`: IEC 62056-21 mode C readout over an optical probe or RS-485 port.
import { formatChannel } from '@meterchain/meters';
import { Iec62056Reader } from '@meterchain/modbus';
import { InvalidError, UsageError, intOption, parse, required, type Command } from '../command.ts';
import { baudOption } from './modbus.ts';

const USAGE = `usage: meterchain iec62056 read --port PATH [--max-baud B] [--address ADDR] [--timeout MS] [--json]

Signs on at 300 baud 7E1 (/?ADDR!), reads the identification, switches to the meter's baud rate (capped by
--max-baud), reads the data message and checks its block check character (one repeat asked on a bad BCC).
Prints one data set per line; channels carry exact fixed-point values (decimals as the meter wrote them).
Exit: 0 read, 1 no answer or a bad message, 2 bad usage.`;

export const command: Command = {
  name: 'iec62056',
  summary: 'read a meter over IEC 62056-21 mode C (optical probe, RS-485)',
  usage: USAGE,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub !== 'read') throw new UsageError(`expected the subcommand read, got '${sub ?? ''}'`);
    const { values } = parse(rest, { port: { type: 'string' }, 'max-baud': { type: 'string' }, address: { type: 'string' }, timeout: { type: 'string' }, json: { type: 'boolean' } });
    const options = { path: required(values.port, 'port'), maxBaudRate: baudOption(values['max-baud'], 'max-baud', 19200), timeoutMs: intOption(values.timeout, 'timeout', 3000) } as ConstructorParameters<typeof Iec62056Reader>[0];
    if (values.address !== undefined) options.deviceAddress = values.address;
    const reader = new Iec62056Reader(options);
    try {
      const sample = await reader.sample();
      if (values.json) {
        io.out(JSON.stringify({ device: sample.device, identification: sample.identification, baudRate: sample.baudRate, quality: sample.quality, channels: sample.channels, dataSets: sample.dataSets }, null, 2));
      } else {
        io.out(`# ${sample.device}, read at ${sample.baudRate} baud`);
        for (const set of sample.dataSets) {
          const channel = sample.channels.find((c) => c.id === set.address.replace(/[*&]255$/, ''));
          const shown = channel ? `${formatChannel(channel)} ${channel.unit}` : set.values.map((v) => v.value + (v.unit ? ` ${v.unit}` : '')).join(' ');
          io.out(`${set.address.padEnd(16)} ${shown}`);
        }
      }
      return 0;
    } catch (e) {
      throw new InvalidError((e as Error).message);
    } finally {
      await reader.close();
    }
  },
};
