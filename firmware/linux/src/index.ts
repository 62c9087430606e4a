// The Linux meter daemon composition: configuration, logging, metrics and (soon) the node runtime.
export { loadConfig, checkConfig, ConfigError, describeError, type NodeConfig } from './config.ts';
export { createLogger, type Logger, type Level } from './log.ts';
export { Metrics } from './metrics.ts';
