/**
 * The one runtime of the typed XML model: it reads the tables generated from
 * libvirt's RelaxNG schemas (`schema.gen.ts`) to parse a document into plain
 * objects and to write them back.
 *
 * A definition is plain data: an element is an object whose properties are its
 * attributes and child elements by their XML names (a repeated child is an
 * array, in document order; a child named like an attribute of its parent is
 * `<name>Element`), its text `value`. An element that only holds text is that
 * text (`name: 'web'`), numbers of XSD integer and double types as `number`s
 * (text a number cannot reproduce exactly, as 2^64-1, stays a string); an
 * empty element without attributes is `true` (`acpi: true`); an element whose
 * content the schema leaves open (`<metadata>`) is an {@link XmlElement} tree.
 *
 * What the schema does not know (a newer daemon's attributes and elements,
 * foreign namespaces) is kept out of sight under the {@link UNKNOWN} symbol of
 * the object holding it and written back where it was, so read-modify-write
 * loses nothing. A parsed definition is written back in the order it was read in; what was
 * added, and definitions built from scratch, follow the order the schema names things in.
 *
 * Table rows (see codegen/xml-schema/emit.ts):
 * `TypeRow` = `[values, datatypes, anyText]`, `ElementRow` = `[mode, attrs, children, text, flags]`.
 *
 * @module
 */
import { ArgumentError } from '../../errors/root.js';
import { parseXml, XmlErrorCode, XmlReadError, type XmlElement, type XmlNode } from './reader.js';
import { ELEMENTS, NAMESPACES, ROOTS, TYPES } from './schema.gen.js';
import { XSD_INTEGER_TYPES } from './xsd-types.js';

/** XSD facets of a datatype: pattern(s), min/maxInclusive, maxLength, excluded values. */
export interface Facets {
  readonly p?: readonly string[];
  readonly min?: string;
  readonly max?: string;
  readonly len?: string;
  readonly x?: readonly string[];
  /** Set on a numeric type held as text (its patterns are not decimal: octalMode). */
  readonly t?: string;
}
/** A value type: literal values, datatypes, and 1 when any text goes. */
export type TypeRow = readonly [readonly string[] | 0, readonly (readonly [string, Facets?])[] | 0, 0 | 1];
/** An element: mode (0 object, 1 text, 2 flag, 3 raw), attributes, children, text type, flags. */
export type ElementRow = readonly [0 | 1 | 2 | 3, readonly (string | number)[], readonly (string | number)[], number, number];

/** A document kind of the model (`domain`, `network`, ...). */
export type DocumentKind = keyof typeof ROOTS;

/** One schema violation: where (`devices.disk[1].target.dev`) and what. */
export interface Problem {
  readonly path: string;
  readonly message: string;
}

/** The key of what the schema does not know, on the object holding it. */
export const UNKNOWN: unique symbol = Symbol.for('libvirt-rpc.xml.unknown') as never;

/** Unknown content of one element. */
export interface Unknown {
  /** Attributes the schema does not name (`xmlns:*` declarations too). */
  attrs?: Record<string, string>;
  /** Child elements the schema does not name, as parsed trees. */
  elements?: XmlElement[];
  /** Unknown content of children held as a scalar or `true`, by `name` or `name[i]`. */
  children?: Record<string, Unknown>;
  /** Text where the schema has none. */
  text?: string;
  /**
   * The document order of the known attributes and child elements (by property), so that a
   * read-modify-write keeps the order it was read in; what is not listed follows in the schema's.
   */
  order?: { attrs: string[]; children: string[] };
}

export const MODE_OBJECT = 0;
export const MODE_TEXT = 1;
export const MODE_FLAG = 2;
export const MODE_RAW = 3;

/** An element row, unpacked once. */
export interface ElementInfo {
  readonly mode: number;
  readonly attrs: readonly { readonly name: string; readonly type: number; readonly required: boolean }[];
  readonly children: readonly { readonly name: string; readonly prop: string; readonly row: number; readonly required: boolean; readonly many: boolean }[];
  readonly byName: ReadonlyMap<string, number>;
  readonly attrNames: ReadonlySet<string>;
  readonly text: number;
  readonly anyAttrs: boolean;
  readonly anyElements: boolean;
  /** An object-mode element whose text (`value`) is required. */
  readonly textRequired: boolean;
}

const infos: (ElementInfo | undefined)[] = [];

/** The unpacked row `i` of the element table. */
export function elementInfo(i: number): ElementInfo {
  let info = infos[i];
  if (info) return info;
  const [mode, a, c, text, flags] = ELEMENTS[i] as ElementRow;
  const attrs = [];
  for (let j = 0; j < a.length; j += 3) attrs.push({ name: a[j] as string, type: a[j + 1] as number, required: a[j + 2] === 1 });
  const attrNames = new Set(attrs.map((x) => x.name));
  const children = [];
  const byName = new Map<string, number>();
  for (let j = 0; j < c.length; j += 3) {
    const name = c[j] as string;
    const f = c[j + 2] as number;
    byName.set(name, children.length);
    // A child named like an attribute of its element is `<name>Element` (a controller's `model`).
    children.push({ name, prop: attrNames.has(name) ? `${name}Element` : name, row: c[j + 1] as number, required: (f & 1) === 1, many: (f & 2) === 2 });
  }
  info = { mode, attrs, children, byName, attrNames, text, anyAttrs: (flags & 1) === 1, anyElements: (flags & 2) === 2, textRequired: (flags & 4) === 4 };
  infos[i] = info;
  return info;
}

/** The value type row `i`. */
export function typeRow(i: number): TypeRow {
  return TYPES[i] as TypeRow;
}

/** Text as the type holds it: a number for a numeric datatype when the number writes back the same text. */
function convert(text: string, type: number): string | number {
  const [values, datas] = typeRow(type);
  if (datas === 0 || (values !== 0 && values.includes(text))) return text;
  for (const [name, facets] of datas) {
    // A numeric type whose patterns make it a lexical form (octalMode: `0755`) stays text.
    if (facets?.t) continue;
    if (XSD_INTEGER_TYPES.has(name)) {
      if (/^-?(0|[1-9][0-9]*)$/.test(text) && Number.isSafeInteger(Number(text))) return Number(text);
    } else if (name === 'double') {
      const n = Number(text);
      if (text.trim() !== '' && Number.isFinite(n) && String(n) === text) return n;
    }
  }
  return text;
}

const nsByUri = new Map(Object.entries(NAMESPACES).map(([prefix, uri]) => [uri, prefix]));

/** The namespace declarations an element adds to those in scope. */
function scopeOf(el: XmlElement, outer: ReadonlyMap<string, string>): ReadonlyMap<string, string> {
  let scope = outer;
  for (const name in el.attrs) {
    if (name !== 'xmlns' && !name.startsWith('xmlns:')) continue;
    if (scope === outer) scope = new Map(outer);
    // The default namespace is under the empty prefix.
    (scope as Map<string, string>).set(name.slice(6), el.attrs[name]);
  }
  return scope;
}

/** An element's name as the tables write it: `prefix:local` with libvirt's prefix for a known namespace. */
function modelName(name: string, scope: ReadonlyMap<string, string>): string {
  const colon = name.indexOf(':');
  const uri = scope.get(colon < 0 ? '' : name.slice(0, colon));
  if (colon < 0 && !uri) return name;
  const prefix = nsByUri.get(uri ?? '');
  return prefix === undefined ? `?${name}` : `${prefix}:${name.slice(colon + 1)}`;
}

/** The model name of a child element, in the scope of its own namespace declarations. */
const childName = (c: XmlElement, scope: ReadonlyMap<string, string>): string => modelName(c.name, scopeOf(c, scope));

function textOf(el: XmlElement): string {
  let s = '';
  for (const c of el.children) if (c.kind !== 'element' && c.kind !== 'comment') s += c.text;
  return s;
}

function unknownOf(target: object): Unknown {
  const holder = target as { [UNKNOWN]?: Unknown };
  let u = holder[UNKNOWN];
  if (!u) {
    u = {};
    Object.defineProperty(target, UNKNOWN, { value: u, enumerable: false, writable: true, configurable: true });
  }
  return u;
}

/** What the schema does not know about `el` (as the element row sees it), or undefined. */
function extrasOf(el: XmlElement, info: ElementInfo, scope: ReadonlyMap<string, string>, ownText: boolean): Unknown | undefined {
  let u: Unknown | undefined;
  for (const name in el.attrs) {
    if (info.attrNames.has(name)) continue;
    u ??= {};
    (u.attrs ??= {})[name] = el.attrs[name];
  }
  for (const c of el.children) {
    if (c.kind === 'element') {
      if (info.byName.has(childName(c, scope))) continue;
      u ??= {};
      (u.elements ??= []).push(c);
    }
  }
  if (!ownText) {
    const t = textOf(el);
    if (t.trim() !== '') (u ??= {}).text = t;
  }
  return u;
}

function parseElement(el: XmlElement, row: number, outer: ReadonlyMap<string, string>): { value: unknown; extra?: Unknown } {
  const info = elementInfo(row);
  const scope = scopeOf(el, outer);
  if (info.mode === MODE_RAW) return { value: el };
  if (info.mode === MODE_FLAG) return { value: true, extra: extrasOf(el, info, scope, false) };
  if (info.mode === MODE_TEXT) return { value: convert(textOf(el), info.text), extra: extrasOf(el, info, scope, true) };
  const obj: Record<string, unknown> = {};
  for (const a of info.attrs) {
    const v = el.attrs[a.name];
    if (v !== undefined && Object.hasOwn(el.attrs, a.name)) obj[a.name] = convert(v, a.type);
  }
  const order = { attrs: Object.keys(el.attrs).filter((k) => info.attrNames.has(k)), children: [] as string[] };
  const hasElements = el.children.some((c) => c.kind === 'element');
  for (const c of el.children) {
    if (c.kind !== 'element') continue;
    const idx = info.byName.get(childName(c, scope));
    if (idx === undefined) continue;
    const child = info.children[idx];
    if (!(child.prop in obj)) order.children.push(child.prop);
    const parsed = parseElement(c, child.row, scope);
    let key = child.prop;
    if (child.many) {
      const list = (obj[child.prop] ??= []) as unknown[];
      key = `${child.prop}[${list.length}]`;
      list.push(parsed.value);
    } else if (child.prop in obj) {
      // A second copy of a child the schema allows once: kept as unknown, written back after.
      (unknownOf(obj).elements ??= []).push(c);
      continue;
    } else obj[child.prop] = parsed.value;
    if (parsed.extra) (unknownOf(obj).children ??= {})[key] = parsed.extra;
  }
  if (info.text >= 0) {
    const t = textOf(el);
    if (!(hasElements && t.trim() === '') && t !== '') obj.value = convert(t, info.text);
  }
  if (order.attrs.length > 1 || order.children.length > 1) unknownOf(obj).order = order;
  const extra = extrasOf(el, info, scope, info.text >= 0);
  if (extra) {
    const u = unknownOf(obj);
    if (extra.attrs) u.attrs = extra.attrs;
    if (extra.elements) u.elements = [...(u.elements ?? []), ...extra.elements];
    if (extra.text !== undefined) u.text = extra.text;
  }
  return { value: obj };
}

/** Parses a document of `kind`. */
export function parseDocument(kind: DocumentKind, xml: string): unknown {
  const root = parseXml(xml);
  const [name, row] = ROOTS[kind];
  if (root.name !== name) throw new XmlReadError(XmlErrorCode.CONTENT, `expected <${name}> as the root of ${kind} XML, found <${root.name}>`);
  const parsed = parseElement(root, row, new Map());
  if (parsed.extra && typeof parsed.value === 'object') Object.assign(unknownOf(parsed.value as object), parsed.extra);
  return parsed.value;
}

// Serialization ---------------------------------------------------------------------------------

// As libvirt's formatter escapes (virBufferEscapeString): quotes in text too.
const escapeText = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');
const escapeAttr = (s: string): string =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/'/g, '&apos;')
    .replace(/"/g, '&quot;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');

function attrText(attrs: Record<string, string> | undefined): string {
  let s = '';
  if (attrs) for (const k in attrs) s += ` ${k}='${escapeAttr(attrs[k])}'`;
  return s;
}

/** A parsed tree written back, indented (whitespace-only text between elements is layout, dropped). */
function writeRaw(el: XmlElement, pad: string, out: string[], name = el.name): void {
  const hasElements = el.children.some((c) => c.kind === 'element');
  const kids = hasElements ? el.children.filter((c) => c.kind === 'element' || c.text.trim() !== '') : el.children;
  const open = `${pad}<${name}${attrText(el.attrs)}`;
  if (kids.length === 0) {
    out.push(`${open}/>`);
    return;
  }
  if (!hasElements) {
    out.push(`${open}>${kids.map(nodeText).join('')}</${name}>`);
    return;
  }
  out.push(`${open}>`);
  for (const c of kids) {
    if (c.kind === 'element') writeRaw(c, `${pad}  `, out);
    else out.push(`${pad}  ${nodeText(c)}`);
  }
  out.push(`${pad}</${name}>`);
}

function nodeText(n: XmlNode): string {
  if (n.kind === 'element') {
    const out: string[] = [];
    writeRaw(n, '', out);
    return out.join('');
  }
  if (n.kind === 'comment') return `<!--${n.text}-->`;
  if (n.kind === 'cdata') return `<![CDATA[${n.text}]]>`;
  return escapeText(n.text);
}

function scalarText(v: unknown, where: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  throw new ArgumentError(`${where}: expected a string or a number, got ${v === null ? 'null' : typeof v}`);
}

/** `items` in the order `names` gives (what it does not name after, in table order). */
function inOrder<T>(items: readonly T[], nameOf: (x: T) => string, names: readonly string[] | undefined): readonly T[] {
  if (!names) return items;
  const byName = new Map(items.map((x) => [nameOf(x), x]));
  const first = names.map((n) => byName.get(n)).filter((x): x is T => x !== undefined);
  return [...first, ...items.filter((x) => !first.includes(x))];
}

function writeElement(
  name: string,
  value: unknown,
  row: number,
  extra: Unknown | undefined,
  pad: string,
  out: string[],
  path: string,
  outer: ReadonlyMap<string, string>,
): void {
  const info = elementInfo(row);
  if (info.mode === MODE_RAW) {
    if (typeof value !== 'object' || value === null || (value as XmlElement).kind !== 'element')
      throw new ArgumentError(`${path}: expected a parsed XML element`);
    writeRaw(value as XmlElement, pad, out, name);
    return;
  }
  const u: Unknown | undefined = info.mode === MODE_OBJECT && typeof value === 'object' && value !== null ? (value as { [UNKNOWN]?: Unknown })[UNKNOWN] : extra;
  let head = `${pad}<${name}`;
  // The namespace declarations in scope here; a known prefix bound elsewhere (or not at all) is declared.
  const scope = scopeOf({ kind: 'element', name, attrs: u?.attrs ?? {}, children: [] }, outer);
  const colon = name.indexOf(':');
  const uri = colon < 0 ? undefined : NAMESPACES[name.slice(0, colon)];
  if (uri !== undefined && scope.get(name.slice(0, colon)) !== uri) {
    head += ` xmlns:${name.slice(0, colon)}='${escapeAttr(uri)}'`;
    (scope as Map<string, string>).set(name.slice(0, colon), uri);
  }
  const body: string[] = [];
  let text: string | undefined;
  if (info.mode === MODE_FLAG) {
    if (value !== true) throw new ArgumentError(`${path}: expected true`);
  } else if (info.mode === MODE_TEXT) {
    text = scalarText(value, path);
  } else {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ArgumentError(`${path}: expected an object`);
    const obj = value as Record<string, unknown>;
    for (const a of inOrder(info.attrs, (x) => x.name, u?.order?.attrs)) {
      const v = obj[a.name];
      if (v !== undefined) head += ` ${a.name}='${escapeAttr(scalarText(v, `${path}.${a.name}`))}'`;
    }
    for (const c of inOrder(info.children, (x) => x.prop, u?.order?.children)) {
      const v = obj[c.prop];
      if (v === undefined) continue;
      const subs = u?.children;
      if (c.many) {
        if (!Array.isArray(v)) throw new ArgumentError(`${path}.${c.prop}: expected an array`);
        for (let i = 0; i < v.length; i++) writeElement(c.name, v[i], c.row, subs?.[`${c.prop}[${i}]`], `${pad}  `, body, `${path}.${c.prop}[${i}]`, scope);
      } else writeElement(c.name, v, c.row, subs?.[c.prop], `${pad}  `, body, `${path}.${c.prop}`, scope);
    }
    if (info.text >= 0 && obj.value !== undefined) text = scalarText(obj.value, `${path}.value`);
  }
  head += attrText(u?.attrs);
  for (const e of u?.elements ?? []) writeRaw(e, `${pad}  `, body);
  if (text === undefined && u?.text !== undefined) text = u.text;
  if (body.length === 0) {
    out.push(text === undefined || text === '' ? `${head}/>` : `${head}>${escapeText(text)}</${name}>`);
    return;
  }
  out.push(`${head}>`);
  if (text !== undefined && text.trim() !== '') out.push(`${pad}  ${escapeText(text)}`);
  out.push(...body, `${pad}</${name}>`);
}

/** The prefixes of known namespaces whose elements a definition holds (property names `prefix:local`). */
function prefixesUsed(v: unknown, found: Set<string>): Set<string> {
  if (Array.isArray(v)) for (const x of v) prefixesUsed(x, found);
  else if (typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind !== 'element') {
    for (const [k, x] of Object.entries(v)) {
      const colon = k.indexOf(':');
      if (colon > 0 && NAMESPACES[k.slice(0, colon)] !== undefined) found.add(k.slice(0, colon));
      prefixesUsed(x, found);
    }
  }
  return found;
}

/**
 * The XML of a definition of `kind`, indented by two spaces, with a final newline. A known
 * namespace the definition uses is declared on the root unless the root binds its prefix
 * already (to it, or to something else: then on the elements themselves).
 */
export function serializeDocument(kind: DocumentKind, def: unknown): string {
  const [name, row] = ROOTS[kind];
  if (typeof def !== 'object' || def === null) throw new ArgumentError(`${kind} XML: expected a definition object, got ${def === null ? 'null' : typeof def}`);
  const rootAttrs = (def as { [UNKNOWN]?: Unknown })[UNKNOWN]?.attrs ?? {};
  const declared = [...prefixesUsed(def, new Set())].filter((p) => rootAttrs[`xmlns:${p}`] === undefined);
  const out: string[] = [];
  writeElement(name, def, row, undefined, '', out, name, new Map(declared.map((p) => [p, NAMESPACES[p]])));
  if (declared.length) out[0] = out[0].replace(/^<([^\s/>]+)/, `<$1${declared.map((p) => ` xmlns:${p}='${escapeAttr(NAMESPACES[p])}'`).join('')}`);
  return `${out.join('\n')}\n`;
}
