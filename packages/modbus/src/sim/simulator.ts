// Starts a simulated device: a profile (register image or readout), a link, faults, a seed. Values move once per
// tick, deterministically for a given seed and number of ticks.
import { loadSunSpecModels } from '../sunspec.ts';
import { Sdm630Image, SunSpecImage, type RegisterImage } from './images.ts';
import { serveIec62056 } from './iec62056-server.ts';
import { MeterSimulation } from './physics.ts';
import { serveRtu, serveRtuOverTcp, serveTcp, type RunningServer } from './servers.ts';
import { ModbusSlave, type Faults } from './slave.ts';

export const SIM_PROFILES = ['sdm630', 'sunspec-203', 'sunspec-213', 'iec62056'] as const;
export type SimProfile = (typeof SIM_PROFILES)[number];

export type SimLink =
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'rtu-over-tcp'; host: string; port: number }
  /** `paceLine`: delay replies by the wire time of request and reply at baudRate (a pty has no line speed). */
  | { kind: 'rtu'; path: string; baudRate: number; parity?: 'none' | 'even' | 'odd'; paceLine?: boolean };

export interface SimulatorOptions {
  profile: SimProfile;
  link: SimLink;
  unit?: number;
  seed?: number;
  faults?: Faults;
  /** Directory of SunSpec model files (sunspec profiles). */
  sunspecDir?: string;
  /** Wall-clock period of a simulation step; 0 freezes time (tests that compare exact values). */
  tickMs?: number;
}

export interface RunningSimulator extends RunningServer {
  readonly profile: SimProfile;
  readonly simulation: MeterSimulation;
  /** The Modbus side (absent for iec62056). */
  readonly slave: ModbusSlave | null;
  readonly image: RegisterImage | null;
}

export async function startSimulator(options: SimulatorOptions): Promise<RunningSimulator> {
  const seed = options.seed ?? 1;
  const unit = options.unit ?? 1;
  const simulation = new MeterSimulation(seed);
  if (options.faults?.stuck) simulation.stuck = true;
  let image: RegisterImage | null = null;
  let slave: ModbusSlave | null = null;
  let server: RunningServer;
  if (options.profile === 'iec62056') {
    if (options.link.kind !== 'rtu') throw new Error('the iec62056 profile serves a serial port: give --rtu PATH');
    const sim = { path: options.link.path, simulation, seed } as Parameters<typeof serveIec62056>[0];
    if (options.faults) sim.faults = options.faults;
    server = await serveIec62056(sim);
  } else {
    if (options.profile === 'sdm630') image = new Sdm630Image();
    else if (options.profile === 'sunspec-203' || options.profile === 'sunspec-213') {
      image = new SunSpecImage(loadSunSpecModels(options.sunspecDir), options.profile === 'sunspec-203' ? 203 : 213, { unit });
    } else throw new Error(`unknown simulator profile '${String(options.profile)}' (expected ${SIM_PROFILES.join(', ')})`);
    image.update(simulation);
    const faults = options.faults ?? {};
    slave = new ModbusSlave({ unit, image, faults, seed });
    const link = options.link;
    if (link.kind === 'tcp') server = await serveTcp(slave, link.host, link.port);
    else if (link.kind === 'rtu-over-tcp') server = await serveRtuOverTcp(slave, link.host, link.port);
    else server = await serveRtu(slave, link.path, link.baudRate, link.parity ?? 'none', link.paceLine ?? false);
  }
  const tickMs = options.tickMs ?? 1000;
  const timer = tickMs > 0 ? setInterval(() => {
    simulation.advance(tickMs / 1000);
    image?.update(simulation);
  }, tickMs) : null;
  timer?.unref();
  return {
    where: server.where,
    port: server.port,
    profile: options.profile,
    simulation,
    slave,
    image,
    close: async () => {
      if (timer) clearInterval(timer);
      await server.close();
    },
  };
}
