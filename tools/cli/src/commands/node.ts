// `meterchain node --config node.yaml [--config other.yaml ...]`: runs meter nodes until SIGTERM or SIGINT;
// `meterchain node repair --config node.yaml`: repairs a node's data directory after damage.
import { resolve } from 'node:path';
import { SharedChecks } from '@meterchain/consensus';
import { readFileSync } from 'node:fs';
import { Background, ConfigError, Lines, Receptions, identify, repairNode, startNode, type RunningNode } from '@meterchain/firmware-linux';
import { InputError, intOption, parse, UsageError, type Command, type Io } from '../command.ts';

export const command: Command = {
  name: 'node',
  summary: 'run a meter node (acquire, check, sign, vote, chain) from a YAML configuration',
  usage: `usage: meterchain node --config node.yaml [--config other.yaml ...] [--check-each]
                      [--receiver LOGIN --receiver-password-file FILE]
       meterchain node repair --config node.yaml [--above-height H]

Runs one meter node: samples its sensor every round, checks the sample at the edge, signs it, votes with the other
members of its cluster over MQTT, and stores the committed blocks. Logs are JSON lines on stdout, each naming its
meter; metrics are served in the Prometheus format (metrics.listen). SIGTERM or SIGINT stops it cleanly (exit 0).
The configuration keys are described in firmware/linux/schema/node.schema.json.

Each further --config runs one more meter in the same process (a gateway or data concentrator hosting the nodes of
several meters): each keeps its own key, data directory, sensor, broker connection and metrics endpoint; they share
only the process, and what its nodes have checked: a signature one node found valid, the root of a vote's judgment
list or the verdict on a proposed block is not worked out again by the others (--check-each: every node checks
everything itself). Every file is checked before any node starts: an error names its file, and two files on one key
or one data directory are refused.

--receiver LOGIN: the nodes of one cluster on one broker receive their cluster's broadcast frames (submissions,
votes, certificates, proposals, block votes, ...) over one connection of the process, logged in as LOGIN, instead of
each over its own: the broker sends each frame once to the process, not once to each meter. LOGIN must be a login of
its own that the broker's ACL lets read the cluster (\`meterchain cluster broker-config --observer LOGIN\`), not a
meter's (the shipped broker takes the client id from the login). Each node still publishes, and receives what is
addressed to it alone, over its own connection. --receiver-password-file names the file holding LOGIN's password.

\`node repair\` makes the node's data directory usable again after damage the node refused to start with (a damaged
node-state journal or snapshot, a damaged block below the chain's durable mark, signing records missing though the
node ran before). The node must be stopped. It cuts the chain at its first damaged block (the node fetches the rest
from its peers), keeps every intact entry of the node state, settles pending readings the chain holds, and sets a
fence: the node signs no submission or vote for a round up to now plus the cluster's clock skew (nor up to its
stored tip's last round), and no block vote or timeout at a height up to the one after its stored tip. When the
chain is empty or was cut, --above-height H (the height of the last block a peer holds) is required. Old files are
moved to state/repaired-<ms>/, never deleted. See docs/ledger.md.`,
  async run(argv, io) {
    if (argv[0] === 'repair') return repair(argv.slice(1), io);
    const { values } = parse(argv, { config: { type: 'string', multiple: true }, 'check-each': { type: 'boolean' }, receiver: { type: 'string' }, 'receiver-password-file': { type: 'string' } });
    const paths = values.config ?? [];
    if (paths.length === 0) throw new UsageError('missing required option --config');
    if (values['receiver-password-file'] !== undefined && values.receiver === undefined) throw new UsageError('--receiver-password-file needs --receiver LOGIN');
    const reception = values.receiver === undefined ? undefined : new Receptions({ username: values.receiver, ...receiverPassword(values['receiver-password-file']) });
    if (new Set(paths.map((p) => resolve(p))).size !== paths.length) throw new UsageError('--config: the same file is named twice');
    const claimed = new Map<string, string>();
    for (const path of paths) inputErrors(path, paths.length, () => claim(claimed, identify(path), path));
    const shared = paths.length > 1 && !values['check-each'] ? new SharedChecks() : undefined;
    // The nodes' block-agreement messages wait, in one queue for the process, behind the round traffic of them all.
    const background = new Background(5, (e) => io.err(`meterchain node: background task failed: ${e instanceof Error ? e.message : String(e)}`));
    // Meters of this process on one serial port or Modbus TCP gateway share its bus, one request at a time.
    const lines = new Lines();
    const running: RunningNode[] = [];
    for (const path of paths) {
      try {
        running.push(await startNode(path, undefined, { ...(shared ? { shared } : {}), ...(reception ? { reception } : {}), background, lines }));
      } catch (e) {
        await Promise.all(running.map((r) => r.stop()));
        inputErrors(path, paths.length, () => {
          throw e;
        });
      }
    }
    await new Promise<void>((resolve) => {
      // npm (npx, npm start) passes SIGTERM and SIGINT to the shell it runs this command in, and that shell dies
      // without passing them on: under npm the node also stops when the process that started it is gone.
      const parent = process.ppid;
      const watch = process.env.npm_execpath !== undefined && parent !== 1
        ? setInterval(() => {
            if (process.ppid !== parent) onSignal('parent process gone');
          }, 250)
        : undefined;
      const onSignal = (signal: string) => {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
        clearInterval(watch);
        io.err(`meterchain node: ${signal}: stopping`);
        resolve();
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
    });
    await Promise.all(running.map((r) => r.stop()));
    return 0;
  },
};

/** The receiver's password, read from its file (one line; a missing or unreadable file is an input error). */
function receiverPassword(path: string | undefined): { password?: string } {
  if (path === undefined) return {};
  try {
    return { password: readFileSync(path, 'utf8').trim() };
  } catch (e) {
    throw new InputError(`--receiver-password-file: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Runs `f`, turning configuration and key file errors into one-line input errors (exit 2) that name the file when
 * there are several (errors in the file itself name it already). */
function inputErrors(path: string, files: number, f: () => void): void {
  try {
    f();
  } catch (e) {
    const known = e instanceof ConfigError || (e as { code?: string }).code?.startsWith('KEY_FILE');
    if (!known) throw e;
    const message = (e as Error).message;
    throw new InputError(files > 1 && !message.includes(path) ? `${path}: ${message}` : message);
  }
}

/** Two nodes of one process must not share a data directory (their chains, states and spools would mix) or a key
 * (one meter would sign two different readings for a round: an equivocation its peers would catch). */
function claim(claimed: Map<string, string>, node: { dataDir: string; address: string }, path: string): void {
  const dir = `dataDir ${resolve(node.dataDir)}`;
  const key = `key ${node.address}`;
  for (const [what, label] of [[dir, `dataDir: ${node.dataDir}`], [key, `key: meter ${node.address}`]] as const) {
    const other = claimed.get(what);
    if (other !== undefined) throw new ConfigError(`${label} is already run by ${other}`);
  }
  claimed.set(dir, path);
  claimed.set(key, path);
}

async function repair(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { config: { type: 'string' }, 'above-height': { type: 'string' } });
  if (!values.config) throw new UsageError('missing required option --config');
  const aboveHeight = values['above-height'] === undefined ? undefined : intOption(values['above-height'], 'above-height');
  let r;
  try {
    r = await repairNode(values.config, aboveHeight === undefined ? {} : { aboveHeight });
  } catch (e) {
    inputErrors(values.config, 1, () => {
      throw e;
    });
    throw e;
  }
  io.out(`chain: ${r.blocks} blocks${r.chainCutBytes > 0 ? `, ${r.chainCutBytes} damaged bytes cut off (kept beside blocks.log)` : ''}`);
  io.out(`node state: ${r.state.kept} entries kept, ${r.state.damaged.length} damaged ranges left out${r.state.damaged.map((d) => ` (${d.file} byte ${d.offset}, ${d.bytes} bytes)`).join('')}${r.state.movedTo ? `; old files in ${r.state.movedTo}` : ''}`);
  io.out(`pending readings found in the chain and settled: ${r.settled}`);
  io.out(`fence: no submission or vote for rounds up to ${r.fence.round}, no block vote or timeout at heights up to ${r.fence.height}`);
  return 0;
}
