// Where a chain is read from: a block store (blocks.log, what a node keeps) or a directory of block files
// (blocks/<height, 8 digits>.cbor, what the simulator writes with --out). Both hold the same stored-block bytes.
import { existsSync, promises as fsp, statSync } from 'node:fs';
import { join } from 'node:path';
import { decode, type Schema } from '@meterchain/core';
import { BLOCKS_FILE, META_FILE } from './block-store.ts';
import type { BlockSource } from './chain-walker.ts';
import { LedgerError } from './errors.ts';
import { RecordLog } from './record-log.ts';

export const BLOCKS_DIR = 'blocks';
const BLOCK_FILE = /^(\d{8})\.cbor$/;
const META_SCHEMA: Schema = { map: { v: 'uint', records: 'uint', bytes: 'uint' } };

export interface OpenedChain {
  kind: 'store' | 'files';
  source: BlockSource;
  close(): Promise<void>;
}

/** The file name of block `height` in a directory of block files. */
export function blockFileName(height: number): string {
  return `${String(height).padStart(8, '0')}.cbor`;
}

/** Opens the chain in `dir` read-only; throws LedgerError 'unusable' when `dir` holds neither layout. */
export async function openChain(dir: string): Promise<OpenedChain> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new LedgerError('unusable', `${dir} is not a directory`);
  if (existsSync(join(dir, BLOCKS_FILE))) return openStoreChain(dir);
  if (existsSync(join(dir, BLOCKS_DIR)) && statSync(join(dir, BLOCKS_DIR)).isDirectory()) return openFileChain(dir);
  throw new LedgerError('unusable', `${dir} holds neither a block store (${BLOCKS_FILE}) nor block files (${BLOCKS_DIR}/)`);
}

async function openStoreChain(dir: string): Promise<OpenedChain> {
  let opened;
  try {
    opened = await RecordLog.open(join(dir, BLOCKS_FILE), { readOnly: true });
  } catch (e) {
    // A damaged file header is damage to the chain (exit 1 in the tool), not an unreadable input.
    if (e instanceof LedgerError && e.code === 'corrupt') {
      const damage = { index: 0, place: `${BLOCKS_FILE} header (bytes 0..15)`, fault: 'storage', reason: e.message };
      const source: BlockSource = { count: 0, read: async () => [], place: () => damage.place, damage };
      return { kind: 'store', source, close: async () => undefined };
    }
    throw new LedgerError('unusable', (e as Error).message);
  }
  const { log, recovery } = opened;
  let damage: BlockSource['damage'];
  if (recovery.cutAt !== undefined) {
    damage = {
      index: recovery.records,
      fault: 'storage',
      reason: `${BLOCKS_FILE}: the record at byte ${recovery.cutAt} is damaged (${recovery.cutReason}); ${recovery.cutBytes} bytes from there on are unreadable (a crash mid-append leaves the same: a node cuts it off when it restarts)`,
    };
  } else {
    // The durable mark says how many blocks were once stored: fewer now means blocks went missing at the end.
    const meta = await fsp.readFile(join(dir, META_FILE)).catch(() => undefined);
    const d = meta ? decode(new Uint8Array(meta), META_SCHEMA) : undefined;
    const marked = d && d.ok ? (d.value as { records: number }).records : 0;
    if (marked > recovery.records) {
      damage = { index: recovery.records, fault: 'missing', reason: `${BLOCKS_FILE} holds ${recovery.records} blocks, but ${marked} were durable before` };
    }
  }
  const source: BlockSource = {
    count: log.count,
    read: (from, to) => log.readRange(from, to),
    place: (i) => (i < log.count ? `${BLOCKS_FILE} record ${i} (byte ${log.offsetOf(i)})` : `${BLOCKS_FILE} record ${i} (byte ${recovery.cutAt ?? log.durableBytes})`),
  };
  if (damage) source.damage = damage;
  return { kind: 'store', source, close: () => log.close() };
}

async function openFileChain(dir: string): Promise<OpenedChain> {
  const names = (await fsp.readdir(join(dir, BLOCKS_DIR))).filter((n) => BLOCK_FILE.test(n)).sort();
  let damage: BlockSource['damage'];
  for (let i = 0; i < names.length; i++) {
    const height = Number(BLOCK_FILE.exec(names[i]!)![1]);
    if (height !== i) {
      damage = {
        index: i,
        place: `${BLOCKS_DIR}/${height > i ? blockFileName(i) : names[i]}`,
        fault: 'missing',
        reason: height > i ? `${BLOCKS_DIR}/${blockFileName(i)} is missing (the next file is ${BLOCKS_DIR}/${names[i]})` : `unexpected file ${BLOCKS_DIR}/${names[i]}`,
      };
      break;
    }
  }
  const source: BlockSource = {
    count: names.length,
    read: async (from, to) => {
      const out: Uint8Array[] = [];
      for (let i = from; i < to; i++) out.push(new Uint8Array(await fsp.readFile(join(dir, BLOCKS_DIR, names[i]!))));
      return out;
    },
    place: (i) => `${BLOCKS_DIR}/${names[i] ?? blockFileName(i)}`,
  };
  if (damage) source.damage = damage;
  return { kind: 'files', source, close: async () => undefined };
}
