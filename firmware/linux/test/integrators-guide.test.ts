// docs/integrators.md, run: its sh blocks in order in an empty directory (a real Mosquitto from the shipped
// configuration, a pymodbus SDM630 on Modbus TCP, four meter nodes, a verified proof at the end); its yaml blocks
// checked against the node configuration schema; its systemd blocks (which need a systemd host) name the template
// unit, which systemd-analyze accepts.
import { afterAll, describe, expect, test } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { loadRegisterMap } from '@meterchain/modbus';
import { freeLoopbackPort, requireMosquitto } from '@meterchain/testkit/mosquitto';
import { checkConfig } from '../src/config.ts';

const REPO = resolve(fileURLToPath(new URL('../../../', import.meta.url)));
const GUIDE = join(REPO, 'docs', 'integrators.md');
const CI = ['', '0', 'false'].includes(process.env['CI'] ?? '') === false;

interface Block {
  lang: string;
  tag: string;
  text: string;
  line: number;
}

function blocks(): Block[] {
  const text = readFileSync(GUIDE, 'utf8');
  const out: Block[] = [];
  const fence = /^```(\w*)([^\n]*)\n([\s\S]*?)^```$/gm;
  for (let m = fence.exec(text); m; m = fence.exec(text)) {
    out.push({ lang: m[1]!, tag: m[2]!.trim(), text: m[3]!, line: text.slice(0, m.index).split('\n').length });
  }
  return out;
}

function has(program: string, args: string[]): boolean {
  return !spawnSync(program, args, { stdio: 'ignore', timeout: 10_000 }).error;
}

function requirePrograms(what: string): boolean {
  const missing = [
    ['mosquitto_passwd', ['-h']],
    ['mosquitto_sub', ['--help']],
    ['curl', ['--version']],
    ['openssl', ['version']],
  ]
    .filter(([p, a]) => !has(p as string, a as string[]))
    .map(([p]) => p as string);
  if (spawnSync('/usr/bin/python3', ['-c', 'import pymodbus'], { stdio: 'ignore' }).status !== 0) missing.push('python3-pymodbus');
  if (missing.length === 0) return true;
  const message = `${what} needs ${missing.join(', ')}`;
  if (CI) throw new Error(`${message}; CI requires them`);
  console.warn(`\n!!! SKIPPED: ${message}\n`);
  return false;
}

const runnable = requireMosquitto('the integrators guide') && requirePrograms('the integrators guide');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('docs/integrators.md', () => {
  (runnable ? test : test.skip)(
    'every shell command runs, from an empty directory to a verified proof of a reading from a Modbus TCP meter',
    async () => {
      const sh = blocks().filter((b) => b.lang === 'sh' && b.tag === '');
      expect(sh.length).toBeGreaterThanOrEqual(8);
      const dir = mkdtempSync(join(tmpdir(), 'mc-guide-'));
      dirs.push(dir);
      const script = ['set -euo pipefail', ...sh.map((b) => `echo "== guide block at line ${b.line}" >&2\n${b.text}`)].join('\n');
      const env = {
        ...process.env,
        MC: REPO,
        MQTT_PORT: String(await freeLoopbackPort()),
        MODBUS_PORT: String(await freeLoopbackPort()),
        STATUS_PORT: String(await freeLoopbackPort()),
      };
      // Its own process group, so that whatever it left running (broker, meter, nodes) is ended with it.
      const child = spawn('bash', ['-c', script], { cwd: dir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const limit = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 240_000);
      const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
      clearTimeout(limit);
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // all gone already
      }
      const logs = () =>
        readdirSync(dir)
          .filter((f) => f.endsWith('.log'))
          .map((f) => `--- ${f}\n${readFileSync(join(dir, f), 'utf8').split('\n').slice(-15).join('\n')}`)
          .join('\n');
      if (code !== 0) throw new Error(`the guide's commands failed (exit ${code}):\n${stderr.split('\n').slice(-25).join('\n')}\n${stdout.slice(-2000)}\n${logs()}`);
      // What the reader is told to expect.
      expect(stdout).toMatch(/cluster feeder-7: 4 members, rule bft, epoch 0, rounds of 1000 ms, skew 250 ms/);
      expect(stdout).toMatch(/^1-0:32\.7\.0\s+2[23]\d\.\d\d V$/m);
      expect(stdout).toContain('<title>meterchain node</title>');
      // The status record counts the Modbus requests the node made to the meter and the meter's replies.
      const counters = /^"counters":(\{[^}]*\})$/m.exec(stdout);
      const line = JSON.parse(counters![1]!) as Record<string, number>;
      expect(line['requests']).toBeGreaterThan(0);
      expect(line['replies']).toBeGreaterThan(0);
      expect(line['replies']).toBeLessThanOrEqual(line['requests']!);
      expect(stdout).toMatch(/"1-0:32\.7\.0":\{"value":2[23]\d(\.\d+)?,"unit":"V"\}/);
      expect(stdout).toMatch(/^proof holds: reading of mc[0-9a-f]{40} seq \d+/m);
      const proving = /proving reading (\d+) of (mc[0-9a-f]{40})/.exec(stdout);
      expect(proving).not.toBeNull();
      // The proven reading is the SDM630's: its voltage as pymodbus served it, within the meter's range.
      const volts = /^\s+1-0:32\.7\.0 = (\d+\.\d+) V$/m.exec(stdout);
      expect(Number(volts?.[1])).toBeGreaterThanOrEqual(229);
      expect(Number(volts?.[1])).toBeLessThanOrEqual(231);
      expect(existsSync(join(dir, 'proof.cbor'))).toBe(true);
    },
    300_000,
  );

  test('every yaml block is a configuration the node accepts, or a register map the drivers accept', () => {
    const maps = blocks().filter((b) => b.lang === 'yaml' && b.tag === 'register-map');
    expect(maps.length).toBe(1);
    const dir = mkdtempSync(join(tmpdir(), 'mc-guide-map-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'pm100.yaml'), maps[0]!.text);
    const loaded = loadRegisterMap(join(dir, 'pm100.yaml'));
    expect(loaded.ok ? loaded.map.points.length : loaded.reason).toBe(5);
    const yaml = blocks().filter((b) => b.lang === 'yaml' && b.tag === '');
    expect(yaml.length).toBeGreaterThanOrEqual(5);
    const types = new Set<string>();
    for (const b of yaml) {
      const cfg = checkConfig(parseYaml(b.text), `docs/integrators.md:${b.line}`, '/etc/meterchain');
      types.add(cfg.sensor?.type ?? 'none (substation)');
    }
    // Every sensor type a node runs has a complete example.
    for (const t of ['simulated', 'modbus-tcp', 'modbus-rtu', 'modbus-rtu-over-tcp', 'iec62056']) expect(types).toContain(t);
  });

  test('the JSON example parses', () => {
    for (const b of blocks().filter((x) => x.lang === 'json')) expect(() => JSON.parse(b.text)).not.toThrow();
  });

  test('the only blocks not run are the systemd ones, and the template unit they install is one systemd accepts', () => {
    const notRun = blocks().filter((b) => b.lang === 'sh' && b.tag !== '');
    expect(notRun.map((b) => b.tag)).toEqual(['systemd', 'systemd']);
    expect(notRun[0]!.text).toContain('"$MC/firmware/linux/systemd/meterchain@.service"');
    const unit = join(REPO, 'firmware', 'linux', 'systemd', 'meterchain@.service');
    const text = readFileSync(unit, 'utf8');
    expect(text).toContain('--config /etc/meterchain/%i/node.yaml');
    expect(text).toContain('StateDirectory=meterchain/%i');
    if (!has('systemd-analyze', ['--version'])) {
      if (CI) throw new Error('systemd-analyze not found; CI requires it');
      console.warn('\n!!! SKIPPED: systemd-analyze not found: the unit file is not verified\n');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'mc-unit-'));
    dirs.push(dir);
    const instance = join(dir, 'meterchain@meter-1.service');
    copyFileSync(unit, instance);
    const r = spawnSync('systemd-analyze', ['verify', instance], { encoding: 'utf8', timeout: 30_000 });
    expect({ code: r.status, stderr: r.stderr.trim() }).toEqual({ code: 0, stderr: '' });
  });
});
