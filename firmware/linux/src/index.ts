// The Linux meter daemon composition: configuration, logging, metrics and the node runtime.
export { loadConfig, checkConfig, ConfigError, describeError, type NodeConfig } from './config.ts';
export { createLogger, type Logger, type Level } from './log.ts';
export { Metrics } from './metrics.ts';
export { MeterNode, type MeterNodeOptions, type Fault, type NodeObserver } from './runtime.ts';
export { Background } from './background.ts';
export { Receptions, type ReceiverLogin } from './receptions.ts';
export { identify, startNode, type RunningNode, type StartOptions } from './main.ts';
export { repairNode, type NodeRepair, type RepairOptions } from './repair.ts';
export { SimulatedThreePhase, DeviceSensor, modbusSensor, iec62056Sensor, Lines, retryDelayMs, type Sensor, type SensorSample } from './sensor.ts';
export { THREE_PHASE_CHANNELS } from './channels.ts';
