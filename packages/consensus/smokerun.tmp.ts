import { smoke } from './smoke.ts';
const t0 = performance.now(); console.log(smoke(), performance.now() - t0);
