// `meterchain keygen --out DIR`: a new Ed25519 key pair for a meter or operator; prints its address.
import { mkdirSync } from 'node:fs';
import { generateSeed, writeKeyPair } from '@meterchain/crypto';
import { parse, required, UsageError, type Command } from '../command.ts';

export const command: Command = {
  name: 'keygen',
  summary: 'create an Ed25519 key pair and print its address',
  usage: `usage: meterchain keygen --out DIR [--name NAME]

Writes DIR/NAME.key (the private key, mode 0600, never printed) and DIR/NAME.pub (public key and address),
then prints the address. NAME defaults to "meter". Refuses to overwrite an existing key.`,
  async run(argv, io) {
    const { values } = parse(argv, { out: { type: 'string' }, name: { type: 'string' } });
    const dir = required(values.out, 'out');
    const name = values.name ?? 'meter';
    // A name, not a path: DIR/NAME.key must stay in DIR.
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) throw new UsageError(`--name must be a file name (letters, digits, '.', '_', '-'; no '/'), got '${name}'`);
    mkdirSync(dir, { recursive: true });
    const pair = writeKeyPair(dir, generateSeed(), name);
    io.out(pair.address);
    return 0;
  },
};
