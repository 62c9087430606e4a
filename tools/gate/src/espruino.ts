// What Espruino's interpreter lacks, in one place: the esbuild `supported` map, the globals and static methods the
// lint rejects and the smoke sandbox deletes. Facts from DESIGN §2 (Espruino 2v29 built for Linux).

/**
 * esbuild features, by esbuild's own names. `false` = Espruino lacks it: esbuild lowers it when it can
 * (`**`, `?.`, `||=`, class fields, static blocks, `catch {}`) and fails the build when it cannot (destructuring,
 * spread/rest, default parameters, generators, async, `new.target`).
 *
 * Private members (`#x`) are `true` on purpose: Espruino lacks them too, but esbuild would lower them to
 * WeakMap/WeakSet helpers, equally unusable there; passing them through lets the lint name the construct at its
 * source line (rule `private-member`).
 */
export const SUPPORTED: Record<string, boolean> = {
  // present in Espruino
  arrow: true,
  class: true,
  'const-and-let': true,
  'for-of': true,
  'template-literal': true,
  'nullish-coalescing': true,
  'object-accessors': true,
  'object-extensions': true,
  // absent, and esbuild can lower them. Espruino 2v29 parses class fields, but runs them wrong (`this` in an
  // initializer, arrow functions in fields, `static M = A.N`): lowered to constructor assignments, which work.
  // `**` is lowered to Math.pow, which is inexact on Espruino: the lint rejects it (rule `math-pow`).
  'exponent-operator': false,
  'optional-chain': false,
  'logical-assignment': false,
  'optional-catch-binding': false,
  'class-field': false,
  'class-static-field': false,
  'class-static-blocks': false,
  'unicode-escapes': false,
  'regexp-dot-all-flag': false,
  'regexp-lookbehind-assertions': false,
  'regexp-match-indices': false,
  'regexp-named-capture-groups': false,
  'regexp-set-notation': false,
  'regexp-sticky-and-unicode-flags': false,
  'regexp-unicode-property-escapes': false,
  // absent, and esbuild cannot lower them: build errors
  'array-spread': false,
  'object-rest-spread': false,
  'rest-argument': false,
  destructuring: false,
  'nested-rest-binding': false,
  'default-argument': false,
  generator: false,
  'async-await': false,
  'async-generator': false,
  'for-await': false,
  'top-level-await': false,
  'new-target': false,
  bigint: false, // esbuild only warns, turning `1n` into `BigInt("1")`: the lint rejects both
  using: false,
  decorators: false,
  'import-meta': false,
  // see above: let through, rejected by the lint
  'class-private-field': true,
  'class-private-method': true,
  'class-private-accessor': true,
  'class-private-static-field': true,
  'class-private-static-method': true,
  'class-private-static-accessor': true,
  'class-private-brand-check': true,
};

/** Global names Espruino does not define (probed on Espruino 2v29 for Linux). Portable code must not read them
 * (rule `missing-global`); `typeof X` feature tests are fine. Note RangeError: throw an Error with a `code`. */
export const MISSING_GLOBALS: readonly string[] = [
  'Map',
  'Set',
  'WeakMap',
  'WeakSet',
  'WeakRef',
  'FinalizationRegistry',
  'Symbol',
  'BigInt64Array',
  'BigUint64Array',
  'TextEncoder',
  'TextDecoder',
  'Proxy',
  'Reflect',
  'Intl',
  'SharedArrayBuffer',
  'Atomics',
  'WebAssembly',
  'RangeError',
  'EvalError',
  'URIError',
  'AggregateError',
  'escape',
  'unescape',
  'structuredClone',
  'queueMicrotask',
];

/** Node.js host globals: portable code takes time, randomness and I/O as arguments instead (rule `node-global`).
 * (Espruino has a `process` of its own, with none of Node's API.) */
export const NODE_GLOBALS: readonly string[] = [
  'process',
  'Buffer',
  'require',
  'module',
  'exports',
  '__dirname',
  '__filename',
  'setImmediate',
  'clearImmediate',
];

/** Static members Espruino lacks although their object exists (rule `missing-method`; probed on 2v29). */
export const MISSING_STATICS: Readonly<Record<string, readonly string[]>> = {
  Array: ['from', 'of'],
  Math: ['imul', 'clz32', 'fround', 'trunc', 'log2', 'log10', 'log1p', 'expm1', 'hypot', 'cbrt', 'sinh', 'cosh', 'tanh', 'asinh', 'acosh', 'atanh'],
  Number: ['isInteger', 'isSafeInteger', 'isFinite', 'isNaN', 'parseInt', 'parseFloat', 'MAX_SAFE_INTEGER', 'MIN_SAFE_INTEGER', 'EPSILON'],
  Object: ['freeze', 'isFrozen', 'seal', 'isSealed', 'preventExtensions', 'isExtensible', 'getOwnPropertySymbols', 'hasOwn', 'is'],
  String: ['fromCodePoint', 'raw'],
  Promise: ['allSettled', 'any', 'race'],
  Date: ['UTC'],
  ArrayBuffer: ['isView'],
  Int8Array: ['BYTES_PER_ELEMENT'],
  Uint8Array: ['BYTES_PER_ELEMENT'],
  Uint8ClampedArray: ['BYTES_PER_ELEMENT'],
  Int16Array: ['BYTES_PER_ELEMENT'],
  Uint16Array: ['BYTES_PER_ELEMENT'],
  Int32Array: ['BYTES_PER_ELEMENT'],
  Uint32Array: ['BYTES_PER_ELEMENT'],
  Float32Array: ['BYTES_PER_ELEMENT'],
  Float64Array: ['BYTES_PER_ELEMENT'],
};

/** Built-ins whose methods Espruino finds on instances but not on `X.prototype`: `Array.prototype.slice` is
 * undefined there, so `Array.prototype.slice.call(x)` fails (rule `prototype-method`). Object and Error are fine. */
export const OPAQUE_PROTOTYPES: readonly string[] = [
  'Array',
  'String',
  'Number',
  'Boolean',
  'Function',
  'Date',
  'RegExp',
  'Promise',
  'ArrayBuffer',
  'DataView',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
];

/** Built-in constructors a class must not extend: Espruino's subclasses of them do not behave as built-ins
 * (`class E extends Error` fails with "Calling 'super' outside of class"; rule `extends-builtin`). */
export const BUILTIN_CLASSES: readonly string[] = [
  'Error',
  'TypeError',
  'RangeError',
  'SyntaxError',
  'ReferenceError',
  'EvalError',
  'URIError',
  'AggregateError',
  'Array',
  'ArrayBuffer',
  'DataView',
  'Date',
  'Function',
  'Number',
  'Object',
  'Promise',
  'RegExp',
  'String',
  'Boolean',
  'Map',
  'Set',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
];

/** Regular-expression flags that mean the same on Espruino: `m` is accepted but ignored, `s`, `u`, `y` too
 * (and `.` matches a newline there anyway). Any other flag is rejected (rule `regexp`). */
export const REGEXP_FLAGS = 'gi';

/** Prototype methods Espruino lacks (probed on 2v29). Not linted (a call `x.at(0)` does not say what `x` is), but
 * deleted from the smoke sandbox so a smoke test that reaches one fails. `TypedArray` is the typed arrays' shared
 * prototype. */
export const MISSING_PROTOTYPE_METHODS: Readonly<Record<string, readonly string[]>> = {
  Array: ['at', 'copyWithin', 'findLast', 'findLastIndex', 'lastIndexOf', 'keys', 'entries', 'values', 'flat', 'flatMap', 'reduceRight', 'toReversed', 'toSorted', 'toSpliced', 'with', 'toLocaleString'],
  TypedArray: ['at', 'copyWithin', 'findLast', 'findLastIndex', 'lastIndexOf', 'keys', 'entries', 'values', 'reduceRight', 'toReversed', 'toSorted', 'with', 'toLocaleString'],
  String: ['at', 'codePointAt', 'trimStart', 'trimEnd', 'trimLeft', 'trimRight', 'localeCompare', 'normalize', 'matchAll', 'search', 'isWellFormed', 'toWellFormed', 'toLocaleLowerCase', 'toLocaleUpperCase'],
  Number: ['toExponential', 'toPrecision', 'toLocaleString'],
  Object: ['isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString'],
  Promise: ['finally'],
  ArrayBuffer: ['slice', 'resize'],
  DataView: ['getBigInt64', 'setBigInt64', 'getBigUint64', 'setBigUint64'],
  Date: ['toDateString', 'toTimeString', 'setUTCDate', 'setUTCFullYear', 'setUTCHours', 'setUTCMilliseconds', 'setUTCMinutes', 'setUTCMonth', 'setUTCSeconds', 'toLocaleString', 'toLocaleDateString', 'toLocaleTimeString'],
};
