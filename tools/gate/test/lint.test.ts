import { describe, expect, test } from '@jest/globals';
import { lintBundle, runInSandbox } from '../src/index.ts';

// The lint on plain JavaScript, as if esbuild had let it through (no source map: findings point at the bundle).
function rules(code: string): string[] {
  return lintBundle({ code, target: 'test', locate: () => undefined, bundleFile: 'bundle.js' }).map((f) => f.rule);
}

describe('syntax esbuild normally rejects or lowers is still caught if it reaches the bundle', () => {
  test.each([
    ['const { a } = o;', 'destructuring'],
    ['function f(a = 1) { return a; }', 'default-param'],
    ['f(...xs);', 'spread'],
    ['const v = o?.a;', 'optional-chain'],
    ['const v = 2 ** 8;', 'exponent'],
    ['function* g() { yield 1; }', 'generator'],
    ['async function g() { await 1; }', 'async'],
    ['const v = 10n;', 'bigint'],
    ['function F() { return new.target; }', 'new-target'],
  ])('%s → %s', (code, rule) => {
    expect(rules(code)).toContain(rule);
  });
});

describe('number functions whose results differ on Espruino', () => {
  test.each([
    ['var v = Math.round(x);', 'math-round'],
    ['var v = Math["round"](x);', 'math-round'],
    ['var v = parseFloat(t);', 'number-text'],
    ['var t = v.toFixed(2);', 'number-text'],
  ])('%s → %s', (code, rule) => {
    expect(rules(code)).toEqual([rule]);
  });

  test.each([
    ['var phase = 0.7;', '0.7000000000000001'],
    ['var t = .3;', '0.30000000000000004'],
    ['var x = 9.95;', '9.950000000000001'],
  ])('%s → decimal-literal (Espruino reads %s)', (code, read) => {
    const found = lintBundle({ code, target: 'test', locate: () => undefined, bundleFile: 'bundle.js' });
    expect(found.map((f) => f.rule)).toEqual(['decimal-literal']);
    expect(found[0]!.message).toContain(`read as ${read} on Espruino`);
  });

  test('decimal literals Espruino reads exactly as V8 does, integers and exact divisions are fine', () => {
    expect(rules('var a = 0.5, b = 0.25, c = 1.5, d = 0.1, e = 1e3, f = 7 / 10, g = 0x1f, h = 1e-3;')).toEqual([]);
  });

  test('Math.floor and a local function named round are fine', () => {
    expect(rules('function round(x) { return Math.floor(x); } var v = round(2.5);')).toEqual([]);
  });
});

describe('the sandbox computes as Espruino 2v29 does', () => {
  test('Math.round adds ±0.5 and truncates: halves away from zero, 0.49999999999999994 -> 1', () => {
    const run = runInSandbox('print([Math.round(-2.5), Math.round(2.5), Math.round(-12.5), Math.round(0.49999999999999994), Math.round(-0.4), Math.round(-1.6)].join(" "));', 'round.js');
    expect(run.output).toEqual(['-3 3 -13 1 0 -2']);
  });

  test("parseFloat adds digit × 0.1, × 0.01, …: '0.3' is not 0.3", () => {
    const run = runInSandbox('print(parseFloat("0.3") === 0.3, parseFloat("-1.5e2"), parseFloat("12"), isNaN(parseFloat(".")));', 'parse.js');
    expect(run.output).toEqual(['false -150 12 true']);
  });
});

describe('Espruino behaviours the lint knows', () => {
  test('a call in a loop callback that runs at once is not a loop-closure finding', () => {
    expect(rules('for (let i = 0; i < 3; i++) [1].forEach(function (x) { return x + i; });')).toEqual([]);
  });

  test('a closure over a let declared inside the loop body is fine (fresh per turn on Espruino)', () => {
    expect(rules('var fs = []; for (var i = 0; i < 3; i++) { const v = i; fs.push(function () { return v; }); }')).toEqual([]);
  });

  test('a closure over a for-of const is a loop-closure finding', () => {
    expect(rules('var fs = []; for (const x of [1, 2]) fs.push(function () { return x; });')).toEqual(['loop-closure']);
  });

  test('Object.prototype methods are readable on Espruino; Array.prototype ones are not', () => {
    expect(rules('Object.prototype.hasOwnProperty.call({}, "a");')).toEqual([]);
    expect(rules('String.prototype.charCodeAt.call("a", 0);')).toEqual(['prototype-method']);
  });

  test('typeof feature tests of missing globals and methods are not findings', () => {
    expect(rules('var m = typeof Map !== "undefined"; var f = typeof Array.from === "function";')).toEqual([]);
  });

  test('Math.pow is a finding (inexact on Espruino), and so is Math.round (halves differ)', () => {
    expect(rules('var a = Math.pow(10, 3); var b = Math.round(1.5);')).toEqual(['math-pow', 'math-round']);
  });

  test('a function declared later but only called after its declaration is fine', () => {
    expect(rules('function a() { return b(); } function b() { return 1; } a();')).toEqual([]);
  });

  test('a call passed as a callback before the declaration of what it reaches is a finding', () => {
    expect(rules('[1].map(function (x) { return twice(x); }); function twice(x) { return 2 * x; }')).toEqual(['use-before-define']);
  });
});

describe('the smoke sandbox lacks what Espruino lacks', () => {
  test('globals, static and prototype methods are gone; what Espruino has is there', () => {
    const probe = [
      'typeof Map', 'typeof Symbol', 'typeof BigInt', 'typeof RangeError', 'typeof TextEncoder', 'typeof Reflect',
      'typeof Array.from', 'typeof Math.imul', 'typeof Object.freeze', 'typeof Number.isInteger',
      'typeof [].at', 'typeof "".codePointAt', 'typeof process', 'typeof require',
      'typeof Promise', 'typeof DataView', 'typeof [].includes', 'typeof "".padStart',
    ];
    const result = runInSandbox(`print(${probe.join(', ')});`, 'probe.js');
    expect(result.ok).toBe(true);
    expect(result.output[0]!.split(' ')).toEqual([
      ...Array(14).fill('undefined'),
      'function', 'function', 'function', 'function',
    ]);
  });

  test('Math.pow computes as on Espruino: exact for small integer exponents, exp(y·log x) otherwise', () => {
    const result = runInSandbox('print(Math.pow(2, 9) === 512, Math.pow(2, 31) === 2147483648, Math.pow(10, -3) === 0.001);', 'pow.js');
    expect(result.output).toEqual(['true false false']);
  });

  test('typed arrays slice and filter into plain Arrays and JSON-encode as arrays, as on Espruino', () => {
    const result = runInSandbox(
      'var u = new Uint8Array([1, 2]); print(Array.isArray(u.slice()), Array.isArray(u.filter(function () { return true; })), JSON.stringify(u), u.subarray(1) instanceof Uint8Array);',
      'typed.js',
    );
    expect(result.output).toEqual(['true true [1,2] true']);
  });

  test('TypeError is not instanceof Error and errors have no name, as on Espruino', () => {
    const result = runInSandbox('var e = new TypeError("x"); print(e instanceof Error, e instanceof TypeError, e.name, String(e));', 'errors.js');
    expect(result.output).toEqual(['false true undefined TypeError: x']);
  });

  test('a script that runs longer than its bound is stopped', () => {
    const result = runInSandbox('for (;;) {}', 'loop.js', 200);
    expect(result.ok).toBe(false);
    expect(result.error?.message).toMatch(/timed out/i);
  });
});
