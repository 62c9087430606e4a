// `meterchain cluster bridge-config`: the regional broker's bridge section, the wide-area broker's ACL section for
// the bridge login and the gates' ACL sections, as the wide-area bridge test runs them against real Mosquitto.
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bridgeConfig, gateAcl, wideAreaBridgeAcl } from '@meterchain/transport';
import { isOneLineError, meterchain } from './run.ts';

const dir = mkdtempSync(join(tmpdir(), 'mc-bridge-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('meterchain cluster bridge-config', () => {
  test('writes the bridge section, the wide-area ACL and the gates’ ACL, private to their owner', () => {
    writeFileSync(join(dir, 'pw'), 's3cret\n');
    const out = join(dir, 'given');
    const r = meterchain(['cluster', 'bridge-config', '--region', 'north', '--widearea', 'grid-wide', '--remote', '10.0.0.5:1883', '--out', out, '--password-file', join(dir, 'pw'), '--gate', 'gate-1', '--gate', 'gate-2']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readFileSync(join(out, 'bridge-north.conf'), 'utf8')).toBe(bridgeConfig({ region: 'north', widearea: 'grid-wide', host: '10.0.0.5', port: 1883, login: 'bridge-north', password: 's3cret' }));
    expect(readFileSync(join(out, 'widearea-north.acl'), 'utf8')).toBe(wideAreaBridgeAcl({ region: 'north', widearea: 'grid-wide', login: 'bridge-north' }));
    expect(readFileSync(join(out, 'gates-north.acl'), 'utf8')).toBe([gateAcl({ region: 'north', login: 'gate-1' }), gateAcl({ region: 'north', login: 'gate-2' })].join('\n'));
    expect(statSync(join(out, 'bridge-north.conf')).mode & 0o777).toBe(0o600);
  });

  test('without a password file one is drawn and written for the wide-area broker', () => {
    const out = join(dir, 'drawn');
    const r = meterchain(['cluster', 'bridge-config', '--region', 'south', '--widearea', 'grid-wide', '--remote', 'wide.example:8883', '--out', out, '--login', 'br-s']);
    expect(r.code).toBe(0);
    const password = readFileSync(join(out, 'passwords', 'br-s.pass'), 'utf8').trim();
    expect(password.length).toBeGreaterThan(20);
    expect(readFileSync(join(out, 'bridge-south.conf'), 'utf8')).toContain(`remote_password ${password}\n`);
  });

  test('bad input: one line on stderr, exit 2', () => {
    for (const args of [
      ['--region', 'north', '--widearea', 'grid-wide', '--out', join(dir, 'x')],
      ['--region', 'north', '--widearea', 'grid-wide', '--remote', 'nohost', '--out', join(dir, 'x')],
      ['--region', 'north', '--widearea', 'north', '--remote', 'h:1', '--out', join(dir, 'x')],
      ['--region', 'no/rth', '--widearea', 'w', '--remote', 'h:1', '--out', join(dir, 'x')],
      ['--region', 'north', '--widearea', 'w', '--remote', 'h:1', '--out', join(dir, 'x'), '--password-file', join(dir, 'missing')],
    ]) {
      const r = meterchain(['cluster', 'bridge-config', ...args]);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(isOneLineError(r)).toBe(true);
    }
  });
});
