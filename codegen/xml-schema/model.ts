/**
 * From RelaxNG patterns to an element model: for each element, the attributes
 * it may have, the child elements it may have (once or many, required or not,
 * in the order the schema names them), its text and its value types.
 *
 * What RelaxNG says with choices is flattened: an element's attributes and
 * children are the union over its choices (required only when every choice
 * requires them), and the element patterns of one name under one parent
 * become one element (libvirt's `<source>` of a disk is one type with the
 * attributes of every disk type, as in libvirt-go-xml). Elements of equal
 * structure are then merged (a domain embedded in a snapshot is the domain).
 */
import type { NameClass, Pattern } from './rng.js';
import { Scope, type RngReader } from './rng.js';

/** An XSD datatype with its facets, or a fixed value. */
export type ValueAtom =
  | { readonly kind: 'value'; readonly value: string }
  | { readonly kind: 'data'; readonly type: string; readonly params: readonly (readonly [string, string])[] }
  | { readonly kind: 'text' };

/** What text an attribute or element may hold: the union of its atoms. */
export interface ValueType {
  readonly atoms: readonly ValueAtom[];
}

export interface AttrInfo {
  readonly type: ValueType;
  readonly required: boolean;
}

/** An element pattern in the scope its references resolve in. */
export interface ElemRef {
  readonly el: Extract<Pattern, { t: 'element' }>;
  readonly scope: Scope;
}

export interface ChildInfo {
  readonly refs: readonly ElemRef[];
  readonly required: boolean;
  readonly many: boolean;
}

/** What a pattern allows, flattened. `never` for a pattern that matches nothing (notAllowed). */
export interface Summary {
  readonly never: boolean;
  readonly attrs: ReadonlyMap<string, AttrInfo>;
  readonly children: ReadonlyMap<string, ChildInfo>;
  readonly text: ValueType | null;
  readonly anyAttrs: boolean;
  readonly anyElements: boolean;
}

const EMPTY: Summary = { never: false, attrs: new Map(), children: new Map(), text: null, anyAttrs: false, anyElements: false };
const NEVER: Summary = { ...EMPTY, never: true };

function unionType(a: ValueType | null, b: ValueType | null): ValueType | null {
  if (!a) return b;
  if (!b) return a;
  const atoms = [...a.atoms];
  for (const x of b.atoms) if (!atoms.some((y) => JSON.stringify(y) === JSON.stringify(x))) atoms.push(x);
  return { atoms };
}

function mergeMaps<T>(a: ReadonlyMap<string, T>, b: ReadonlyMap<string, T>, both: (x: T, y: T) => T, one: (x: T) => T): Map<string, T> {
  const out = new Map<string, T>();
  for (const [k, v] of a) out.set(k, b.has(k) ? both(v, b.get(k) as T) : one(v));
  for (const [k, v] of b) if (!a.has(k)) out.set(k, one(v));
  return out;
}

const refsUnion = (a: readonly ElemRef[], b: readonly ElemRef[]): ElemRef[] => [...a, ...b.filter((r) => !a.some((x) => x.el === r.el && x.scope === r.scope))];

/** Both patterns, in sequence or interleaved. */
function seq(a: Summary, b: Summary): Summary {
  if (a.never || b.never) return NEVER;
  return {
    never: false,
    attrs: mergeMaps(
      a.attrs,
      b.attrs,
      (x, y) => ({ type: unionType(x.type, y.type) as ValueType, required: x.required || y.required }),
      (x) => x,
    ),
    children: mergeMaps(
      a.children,
      b.children,
      (x, y) => ({ refs: refsUnion(x.refs, y.refs), required: x.required || y.required, many: true }),
      (x) => x,
    ),
    text: unionType(a.text, b.text),
    anyAttrs: a.anyAttrs || b.anyAttrs,
    anyElements: a.anyElements || b.anyElements,
  };
}

/** One pattern or the other. */
export function alt(a: Summary, b: Summary): Summary {
  if (a.never) return b;
  if (b.never) return a;
  const optional = <T extends { required: boolean }>(x: T): T => ({ ...x, required: false });
  return {
    never: false,
    attrs: mergeMaps(a.attrs, b.attrs, (x, y) => ({ type: unionType(x.type, y.type) as ValueType, required: x.required && y.required }), optional),
    children: mergeMaps(
      a.children,
      b.children,
      (x, y) => ({ refs: refsUnion(x.refs, y.refs), required: x.required && y.required, many: x.many || y.many }),
      optional,
    ),
    // Text in one branch only: the other leaves the element empty (genid: a UUID or nothing).
    text: a.text && b.text ? unionType(a.text, b.text) : a.text || b.text ? unionType(a.text ?? NO_TEXT, b.text ?? NO_TEXT) : null,
    anyAttrs: a.anyAttrs || b.anyAttrs,
    anyElements: a.anyElements || b.anyElements,
  };
}

const NO_TEXT: ValueType = { atoms: [{ kind: 'value', value: '' }] };

function optional(a: Summary): Summary {
  if (a.never) return EMPTY;
  return {
    ...a,
    // Optional text may be absent: the element may be empty (`<loader stateless='no'/>`).
    text: a.text ? unionType(a.text, NO_TEXT) : null,
    attrs: new Map([...a.attrs].map(([k, v]) => [k, { ...v, required: false }])),
    children: new Map([...a.children].map(([k, v]) => [k, { ...v, required: false }])),
  };
}

function repeated(a: Summary): Summary {
  return { ...a, children: new Map([...a.children].map(([k, v]) => [k, { ...v, many: true }])) };
}

/** Flattens patterns, caching by pattern and scope. */
export class Analyzer {
  private readonly cache = new Map<Pattern, Map<number, Summary>>();
  private readonly nested = new Map<string, Scope>();

  constructor(private readonly reader: RngReader) {}

  summary(p: Pattern, scope: Scope): Summary {
    let byScope = this.cache.get(p);
    if (!byScope) this.cache.set(p, (byScope = new Map()));
    const hit = byScope.get(scope.id);
    if (hit) return hit;
    const s = this.compute(p, scope);
    byScope.set(scope.id, s);
    return s;
  }

  /** The scope of a nested `grammar` pattern met in `scope`. */
  private grammarScope(p: Extract<Pattern, { t: 'grammar' }>, scope: Scope): Scope {
    const key = `${p.id}:${scope.id}`;
    let s = this.nested.get(key);
    if (!s) {
      s = new Scope(this.reader, scope);
      s.load(p.file);
      this.nested.set(key, s);
    }
    return s;
  }

  private compute(p: Pattern, scope: Scope): Summary {
    switch (p.t) {
      case 'element': {
        if (p.name.kind === 'any') return { ...EMPTY, anyElements: true };
        // An element whose content is notAllowed cannot be there (privatedata.rng's placeholders).
        // Only the literal case: summarising the body here would recurse through recursive elements.
        if (p.body.t === 'notAllowed') return NEVER;
        return { ...EMPTY, children: new Map([[p.name.name, { refs: [{ el: p, scope }], required: true, many: false }]]) };
      }
      case 'attribute': {
        if (p.name.kind === 'any') return { ...EMPTY, anyAttrs: true };
        return { ...EMPTY, attrs: new Map([[p.name.name, { type: this.valueType(p.body, scope), required: true }]]) };
      }
      case 'group':
      case 'interleave':
        return p.items.reduce((acc, x) => seq(acc, this.summary(x, scope)), EMPTY);
      case 'choice':
        return p.items.reduce((acc, x) => alt(acc, this.summary(x, scope)), NEVER);
      case 'optional':
        return optional(this.summary(p.body, scope));
      case 'zeroOrMore':
        return optional(repeated(this.summary(p.body, scope)));
      case 'oneOrMore':
        return repeated(this.summary(p.body, scope));
      case 'ref':
        return this.summary(scope.resolve(p.name), scope);
      case 'parentRef': {
        if (!scope.parent) throw new Error(`parentRef ${p.name} outside a nested grammar`);
        return this.summary(scope.parent.resolve(p.name), scope.parent);
      }
      case 'grammar': {
        const inner = this.grammarScope(p, scope);
        if (!inner.start) throw new Error('nested grammar without start');
        return this.summary(inner.start, inner);
      }
      case 'empty':
        return EMPTY;
      case 'notAllowed':
        return NEVER;
      case 'text':
        return { ...EMPTY, text: { atoms: [{ kind: 'text' }] } };
      case 'data':
      case 'value':
        return { ...EMPTY, text: this.valueType(p, scope) };
    }
  }

  /** The text an attribute's (or a text-only element's) pattern allows. */
  valueType(p: Pattern, scope: Scope): ValueType {
    switch (p.t) {
      case 'value':
        return { atoms: [{ kind: 'value', value: p.value }] };
      case 'data':
        return { atoms: [{ kind: 'data', type: p.type, params: p.params }] };
      case 'text':
        return { atoms: [{ kind: 'text' }] };
      case 'empty':
        return { atoms: [{ kind: 'value', value: '' }] };
      case 'choice':
        return p.items.reduce<ValueType | null>((acc, x) => (x.t === 'notAllowed' ? acc : unionType(acc, this.valueType(x, scope))), null) ?? { atoms: [] };
      case 'optional':
        return unionType({ atoms: [{ kind: 'value', value: '' }] }, this.valueType(p.body, scope)) as ValueType;
      case 'ref':
        return this.valueType(scope.resolve(p.name), scope);
      case 'notAllowed':
        return { atoms: [] };
      default:
        // A list or group of values: any text.
        return { atoms: [{ kind: 'text' }] };
    }
  }
}

/** The display name of a name class. */
export function nameOf(n: NameClass): string {
  return n.kind === 'name' ? n.name : '*';
}

export { Scope };
