/**
 * The resolved view of a set of `.x` files: which module defines each name,
 * the numeric value of every constant, and each declaration as a "shape" with
 * typedefs expanded, which the codec emitter turns into straight-line code.
 */
import type { Declaration, Definition, Location, PrimitiveName, Value, XFile } from './ast.js';
import { XParseError } from './parser.js';

/** The wire form of a declaration with typedefs expanded. */
export type Shape =
  | { readonly k: 'prim'; readonly prim: Exclude<PrimitiveName, 'string' | 'opaque'> }
  | { readonly k: 'string'; readonly max: number | null }
  | { readonly k: 'opaque'; readonly max: number | null }
  | { readonly k: 'fixedOpaque'; readonly size: number }
  | { readonly k: 'enum'; readonly name: string }
  | { readonly k: 'named'; readonly name: string }
  | { readonly k: 'optional'; readonly of: Shape }
  | { readonly k: 'fixedArray'; readonly size: number; readonly of: Shape }
  | { readonly k: 'varArray'; readonly max: number | null; readonly of: Shape };

/** One input module: a parsed `.x` file and the name of the TypeScript module it becomes. */
export interface ModuleInput {
  /** Module id, e.g. `remote`; the output is `<id>.gen.ts`. */
  readonly id: string;
  /** Path shown in generated headers, e.g. `protocol/remote_protocol.x`. */
  readonly path: string;
  readonly parsed: XFile;
}

/** PascalCase of a `.x` name: `remote_nonnull_domain` → `RemoteNonnullDomain`. */
export function pascalCase(name: string): string {
  return name
    .split('_')
    .filter((p) => p.length > 0)
    .map((p) => p[0].toUpperCase() + p.slice(1))
    .join('');
}

/** camelCase of a `.x` name. */
export function camelCase(name: string): string {
  const p = pascalCase(name);
  return p[0].toLowerCase() + p.slice(1);
}

/**
 * Lowers the start of a PascalCase name as camelCase does, a leading acronym
 * included: `DomainGetXMLDesc` → `domainGetXMLDesc`, `NWFilterLookupByName` →
 * `nwFilterLookupByName`, `XML` → `xml`.
 */
export function lowerCamel(name: string): string {
  const m = /^[A-Z]+/.exec(name);
  if (!m) return name;
  const run = m[0];
  if (run.length === 1) return run.toLowerCase() + name.slice(1);
  // An acronym followed by a word: its last capital starts that word.
  const keep = run.length < name.length && /[a-z]/.test(name[run.length]) ? 1 : 0;
  return run.slice(0, run.length - keep).toLowerCase() + name.slice(run.length - keep);
}

/** The exported codec name of a `.x` type. */
export function codecName(name: string): string {
  return `${camelCase(name)}Codec`;
}

/** All definitions of a set of modules, with constants resolved. */
export class Universe {
  private readonly defs = new Map<string, { def: Definition; module: string }>();
  private readonly constants = new Map<string, number>();
  private readonly minSizes = new Map<string, number>();

  constructor(
    readonly modules: readonly ModuleInput[],
    externalConstants: ReadonlyMap<string, number>,
  ) {
    for (const [k, v] of externalConstants) this.constants.set(k, v);
    for (const m of modules) {
      for (const def of m.parsed.definitions) {
        const prev = this.defs.get(def.name);
        if (prev) {
          throw new XParseError(def.loc, `${def.name} is already defined in module ${prev.module}`);
        }
        this.defs.set(def.name, { def, module: m.id });
      }
    }
    // Constants and enum members may refer to each other in any order.
    for (const m of modules) {
      for (const def of m.parsed.definitions) {
        if (def.kind === 'const') this.constants.set(def.name, this.value(def.value));
        if (def.kind === 'enum') for (const mem of def.members) this.constants.set(mem.name, this.value(mem.value));
      }
    }
  }

  /** The numeric value of a literal or named constant. */
  value(v: Value): number {
    if (v.kind === 'number') return v.value;
    const known = this.constants.get(v.name);
    if (known !== undefined) return known;
    const def = this.defs.get(v.name)?.def;
    if (def?.kind === 'const') {
      const n = this.value(def.value);
      this.constants.set(v.name, n);
      return n;
    }
    if (def?.kind === 'enum') throw new XParseError(v.loc, `${v.name} is an enum type, not a constant`);
    for (const d of this.defs.values()) {
      if (d.def.kind === 'enum') {
        const mem = d.def.members.find((x) => x.name === v.name);
        if (mem) {
          const n = this.value(mem.value);
          this.constants.set(v.name, n);
          return n;
        }
      }
    }
    throw new XParseError(v.loc, `unknown constant ${v.name}`);
  }

  /** The definition of a type name, and the module that holds it. */
  lookup(name: string, loc: Location): { def: Definition; module: string } {
    const d = this.defs.get(name);
    if (!d) throw new XParseError(loc, `unknown type ${name}`);
    if (d.def.kind === 'const') throw new XParseError(loc, `${name} is a constant, not a type`);
    return d;
  }

  /** The definition of a name, if any. */
  find(name: string): { def: Definition; module: string } | undefined {
    return this.defs.get(name);
  }

  /** The shape of a declaration, typedefs expanded. */
  shape(decl: Declaration): Shape {
    let base: Shape;
    if (decl.type.kind === 'primitive') {
      const p = decl.type.name;
      if (p === 'string') {
        if (decl.array.kind !== 'variable') throw new XParseError(decl.loc, 'string needs <n>');
        return { k: 'string', max: decl.array.max ? this.value(decl.array.max) : null };
      }
      if (p === 'opaque') {
        if (decl.array.kind === 'fixed') return { k: 'fixedOpaque', size: this.value(decl.array.size) };
        if (decl.array.kind === 'variable') return { k: 'opaque', max: decl.array.max ? this.value(decl.array.max) : null };
        throw new XParseError(decl.loc, 'opaque needs [n] or <n>');
      }
      base = { k: 'prim', prim: p };
    } else {
      const { def } = this.lookup(decl.type.name, decl.type.loc);
      if (def.kind === 'typedef') base = this.shape(def.decl);
      else if (def.kind === 'enum') base = { k: 'enum', name: def.name };
      else base = { k: 'named', name: def.name };
    }
    if (decl.optional) return { k: 'optional', of: base };
    if (decl.array.kind === 'fixed') return { k: 'fixedArray', size: this.value(decl.array.size), of: base };
    if (decl.array.kind === 'variable') {
      return { k: 'varArray', max: decl.array.max ? this.value(decl.array.max) : null, of: base };
    }
    return base;
  }

  /** The fewest bytes a value of this shape takes on the wire (for allocation checks). */
  minSize(s: Shape): number {
    switch (s.k) {
      case 'prim':
        return s.prim === 'hyper' || s.prim === 'unsigned hyper' || s.prim === 'double' ? 8 : 4;
      case 'string':
      case 'opaque':
      case 'optional':
      case 'varArray':
      case 'enum':
        return 4;
      case 'fixedOpaque':
        return (s.size + 3) & ~3;
      case 'fixedArray':
        return s.size * this.minSize(s.of);
      case 'named': {
        const known = this.minSizes.get(s.name);
        if (known !== undefined) return known;
        this.minSizes.set(s.name, 4); // guards recursion through optional data
        const def = this.defs.get(s.name)!.def;
        let n = 4;
        if (def.kind === 'struct') n = def.fields.reduce((acc, f) => acc + this.minSize(this.shape(f)), 0);
        if (def.kind === 'union') {
          const arms = [...def.arms.map((a) => a.decl), ...(def.defaultArm !== undefined ? [def.defaultArm] : [])];
          n = 4 + Math.min(...arms.map((d) => (d === null ? 0 : this.minSize(this.shape(d)))));
        }
        this.minSizes.set(s.name, n);
        return n;
      }
    }
  }
}
