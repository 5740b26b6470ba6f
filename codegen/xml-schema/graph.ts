/**
 * The element graph of the document kinds: one node per element (its element
 * patterns merged), then nodes of equal structure merged into classes, each
 * with a representation and a TypeScript type name.
 */
import { Analyzer, alt, type ChildInfo, type ElemRef, type Summary, type ValueType } from './model.js';
import { type RngReader, Scope } from './rng.js';

/** One document kind: its schema file, the root type's name and the API names. */
export interface DocumentKind {
  /** `domain`, `network`, ... (the functions are `parse<Name>Xml`, `<name>Xml`). */
  readonly id: string;
  /** The schema file whose start pattern is the document. */
  readonly schema: string;
  /** The root type, e.g. `DomainDef`. */
  readonly typeName: string;
  /** The function stem, e.g. `Domain` (parseDomainXml, domainXml, validateDomain). */
  readonly stem: string;
}

/** Namespaces libvirt's schemas use, with the prefix libvirt writes. */
export const NAMESPACES: Readonly<Record<string, string>> = {
  qemu: 'http://libvirt.org/schemas/domain/qemu/1.0',
  lxc: 'http://libvirt.org/schemas/domain/lxc/1.0',
  bhyve: 'http://libvirt.org/schemas/domain/bhyve/1.0',
  vmware: 'http://libvirt.org/schemas/domain/vmware/1.0',
  xen: 'http://libvirt.org/schemas/domain/xen/1.0',
  dnsmasq: 'http://libvirt.org/schemas/network/dnsmasq/1.0',
  fs: 'http://libvirt.org/schemas/storagepool/fs/1.0',
  rbd: 'http://libvirt.org/schemas/storagepool/rbd/1.0',
};

/** `{uri}local` as `prefix:local`. */
export function propName(qname: string): string {
  const m = /^\{([^}]*)\}(.*)$/.exec(qname);
  if (!m) return qname;
  const prefix = Object.keys(NAMESPACES).find((p) => NAMESPACES[p] === m[1]);
  if (!prefix) throw new Error(`no prefix for namespace ${m[1]}`);
  return `${prefix}:${m[2]}`;
}

export interface Node {
  readonly key: string;
  readonly refs: readonly ElemRef[];
  readonly summary: Summary;
  readonly children: { readonly name: string; readonly node: Node; readonly required: boolean; readonly many: boolean }[];
}

/** How a class of elements is held in a definition. */
export type Mode = 'object' | 'text' | 'flag' | 'raw';

export interface Klass {
  readonly id: number;
  readonly rep: Node;
  mode: Mode;
  typeName: string;
  /** Names its element patterns have as defines (for type names). */
  readonly defines: Set<string>;
}

const refKey = (r: ElemRef): string => `${r.scope.id}:${r.el.id}`;

export function pascal(s: string): string {
  return s
    .replace(/^\{[^}]*\}/, '')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('');
}

export function typeKey(t: ValueType | null): string {
  return t === null ? '' : JSON.stringify(t.atoms);
}

/** Builds the graph of every kind and merges equal nodes. */
export class Graph {
  readonly nodes = new Map<string, Node>();
  readonly roots = new Map<string, { node: Node; name: string }>();
  classOf = new Map<Node, Klass>();
  classes: Klass[] = [];
  private readonly analyzer: Analyzer;

  constructor(reader: RngReader, kinds: readonly DocumentKind[]) {
    this.analyzer = new Analyzer(reader);
    for (const k of kinds) {
      const scope = Scope.ofFile(reader, k.schema);
      if (!scope.start) throw new Error(`${k.schema}: no start`);
      const s = this.analyzer.summary(scope.start, scope);
      const [[name, child], ...more] = [...s.children];
      if (more.length) throw new Error(`${k.schema}: more than one root element`);
      this.roots.set(k.id, { node: this.node(child), name });
    }
    this.merge();
  }

  private node(c: ChildInfo): Node {
    const key = c.refs.map(refKey).sort().join(',');
    const hit = this.nodes.get(key);
    if (hit) return hit;
    const summary = c.refs.map((r) => this.analyzer.summary(r.el.body, r.scope)).reduce(alt);
    const node: Node = { key, refs: c.refs, summary, children: [] };
    this.nodes.set(key, node);
    for (const [name, info] of summary.children) node.children.push({ name, node: this.node(info), required: info.required, many: info.many });
    return node;
  }

  /** Partition refinement: nodes with the same local shape and children of the same classes are one class. */
  private merge(): void {
    const all = [...this.nodes.values()];
    const local = (n: Node): string => {
      const s = n.summary;
      return JSON.stringify([
        [...s.attrs].map(([k, v]) => [k, typeKey(v.type), v.required]),
        typeKey(s.text),
        s.anyAttrs,
        s.anyElements,
        n.children.map((c) => [c.name, c.required, c.many]),
      ]);
    };
    let ids = new Map<Node, number>();
    const number = (sig: (n: Node) => string): number => {
      const seen = new Map<string, number>();
      const next = new Map<Node, number>();
      for (const n of all) {
        const k = sig(n);
        if (!seen.has(k)) seen.set(k, seen.size);
        next.set(n, seen.get(k) as number);
      }
      ids = next;
      return seen.size;
    };
    let count = number(local);
    for (;;) {
      const prev = ids;
      const c = number((n) => `${prev.get(n)}|${n.children.map((ch) => prev.get(ch.node)).join(',')}`);
      if (c === count) break;
      count = c;
    }
    const byId = new Map<number, Klass>();
    for (const n of all) {
      const id = ids.get(n) as number;
      let k = byId.get(id);
      if (!k) {
        k = { id, rep: n, mode: modeOf(n.summary), typeName: '', defines: new Set() };
        byId.set(id, k);
      }
      for (const r of n.refs) if (r.el.define) k.defines.add(r.el.define);
      this.classOf.set(n, k);
    }
    this.classes = [...byId.values()];
  }
}

function modeOf(s: Summary): Mode {
  const noKnown = s.attrs.size === 0 && s.children.size === 0;
  if (s.anyElements && s.children.size === 0) return 'raw';
  if (noKnown && !s.anyAttrs && !s.anyElements) return s.text ? 'text' : 'flag';
  return 'object';
}
