// What one member's consensus work costs per round in a cluster of N (a script, not a test): a simulated cluster
// runs `--rounds` rounds and its first block, then every message one member received is fed again, in order and at
// the time it arrived, to a fresh node of that member with the real node:crypto verifier, and the CPU time of each
// step is summed by topic. Transport, runtime and MQTT costs are not in it: this is the floor of a member's CPU.
//
//   npx tsx tools/bench/scripts/member-cpu.ts [--meters 64] [--rounds 10] [--repeat 3] [--vote-mode broadcast|leader]
import { parseArgs } from 'node:util';
import { nodeVerifier } from '@meterchain/crypto';
import { nodeSha256 } from '@meterchain/testkit';
import { ConsensusNode, type Effect, type Topic } from '@meterchain/consensus';
import { Cluster, GENESIS } from '../../../packages/consensus/test/helpers/cluster.ts';

const { values } = parseArgs({ options: { meters: { type: 'string' }, rounds: { type: 'string' }, repeat: { type: 'string' }, 'vote-mode': { type: 'string' } } });
const n = Number(values.meters ?? 64);
const rounds = Number(values.rounds ?? 10);
const repeat = Number(values.repeat ?? 3);
const voteMode = values['vote-mode'] ?? 'broadcast';
if (voteMode !== 'broadcast' && voteMode !== 'leader') throw new Error('--vote-mode broadcast or leader');
if (!(n >= 4 && n <= 256) || !(rounds >= 1 && rounds <= 100) || !(repeat >= 1 && repeat <= 20)) throw new Error('--meters 4..256, --rounds 1..100, --repeat 1..20');

const ME = 1; // not the proposer of the first block, so its proposal arrives as a message
const cluster = new Cluster({ n, voteMode, params: { blockRounds: rounds, skewMs: 50, timeoutMs: 4000 } });
const received: { topic: Topic; bytes: Uint8Array; now: number }[] = [];
const record = cluster.record.bind(cluster);
cluster.record = (member: number, effects: Effect[]): Effect[] => {
  for (const e of effects) if (e.type === 'publish' && member !== ME && (e.to === undefined || cluster.indexOf(e.to) === ME)) received.push({ topic: e.topic, bytes: e.bytes, now: cluster.now });
  return record(member, effects);
};
for (let r = 0; r < rounds; r++) cluster.round(r);
cluster.runUntil(GENESIS + (rounds + 6) * 1000);

const verifier = nodeVerifier();
for (let rep = 0; rep < repeat; rep++) {
  const node = new ConsensusNode({ manifest: cluster.manifest, manifestDigest: cluster.digest, signer: cluster.signers[ME]!, verifier, hash: nodeSha256 });
  const ms: Record<string, number> = {};
  const count: Record<string, number> = {};
  for (const m of received) {
    const t0 = process.cpuUsage();
    node.step({ type: 'message', now: m.now, topic: m.topic, bytes: m.bytes });
    const u = process.cpuUsage(t0);
    ms[m.topic] = (ms[m.topic] ?? 0) + (u.user + u.system) / 1000;
    count[m.topic] = (count[m.topic] ?? 0) + 1;
  }
  const total = Object.values(ms).reduce((a, b) => a + b, 0);
  const parts = Object.keys(ms).map((k) => `${k} ${(ms[k]! / rounds).toFixed(1)} ms (${(count[k]! / rounds).toFixed(1)} msgs)`);
  console.log(`meters ${n} (${voteMode}), run ${rep + 1}: ${(total / rounds).toFixed(1)} ms of CPU per round, ${(node.stats.verifications / rounds).toFixed(1)} verifications per round, block committed: ${node.height >= 0}; per round: ${parts.join(', ')}`);
}
