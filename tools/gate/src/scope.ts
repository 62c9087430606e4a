// Just enough scope analysis of an ESTree program for the lint: which declaration each identifier refers to,
// which function runs each reference, and which functions run at once when called (callbacks, IIFEs).
import type { Node as AcornNode } from 'acorn';

/** An ESTree node as acorn returns it (with `locations: true`), read loosely: the lint looks at many node types. */
export type Node = AcornNode & { loc: { start: { line: number; column: number } }; [key: string]: any };

export type BindingKind = 'var' | 'let' | 'const' | 'function' | 'class' | 'param' | 'catch' | 'self';

export interface Binding {
  name: string;
  kind: BindingKind;
  /** The declaring node: the FunctionDeclaration, ClassDeclaration, or the identifier of other declarations. */
  node: Node;
  scope: Scope;
}

export interface Scope {
  node: Node;
  parent: Scope | undefined;
  /** The Program or function whose execution this scope belongs to. */
  unit: Node;
  bindings: Map<string, Binding>;
}

export interface Reference {
  node: Node;
  /** Undefined for globals. */
  binding: Binding | undefined;
  /** The Program or function whose execution evaluates this reference. */
  unit: Node;
  /** The reference's value is called right there: as callee, `new` target, tag, or as an argument of a call. */
  invoked: boolean;
  /** The reference is the operand of `typeof` (feature detection, fine for globals that may be missing). */
  typeofOperand: boolean;
}

export function isFunction(node: Node): boolean {
  return node.type === 'FunctionDeclaration' || node.type === 'FunctionExpression' || node.type === 'ArrowFunctionExpression';
}

/** Child nodes of any node, in source order. */
export function children(node: Node): Node[] {
  const out: Node[] = [];
  for (const key of Object.keys(node)) {
    if (key === 'loc' || key === 'start' || key === 'end' || key === 'type') continue;
    const value = node[key];
    if (Array.isArray(value)) {
      for (const v of value) if (v && typeof v.type === 'string') out.push(v as Node);
    } else if (value && typeof value === 'object' && typeof value.type === 'string') {
      out.push(value as Node);
    }
  }
  return out.sort((a, b) => a.start - b.start);
}

/** Identifiers a binding pattern declares. */
function patternNames(pattern: Node, out: Node[] = []): Node[] {
  switch (pattern.type) {
    case 'Identifier':
      out.push(pattern);
      break;
    case 'ObjectPattern':
      for (const p of pattern.properties) patternNames(p.type === 'RestElement' ? p.argument : p.value, out);
      break;
    case 'ArrayPattern':
      for (const e of pattern.elements) if (e) patternNames(e, out);
      break;
    case 'RestElement':
      patternNames(pattern.argument, out);
      break;
    case 'AssignmentPattern':
      patternNames(pattern.left, out);
      break;
  }
  return out;
}

export class ScopeAnalysis {
  /** Scope created by a node (Program, function, block, for, catch, class expression, switch). */
  readonly scopeOf = new Map<Node, Scope>();
  readonly references: Reference[] = [];
  /** Function nodes run inline where they appear: IIFE callees and function arguments of calls. */
  readonly inlineFunctions = new Set<Node>();
  /** Parent of every node. */
  readonly parentOf = new Map<Node, Node>();

  constructor(
    readonly program: Node,
    /** Callees whose function arguments are not run by the call (esbuild's `__export` stores getters). */
    private readonly storingCallees: ReadonlySet<string> = new Set(),
  ) {
    const top: Scope = { node: program, parent: undefined, unit: program, bindings: new Map() };
    this.scopeOf.set(program, top);
    this.declare(program, top);
    this.resolve(program, top);
  }

  private newScope(node: Node, parent: Scope, unit: Node): Scope {
    const scope: Scope = { node, parent, unit, bindings: new Map() };
    this.scopeOf.set(node, scope);
    return scope;
  }

  private functionScope(scope: Scope): Scope {
    let s = scope;
    while (s.unit !== s.node && s.parent) s = s.parent;
    return s;
  }

  private bind(scope: Scope, name: string, kind: BindingKind, node: Node): void {
    if (!scope.bindings.has(name)) scope.bindings.set(name, { name, kind, node, scope });
  }

  // Pass 1: create scopes and bindings.
  private declare(node: Node, scope: Scope): void {
    for (const child of children(node)) this.parentOf.set(child, node);
    switch (node.type) {
      case 'FunctionDeclaration':
      case 'FunctionExpression':
      case 'ArrowFunctionExpression': {
        if (node.type === 'FunctionDeclaration' && node.id) this.bind(scope, node.id.name, 'function', node);
        const fn = this.newScope(node, scope, node);
        if (node.type === 'FunctionExpression' && node.id) this.bind(fn, node.id.name, 'self', node);
        for (const p of node.params) for (const id of patternNames(p)) this.bind(fn, id.name, 'param', id);
        for (const p of node.params) this.declare(p, fn);
        // The body block shares the function's scope.
        if (node.body.type === 'BlockStatement') {
          this.scopeOf.set(node.body, fn);
          for (const child of children(node.body)) {
            this.parentOf.set(child, node.body);
            this.declare(child, fn);
          }
        } else {
          this.declare(node.body, fn);
        }
        return;
      }
      case 'ClassDeclaration':
      case 'ClassExpression': {
        if (node.type === 'ClassDeclaration' && node.id) this.bind(scope, node.id.name, 'class', node);
        const cls = this.newScope(node, scope, scope.unit);
        if (node.type === 'ClassExpression' && node.id) this.bind(cls, node.id.name, 'self', node);
        for (const child of children(node)) this.declare(child, cls);
        return;
      }
      case 'VariableDeclaration': {
        const target = node.kind === 'var' ? this.functionScope(scope) : scope;
        for (const d of node.declarations) for (const id of patternNames(d.id)) this.bind(target, id.name, node.kind, id);
        break;
      }
      case 'CatchClause': {
        const c = this.newScope(node, scope, scope.unit);
        if (node.param) for (const id of patternNames(node.param)) this.bind(c, id.name, 'catch', id);
        for (const child of children(node)) this.declare(child, c);
        return;
      }
      case 'BlockStatement':
      case 'ForStatement':
      case 'ForInStatement':
      case 'ForOfStatement':
      case 'SwitchStatement': {
        const b = this.newScope(node, scope, scope.unit);
        for (const child of children(node)) this.declare(child, b);
        return;
      }
    }
    for (const child of children(node)) this.declare(child, scope);
  }

  lookup(scope: Scope, name: string): Binding | undefined {
    for (let s: Scope | undefined = scope; s; s = s.parent) {
      const b = s.bindings.get(name);
      if (b) return b;
    }
    return undefined;
  }

  /** Whether an Identifier, seen from its parent, reads a variable (rather than naming a property, label, key). */
  private isReference(id: Node, parent: Node | undefined): boolean {
    if (!parent) return true;
    switch (parent.type) {
      case 'MemberExpression':
        return parent.object === id || parent.computed;
      case 'Property':
      case 'PropertyDefinition':
      case 'MethodDefinition':
        return parent.value === id || (parent.key === id && parent.computed);
      case 'LabeledStatement':
      case 'BreakStatement':
      case 'ContinueStatement':
        return false;
      case 'MetaProperty':
        return false;
      case 'FunctionDeclaration':
      case 'FunctionExpression':
      case 'ClassDeclaration':
      case 'ClassExpression':
        return parent.id !== id && !(parent.params ?? []).includes(id);
      case 'VariableDeclarator':
        return parent.init === id;
      case 'CatchClause':
        return parent.param !== id;
      case 'ImportSpecifier':
      case 'ImportDefaultSpecifier':
      case 'ImportNamespaceSpecifier':
      case 'ExportSpecifier':
        return false;
    }
    return true;
  }

  private calleeName(call: Node): string | undefined {
    return call.callee.type === 'Identifier' ? call.callee.name : undefined;
  }

  /** A value in this position is called at once: callee, `new` target, tag, or an argument of a call. */
  private isInvokedHere(node: Node, parent: Node | undefined): boolean {
    if (!parent) return false;
    if (parent.type === 'CallExpression' || parent.type === 'NewExpression') {
      if (parent.callee === node) return true;
      const name = this.calleeName(parent);
      return parent.arguments.includes(node) && !(name !== undefined && this.storingCallees.has(name));
    }
    if (parent.type === 'TaggedTemplateExpression') return parent.tag === node;
    // `f.call(...)` and `f.apply(...)` run f at once.
    if (parent.type === 'MemberExpression' && parent.object === node && !parent.computed) {
      const call = this.parentOf.get(parent);
      return (parent.property.name === 'call' || parent.property.name === 'apply') && call?.type === 'CallExpression' && call.callee === parent;
    }
    return false;
  }

  // Pass 2: resolve references.
  private resolve(node: Node, scope: Scope): void {
    const own = this.scopeOf.get(node);
    const here = own ?? scope;
    if (isFunction(node) && this.isInvokedHere(node, this.parentOf.get(node))) this.inlineFunctions.add(node);
    for (const child of children(node)) {
      if (child.type === 'Identifier') {
        if (this.isReference(child, node) && !this.isPatternTarget(child, node)) {
          this.references.push({
            node: child,
            binding: this.lookup(here, child.name),
            unit: here.unit,
            invoked: this.isInvokedHere(child, node),
            typeofOperand: node.type === 'UnaryExpression' && node.operator === 'typeof',
          });
        }
        continue;
      }
      this.resolve(child, here);
    }
  }

  /** Identifiers inside binding patterns declare rather than read (params, destructuring targets). */
  private isPatternTarget(id: Node, parent: Node): boolean {
    if (parent.type === 'AssignmentPattern') return parent.left === id;
    if (parent.type === 'ArrayPattern' || parent.type === 'RestElement') return true;
    if (parent.type === 'Property' && parent.value === id) {
      const grand = this.parentOf.get(parent);
      return grand?.type === 'ObjectPattern' && this.isDeclarationPattern(grand);
    }
    return false;
  }

  private isDeclarationPattern(pattern: Node): boolean {
    const parent = this.parentOf.get(pattern);
    if (!parent) return false;
    if (parent.type === 'VariableDeclarator') return parent.id === pattern;
    if (isFunction(parent) || parent.type === 'CatchClause') return true;
    if (parent.type === 'Property' || parent.type === 'ArrayPattern' || parent.type === 'RestElement' || parent.type === 'AssignmentPattern') {
      return this.isDeclarationPattern(parent.type === 'Property' ? this.parentOf.get(parent)! : parent);
    }
    return false;
  }
}
