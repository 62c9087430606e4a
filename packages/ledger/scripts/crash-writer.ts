// Entry point of the crash test's writer process (bundled into one .mjs file by the test; see src/testing/crash.ts).
import { runWriter } from '../src/testing/crash-writer.ts';

await runWriter(process.argv.slice(2));
