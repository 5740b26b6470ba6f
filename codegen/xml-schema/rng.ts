/**
 * Reads libvirt's RelaxNG schemas (XML syntax) into patterns, and resolves
 * grammars: `include` (the included file's definitions join the including
 * grammar), `define` with `combine="choice"`/`"interleave"`, `start`, nested
 * `grammar` patterns (their own scope, as `domainsnapshot.rng` uses for the
 * domain it embeds) and `parentRef`.
 *
 * Names in namespaces are written `{ns}local`; `ns` is inherited from the
 * nearest ancestor that sets it, for element names only (an attribute's name
 * is in no namespace unless it says so), as RelaxNG's simplification rules say.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseXml, type XmlElement } from '../../src/api/xml/reader.js';

/** A name class: one name, or any name (the schemas' `customElement`). */
export type NameClass = { readonly kind: 'name'; readonly name: string } | { readonly kind: 'any' };

/** A RelaxNG pattern, after the schemas' syntax sugar is undone. */
export type Pattern =
  | { readonly t: 'element'; readonly id: number; readonly name: NameClass; readonly body: Pattern; readonly define?: string }
  | { readonly t: 'attribute'; readonly name: NameClass; readonly body: Pattern }
  | { readonly t: 'group' | 'interleave' | 'choice'; readonly items: readonly Pattern[] }
  | { readonly t: 'optional' | 'zeroOrMore' | 'oneOrMore'; readonly body: Pattern }
  | { readonly t: 'ref' | 'parentRef'; readonly name: string }
  | { readonly t: 'text' | 'empty' | 'notAllowed' }
  | { readonly t: 'data'; readonly type: string; readonly params: readonly (readonly [string, string])[] }
  | { readonly t: 'value'; readonly value: string }
  | { readonly t: 'grammar'; readonly id: number; readonly file: RngFile; readonly node: XmlElement };

/** The grammar-level content of one schema file. */
export interface RngFile {
  readonly path: string;
  readonly starts: readonly Pattern[];
  readonly defines: readonly { readonly name: string; readonly combine?: string; readonly body: Pattern }[];
  readonly includes: readonly string[];
}

const RNG_NS = 'http://relaxng.org/ns/structure/1.0';

let nextId = 1;

function elementChildren(el: XmlElement): XmlElement[] {
  return el.children.filter((c): c is XmlElement => c.kind === 'element' && !c.name.includes(':'));
}

/** A reader of the schema files in one folder; each file is read once. */
export class RngReader {
  private readonly files = new Map<string, RngFile>();
  constructor(private readonly dir: string) {}

  /** The parsed grammar content of `href` (a file name in the folder). */
  file(href: string): RngFile {
    let f = this.files.get(href);
    if (!f) {
      const root = parseXml(readFileSync(join(this.dir, href), 'utf8'));
      if (root.name !== 'grammar' || root.attrs.xmlns !== RNG_NS) throw new Error(`${href}: not a RelaxNG grammar`);
      f = this.grammarContent(href, root, root.attrs.ns ?? '');
      this.files.set(href, f);
    }
    return f;
  }

  private grammarContent(path: string, grammar: XmlElement, ns: string): RngFile {
    const starts: Pattern[] = [];
    const defines: { name: string; combine?: string; body: Pattern }[] = [];
    const includes: string[] = [];
    const walk = (el: XmlElement): void => {
      for (const c of elementChildren(el)) {
        if (c.name === 'start') starts.push(this.group(c, ns));
        else if (c.name === 'define') defines.push({ name: c.attrs.name, combine: c.attrs.combine, body: this.group(c, ns, c.attrs.name) });
        else if (c.name === 'include') {
          if (elementChildren(c).length > 0) throw new Error(`${path}: include with overrides is not supported`);
          includes.push(c.attrs.href);
        } else if (c.name === 'div') walk(c);
        else throw new Error(`${path}: unexpected <${c.name}> in a grammar`);
      }
    };
    walk(grammar);
    return { path, starts, defines, includes };
  }

  /** The children of `el` as one pattern (an implicit group). */
  private group(el: XmlElement, ns: string, define?: string, skip = 0): Pattern {
    const children = elementChildren(el).slice(skip);
    // An element that is a define's whole body is named after the define.
    const items = children.map((c) => this.pattern(c, ns, children.length === 1 ? define : undefined));
    if (items.length === 1) return items[0];
    if (items.length === 0) return { t: 'empty' };
    return { t: 'group', items };
  }

  private nameClass(el: XmlElement, ns: string, isAttribute: boolean): { name: NameClass; skip: number } {
    const qualify = (local: string, space: string): NameClass => ({ kind: 'name', name: space ? `{${space}}${local}` : local });
    if (el.attrs.name !== undefined) {
      const space = el.attrs.ns ?? (isAttribute ? '' : ns);
      return { name: qualify(el.attrs.name, space), skip: 0 };
    }
    const first = elementChildren(el)[0];
    if (first?.name === 'anyName') return { name: { kind: 'any' }, skip: 1 };
    if (first?.name === 'name')
      return {
        name: qualify(
          first.children
            .map((c) => (c.kind === 'text' ? c.text : ''))
            .join('')
            .trim(),
          first.attrs.ns ?? (isAttribute ? '' : ns),
        ),
        skip: 1,
      };
    throw new Error(`unsupported name class <${first?.name}>`);
  }

  private exceptValues(el: XmlElement): string[] {
    return elementChildren(el).flatMap((c) => {
      if (c.name === 'value') return [c.children.map((t) => (t.kind === 'text' ? t.text : '')).join('')];
      if (c.name === 'choice') return this.exceptValues(c);
      throw new Error(`unsupported <${c.name}> in data/except`);
    });
  }

  private pattern(el: XmlElement, inherited: string, define?: string): Pattern {
    const ns = el.attrs.ns ?? inherited;
    switch (el.name) {
      case 'element': {
        const { name, skip } = this.nameClass(el, ns, false);
        return { t: 'element', id: nextId++, name, body: this.group(el, ns, undefined, skip), ...(define !== undefined ? { define } : {}) };
      }
      case 'attribute': {
        const { name, skip } = this.nameClass(el, ns, true);
        const body = elementChildren(el).length > skip ? this.group(el, ns, undefined, skip) : ({ t: 'text' } as const);
        return { t: 'attribute', name, body };
      }
      case 'group':
      case 'interleave':
      case 'choice':
        return { t: el.name, items: elementChildren(el).map((c) => this.pattern(c, ns)) };
      case 'mixed':
        return { t: 'interleave', items: [{ t: 'text' }, this.group(el, ns)] };
      case 'optional':
      case 'zeroOrMore':
      case 'oneOrMore':
        return { t: el.name, body: this.group(el, ns) };
      case 'ref':
      case 'parentRef':
        return { t: el.name, name: el.attrs.name };
      case 'text':
      case 'empty':
      case 'notAllowed':
        return { t: el.name };
      case 'data': {
        const params = elementChildren(el)
          .filter((c) => c.name === 'param')
          .map((c) => [c.attrs.name, c.children.map((t) => (t.kind === 'text' ? t.text : '')).join('')] as const);
        // `except` holds values the type refuses (volName: not `.` or `..`): kept as `except` facets.
        const excluded = elementChildren(el)
          .filter((c) => c.name === 'except')
          .flatMap((c) => this.exceptValues(c))
          .map((v) => ['except', v] as const);
        return { t: 'data', type: el.attrs.type, params: [...params, ...excluded] };
      }
      case 'value':
        return { t: 'value', value: el.children.map((c) => (c.kind === 'text' ? c.text : '')).join('') };
      case 'grammar':
        return { t: 'grammar', id: nextId++, file: this.grammarContent('(nested grammar)', el, ns), node: el };
      default:
        throw new Error(`unsupported RelaxNG pattern <${el.name}>`);
    }
  }
}

/** A grammar's definitions after includes and combinations; `parent` for `parentRef`. */
export class Scope {
  private static next = 1;
  readonly id = Scope.next++;
  readonly defines = new Map<string, Pattern>();
  start: Pattern | undefined;
  private readonly loaded = new Set<string>();

  constructor(
    private readonly reader: RngReader,
    readonly parent: Scope | undefined,
  ) {}

  /** A scope holding the grammar of the schema file `href`. */
  static ofFile(reader: RngReader, href: string, parent?: Scope): Scope {
    const s = new Scope(reader, parent);
    s.load(reader.file(href));
    return s;
  }

  /** Adds a grammar's content (and, once each, the files it includes). */
  load(f: RngFile): void {
    for (const href of f.includes) {
      if (this.loaded.has(href)) continue;
      this.loaded.add(href);
      this.load(this.reader.file(href));
    }
    for (const s of f.starts) this.start = this.start ? { t: 'choice', items: [this.start, s] } : s;
    for (const d of f.defines) {
      const prev = this.defines.get(d.name);
      if (!prev) this.defines.set(d.name, d.body);
      else if (d.combine === 'interleave') this.defines.set(d.name, { t: 'interleave', items: [prev, d.body] });
      else this.defines.set(d.name, { t: 'choice', items: [prev, d.body] });
    }
  }

  /** The pattern a `ref` names. */
  resolve(name: string): Pattern {
    const p = this.defines.get(name);
    if (!p) throw new Error(`undefined RelaxNG define '${name}'`);
    return p;
  }
}
