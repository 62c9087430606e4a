// `meterchain proof verify`: checks an inclusion proof with nothing but the manifest — the reading's signature, the
// accept votes over its judgment, its Merkle path to the block's readings root, and the block's commit certificate.
import { addressToText, fixedToDecimal, toHex, type Manifest } from '@meterchain/core';
import { nodeSha256, nodeVerifier } from '@meterchain/crypto';
import { isCrossTierProof, verifyCrossTierProof } from '@meterchain/widearea';
import { verifyProof, type ProvenFrame } from '@meterchain/ledger';
import { measurements } from '@meterchain/pmu';
import { InvalidError, UsageError, parse, type Command, type Io } from '../command.ts';
import { loadManifest, readInput } from '../files.ts';

const usage = `usage: meterchain proof verify FILE --manifest FILE [--manifest FILE ...] [--widearea-manifest FILE ...] [--json]

verify  checks an inclusion proof (written by \`meterchain chain prove\`) against the cluster manifest of the
        block's epoch: the signed reading, at least the threshold of accept votes over it, its Merkle path to the
        committed header, and the header's commit certificate. Exit 0 when it holds, 1 when it does not, 2 when a
        file cannot be read. A cross-tier proof (\`chain prove --widearea\`) is also checked against the wide-area
        chain's manifest (--widearea-manifest): its header co-signed by the substations holds the batch that
        carried the anchor of the reading's block.`;

async function verify(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, { manifest: { type: 'string', multiple: true }, 'widearea-manifest': { type: 'string', multiple: true }, json: { type: 'boolean' } }, true);
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'missing the proof FILE' : `expected one proof FILE, got ${positionals.length}`);
  const paths = values.manifest ?? [];
  if (paths.length === 0) throw new UsageError('missing required option --manifest');
  const manifests = paths.map((p) => loadManifest(p).manifest);
  const bytes = readInput(positionals[0]!, 'proof', 16 << 20);
  if (isCrossTierProof(bytes)) return verifyCrossTier(manifests, values['widearea-manifest'] ?? [], bytes, values.json === true, io);
  if (values['widearea-manifest'] !== undefined) throw new UsageError('--widearea-manifest is for a cross-tier proof; this is a regional one');
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
        ...(p.frame ? { frame: frameJson(p.frame) } : {}),
      }),
    );
    return 0;
  }
  if (p.frame) io.out(`proof holds: frame ${p.frame.seq} of PMU ${addressToText(p.meter)} (batch of round ${p.round}, frames to ${p.seq}), committed at height ${p.height} (block ${toHex(p.block).slice(0, 16)}…)`);
  else io.out(`proof holds: reading of ${addressToText(p.meter)} seq ${p.seq}, round ${p.round}, committed at height ${p.height} (block ${toHex(p.block).slice(0, 16)}…)`);
  io.out(`  accepted by ${p.votes} votes (threshold ${p.threshold}); header co-signed by ${p.commitSignatures} members`);
  if (p.reading) for (const c of p.reading.channels) io.out(`  ${c.id} = ${fixedToDecimal(c.value, c.scale)} ${c.unit}`);
  if (p.frame) {
    const f = frameJson(p.frame);
    io.out(`  ${f.station} (IDCODE ${f.idcode}) at ${f.time}: ${f.frequency} Hz, ROCOF ${f.rocof} Hz/s`);
    for (const ph of f.phasors) io.out(`  ${ph.name} = ${ph.magnitude} ${ph.unit} ∠ ${ph.angle} rad`);
  }
  return 0;
}

/** A proven frame's values in engineering units (C37.118.2 FRACSEC to the µs). */
function frameJson(f: ProvenFrame) {
  const m = measurements(f.data, f.config)[0]!;
  return {
    seq: f.seq,
    idcode: m.idcode,
    station: m.station,
    time: new Date(Math.floor(f.timeUs / 1000)).toISOString().replace(/\.\d{3}Z$/, `.${String(f.timeUs % 1_000_000).padStart(6, '0')}Z`),
    frequency: m.frequency,
    rocof: m.rocof,
    phasors: m.phasors.map((p) => ({ name: p.name, unit: p.unit, magnitude: p.magnitude, angle: p.angle })),
    bytes: toHex(f.bytes),
  };
}

function verifyCrossTier(manifests: Manifest[], widePaths: string[], bytes: Uint8Array, json: boolean, io: Io): number {
  if (widePaths.length === 0) throw new UsageError('a cross-tier proof needs the wide-area chain\'s manifest: --widearea-manifest FILE');
  const wide = widePaths.map((p) => loadManifest(p).manifest);
  const v = verifyCrossTierProof(manifests, wide, bytes, nodeSha256, nodeVerifier());
  if (!v.ok) {
    if (json) {
      io.out(JSON.stringify({ ok: false, tier: v.tier, reason: v.reason }));
      return 1;
    }
    throw new InvalidError(`cross-tier proof does not verify (${v.tier}): ${v.reason}`);
  }
  const p = v.proven;
  const r = p.regional;
  if (json) {
    io.out(JSON.stringify({ ok: true, meter: addressToText(r.meter), seq: r.seq, round: r.round, height: r.height, block: toHex(r.block), region: p.region, wideHeight: p.wideHeight, wideBlock: toHex(p.wideBlock), wideSignatures: p.wideSignatures, gate: addressToText(p.gate), wideRound: p.round }));
    return 0;
  }
  io.out(`proof holds: reading of ${addressToText(r.meter)} seq ${r.seq}, round ${r.round}, committed at height ${r.height} of ${p.region} (block ${toHex(r.block).slice(0, 16)}…)`);
  io.out(`  accepted by ${r.votes} votes (threshold ${r.threshold}); header co-signed by ${r.commitSignatures} members`);
  io.out(`  anchored in wide-area block ${p.wideHeight} (${toHex(p.wideBlock).slice(0, 16)}…), co-signed by ${p.wideSignatures} substations; carried by ${addressToText(p.gate)} in round ${p.round}`);
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
