// `meterchain cluster init|show`: create a cluster (operator key, member keys, signed manifest) or show a manifest.
import { join } from 'node:path';
import { addressToText, manifestToJson, type VoteMode, type VotingRule } from '@meterchain/core';
import { createCluster } from '../cluster-files.ts';
import { intOption, parse, required, UsageError, type Command, type Io } from '../command.ts';
import { loadManifest } from '../files.ts';

const usage = `usage: meterchain cluster init --name NAME --members N --rule majority|bft --out DIR
                         [--vote-mode broadcast|leader] [--round-ms MS] [--block-rounds R] [--genesis-ms MS]
       meterchain cluster show --manifest FILE [--json]

init  creates an operator key (DIR/operator.key, .pub), N member keys (DIR/members/mNN/meter.key, .pub) and the
      manifest signed by the operator (DIR/manifest.cbor, with a readable copy in DIR/manifest.json).
      For labs and simulations: in the field each meter makes its own key and only the public key travels.
show  verifies a manifest and prints its members.`;

async function init(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, {
    name: { type: 'string' },
    members: { type: 'string' },
    rule: { type: 'string' },
    out: { type: 'string' },
    'vote-mode': { type: 'string' },
    'round-ms': { type: 'string' },
    'block-rounds': { type: 'string' },
    'genesis-ms': { type: 'string' },
  });
  const name = required(values.name, 'name');
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) throw new UsageError(`--name must be 1..64 letters, digits, '.', '_' or '-', got '${name}'`);
  const n = intOption(values.members, 'members');
  if (n < 1 || n > 1024) throw new UsageError(`--members must be 1..1024, got ${n}`);
  const rule = required(values.rule, 'rule');
  if (rule !== 'majority' && rule !== 'bft') throw new UsageError(`--rule must be majority or bft, got '${rule}'`);
  if (rule === 'bft' && n < 4) throw new UsageError(`--rule bft needs at least 4 members (n = 3f + 1), got ${n}`);
  const voteMode = values['vote-mode'] ?? 'broadcast';
  if (voteMode !== 'broadcast' && voteMode !== 'leader') throw new UsageError(`--vote-mode must be broadcast or leader, got '${voteMode}'`);
  const out = required(values.out, 'out');
  const roundMs = intOption(values['round-ms'], 'round-ms', 1000);
  const blockRounds = intOption(values['block-rounds'], 'block-rounds', 10);
  const genesisMs = intOption(values['genesis-ms'], 'genesis-ms', Math.ceil(Date.now() / 1000) * 1000);

  const { manifest } = createCluster(out, { name, members: n, rule: rule as VotingRule, voteMode: voteMode as VoteMode, roundMs, blockRounds, genesisMs });
  io.out(`cluster ${name}: ${n} members, rule ${rule}, epoch 0, manifest ${join(out, 'manifest.cbor')}`);
  for (const m of manifest.members) io.out(`  ${m.name}  ${addressToText(m.address)}`);
  return 0;
}

async function show(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { manifest: { type: 'string' }, json: { type: 'boolean' } });
  const { manifest } = loadManifest(required(values.manifest, 'manifest'));
  if (values.json) {
    io.out(JSON.stringify(manifestToJson(manifest)));
    return 0;
  }
  io.out(`cluster ${manifest.cluster}, epoch ${manifest.epoch}, rule ${manifest.rule}, votes ${manifest.voteMode}, ${manifest.members.length} members`);
  for (const m of manifest.members) io.out(`  ${(m.name ?? '').padEnd(8)} ${addressToText(m.address)}  ${m.role}`);
  return 0;
}

export const command: Command = {
  name: 'cluster',
  summary: 'create a cluster (keys and signed manifest) or show a manifest',
  usage,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === 'init') return init(rest, io);
    if (sub === 'show') return show(rest, io);
    throw new UsageError(sub ? `unknown subcommand 'cluster ${sub}' (init or show)` : 'missing subcommand: init or show');
  },
};
