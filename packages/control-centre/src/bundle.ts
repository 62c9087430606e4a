// Builds the dashboard's browser bundle (the proof check) with esbuild, once per process.
import { fileURLToPath } from 'node:url';
import { build, stop } from 'esbuild';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
let built: Promise<string> | undefined;

export function browserBundle(): Promise<string> {
  built ??= build({
    entryPoints: [here('./browser/entry.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    alias: {
      '@meterchain/crypto': here('./browser/crypto.ts'),
      'node:util': here('./browser/shims.ts'),
      'node:crypto': here('./browser/shims.ts'),
    },
    inject: [here('./browser/buffer.ts')],
    logLevel: 'silent',
  }).then(
    async (r) => {
      // esbuild keeps a service process for later builds; there are none, and it would outlive the server.
      await stop();
      return r.outputFiles[0]!.text;
    },
    async (e: unknown) => {
      await stop();
      built = undefined;
      throw e;
    },
  );
  return built;
}
