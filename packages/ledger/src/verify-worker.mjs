// Entry of a chain-verification worker thread: loads the TypeScript sources the way the command-line tool does,
// then serves chunks of blocks (verify-worker.ts).
import { register } from 'tsx/esm/api';

register();
await import('./verify-worker.ts');
