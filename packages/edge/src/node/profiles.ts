// Node side of profiles: reads a profile from YAML and checks it against profile.schema.json before the portable
// code sees it. Errors name the file and the offending path.
import { Ajv } from 'ajv';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { Profile } from '../profile.ts';
import { edgeError } from '../types.ts';

/** Folder of the YAML profiles shipped with the package. */
export const PROFILE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'profiles');
/** Names of the shipped profiles. */
export const PROFILE_NAMES = ['residential', 'three-phase', 'pmu'];

let validator: ((x: unknown) => boolean) & { errors?: { instancePath: string; message?: string; params?: unknown }[] | null };

function validate(): typeof validator {
  if (!validator) {
    const schema = JSON.parse(readFileSync(join(PROFILE_DIR, 'profile.schema.json'), 'utf8')) as object;
    validator = new Ajv({ allErrors: false, strict: true }).compile(schema) as typeof validator;
  }
  return validator;
}

/** Checks a parsed profile against the JSON Schema; throws EDGE_PROFILE naming `source` and the first error. */
export function checkProfile(profile: unknown, source: string): Profile {
  const v = validate();
  if (!v(profile)) {
    const e = v.errors![0]!;
    const where = e.instancePath === '' ? '(top level)' : e.instancePath.slice(1).split('/').join('.');
    const extra = e.params && typeof e.params === 'object' && 'additionalProperty' in e.params ? ` '${String((e.params as { additionalProperty: unknown }).additionalProperty)}'` : '';
    throw edgeError('EDGE_PROFILE', `${source}: ${where}: ${e.message ?? 'invalid'}${extra}`);
  }
  return profile as Profile;
}

/** Parses profile YAML text and checks it. */
export function parseProfile(text: string, source: string): Profile {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw edgeError('EDGE_PROFILE', `${source}: not YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  return checkProfile(doc, source);
}

/** Loads a shipped profile by name (`residential`, `three-phase`, `pmu`) or a YAML file by path. */
export function loadProfile(nameOrPath: string): Profile {
  const path = PROFILE_NAMES.indexOf(nameOrPath) >= 0 ? join(PROFILE_DIR, `${nameOrPath}.yaml`) : nameOrPath;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    const hint = code === 'ENOENT' ? `no such profile (built in: ${PROFILE_NAMES.join(', ')}) or file` : String((e as Error).message);
    throw edgeError('EDGE_PROFILE', `${nameOrPath}: ${hint}`);
  }
  return parseProfile(text, nameOrPath);
}

/** Source of src/profiles.ts: the shipped profiles as plain objects, for devices that cannot parse YAML. */
/**
 * Decimal fractions written as exact divisions (0.3 as `3 / 10`): Espruino reads a decimal literal digit by digit, so
 * `0.3` is 0.30000000000000004 there, while a division of two integers rounds once, as V8 reads the literal (gate
 * rule decimal-literal).
 */
function exactDecimals(json: string): string {
  return json.replace(/(:\s*|\[\s*|,\s*)(-?)(\d+)\.(\d+)(?![\deE])/g, (_m, lead: string, sign: string, whole: string, fraction: string) => {
    const digits = (whole + fraction).replace(/^0+(?=\d)/, '');
    return `${lead}${sign}${digits} / 1${'0'.repeat(fraction.length)}`;
  });
}

export function builtInProfilesSource(): string {
  const lines = [
    '// Generated from profiles/*.yaml by scripts/build-profiles.ts: do not edit; edit the YAML and regenerate.',
    '// The shipped profiles as plain objects, for devices that cannot parse YAML (a test keeps them in step).',
    "import type { Profile } from './profile.ts';",
    '',
  ];
  for (const name of PROFILE_NAMES) {
    const id = name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
    lines.push(`export const ${id}Profile: Profile = ${exactDecimals(JSON.stringify(loadProfile(name), null, 2))};`, '');
  }
  const ids = PROFILE_NAMES.map((name) => name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase()) + 'Profile');
  lines.push('/** The shipped profiles, by name. */', `export const builtInProfiles: Profile[] = [${ids.join(', ')}];`, '');
  return lines.join('\n');
}
