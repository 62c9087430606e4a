// A cluster lab scenario: a regional cluster of meter nodes, composed as `meterchain node` composes them (startNode
// from a node.yaml) on an in-process broker, each reading its own simulated SDM630 through a fault proxy. The faults
// hit one member's device only; the cluster's vote must refuse that member's bad readings and accept the others'.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { QualityFlag, mulberry32, type Reading } from '@meterchain/core';
import { Lines, createLogger, startNode, type RunningNode } from '@meterchain/firmware-linux';
import { zeroCounters } from '@meterchain/modbus';
import { startSimulator, type RunningSimulator } from '@meterchain/modbus/sim';
import { createCluster } from '../cluster-files.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../demo/broker.ts';
import { faultWindow, zeroProxyCounters } from './faults.ts';
import { judge, type Criterion, type RecordedReading, type Verdict } from './judge.ts';
import type { RunOptions, ScenarioResult, TimelineEvent } from './run.ts';
import { startTcpFaultProxy, type FaultProxy } from './tcp-proxy.ts';

/** Bits the cluster refuses a reading for (consensus judge): a reading with any of them is bad, whatever its values. */
const REFUSED_FLAGS = QualityFlag.COMM_ERROR | QualityFlag.PARTIAL;

export async function runClusterScenario(options: RunOptions): Promise<ScenarioResult> {
  const { scenario } = options;
  const spec = scenario.cluster!;
  const roundMs = spec.roundMs ?? scenario.periodMs;
  const endMs = roundMs * scenario.samples;
  const seed = options.seed ?? scenario.simulator?.seed ?? 1;
  const dir = mkdtempSync(join(tmpdir(), 'mc-hil-cluster-'));
  const timeline: TimelineEvent[] = [];
  const sims: RunningSimulator[] = [];
  const proxies: FaultProxy[] = [];
  const nodes: RunningNode[] = [];
  let broker: EmbeddedBroker | null = null;
  const lines = new Lines();
  // Nodes start before round 0; the lab's clock (faults) starts with round 0.
  const genesisMs = Math.ceil((Date.now() + 3000) / roundMs) * roundMs;
  const elapsed = () => Date.now() - genesisMs;
  try {
    const files = createCluster(join(dir, 'cluster'), { name: 'hil', members: spec.members, rule: 'bft', roundMs, blockRounds: 4, genesisMs });
    broker = await startEmbeddedBroker();
    const readings: RecordedReading[] = [];
    for (let i = 0; i < spec.members; i++) {
      // One seed for every device: the same values on each meter, so one reference is the truth for all.
      const sim = await startSimulator({ profile: 'sdm630', link: { kind: 'rtu-over-tcp', host: '127.0.0.1', port: 0 }, unit: 1, seed, tickMs: 0 });
      sims.push(sim);
      const faults = i === spec.faultyMember ? scenario.faults : [];
      const proxy = await startTcpFaultProxy({ target: { host: '127.0.0.1', port: sim.port }, faults, framing: 'rtu', random: mulberry32(seed ^ (0xfa017 + i)), clock: elapsed, endMs });
      proxies.push(proxy);
      const m = files.members[i]!;
      const config = join(m.dir, 'node.yaml');
      writeFileSync(config, [
        'cluster:',
        `  manifest: ${relative(m.dir, files.manifestPath)}`,
        `  operatorKey: ${relative(m.dir, join(files.dir, 'operator.pub'))}`,
        'key: meter.key',
        'dataDir: data',
        'broker:',
        `  url: ${broker.url}`,
        'sensor:',
        '  type: modbus-rtu-over-tcp',
        '  host: 127.0.0.1',
        `  port: ${proxy.where.split(':')[1]}`,
        '  unit: 1',
        '  profile: sdm630',
        `  timeoutMs: ${scenario.node?.timeoutMs ?? 300}`,
        'edge:',
        '  profile: three-phase',
        'metrics:',
        '  listen: "off"',
        '',
      ].join('\n'));
      const member = i;
      const node = await startNode(config, createLogger({ level: 'error', write: () => undefined }), {
        lines,
        observer: {
          outcome(e) {
            if (!e.reading) return;
            const r: Reading = e.reading;
            readings.push({ slot: e.round, t: elapsed(), stamp: r.ts - genesisMs, channels: r.channels, quality: r.quality, member, outcome: e.outcome });
          },
        },
      });
      nodes.push(node);
    }
    for (const f of scenario.faults) {
      const w = faultWindow(f, endMs);
      timeline.push({ t: w.from, what: `${f.kind} starts on member ${spec.faultyMember}'s line` });
      if (w.to !== w.from) timeline.push({ t: w.to, what: `${f.kind} ends` });
    }
    // The rounds of the run, and two more for their votes to be counted.
    await new Promise((r) => setTimeout(r, Math.max(0, genesisMs + endMs + 2 * roundMs - Date.now())));
    readings.sort((a, b) => a.slot - b.slot || a.member! - b.member!);
    const inRun = readings.filter((r) => r.slot < scenario.samples);
    const extra = clusterCriteria(inRun, spec.members, spec.faultyMember);
    const verdict = judge(scenario, inRun, [], scenario.samples, extra);
    timeline.sort((a, b) => a.t - b.t);
    const proxyCounters = proxies[spec.faultyMember]?.counters ?? zeroProxyCounters();
    return {
      scenario, profile: 'sdm630', link: 'tcp', device: `${spec.members} simulated SDM630s (RTU over TCP), member ${spec.faultyMember} faulty`,
      verdict, gaps: [], timeline, counters: { node: zeroCounters(), proxy: { ...proxyCounters }, device: sims[spec.faultyMember]?.slave ? { ...sims[spec.faultyMember]!.slave!.counters } : null },
      durationMs: elapsed(), endMs,
    };
  } catch (e) {
    const verdict: Verdict = { pass: false, criteria: [{ name: 'ran', ok: false, detail: (e as Error).message.split('\n')[0]! }], readings: [], truth: '' };
    return { scenario, profile: 'sdm630', link: 'tcp', device: 'cluster', verdict, gaps: [], timeline, counters: { node: zeroCounters(), proxy: null, device: null }, durationMs: elapsed(), endMs };
  } finally {
    for (const node of nodes) await node.stop().catch(() => undefined);
    for (const proxy of proxies) await proxy.close().catch(() => undefined);
    for (const sim of sims) await sim.close().catch(() => undefined);
    await broker?.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What the vote must do: refuse every bad reading (a wrong value, or one flagged as badly read), and accept the
 * healthy members' readings. */
function clusterCriteria(readings: RecordedReading[], members: number, faulty: number): Criterion[] {
  const bad = (r: RecordedReading) => (r.quality & REFUSED_FLAGS) !== 0;
  const faultyBad = readings.filter((r) => r.member === faulty && bad(r));
  const acceptedBad = faultyBad.filter((r) => r.outcome === 'accepted');
  const healthy = readings.filter((r) => r.member !== faulty);
  const healthyAccepted = healthy.filter((r) => r.outcome === 'accepted');
  const criteria: Criterion[] = [
    {
      name: "the faulty member's bad readings are refused by the vote",
      ok: faultyBad.length > 0 && acceptedBad.length === 0,
      detail: faultyBad.length === 0 ? 'the fault gave no bad reading: the scenario tested nothing' : `${faultyBad.length} bad, ${faultyBad.length - acceptedBad.length} refused (${[...new Set(faultyBad.map((r) => r.outcome))].join(', ')})`,
    },
    {
      name: "the other members' readings are accepted",
      ok: healthy.length > 0 && healthyAccepted.length >= 0.8 * healthy.length,
      detail: `${healthyAccepted.length} of ${healthy.length} accepted from ${members - 1} members`,
    },
  ];
  return criteria;
}
