import { describe, expect, test } from '@jest/globals';
import { builtInProfiles, createPipeline } from '@meterchain/edge';
import { builtInProfilesSource, checkProfile, loadProfile, parseProfile, PROFILE_NAMES } from '@meterchain/edge/node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const generated = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'src', 'profiles.ts');

describe('shipped profiles', () => {
  test.each(PROFILE_NAMES)('%s.yaml passes the JSON Schema and builds a pipeline over all its channels', (name) => {
    const profile = loadProfile(name);
    expect(profile.name).toBe(name);
    expect(() => createPipeline(profile, profile.channels)).not.toThrow();
  });
  test('the built-in objects are the YAML files, regenerated (scripts/build-profiles.ts)', () => {
    expect(readFileSync(generated, 'utf8')).toBe(builtInProfilesSource());
    expect(builtInProfiles.map((p) => p.name)).toEqual(PROFILE_NAMES);
  });
});

describe('profile schema', () => {
  test('an unknown key is rejected, naming where', () => {
    expect(() => parseProfile('name: x\nchannels: [voltage]\nlimits:\n  voltage: { min: 1, mx: 2 }\n', 'x.yaml')).toThrow("x.yaml: limits.voltage: must NOT have additional properties 'mx'");
  });
  test('a wrong type is rejected, naming where', () => {
    expect(() => parseProfile('name: x\nchannels: [voltage]\nstuck:\n  voltage: { samples: ten }\n', 'x.yaml')).toThrow('x.yaml: stuck.voltage.samples: must be integer');
  });
  test('text that is not YAML is rejected', () => {
    expect(() => parseProfile('name: [x\n', 'x.yaml')).toThrow(/^x.yaml: not YAML/);
  });
  test('a profile without channels is rejected', () => {
    expect(() => checkProfile({ name: 'x' }, 'x')).toThrow("x: (top level): must have required property 'channels'");
  });
  test('an unknown profile name says which are built in', () => {
    expect(() => loadProfile('industrial')).toThrow('industrial: no such profile (built in: residential, three-phase, pmu) or file');
  });
});
