// @meterchain/campaign: the fault campaign (a real cluster under a seeded schedule of faults) and its checks.
export { runCampaign, type CampaignOptions, type CampaignResult, type CampaignReport } from './run.ts';
export { checkCluster, readNodeLog, stallsIn, COUNTERS, type Counter, type CheckInput, type CheckResult, type NodeFiles, type NodeLog } from './checks.ts';
export { planCampaign, countSchedule, CRASH_KINDS, BYZANTINE_KINDS, type Fault, type FaultKind, type Schedule, type ScheduleOptions } from './schedule.ts';
