// Lint step of the gate: reads the bundle esbuild wrote and rejects what Espruino lacks but esbuild lets through
// (globals, static methods, syntax it does not lower, its own helpers that need missing features) and what
// Espruino runs differently (no function hoisting, one binding per `for (let …)` loop).
import { parse } from 'acorn';
import { BUILTIN_CLASSES, MISSING_GLOBALS, MISSING_STATICS, NODE_GLOBALS, OPAQUE_PROTOTYPES, REGEXP_FLAGS } from './espruino.ts';
import type { Finding, Origin } from './finding.ts';
import { regexpProblems } from './regexp.ts';
import { ScopeAnalysis, children, isFunction, type Binding, type Node, type Reference } from './scope.ts';


/**
 * The value Espruino 2v29 gives a decimal literal (probed there): the integer digits accumulated, each digit after the
 * point added as digit × 0.1, × 0.01, …, an exponent applied by repeated × 10 or / 10. `0.3` is 0.30000000000000004
 * and `0.7` 0.7000000000000001 there, one unit in the last place above V8's.
 */
export function espruinoLiteral(raw: string): number {
  let i = 0;
  let v = 0;
  let mul = 0.1;
  for (; i < raw.length && raw[i]! >= '0' && raw[i]! <= '9'; i++) v = v * 10 + (raw.charCodeAt(i) - 48);
  if (raw[i] === '.') {
    for (i++; i < raw.length && raw[i]! >= '0' && raw[i]! <= '9'; i++) {
      v += mul * (raw.charCodeAt(i) - 48);
      mul /= 10;
    }
  }
  if (raw[i] === 'e' || raw[i] === 'E') {
    i++;
    const negative = raw[i] === '-';
    if (raw[i] === '-' || raw[i] === '+') i++;
    let e = 0;
    for (; i < raw.length; i++) e = e * 10 + (raw.charCodeAt(i) - 48);
    for (; e > 0; e--) v = negative ? v / 10 : v * 10;
  }
  return v;
}

export interface LintInput {
  code: string;
  /** Target name printed with each finding. */
  target: string;
  /** Maps a bundle position (1-based line, 0-based column) to its source, undefined for code esbuild wrote. */
  locate: (line: number, column: number) => Origin | undefined;
  /** Path printed for findings in code no source map covers. */
  bundleFile: string;
  /** Espruino built-in modules the target may load with `require("name")` (firmware only). */
  modules?: readonly string[];
  /** A minified bundle: esbuild's helpers have short names, so they are found as the declarations at the top of the
   * IIFE that no source maps to (`mapsWithin`); their bodies are not linted, and their uses are left to the lint of
   * the same sources built unminified, where helpers keep their names. */
  minified?: { mapsWithin: (start: { line: number; column: number }, end: { line: number; column: number }) => boolean };
}

/** esbuild helpers that need what Espruino lacks: the rule they fall under and why. */
const FORBIDDEN_HELPERS: Readonly<Record<string, { rule: string; why: string }>> = {
  __pow: { rule: 'math-pow', why: "** is lowered to Math.pow, and Espruino's Math.pow is inexact (Math.pow(2, 31) !== 2147483648): use a constant, a shift or a multiplication" },
  __objRest: { rule: 'spread', why: 'object rest is lowered to a helper that needs Object.getOwnPropertySymbols' },
  __restKey: { rule: 'spread', why: 'object rest needs Symbol' },
  __privateAdd: { rule: 'private-member', why: '#private members need WeakMap/WeakSet' },
  __privateGet: { rule: 'private-member', why: '#private members need WeakMap/WeakSet' },
  __privateSet: { rule: 'private-member', why: '#private members need WeakMap/WeakSet' },
  __privateMethod: { rule: 'private-member', why: '#private members need WeakMap/WeakSet' },
  __privateIn: { rule: 'private-member', why: '#private members need WeakMap/WeakSet' },
  __privateWrapper: { rule: 'private-member', why: '#private members need WeakMap/WeakSet' },
  __async: { rule: 'async', why: 'async functions need generators' },
  __await: { rule: 'async', why: 'async generators need generators' },
  __asyncGenerator: { rule: 'async', why: 'async generators need generators and Symbol' },
  __forAwait: { rule: 'async', why: 'for await needs Symbol.asyncIterator' },
  __yieldStar: { rule: 'generator', why: 'yield* needs generators' },
  __template: { rule: 'tagged-template', why: 'tagged templates are lowered to a helper that needs Object.freeze' },
  __toCommonJS: { rule: 'loop-closure', why: "esbuild's export copier captures a for-let variable in getters" },
  __reExport: { rule: 'loop-closure', why: "esbuild's export copier captures a for-let variable in getters" },
  __copyProps: { rule: 'loop-closure', why: "esbuild's export copier captures a for-let variable in getters" },
  __knownSymbol: { rule: 'missing-global', why: 'well-known symbols need Symbol' },
  __require: { rule: 'node-global', why: 'require() is a Node.js host function' },
  __commonJS: { rule: 'node-global', why: 'CommonJS modules are wrapped for a Node.js-style require' },
  __toESM: { rule: 'node-global', why: 'CommonJS interop needs Object.create with prototypes of Node modules' },
  __using: { rule: 'build', why: '`using` declarations need Symbol.dispose' },
  __callDispose: { rule: 'build', why: '`using` declarations need Symbol.dispose' },
  __decorateClass: { rule: 'build', why: 'decorators need Reflect' },
};

/** esbuild helpers reviewed and found to use only what Espruino has. Any other helper is reported for review. */
const REVIEWED_HELPERS: ReadonlySet<string> = new Set([
  // Object spread: run on Espruino 2v29 (the symbol branch is skipped, getOwnPropertyDescriptors exists).
  '__spreadValues',
  '__spreadProps',
  '__getOwnPropSymbols',
  '__propIsEnum',
  '__getOwnPropDescs',
  '__defProps',
  '__export', // Object.defineProperty with getters
  '__publicField', // Object.defineProperty
  '__defNormalProp',
  '__defProp',
  '__name',
  '__typeError',
  '__hasOwnProp',
  '__getOwnPropNames',
  '__getOwnPropDesc',
  '__esm', // lazy module initialisation for import cycles: closures only
]);

const PARSE_FLOAT_WHY = "parseFloat is not correctly rounded on Espruino (it adds digit × 0.1, × 0.01, …: '0.3' -> 0.30000000000000004): parse the digits into a fixed-point integer (parseDecimal in @meterchain/meters)";

/** Array methods that call their callback before returning: a closure passed to them cannot outlive the loop turn. */
const SYNCHRONOUS_CALLBACKS: ReadonlySet<string> = new Set([
  'forEach', 'map', 'filter', 'some', 'every', 'find', 'findIndex', 'reduce', 'reduceRight', 'sort',
]);

const missingGlobals = new Set(MISSING_GLOBALS);
const opaquePrototypes = new Set(OPAQUE_PROTOTYPES);
const nodeGlobals = new Set(NODE_GLOBALS);
const builtinClasses = new Set(BUILTIN_CLASSES);

export function lintBundle(input: LintInput): Finding[] {
  return new Linter(input).run();
}

class Linter {
  private readonly findings: Finding[] = [];
  private readonly seen = new Set<string>();
  private program!: Node;
  private analysis!: ScopeAnalysis;
  /** Source ranges of esbuild's helper declarations: not linted themselves, their uses are. */
  private helperRanges: [number, number][] = [];
  private readonly helperNames = new Set<string>();

  constructor(private readonly input: LintInput) {}

  run(): Finding[] {
    try {
      this.program = parse(this.input.code, { ecmaVersion: 'latest', sourceType: 'script', locations: true }) as Node;
    } catch (e) {
      const err = e as { message: string; loc?: { line: number; column: number } };
      this.report(err.loc ?? { line: 1, column: 0 }, 'parse', `the bundle does not parse: ${err.message}`);
      return this.findings;
    }
    this.findHelpers();
    this.analysis = new ScopeAnalysis(this.program, new Set(['__export']));
    this.walk(this.program);
    for (const ref of this.analysis.references) if (!this.inHelper(ref.node)) this.checkReference(ref);
    this.checkHoisting();
    this.checkLoopClosures();
    this.checkStaticInheritance();
    return this.withoutPrivateLowering();
  }

  /** esbuild lowers #private to `new WeakMap()`/`new WeakSet()` at the class: one cause, reported once. */
  private withoutPrivateLowering(): Finding[] {
    const privateLines = new Set(this.findings.filter((f) => f.rule === 'private-member').map((f) => `${f.file}:${f.line}`));
    return this.findings.filter(
      (f) => !(f.rule === 'missing-global' && /^Weak(Map|Set):/.test(f.message) && privateLines.has(`${f.file}:${f.line}`)),
    );
  }

  // ---- reporting

  private origin(node: Node): Origin | undefined {
    return this.input.locate(node.loc.start.line, node.loc.start.column);
  }

  /** Where a node is, said from where `from` is: `line N` in the same file, else `file:N`. */
  private lineOf(node: Node, from: Node): string {
    const o = this.origin(node);
    const f = this.origin(from);
    if (!o) return `${this.input.bundleFile}:${node.loc.start.line}`;
    return f && f.file === o.file ? `line ${o.line}` : `${o.file}:${o.line}`;
  }

  private report(at: Node | { line: number; column: number }, rule: string, message: string): void {
    const pos = 'loc' in at ? at.loc.start : at;
    const o = this.input.locate(pos.line, pos.column);
    const finding: Finding = o
      ? { target: this.input.target, file: o.file, line: o.line, rule, message }
      : { target: this.input.target, file: this.input.bundleFile, line: pos.line, rule, message };
    const key = `${finding.file}:${finding.line}:${rule}:${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.findings.push(finding);
  }

  // ---- esbuild helpers

  private findHelpers(): void {
    const visit = (node: Node, depth: number) => {
      if (node.type === 'VariableDeclaration') {
        for (const d of node.declarations) {
          if (d.id.type === 'Identifier' && this.isHelperDeclaration(d)) {
            this.helperNames.add(d.id.name);
            this.helperRanges.push([d.start, d.end]);
          }
        }
        return;
      }
      // Helpers sit at the top of the bundle's IIFE: Program > statement > call > arrow > block > declaration.
      if (depth < 5) for (const c of children(node)) visit(c, depth + 1);
    };
    visit(this.program, 0);
  }

  private isHelperDeclaration(d: Node): boolean {
    const minified = this.input.minified;
    if (minified) return !minified.mapsWithin(d.loc.start, d.loc.end);
    return /^__[A-Za-z]+$/.test(d.id.name) && this.origin(d) === undefined;
  }

  private inHelper(node: Node): boolean {
    return this.helperRanges.some(([s, e]) => node.start >= s && node.end <= e);
  }

  // ---- syntax

  private walk(node: Node): void {
    if (this.inHelper(node)) return;
    this.checkNode(node);
    for (const c of children(node)) this.walk(c);
  }

  private checkNode(node: Node): void {
    switch (node.type) {
      case 'Literal':
        if (node.bigint !== undefined) this.report(node, 'bigint', `BigInt literal ${node.bigint}n: Espruino has no BigInt`);
        if (typeof node.value === 'number' && typeof node.raw === 'string' && /[.eE]/.test(node.raw) && !/^0[xXoObB]/.test(node.raw)) {
          const read = espruinoLiteral(node.raw);
          if (read !== node.value) {
            this.report(node, 'decimal-literal', `${node.raw} is read as ${read} on Espruino (V8: ${node.value}): it adds digit × 0.1, × 0.01, …; write an exact division (7 / 10) or keep integers`);
          }
        }
        if (node.regex) this.checkRegExp(node, node.regex.pattern, node.regex.flags);
        break;
      case 'NewExpression':
      case 'CallExpression':
        this.checkRegExpConstructor(node);
        if (node.type === 'CallExpression' && node.callee.type === 'MemberExpression' && this.memberName(node.callee) === 'toFixed') {
          this.report(node, 'number-text', "Number.prototype.toFixed rounds and prints differently on Espruino: keep fixed-point integers and format their digits (formatChannel)");
        }
        break;
      case 'LabeledStatement':
        this.report(node, 'label', `label '${node.label.name}': Espruino has no labels; use a flag or a function`);
        break;
      case 'TaggedTemplateExpression':
        this.report(node, 'tagged-template', 'tagged template: Espruino has none; call a function with the parts');
        break;
      case 'Property':
        if (node.computed && this.analysis.parentOf.get(node)?.type === 'ObjectExpression') {
          this.report(node, 'computed-key', 'computed key in an object literal: Espruino has none; assign obj[key] = value');
        }
        break;
      case 'MethodDefinition':
      case 'PropertyDefinition':
        if (node.computed) this.report(node, 'computed-key', 'computed key in a class: Espruino has none');
        else if (node.key?.type === 'Identifier' && node.key.name === 'of') this.report(node, 'of-name', "a class member named 'of' is a syntax error on Espruino 2v29 (it reads `of` as in for-of): rename it");
        break;
      case 'VariableDeclarator':
        if (node.id?.type === 'Identifier' && node.id.name === 'of') this.report(node, 'of-name', "a variable named 'of' is a syntax error on Espruino 2v29 (it reads `of` as in for-of): rename it");
        break;
      case 'PrivateIdentifier':
        this.report(node, 'private-member', `#${node.name}: Espruino has no #private members; use a plain property`);
        break;
      case 'ClassDeclaration':
      case 'ClassExpression':
        this.checkSuperClass(node);
        break;
      case 'FunctionDeclaration':
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
        if (node.generator) this.report(node, 'generator', 'generator function: Espruino has no generators');
        if (node.async) this.report(node, 'async', 'async function: Espruino has no async/await; use Promises');
        break;
      case 'AwaitExpression':
      case 'ForOfStatement':
        if (node.type === 'AwaitExpression' || node.await) this.report(node, 'async', 'await: Espruino has no async/await');
        break;
      case 'YieldExpression':
        this.report(node, 'generator', 'yield: Espruino has no generators');
        break;
      case 'SpreadElement':
      case 'RestElement':
        this.report(node, 'spread', this.isLoweredConstructor(node)
          ? 'esbuild wrote constructor(...args) for field initializers in a subclass without a constructor, and Espruino has no rest/spread: write the constructor'
          : 'spread/rest syntax: Espruino has none');
        break;
      case 'ObjectPattern':
      case 'ArrayPattern':
        this.report(node, 'destructuring', 'destructuring: Espruino has none');
        break;
      case 'AssignmentPattern':
        this.report(node, 'default-param', 'default value in a parameter or pattern: Espruino has none');
        break;
      case 'ChainExpression':
        this.report(node, 'optional-chain', '?. : Espruino has no optional chaining');
        break;
      case 'BinaryExpression':
      case 'AssignmentExpression':
        if (node.operator === '**' || node.operator === '**=') this.report(node, 'exponent', '** : Espruino has none');
        if (node.type === 'AssignmentExpression' && node.left.type === 'MemberExpression' && this.memberName(node.left) === 'length') {
          this.report(node, 'array-length', "assigning to .length throws on Espruino ('Assignment to a constant'): truncate with splice(n) instead");
        }
        break;
      case 'UpdateExpression':
        if (node.argument.type === 'MemberExpression' && this.memberName(node.argument) === 'length') {
          this.report(node, 'array-length', "changing .length throws on Espruino ('Assignment to a constant'): use push or splice instead");
        }
        break;
      case 'MetaProperty':
        this.report(node, 'new-target', `${node.meta.name}.${node.property.name}: Espruino has none`);
        break;
    }
  }

  /** The `constructor(...args) { super(...args) }` esbuild adds to a derived class whose fields it lowers. */
  private isLoweredConstructor(node: Node): boolean {
    for (let n = this.analysis.parentOf.get(node); n; n = this.analysis.parentOf.get(n)) {
      if (n.type === 'MethodDefinition') return n.kind === 'constructor';
      if (isFunction(n) && this.analysis.parentOf.get(n)?.type !== 'MethodDefinition') return false;
    }
    return false;
  }

  private checkRegExp(node: Node, pattern: string, flags: string): void {
    for (const f of flags) {
      if (!REGEXP_FLAGS.includes(f)) this.report(node, 'regexp', `regular expression flag '${f}': Espruino ignores or lacks it (use ${REGEXP_FLAGS.split('').join(', ')})`);
    }
    const problems = regexpProblems(pattern);
    if (problems.length > 0) {
      this.report(node, 'regexp', `/${pattern}/ uses ${problems.join('; ')}: Espruino's matcher lacks them and fails silently`);
    }
  }

  private isGlobal(id: Node, name: string): boolean {
    return id.type === 'Identifier' && id.name === name && this.analysis.lookup(this.scopeAt(id), name) === undefined;
  }

  private scopeAt(node: Node) {
    for (let n: Node | undefined = node; n; n = this.analysis.parentOf.get(n)) {
      const s = this.analysis.scopeOf.get(n);
      if (s) return s;
    }
    return this.analysis.scopeOf.get(this.program)!;
  }

  private checkRegExpConstructor(node: Node): void {
    if (!this.isGlobal(node.callee, 'RegExp')) return;
    const [pattern, flags] = node.arguments as Node[];
    const text = (n: Node | undefined) => (n?.type === 'Literal' && typeof n.value === 'string' ? n.value : undefined);
    const p = text(pattern);
    if (p !== undefined) this.checkRegExp(node, p, text(flags) ?? '');
  }

  private checkSuperClass(node: Node): void {
    const sup = node.superClass as Node | null;
    if (sup?.type === 'Identifier' && builtinClasses.has(sup.name) && this.isGlobal(sup, sup.name)) {
      const hint = sup.name.endsWith('Error') ? `throw an Error with a 'code' property instead` : 'wrap one instead';
      this.report(node, 'extends-builtin', `class extends ${sup.name}: Espruino's subclasses of built-ins do not work; ${hint}`);
    }
  }

  // ---- globals and helpers

  private checkReference(ref: Reference): void {
    const name = ref.node.name as string;
    if (ref.binding) {
      if (this.helperNames.has(name) && this.inHelper(ref.binding.node) && !this.input.minified) this.checkHelperUse(ref, name);
      return;
    }
    if (ref.typeofOperand) return; // feature detection: `typeof Map !== 'undefined'`
    if (name === 'BigInt') this.report(ref.node, 'bigint', 'BigInt: Espruino has no BigInt; use numbers or byte arrays');
    else if (missingGlobals.has(name)) this.report(ref.node, 'missing-global', `${name}: Espruino has no ${name}`);
    else if (nodeGlobals.has(name)) this.report(ref.node, 'node-global', `${name}: a Node.js global, absent on Espruino; pass it in`);
    else {
      if (name in MISSING_STATICS) this.checkStatic(ref, name);
      if (opaquePrototypes.has(name)) this.checkPrototypeRead(ref, name);
      if (name === 'Math') this.checkMath(ref);
      if (name === 'parseFloat') this.report(ref.node, 'number-text', PARSE_FLOAT_WHY);
    }
  }

  private memberName(member: Node): string | undefined {
    if (!member.computed) return member.property.name;
    return member.property.type === 'Literal' && typeof member.property.value === 'string' ? member.property.value : undefined;
  }

  private checkPrototypeRead(ref: Reference, object: string): void {
    const proto = this.analysis.parentOf.get(ref.node);
    if (proto?.type !== 'MemberExpression' || proto.object !== ref.node || this.memberName(proto) !== 'prototype') return;
    const method = this.analysis.parentOf.get(proto);
    if (method?.type !== 'MemberExpression' || method.object !== proto) return;
    const name = this.memberName(method) ?? '[…]';
    this.report(method, 'prototype-method', `${object}.prototype.${name} is undefined on Espruino (its methods are found on instances only): call it on a value`);
  }

  private checkMath(ref: Reference): void {
    const member = this.analysis.parentOf.get(ref.node);
    if (member?.type !== 'MemberExpression' || member.object !== ref.node) return;
    const name = this.memberName(member);
    if (name === 'pow') {
      this.report(member, 'math-pow', "Math.pow is inexact on Espruino (Math.pow(2, 31) !== 2147483648, Math.pow(10, -3) !== 0.001): use a constant, a shift, a multiplication or a table");
    } else if (name === 'round') {
      this.report(member, 'math-round', "Math.round differs on Espruino (halves away from zero: -2.5 -> -3, V8 -2; 0.49999999999999994 -> 1, V8 0): use roundHalfAway from @meterchain/core");
    }
  }

  private checkStatic(ref: Reference, object: string): void {
    const member = this.analysis.parentOf.get(ref.node);
    if (member?.type !== 'MemberExpression' || member.object !== ref.node) return;
    const prop = this.memberName(member);
    if (typeof prop !== 'string' || !MISSING_STATICS[object]!.includes(prop)) return;
    const typeofParent = this.analysis.parentOf.get(member);
    if (typeofParent?.type === 'UnaryExpression' && typeofParent.operator === 'typeof') return;
    this.report(member, 'missing-method', `${object}.${prop}: Espruino has no ${object}.${prop}`);
  }

  private checkHelperUse(ref: Reference, name: string): void {
    if (name === '__require' && this.isEspruinoModuleLoad(ref)) return;
    const forbidden = FORBIDDEN_HELPERS[name];
    if (forbidden) this.report(ref.node, forbidden.rule, `${forbidden.why} (esbuild helper ${name})`);
    else if (!REVIEWED_HELPERS.has(name)) {
      this.report(ref.node, 'esbuild-helper', `esbuild helper ${name} is not reviewed for Espruino: check what it needs, then list it in the gate`);
    }
  }

  /** `require("crypto")` in a firmware program: esbuild keeps it as `__require("crypto")`, and on Espruino that
   * helper is Espruino's own `require` (it checks `typeof require` first). */
  private isEspruinoModuleLoad(ref: Reference): boolean {
    const call = this.analysis.parentOf.get(ref.node);
    const arg = call?.type === 'CallExpression' && call.callee === ref.node ? (call.arguments[0] as Node | undefined) : undefined;
    return arg?.type === 'Literal' && typeof arg.value === 'string' && (this.input.modules ?? []).includes(arg.value);
  }

  // ---- no function hoisting

  /** The function a binding calls when invoked: a function declaration, a function assigned to a variable, or a
   * class's constructor. */
  private callable(binding: Binding | undefined): Node | undefined {
    if (!binding) return undefined;
    let node: Node | undefined = binding.node;
    if (binding.kind === 'var' || binding.kind === 'let' || binding.kind === 'const') {
      const decl = this.analysis.parentOf.get(binding.node);
      node = decl?.type === 'VariableDeclarator' && decl.id === binding.node ? decl.init : undefined;
    }
    if (!node) return undefined;
    if (isFunction(node)) return node;
    if (node.type === 'ClassDeclaration' || node.type === 'ClassExpression') {
      const ctor = node.body.body.find((m: Node) => m.type === 'MethodDefinition' && m.kind === 'constructor');
      return ctor?.value;
    }
    return undefined;
  }

  /** References a unit (Program or function) evaluates when it runs, with the position that stands for "when":
   * its own references, and those of functions it runs inline (IIFEs, callbacks) at the position of the call. */
  private runEventsCache = new Map<Node, { ref: Reference; at: number }[]>();
  private runEvents(unit: Node): { ref: Reference; at: number }[] {
    const cached = this.runEventsCache.get(unit);
    if (cached) return cached;
    const events: { ref: Reference; at: number }[] = [];
    for (const ref of this.refsByUnit().get(unit) ?? []) events.push({ ref, at: ref.node.start });
    for (const fn of this.inlineByUnit().get(unit) ?? []) {
      for (const e of this.runEvents(fn)) events.push({ ref: e.ref, at: fn.start });
    }
    events.sort((a, b) => a.at - b.at);
    this.runEventsCache.set(unit, events);
    return events;
  }

  private refsByUnitMap: Map<Node, Reference[]> | undefined;
  private refsByUnit(): Map<Node, Reference[]> {
    if (!this.refsByUnitMap) {
      this.refsByUnitMap = new Map();
      for (const ref of this.analysis.references) {
        if (this.inHelper(ref.node)) continue;
        const list = this.refsByUnitMap.get(ref.unit) ?? [];
        list.push(ref);
        this.refsByUnitMap.set(ref.unit, list);
      }
    }
    return this.refsByUnitMap;
  }

  private inlineByUnitMap: Map<Node, Node[]> | undefined;
  private inlineByUnit(): Map<Node, Node[]> {
    if (!this.inlineByUnitMap) {
      this.inlineByUnitMap = new Map();
      for (const fn of this.analysis.inlineFunctions) {
        const outer = this.analysis.scopeOf.get(fn)!.parent!.unit;
        const list = this.inlineByUnitMap.get(outer) ?? [];
        list.push(fn);
        this.inlineByUnitMap.set(outer, list);
      }
    }
    return this.inlineByUnitMap;
  }

  /** Every reference that may be evaluated while `fn` runs, following calls transitively. */
  private reachCache = new Map<Node, Reference[]>();
  private reach(fn: Node): Reference[] {
    const cached = this.reachCache.get(fn);
    if (cached) return cached;
    const visited = new Set<Node>([fn]);
    const out: Reference[] = [];
    const stack = [fn];
    while (stack.length > 0) {
      const f = stack.pop()!;
      for (const { ref } of this.runEvents(f)) {
        out.push(ref);
        if (!ref.invoked) continue;
        const g = this.callable(ref.binding);
        if (g && !visited.has(g)) {
          visited.add(g);
          stack.push(g);
        }
      }
    }
    this.reachCache.set(fn, out);
    return out;
  }

  private isFunctionDeclaredIn(binding: Binding | undefined, unit: Node): binding is Binding {
    return binding !== undefined && binding.kind === 'function' && binding.scope.unit === unit;
  }

  private checkHoisting(): void {
    const units = [this.program, ...[...this.analysis.scopeOf.keys()].filter(isFunction)];
    for (const unit of units) {
      if (this.inHelper(unit)) continue;
      for (const { ref, at } of this.runEvents(unit)) {
        const b = ref.binding;
        if (this.isFunctionDeclaredIn(b, unit) && at < b.node.start) {
          this.report(ref.node, 'use-before-define',
            `${b.name} is used before its declaration (${this.lineOf(b.node, ref.node)}); Espruino does not hoist functions: move the declaration up`);
          continue;
        }
        if (!ref.invoked) continue;
        const callee = this.callable(b);
        if (!callee) continue;
        for (const inner of this.reach(callee)) {
          const ib = inner.binding;
          if (this.isFunctionDeclaredIn(ib, unit) && at < ib.node.start) {
            this.report(ref.node, 'use-before-define',
              `calling ${ref.node.name} here reaches ${ib.name} (${this.lineOf(inner.node, ref.node)}) before its declaration (${this.lineOf(ib.node, ref.node)}) has run; Espruino does not hoist functions: move the declaration up`);
          }
        }
      }
    }
  }

  // ---- static members are not inherited

  /** The class a binding holds: a class declaration, `var X = class …`, or an alias `var K = _K` of one. */
  private classOf(binding: Binding | undefined, depth = 0): Node | undefined {
    if (!binding || depth > 4) return undefined;
    if (binding.kind === 'class' || (binding.kind === 'self' && binding.node.type === 'ClassExpression')) return binding.node;
    if (binding.kind !== 'var' && binding.kind !== 'let' && binding.kind !== 'const') return undefined;
    const decl = this.analysis.parentOf.get(binding.node);
    const init = decl?.type === 'VariableDeclarator' && decl.id === binding.node ? (decl.init as Node | null) : null;
    if (init?.type === 'ClassExpression') return init;
    if (init?.type === 'Identifier') return this.classOf(this.analysis.lookup(this.scopeAt(init), init.name), depth + 1);
    return undefined;
  }

  private checkStaticInheritance(): void {
    const statics = new Map<Node, Set<string>>();
    const own = (cls: Node) => {
      let names = statics.get(cls);
      if (!names) {
        names = new Set();
        for (const m of cls.body.body as Node[]) if (m.static && !m.computed && m.key?.type === 'Identifier') names.add(m.key.name);
        statics.set(cls, names);
      }
      return names;
    };
    const reads: { member: Node; cls: Node; name: string }[] = [];
    for (const ref of this.analysis.references) {
      if (this.inHelper(ref.node)) continue;
      const cls = this.classOf(ref.binding);
      if (!cls) continue;
      const member = this.analysis.parentOf.get(ref.node);
      if (member?.type !== 'MemberExpression' || member.object !== ref.node) continue;
      const name = this.memberName(member);
      if (name === undefined) continue;
      const parent = this.analysis.parentOf.get(member);
      // `C.x = …` (esbuild's lowered static fields) defines a static of C.
      if (parent?.type === 'AssignmentExpression' && parent.left === member) own(cls).add(name);
      else reads.push({ member, cls, name });
    }
    const superOf = (cls: Node): { cls: Node; name: string } | undefined => {
      const sup = cls.superClass as Node | null;
      if (sup?.type !== 'Identifier') return undefined;
      const found = this.classOf(this.analysis.lookup(this.scopeAt(cls), sup.name));
      return found ? { cls: found, name: sup.name as string } : undefined;
    };
    for (const { member, cls, name } of reads) {
      if (own(cls).has(name) || ['prototype', 'name', 'length', 'call', 'apply', 'bind'].includes(name)) continue;
      let ancestor = superOf(cls);
      for (let depth = 0; ancestor && depth < 16; depth++, ancestor = superOf(ancestor.cls)) {
        if (!own(ancestor.cls).has(name)) continue;
        this.report(member, 'static-inherit', `${name} is a static member of ${ancestor.name}, and Espruino does not inherit static members: write ${ancestor.name}.${name}`);
        break;
      }
    }
  }

  // ---- for (let …) closures

  private checkLoopClosures(): void {
    for (const [node, scope] of this.analysis.scopeOf) {
      if (node.type !== 'ForStatement' && node.type !== 'ForInStatement' && node.type !== 'ForOfStatement') continue;
      if (this.inHelper(node) || scope.bindings.size === 0) continue;
      for (const ref of this.analysis.references) {
        if (!ref.binding || ref.binding.scope !== scope) continue;
        const closure = this.enclosingClosure(ref.node, node);
        if (closure) {
          this.report(ref.node, 'loop-closure',
            `a closure captures the loop variable ${ref.binding.name}; on Espruino every turn's closure sees its last value: pass it as an argument to a function declared outside the loop`);
        }
      }
    }
  }

  /** The first function between a reference and its loop that may outlive the loop turn, if any. */
  private enclosingClosure(ref: Node, loop: Node): Node | undefined {
    for (let n = this.analysis.parentOf.get(ref); n && n !== loop; n = this.analysis.parentOf.get(n)) {
      if (!isFunction(n)) continue;
      const parent = this.analysis.parentOf.get(n);
      if (parent?.type === 'CallExpression' && parent.callee === n) continue; // IIFE: runs in this turn
      if (parent?.type === 'CallExpression' && parent.callee.type === 'MemberExpression' && !parent.callee.computed &&
        SYNCHRONOUS_CALLBACKS.has(parent.callee.property.name)) continue;
      return n;
    }
    return undefined;
  }
}
