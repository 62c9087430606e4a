// A finding of the gate, and how it maps from the bundle back to the TypeScript source through the source map.
import { relative, resolve, dirname } from 'node:path';
import { SourceMapConsumer, type RawSourceMap } from 'source-map-js';

/** One reason a target is not portable: printed as `file:line: rule: message`. */
export interface Finding {
  /** Which gate target it belongs to (a package name, or the firmware bundle). */
  target: string;
  /** Path relative to the repository root (the TypeScript source when the source map knows it, else the bundle). */
  file: string;
  line: number;
  rule: string;
  message: string;
}

export function formatFinding(f: Finding): string {
  return `${f.file}:${f.line}: ${f.rule}: ${f.message}`;
}

/** Where a position of the bundle came from: source file (relative to the root) and 1-based line, or undefined when
 * the position belongs to code esbuild wrote itself (its helpers, the IIFE wrapper). */
export interface Origin {
  file: string;
  line: number;
}

/** Maps positions of one bundle back to sources. */
export class SourceLocator {
  private readonly consumer: SourceMapConsumer;
  private readonly mapDir: string;

  constructor(
    map: string,
    /** Absolute path the map's `sources` are relative to (the directory of the bundle file). */
    mapFile: string,
    private readonly root: string,
  ) {
    this.consumer = new SourceMapConsumer(JSON.parse(map) as RawSourceMap);
    this.mapDir = dirname(mapFile);
  }

  /** `line` 1-based, `column` 0-based, as acorn reports them. */
  origin(line: number, column: number): Origin | undefined {
    let pos = this.consumer.originalPositionFor({ line, column });
    if (pos.source === null) {
      // A node may start just before its first mapped token (a `(` esbuild added): take the next mapping on the line.
      pos = this.consumer.originalPositionFor({ line, column, bias: SourceMapConsumer.LEAST_UPPER_BOUND });
    }
    if (pos.source === null || pos.line === null) return undefined;
    return { file: this.sourcePath(pos.source), line: pos.line };
  }

  /** Generated positions that have a mapping, as line * 2^24 + column, ascending (built on first use). */
  private mapped: number[] | undefined;

  /** Whether any mapped position lies in [start, end) of the bundle: code esbuild wrote itself (its helpers) has none,
   * also in a minified bundle, where everything is on one line and `origin` finds the next mapping instead. */
  mapsWithin(start: { line: number; column: number }, end: { line: number; column: number }): boolean {
    if (!this.mapped) {
      const keys: number[] = [];
      this.consumer.eachMapping((m) => {
        if (m.source !== null) keys.push(m.generatedLine * 0x1000000 + m.generatedColumn);
      });
      keys.sort((a, b) => a - b);
      this.mapped = keys;
    }
    const from = start.line * 0x1000000 + start.column;
    const to = end.line * 0x1000000 + end.column;
    let lo = 0;
    let hi = this.mapped.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.mapped[mid]! < from) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.mapped.length && this.mapped[lo]! < to;
  }

  sourcePath(source: string): string {
    return relative(this.root, resolve(this.mapDir, source)).split('\\').join('/');
  }
}
