// @meterchain/control-centre: follows regional chains, verifies them, loads verified aggregates and readings into
// PostgreSQL or an embedded PGlite, and serves them as JSON (docs/control-centre.md).
export { ControlCentre } from './centre.ts';
export type { ControlCentreOptions } from './centre.ts';
export { openDatabase } from './db.ts';
export type { Database, DatabaseOptions, Row } from './db.ts';
export { RegionFollower } from './follower.ts';
export type { RegionSource, PollResult } from './follower.ts';
export { SCHEMA_SQL } from './schema.ts';
export { WideAreaFollower, WIDEAREA_SCHEMA_SQL } from './widearea.ts';
export type { WideAreaSource } from './widearea.ts';
