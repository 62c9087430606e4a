// The edge library as a meter uses it: build the residential pipeline, step samples (time comes with each one),
// and put the quality bits into the reading before it is signed. Run: npx tsx examples/edge-replay/library.ts
import { qualityNames } from '@meterchain/core';
import { createPipeline, residentialProfile, type EdgeOutput } from '@meterchain/edge';

const channels = ['voltage', 'current', 'activePower', 'reactivePower'];
const pipeline = createPipeline(residentialProfile, channels);

// Minute samples: V, I, P (W), Q (var). The fourth reads 281 V for one minute; the sixth is missing.
const minutes = [
  [240.1, 5.0, 1180, 150],
  [240.3, 5.2, 1222, 151],
  [240.2, 5.0, 1179, 150],
  [281.0, 5.0, 1180, 150],
  [240.4, 5.0, 1182, 151],
  [NaN, NaN, NaN, NaN],
  [240.1, 5.0, 1181, 150],
];

function report(out: EdgeOutput | null): void {
  if (out === null) return; // the pipeline holds each sample one step, until the spike check has seen the next one
  const flags = qualityNames(out.quality).join(' ') || 'clean';
  console.log(`${new Date(out.t).toISOString()}  V=${out.raw[0]}  quality=${out.quality} (${flags})`);
  for (const f of out.findings) console.log(`    ${f.severity} ${f.check}/${f.code} on ${f.channel}: ${f.detail}`);
}

const sample = { t: 0, seq: 0, clock: 0, values: new Float64Array(channels.length) };
const start = Date.UTC(2006, 11, 16, 17, 24);
for (let i = 0; i < minutes.length; i++) {
  sample.t = start + i * 60_000;
  sample.seq = i;
  sample.values.set(minutes[i]!);
  report(pipeline.step(sample));
}
for (let out = pipeline.flush(); out !== null; out = pipeline.flush()) report(out);
