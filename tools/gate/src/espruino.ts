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
  // absent, and esbuild can lower them
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

/** Global names Espruino does not define. Portable code must not read them (rule `missing-global`). */
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
  'AggregateError',
  'structuredClone',
  'queueMicrotask',
];

/** Node.js host globals: portable code takes time, randomness and I/O as arguments instead (rule `node-global`). */
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

/** Static methods Espruino lacks although their object exists (rule `missing-method`). */
export const MISSING_STATICS: Readonly<Record<string, readonly string[]>> = {
  Array: ['from', 'of'],
  Math: ['imul', 'clz32', 'fround'],
  Object: ['freeze', 'isFrozen', 'seal', 'isSealed', 'preventExtensions', 'getOwnPropertySymbols', 'getOwnPropertyDescriptors'],
};

/** Built-in constructors a class must not extend: Espruino's subclasses of them do not behave as built-ins
 * (`class E extends Error` loses the message and `instanceof`; rule `extends-builtin`). */
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

/** Regular-expression flags Espruino understands; any other flag is rejected (rule `regexp`). */
export const REGEXP_FLAGS = 'gim';

/** Regular-expression syntax Espruino's matcher lacks, with what to say about it (rule `regexp`). */
export const REGEXP_SYNTAX: readonly { pattern: RegExp; what: string }[] = [
  { pattern: /\(\?<[=!]/, what: 'lookbehind assertions' },
  { pattern: /\(\?<[A-Za-z_$]/, what: 'named capture groups' },
  { pattern: /\(\?[=!]/, what: 'lookahead assertions' },
  { pattern: /\\[pP]\{/, what: 'Unicode property escapes' },
  { pattern: /\\k</, what: 'named back-references' },
  { pattern: /\\u\{/, what: 'code-point escapes' },
];

/** Prototype methods Espruino lacks. Not linted (a call `x.at(0)` does not say what `x` is), but deleted from the
 * smoke sandbox so a smoke test that reaches one fails. */
export const MISSING_PROTOTYPE_METHODS: Readonly<Record<string, readonly string[]>> = {};
