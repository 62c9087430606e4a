// `meterchain proof verify`: checks an inclusion proof with nothing but the manifest — the reading's signature, the
// accept votes over its judgment, its Merkle path to the block's readings root, and the block's commit certificate.
import { addressToText, fixedToDecimal, toHex } from '@meterchain/core';
import { nodeVerifier } from '@meterchain/crypto';
import { verifyProof } from '@meterchain/ledger';
import { InvalidError, UsageError, parse, type Command, type Io } from '../command.ts';
import { loadManifest, readInput } from '../files.ts';

const usage = `usage: meterchain proof verify FILE --manifest FILE [--manifest FILE ...] [--json]

verify  checks an inclusion proof (written by \`meterchain chain prove\`) against the cluster manifest of the
        block's epoch: the signed reading, at least the threshold of accept votes over it, its Merkle path to the
        committed header, and the header's commit certificate. Exit 0 when it holds, 1 when it does not, 2 when a
        file cannot be read.`;

async function verify(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, { manifest: { type: 'string', multiple: true }, json: { type: 'boolean' } }, true);
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'missing the proof FILE' : `expected one proof FILE, got ${positionals.length}`);
  const paths = values.manifest ?? [];
  if (paths.length === 0) throw new UsageError('missing required option --manifest');
  const manifests = paths.map((p) => loadManifest(p).manifest);
  const bytes = readInput(positionals[0]!, 'proof', 16 << 20);
  const v = verifyProof(manifests, bytes, nodeVerifier());
  if (!v.ok) {
    if (values.json) {
      io.out(JSON.stringify({ ok: false, fault: v.fault, reason: v.reason }));
      return 1;
    }
    throw new InvalidError(`proof does not verify: ${v.fault}: ${v.reason}`);
  }
  const p = v.proven;
  if (values.json) {
    io.out(
      JSON.stringify({
        ok: true,
        meter: addressToText(p.meter),
        seq: p.seq,
        round: p.round,
        height: p.height,
        block: toHex(p.block),
        votes: p.votes,
        threshold: p.threshold,
        commitSignatures: p.commitSignatures,
        ts: p.reading?.ts,
        channels: p.reading?.channels,
        quality: p.reading?.quality,
      }),
    );
    return 0;
  }
  io.out(`proof holds: reading of ${addressToText(p.meter)} seq ${p.seq}, round ${p.round}, committed at height ${p.height} (block ${toHex(p.block).slice(0, 16)}…)`);
  io.out(`  accepted by ${p.votes} votes (threshold ${p.threshold}); header co-signed by ${p.commitSignatures} members`);
  if (p.reading) for (const c of p.reading.channels) io.out(`  ${c.id} = ${fixedToDecimal(c.value, c.scale)} ${c.unit}`);
  return 0;
}

export const command: Command = {
  name: 'proof',
  summary: 'verify an inclusion proof of a reading with only the manifest',
  usage,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === 'verify') return verify(rest, io);
    throw new UsageError(sub ? `unknown subcommand 'proof ${sub}' (verify)` : 'missing subcommand: verify');
  },
};
