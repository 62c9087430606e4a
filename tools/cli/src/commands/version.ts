// `meterchain version`: prints the version of the tool and of the wire formats it speaks.
import type { Command } from '../command.ts';

export const command: Command = {
  name: 'version',
  summary: 'print the version',
  usage: 'usage: meterchain version\n\nPrints the version of meterchain.',
  async run(_argv, io) {
    io.out('meterchain 0.1.0');
    return 0;
  },
};
