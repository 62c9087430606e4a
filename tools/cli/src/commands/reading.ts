// `meterchain reading sign|verify`: sign a reading from its JSON form; verify a signed reading against a manifest.
import { addressFromPublicKey, addressToText, readingFromJson, readingToJson, signReading, verifySignedReading } from '@meterchain/core';
import { createNodeSigner, nodeVerifier, readKeyFile } from '@meterchain/crypto';
import { InputError, InvalidError, parse, required, UsageError, type Command, type Io } from '../command.ts';
import { loadManifest, readInput, readJson, writeOutput } from '../files.ts';

const usage = `usage: meterchain reading sign --key FILE --in reading.json --out reading.cbor
       meterchain reading verify --manifest FILE --in reading.cbor [--json]

sign    reads a reading in its JSON form (meter may be omitted: the key's address is used), signs it and writes the
        signed envelope (deterministic CBOR).
verify  checks a signed reading against a cluster manifest. Exit 0 valid, 1 invalid (the reason is printed),
        2 bad usage or unreadable input.`;

async function sign(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { key: { type: 'string' }, in: { type: 'string' }, out: { type: 'string' } });
  const keyPath = required(values.key, 'key');
  const inPath = required(values.in, 'in');
  const outPath = required(values.out, 'out');
  const signer = createNodeSigner(readKeyFile(keyPath));
  const meter = addressFromPublicKey(signer.publicKey);
  const parsed = readingFromJson(readJson(inPath, 'reading'), meter);
  if (!parsed.ok) throw new InputError(`${inPath}: ${parsed.reason}`);
  if (addressToText(parsed.reading.meter) !== addressToText(meter)) {
    throw new InputError(`${inPath}: meter ${addressToText(parsed.reading.meter)} is not the address of key ${keyPath} (${addressToText(meter)})`);
  }
  writeOutput(outPath, signReading(parsed.reading, signer), { overwrite: true });
  io.out(`signed reading seq ${parsed.reading.seq} of ${addressToText(meter)} -> ${outPath}`);
  return 0;
}

async function verify(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { manifest: { type: 'string' }, in: { type: 'string' }, json: { type: 'boolean' } });
  const { manifest } = loadManifest(required(values.manifest, 'manifest'));
  const inPath = required(values.in, 'in');
  const bytes = readInput(inPath, 'signed reading', 1 << 20);
  const v = verifySignedReading(bytes, manifest, nodeVerifier());
  if (values.json) {
    io.out(JSON.stringify(v.ok ? { valid: true, reading: readingToJson(v.reading), member: v.member.name ?? null } : { valid: false, code: v.code, reason: v.reason }));
    return v.ok ? 0 : 1;
  }
  if (!v.ok) throw new InvalidError(`invalid (${v.code}): ${v.reason}`);
  io.out(`valid: reading seq ${v.reading.seq} of ${addressToText(v.reading.meter)}${v.member.name ? ` (${v.member.name})` : ''} at ${new Date(v.reading.ts).toISOString()}, ${v.reading.channels.length} channels`);
  return 0;
}

export const command: Command = {
  name: 'reading',
  summary: 'sign a reading, or verify a signed reading against a manifest',
  usage,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === 'sign') return sign(rest, io);
    if (sub === 'verify') return verify(rest, io);
    throw new UsageError(sub ? `unknown subcommand 'reading ${sub}' (sign or verify)` : 'missing subcommand: sign or verify');
  },
};
