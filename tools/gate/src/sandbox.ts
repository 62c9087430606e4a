// Smoke step of the gate: runs a bundle in a fresh `node:vm` context from which what Espruino lacks was deleted,
// with `print` and `console.log` as its only outputs. An approximation of Espruino: the lint covers the rest.
import { createContext, runInContext } from 'node:vm';
import { MISSING_GLOBALS, MISSING_PROTOTYPE_METHODS, MISSING_STATICS, NODE_GLOBALS } from './espruino.ts';

export interface SmokeResult {
  /** The bundle ran to its end without throwing. */
  ok: boolean;
  /** Lines it printed. */
  output: string[];
  /** What it threw, with the stack frames in the bundle (1-based line, 0-based column), innermost first. */
  error?: { message: string; frames: { line: number; column: number }[] };
  ms: number;
}

/** Source run in the context before the bundle: deletes the globals, static and prototype methods Espruino lacks.
 * Sloppy mode: a few are not configurable (Number.MAX_SAFE_INTEGER, BYTES_PER_ELEMENT) and stay; the lint has them. */
export function strippingPrelude(): string {
  const lines: string[] = [];
  for (const name of [...MISSING_GLOBALS, ...NODE_GLOBALS, 'BigInt']) lines.push(`delete globalThis[${JSON.stringify(name)}];`);
  for (const [object, methods] of Object.entries(MISSING_STATICS)) {
    for (const m of methods) lines.push(`delete ${object}[${JSON.stringify(m)}];`);
  }
  for (const [object, methods] of Object.entries(MISSING_PROTOTYPE_METHODS)) {
    const proto = object === 'TypedArray' ? 'Object.getPrototypeOf(Uint8Array.prototype)' : `${object}.prototype`;
    for (const m of methods) lines.push(`delete ${proto}[${JSON.stringify(m)}];`);
  }
  lines.push(EMULATION);
  return lines.join('\n');
}

/**
 * Where Espruino 2v29 computes differently from V8, the sandbox does as Espruino does (probed there):
 * - Math.pow: integer exponents 0..9 by repeated multiplication, anything else as exp(y·log x), so
 *   Math.pow(2, 31) !== 2147483648 here too;
 * - Math.round: adds ±0.5 and truncates toward zero, so halves go away from zero (-2.5 -> -3) and
 *   0.49999999999999994 -> 1;
 * - parseFloat: digits after the point are added as digit × 0.1, × 0.01, … ('0.3' -> 0.30000000000000004);
 * - typed arrays: slice() and filter() return plain Arrays, JSON.stringify writes them as arrays;
 * - errors: TypeError, SyntaxError and ReferenceError are not `instanceof Error`, and `name` is undefined.
 */
const EMULATION = `(function () {
  var exp = Math.exp, log = Math.log;
  Math.pow = function pow(x, y) {
    x = +x; y = +y;
    if (y >= 0 && y < 10 && Math.floor(y) === y) {
      var p = 1;
      for (var i = 0; i < y; i++) p = i === 0 ? x : p * x;
      return p;
    }
    if (x < 0 && y % 1 === 0) return y % 2 === 0 ? exp(log(-x) * y) : -exp(log(-x) * y);
    if (x !== 0 || y <= 0) return exp(log(x) * y);
    return 0;
  };
  var floor = Math.floor, ceil = Math.ceil;
  Math.round = function round(x) {
    x = +x;
    if (!isFinite(x) || (x === 0 && 1 / x < 0)) return x;
    x += x < 0 ? -0.5 : 0.5;
    var i = x < 0 ? ceil(x) : floor(x);
    return i === 0 && x < 0 ? -0 : i;
  };
  parseFloat = function parseFloat(text) {
    var s = String(text).replace(/^\s+/, ''), i = 0, negative = false, v = 0, mul = 0.1, digits = 0;
    if (s.charAt(0) === '-' || s.charAt(0) === '+') { negative = s.charAt(0) === '-'; i++; }
    if (s.slice(i, i + 8) === 'Infinity') return negative ? -Infinity : Infinity;
    for (; i < s.length && s.charAt(i) >= '0' && s.charAt(i) <= '9'; i++, digits++) v = v * 10 + (s.charCodeAt(i) - 48);
    if (s.charAt(i) === '.') {
      for (i++; i < s.length && s.charAt(i) >= '0' && s.charAt(i) <= '9'; i++, digits++) { v += mul * (s.charCodeAt(i) - 48); mul /= 10; }
    }
    if (digits === 0) return NaN;
    if (s.charAt(i) === 'e' || s.charAt(i) === 'E') {
      var e = 0, en = false;
      i++;
      if (s.charAt(i) === '-' || s.charAt(i) === '+') { en = s.charAt(i) === '-'; i++; }
      for (; i < s.length && s.charAt(i) >= '0' && s.charAt(i) <= '9'; i++) e = e * 10 + (s.charCodeAt(i) - 48);
      if (en) e = -e;
      for (; e > 0; e--) v *= 10;
      for (; e < 0; e++) v /= 10;
    }
    return negative ? -v : v;
  };
  var typed = Object.getPrototypeOf(Uint8Array.prototype);
  var slice = Array.prototype.slice, filter = Array.prototype.filter;
  var method = function (obj, name, fn) {
    Object.defineProperty(obj, name, { value: fn, writable: true, configurable: true, enumerable: false });
  };
  method(typed, 'slice', function slice_(start, end) { return slice.call(this, start, end); });
  method(typed, 'filter', function filter_(fn, self) { return filter.call(this, fn, self); });
  method(typed, 'toJSON', function toJSON() { return slice.call(this); });
  [TypeError, SyntaxError, ReferenceError].forEach(function (C) {
    var label = C.name;
    var base = Object.create(Object.prototype);
    method(base, 'toString', function toString() { return label + (this.message ? ': ' + this.message : ''); });
    Object.setPrototypeOf(C.prototype, base);
    delete C.prototype.name;
  });
  method(Error.prototype, 'toString', function toString() { return 'Error' + (this.message ? ': ' + this.message : ''); });
  delete Error.prototype.name;
})();`;

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined) return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Runs `code` (named `filename` in stack traces) in a stripped context; `timeoutMs` bounds its run time. */
export function runInSandbox(code: string, filename: string, timeoutMs = 10_000): SmokeResult {
  const output: string[] = [];
  const print = (...args: unknown[]) => {
    if (output.length < 1000) output.push(args.map(text).join(' '));
  };
  const context = createContext({}, { codeGeneration: { strings: true, wasm: false }, microtaskMode: 'afterEvaluate' });
  runInContext(strippingPrelude(), context);
  // Espruino's output functions; defined after the prelude so nothing of the host's realm survives but these.
  const sandbox = context as Record<string, unknown>;
  sandbox['print'] = print;
  sandbox['console'] = { log: print, warn: print, error: print, info: print };
  const started = performance.now();
  try {
    runInContext(code, context, { filename, timeout: timeoutMs, displayErrors: false });
    return { ok: true, output, ms: performance.now() - started };
  } catch (e) {
    const err = e as { name?: unknown; message?: unknown; stack?: unknown; constructor?: { name?: unknown } };
    const kind = err?.name ?? err?.constructor?.name ?? 'Error';
    const message = typeof err?.message === 'string' ? `${String(kind)}: ${err.message}` : text(e);
    const stack = typeof err?.stack === 'string' ? err.stack : '';
    const escaped = filename.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const frames = [...stack.matchAll(new RegExp(`${escaped}:(\\d+):(\\d+)`, 'g'))].map((m) => ({
      line: Number(m[1]),
      column: Number(m[2]) - 1,
    }));
    const error = { message, frames };
    return { ok: false, output, error, ms: performance.now() - started };
  }
}
