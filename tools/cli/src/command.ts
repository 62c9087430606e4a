// The shape every `meterchain` command has, argument parsing, and the errors that map to exit codes.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

export interface Command {
  /** First word on the command line, e.g. `chain`. */
  name: string;
  /** One line for `meterchain --help`. */
  summary: string;
  /** Full usage text for `meterchain NAME --help` (subcommands included). */
  usage: string;
  /** Returns the exit code: 0 success, 1 invalid/verification failed, 2 bad usage or unreadable input. */
  run(argv: string[], io: Io): Promise<number>;
}

/** Wrong command line: exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
/** Input that cannot be read or used (missing file, not JSON, bad YAML): exit 2. */
export class InputError extends Error {
  override name = 'InputError';
}
/** Input that was read but is not valid (bad signature, broken chain): exit 1. */
export class InvalidError extends Error {
  override name = 'InvalidError';
}

export type Options = NonNullable<ParseArgsConfig['options']>;

/** Strict option parsing: unknown options and missing values become UsageError. `--help` is always accepted. */
export function parse<O extends Options>(argv: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' }, ...options }, allowPositionals, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message.split('\n')[0]!);
  }
}

/** Returns the named option or throws UsageError saying it is required. */
export function required<T>(value: T | undefined, flag: string): T {
  if (value === undefined || value === '') throw new UsageError(`missing required option --${flag}`);
  return value;
}

/** Parses a non-negative integer option or throws UsageError naming it. */
export function intOption(value: string | undefined, flag: string, fallback?: number): number {
  if (value === undefined) {
    if (fallback === undefined) throw new UsageError(`missing required option --${flag}`);
    return fallback;
  }
  if (!/^\d+$/.test(value)) throw new UsageError(`--${flag} expects a whole number, got '${value}'`);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new UsageError(`--${flag} is too large: ${value}`);
  return n;
}
