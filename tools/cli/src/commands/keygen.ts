// `meterchain keygen --out DIR`: a new Ed25519 key pair for a meter or operator; prints its address.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { addressFromPublicKey, addressToText } from '@meterchain/core';
import { generateSeed, publicKeyFromSeed, writeKeyFile, writePublicKeyFile } from '@meterchain/crypto';
import { parse, required, type Command } from '../command.ts';

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
    mkdirSync(dir, { recursive: true });
    const seed = generateSeed();
    const publicKey = publicKeyFromSeed(seed);
    writeKeyFile(join(dir, `${name}.key`), seed);
    writePublicKeyFile(join(dir, `${name}.pub`), publicKey);
    io.out(addressToText(addressFromPublicKey(publicKey)));
    return 0;
  },
};
