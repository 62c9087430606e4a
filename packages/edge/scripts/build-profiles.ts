// Regenerates src/profiles.ts from profiles/*.yaml: `npx tsx packages/edge/scripts/build-profiles.ts`.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtInProfilesSource, PROFILE_DIR } from '../src/node/profiles.ts';

writeFileSync(join(PROFILE_DIR, '..', 'src', 'profiles.ts'), builtInProfilesSource());
