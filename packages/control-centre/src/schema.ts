// Tables of the control centre (docs/control-centre.md, "Database"). Only verified data goes in: a block is loaded
// with its rounds and readings in one transaction after its chain checked up to it. Statements are plain PostgreSQL
// that PGlite runs as well.
export const SCHEMA_SQL = [
  `CREATE TABLE IF NOT EXISTS regions (
     region text PRIMARY KEY,
     genesis text NOT NULL,
     round_ms integer NOT NULL,
     genesis_ms bigint NOT NULL,
     block_rounds integer NOT NULL,
     members integer NOT NULL,
     height integer NOT NULL DEFAULT -1,
     tip text,
     updated_ms bigint,
     fault text
   )`,
  `CREATE TABLE IF NOT EXISTS blocks (
     region text NOT NULL,
     height integer NOT NULL,
     hash text NOT NULL,
     prev text NOT NULL,
     epoch integer NOT NULL,
     first_round bigint NOT NULL,
     last_round bigint NOT NULL,
     readings integer NOT NULL,
     rejected integer NOT NULL,
     undecided integer NOT NULL,
     energy_in bigint NOT NULL,
     energy_out bigint NOT NULL,
     vmin bigint,
     vmax bigint,
     loaded_ms bigint NOT NULL,
     stored bytea NOT NULL,
     PRIMARY KEY (region, height)
   )`,
  `CREATE TABLE IF NOT EXISTS rounds (
     region text NOT NULL,
     round bigint NOT NULL,
     height integer NOT NULL,
     start_ms bigint NOT NULL,
     accepted integer NOT NULL,
     rejected integer NOT NULL,
     energy_in bigint NOT NULL,
     energy_out bigint NOT NULL,
     power bigint NOT NULL,
     vmin bigint,
     vmax bigint,
     PRIMARY KEY (region, round)
   )`,
  `CREATE TABLE IF NOT EXISTS readings (
     region text NOT NULL,
     meter text NOT NULL,
     seq bigint NOT NULL,
     round bigint NOT NULL,
     height integer NOT NULL,
     ts bigint NOT NULL,
     quality integer NOT NULL,
     energy_in bigint,
     power bigint,
     channels text NOT NULL,
     digest text NOT NULL,
     PRIMARY KEY (region, meter, seq)
   )`,
  `CREATE INDEX IF NOT EXISTS readings_by_round ON readings (region, round)`,
  `CREATE TABLE IF NOT EXISTS evidence (
     region text NOT NULL,
     kind text NOT NULL,
     height integer NOT NULL,
     detail text NOT NULL,
     bytes bytea NOT NULL,
     found_ms bigint NOT NULL,
     PRIMARY KEY (region, kind, height, detail)
   )`,
];
