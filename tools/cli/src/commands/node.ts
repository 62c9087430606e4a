// `meterchain node --config node.yaml`: runs one meter node until SIGTERM or SIGINT.
import { ConfigError, startNode } from '@meterchain/firmware-linux';
import { InputError, parse, required, type Command } from '../command.ts';

export const command: Command = {
  name: 'node',
  summary: 'run one meter node (acquire, check, sign, vote, chain) from a YAML configuration',
  usage: `usage: meterchain node --config node.yaml

Runs one meter node: samples its sensor every round, checks the sample at the edge, signs it, votes with the other
members of its cluster over MQTT, and stores the committed blocks. Logs are JSON lines on stdout; metrics are
served in the Prometheus format (metrics.listen). SIGTERM or SIGINT stops it cleanly (exit 0).
The configuration keys are described in firmware/linux/schema/node.schema.json.`,
  async run(argv, io) {
    const { values } = parse(argv, { config: { type: 'string' } });
    const path = required(values.config, 'config');
    let running;
    try {
      running = await startNode(path);
    } catch (e) {
      if (e instanceof ConfigError || (e as { code?: string }).code?.startsWith('KEY_FILE')) throw new InputError((e as Error).message);
      throw e;
    }
    await new Promise<void>((resolve) => {
      const onSignal = (signal: string) => {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
        io.err(`meterchain node: ${signal}: stopping`);
        resolve();
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
    });
    await running.stop();
    return 0;
  },
};
