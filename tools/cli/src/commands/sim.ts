// `meterchain sim`: runs the deterministic cluster simulator (real Ed25519, seeded network, byzantine members) and
// prints what happened; with --out, writes the manifest and the committed chain.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toHex } from '@meterchain/core';
import { BEHAVIOURS, simulate, type Behaviour, type SimReport } from '@meterchain/consensus/sim';
import { seedFrom, simCrypto } from '@meterchain/crypto/sim';
import { InputError, InvalidError, UsageError, intOption, parse, required, type Command, type Io } from '../command.ts';

const usage = `usage: meterchain sim --meters N --rounds R [--rule majority|bft] [--byzantine K --behaviour NAME,...]
                      [--seed S] [--vote-mode broadcast|leader] [--out DIR] [--json]

Simulates a regional cluster of N meters for R voting rounds: every member runs the consensus state machine with
real Ed25519 keys over a seeded network; K of them are byzantine with the given behaviours:
  ${BEHAVIOURS.join(', ')}
Prints accepted, rejected and not-enough-votes submissions, evidence, blocks committed, invalid submissions accepted
and conflicting commits. Same seed, same run.

options:
  --meters N          cluster members (all full members), 1..1024 (bft needs at least 4)
  --rounds R          voting rounds with readings
  --rule RULE         majority (default) or bft
  --byzantine K       byzantine members (default 0); needs --behaviour
  --behaviour LIST    comma-separated behaviours of the byzantine members
  --seed S            seed of the network, data and choice of byzantine members (default 1)
  --vote-mode MODE    broadcast (default) or leader
  --out DIR           write DIR/manifest.cbor, DIR/blocks/<height, 8 digits>.cbor and DIR/members.json
  --json              print the report as JSON

Exit status: 0 when the run kept its safety properties, 1 when an invalid submission was accepted or two blocks were
committed at one height, 2 on bad usage.`;

function behaviours(text: string | undefined): Behaviour[] {
  if (text === undefined || text === '') return [];
  const out: Behaviour[] = [];
  for (const name of text.split(',')) {
    const b = name.trim();
    if (!(BEHAVIOURS as readonly string[]).includes(b)) throw new UsageError(`--behaviour: unknown behaviour '${b}' (known: ${BEHAVIOURS.join(', ')})`);
    if (!out.includes(b as Behaviour)) out.push(b as Behaviour);
  }
  return out;
}

function printText(io: Io, r: SimReport): void {
  io.out(`cluster: ${r.meters} meters, rule ${r.rule} (threshold ${r.threshold}), vote mode ${r.voteMode}, ${r.rounds} rounds, seed ${r.seed}`);
  for (const b of r.byzantine) io.out(`byzantine: member ${b.index} ${b.address} (${b.behaviours.join(', ')})`);
  io.out(`accepted: ${r.accepted}`);
  io.out(`rejected: ${r.rejected}`);
  io.out(`not-enough-votes: ${r.notEnoughVotes}`);
  io.out(`evidence: ${r.evidence}${r.accused.length > 0 ? ` (against ${r.accused.join(', ')})` : ''}`);
  io.out(`blocks committed: ${r.blocksCommitted} of ${r.blocksExpected}`);
  io.out(`invalid submissions accepted: ${r.invalidSubmissionsAccepted}`);
  io.out(`conflicting commits: ${r.conflictingCommits}`);
  io.out(`conflicting acceptances: ${r.conflictingAcceptances}`);
  io.out(`honest readings accepted: ${r.honestAccepted} of ${r.honestReadings} (${(100 * r.honestAcceptedRatio).toFixed(2)} %)`);
  io.out(`chains verify from the manifest: ${r.chainsVerify ? 'yes' : `no (${r.chainError})`}`);
  io.out(`verifications per member per round: ${r.verificationsPerMemberPerRound.toFixed(1)}`);
  io.out(`messages: ${r.messages.published} published, ${r.messages.delivered} delivered, ${r.messages.lost} lost`);
}

export const command: Command = {
  name: 'sim',
  summary: 'simulate a cluster with byzantine members and report what it accepted and committed',
  usage,
  async run(argv, io) {
    const { values } = parse(argv, {
      meters: { type: 'string' },
      rounds: { type: 'string' },
      rule: { type: 'string' },
      byzantine: { type: 'string' },
      behaviour: { type: 'string' },
      seed: { type: 'string' },
      'vote-mode': { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean' },
    });
    const meters = intOption(required(values.meters, 'meters'), 'meters');
    const rounds = intOption(required(values.rounds, 'rounds'), 'rounds');
    if (meters < 1 || meters > 1024) throw new UsageError(`--meters must be 1..1024, got ${meters}`);
    if (rounds < 1 || rounds > 1000000) throw new UsageError(`--rounds must be 1..1000000, got ${rounds}`);
    const rule = values.rule ?? 'majority';
    if (rule !== 'majority' && rule !== 'bft') throw new UsageError(`--rule must be majority or bft, got '${rule}'`);
    if (rule === 'bft' && meters < 4) throw new UsageError(`--rule bft needs at least 4 meters (n = 3f + 1), got ${meters}`);
    const voteMode = values['vote-mode'] ?? 'broadcast';
    if (voteMode !== 'broadcast' && voteMode !== 'leader') throw new UsageError(`--vote-mode must be broadcast or leader, got '${voteMode}'`);
    const byzantine = intOption(values.byzantine, 'byzantine', 0);
    if (byzantine > meters) throw new UsageError(`--byzantine ${byzantine} is more than the ${meters} meters`);
    const kinds = behaviours(values.behaviour);
    if (byzantine > 0 && kinds.length === 0) throw new UsageError('--byzantine needs --behaviour NAME,...');
    if (byzantine === 0 && kinds.length > 0) throw new UsageError('--behaviour needs --byzantine K (how many members behave so)');
    const seed = intOption(values.seed, 'seed', 1);
    const result = simulate({ meters, rounds, rule, voteMode, byzantine, behaviours: kinds, seed }, simCrypto);
    const r = result.report;
    if (values.out !== undefined) {
      const dir = values.out;
      try {
        mkdirSync(join(dir, 'blocks'), { recursive: true });
        writeFileSync(join(dir, 'manifest.cbor'), result.manifest);
        result.blocks.forEach((b, height) => writeFileSync(join(dir, 'blocks', `${String(height).padStart(8, '0')}.cbor`), b));
        const members = result.keys.map((k) => ({ address: k.address, seed: toHex(seedFrom(k.seedText)) }));
        writeFileSync(join(dir, 'members.json'), JSON.stringify({ note: 'simulation keys: never use them for real meters', members }, null, 2) + '\n');
      } catch (e) {
        throw new InputError(`cannot write to ${dir}: ${(e as Error).message}`);
      }
    }
    if (values.json) io.out(JSON.stringify(r, null, 2));
    else {
      printText(io, r);
      if (values.out !== undefined) io.out(`wrote ${result.blocks.length} blocks and the manifest to ${values.out}`);
    }
    if (r.invalidSubmissionsAccepted > 0 || r.conflictingCommits > 0) {
      throw new InvalidError(`safety broken: ${r.invalidSubmissionsAccepted} invalid submissions accepted, ${r.conflictingCommits} conflicting commits`);
    }
    return 0;
  },
};
