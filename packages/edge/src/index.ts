// @meterchain/edge: the edge pre-processing of a meter (filters, checks, quality flags), portable to Espruino.
export type { Check, Filter, Finding, Sample, Severity } from './types.ts';
export { createPipeline, type EdgeOutput, type Pipeline } from './pipeline.ts';
export type { Profile } from './profile.ts';
export { builtInProfiles, pmuProfile, residentialProfile, threePhaseProfile } from './profiles.ts';
export { deadbandFilter, emaFilter, hampelFilter, medianFilter, movingAverageFilter } from './filters.ts';
export { feederBalance, redundantAgree, redundantOutliers, type CrossVerdict, type Losses, type Tolerance } from './cross.ts';
export { emptyRecording, replay, type FindingSink, type Recording } from './recording.ts';
// PMU frame and cross-PMU checks are their own entry, @meterchain/edge/pmu: a meter's bundle does not carry them.
// Fault injection (a lab tool that builds its fault tables when loaded) is its own entry: @meterchain/edge/inject.
