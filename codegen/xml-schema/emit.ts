/**
 * Emits the XML model: TypeScript types (`types.gen.ts`, no run-time code),
 * the data tables one small runtime interprets (`schema.gen.ts`) and the
 * per-document functions (`documents.gen.ts`).
 *
 * Table format (read by src/api/xml/codec.ts, which documents it too):
 * - `TYPES[i]` = `[values, datas, anyText]`: the literal values allowed, the
 *   XSD datatypes allowed (`[name, facets?]`), and 1 when any text is allowed;
 * - `ELEMENTS[i]` = `[mode, attrs, children, text, flags]`: mode 0 object,
 *   1 text (the element is its text), 2 flag (an empty element: `true`), 3 raw
 *   (any content, kept as a parsed XML tree); attrs a flat list of
 *   `name, type, required`; children a flat list of `name, element, flags`
 *   (bit 0 required, bit 1 repeated), in the order the schema names them;
 *   text a type or -1; flags bit 0 any attribute, bit 1 any element, bit 2 text required.
 */
import { type DocumentKind, type Graph, type Klass, NAMESPACES, pascal, propName, typeKey } from './graph.js';
import { XSD_INTEGER_TYPES } from '../../src/api/xml/xsd-types.js';
import type { ValueAtom, ValueType } from './model.js';

/** Datatypes whose values the model types as numbers (the runtime's integers, and `double`). */
const NUMERIC: ReadonlySet<string> = new Set([...XSD_INTEGER_TYPES, 'double']);

/**
 * Whether a numeric type's patterns leave it a decimal number: `[0-9]+` does, octalMode's
 * `[0-7]+` does not (`0755` is text: as a number it would be 755).
 */
export function isDecimal(params: readonly (readonly [string, string])[]): boolean {
  return params.every(([name, v]) => name !== 'pattern' || DECIMAL_PATTERNS.has(v));
}
const DECIMAL_PATTERNS = new Set(['[0-9]+', '-?[0-9]+', '(-|\\+)?[0-9]+']);

const MODE = { object: 0, text: 1, flag: 2, raw: 3 } as const;

/** The property of a child element: its name, or `<name>Element` beside an attribute of that name. */
export function childProp(attrs: ReadonlySet<string>, name: string): string {
  const p = propName(name);
  return attrs.has(p) ? `${p}Element` : p;
}

function tsValue(t: ValueType): string {
  const atoms = t.atoms;
  if (atoms.length === 0) return 'never';
  const out = new Set<string>();
  let str = false;
  for (const a of atoms) {
    if (a.kind === 'text') str = true;
    else if (a.kind === 'data') {
      if (NUMERIC.has(a.type) && isDecimal(a.params)) out.add('number');
      else str = true;
    } else out.add(JSON.stringify(a.value).replace(/^"|"$/g, "'"));
  }
  if (str) return [...[...out].filter((x) => x === 'number'), 'string'].join(' | ');
  return [...out].join(' | ');
}

const key = (s: string): string => (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(s) ? s : `'${s}'`);

/**
 * Gives every object class a unique type name after the first path that reaches it, shortest
 * paths first; `devices` does not count as a step (a disk is `DomainDisk`, and its `<source>`,
 * shared with other storage sources, is `DomainDiskSource`).
 */
function nameClasses(g: Graph, kinds: readonly DocumentKind[]): void {
  const used = new Set<string>();
  // A breadth-first walk by path length where `devices` counts 0 (a deque: cost-0 steps in front).
  const queue: { k: Klass; name: string }[] = kinds.map((kind) => ({ k: g.classOf.get(g.roots.get(kind.id)!.node)!, name: kind.typeName }));
  while (queue.length) {
    const { k, name } = queue.shift()!;
    if (k.typeName || (k.mode !== 'object' && k.mode !== 'raw')) continue;
    let n = name;
    for (let i = 2; used.has(n); i++) n = `${name}${i}`;
    k.typeName = n;
    used.add(n);
    const base = n.replace(/Def$/, '').replace(/Devices$/, '');
    for (const c of k.rep.children) {
      const item = { k: g.classOf.get(c.node)!, name: base + pascal(propName(c.name).replace(':', '_')) };
      if (c.name === 'devices') queue.unshift(item);
      else queue.push(item);
    }
  }
}

export interface Emitted {
  readonly types: string;
  readonly schema: string;
  readonly documents: string;
}

export function emitXmlModel(g: Graph, kinds: readonly DocumentKind[], header: string[]): Emitted {
  nameClasses(g, kinds);
  const reachable: Klass[] = [];
  const index = new Map<Klass, number>();
  const visit = (k: Klass): void => {
    if (index.has(k)) return;
    index.set(k, reachable.length);
    reachable.push(k);
    for (const c of k.rep.children) visit(g.classOf.get(c.node)!);
  };
  for (const kind of kinds) visit(g.classOf.get(g.roots.get(kind.id)!.node)!);

  // Value types, shared.
  const typeIds = new Map<string, number>();
  const typeRows: string[] = [];
  const typeOf = (t: ValueType): number => {
    const k = typeKey(t);
    let id = typeIds.get(k);
    if (id === undefined) {
      id = typeRows.length;
      typeIds.set(k, id);
      typeRows.push(typeRow(t.atoms));
    }
    return id;
  };

  const tsOf = (k: Klass): string => {
    if (k.mode === 'flag') return 'true';
    if (k.mode === 'text') return tsValue(k.rep.summary.text!);
    if (k.mode === 'raw') return 'XmlElement';
    return k.typeName;
  };

  const elementRows: string[] = [];
  const types: string[] = [];
  for (const k of reachable) {
    const s = k.rep.summary;
    const attrs = [...s.attrs].flatMap(([name, a]) => [JSON.stringify(name), typeOf(a.type), a.required ? 1 : 0]);
    const children = k.rep.children.flatMap((c) => [
      JSON.stringify(propName(c.name)),
      index.get(g.classOf.get(c.node)!)!,
      (c.required ? 1 : 0) | (c.many ? 2 : 0),
    ]);
    const text = s.text && k.mode !== 'flag' ? typeOf(s.text) : -1;
    // The text is required when every variant has some: no empty variant, no <text/> (which may be empty).
    const textRequired = k.mode === 'object' && s.text !== null && !s.text.atoms.some((a) => a.kind === 'text' || (a.kind === 'value' && a.value === ''));
    const flags = (s.anyAttrs ? 1 : 0) | (s.anyElements ? 2 : 0) | (textRequired ? 4 : 0);
    elementRows.push(`[${MODE[k.mode]},[${attrs.join(',')}],[${children.join(',')}],${text},${flags}]`);
    if (k.mode !== 'object') continue;
    const where = [...k.defines].sort();
    const lines = [
      `/** An element of libvirt's XML${where.length ? ` (schema define${where.length > 1 ? 's' : ''} ${where.map((d) => `\`${d}\``).join(', ')})` : ''}. */`,
      `export interface ${k.typeName} {`,
    ];
    const attrNames = new Set(s.attrs.keys());
    for (const [name, a] of s.attrs) lines.push(`  ${key(name)}${a.required ? '' : '?'}: ${tsValue(a.type)};`);
    for (const c of k.rep.children) {
      const t = tsOf(g.classOf.get(c.node)!);
      const ts = c.many ? (t.includes(' ') ? `(${t})[]` : `${t}[]`) : t;
      lines.push(`  ${key(childProp(attrNames, c.name))}${c.required ? '' : '?'}: ${ts};`);
    }
    if (text >= 0) lines.push(`  /** The element's text. */`, `  value${textRequired ? '' : '?'}: ${tsValue(s.text!)};`);
    lines.push('}');
    types.push(...lines, '');
  }

  const rootsTable = kinds.map((kd) => `  ${kd.id}: [${JSON.stringify(g.roots.get(kd.id)!.name)}, ${index.get(g.classOf.get(g.roots.get(kd.id)!.node)!)}],`);
  const schema = [
    ...header,
    "import type { ElementRow, TypeRow } from './codec.js';",
    '',
    '/** Value types: `[values, datatypes, anyText]`. */',
    `export const TYPES: readonly TypeRow[] = [\n${typeRows.map((r) => `  ${r},`).join('\n')}\n];`,
    '',
    '/** Elements: `[mode, attrs, children, text, flags]`. */',
    `export const ELEMENTS: readonly ElementRow[] = [\n${elementRows.map((r) => `  ${r},`).join('\n')}\n];`,
    '',
    '/** Each document kind: its root element name and row. */',
    `export const ROOTS = {\n${rootsTable.join('\n')}\n} as const;`,
    '',
    '/** Namespaces of the schemas, by the prefix libvirt writes. */',
    `export const NAMESPACES: Readonly<Record<string, string>> = ${JSON.stringify(NAMESPACES)};`,
    '',
  ].join('\n');

  const typesFile = [...header, "import type { XmlElement } from './reader.js';", '', ...types].join('\n');
  const documents = emitDocuments(kinds, header);
  return { types: typesFile, schema, documents };
}

/**
 * An XSD pattern as a JavaScript regular expression's source: XSD has no anchors, so `^` and `$`
 * outside a character class are literal characters there (nwfilter's `$VAR[@1]` variables).
 */
export function jsPattern(xsd: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < xsd.length; i++) {
    const c = xsd[i];
    if (c === '\\') {
      out += c + (xsd[i + 1] ?? '');
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
      out += c;
    } else if (c === '[') {
      inClass = true;
      out += c;
      // A leading ^ negates; a leading ] is a literal (not the end).
      if (xsd[i + 1] === '^') out += xsd[++i];
    } else out += c === '$' || c === '^' ? `\\${c}` : c;
  }
  return out;
}

function typeRow(atoms: readonly ValueAtom[]): string {
  const values = atoms.filter((a) => a.kind === 'value').map((a) => JSON.stringify((a as { value: string }).value));
  const datas = atoms
    .filter((a): a is Extract<ValueAtom, { kind: 'data' }> => a.kind === 'data')
    .map((a) => {
      const facets: Record<string, string | string[]> = {};
      for (const [name, v] of a.params) {
        const k = ({ pattern: 'p', minInclusive: 'min', maxInclusive: 'max', maxLength: 'len', except: 'x' } as Record<string, string>)[name];
        if (!k) throw new Error(`unsupported facet ${name}`);
        if (k === 'p') facets.p = [...((facets.p as string[]) ?? []), jsPattern(v)];
        else if (k === 'x') facets.x = [...((facets.x as string[]) ?? []), v];
        else facets[k] = v;
      }
      // The runtime keeps a numeric type as text when its patterns make it a lexical form.
      if (NUMERIC.has(a.type) && !isDecimal(a.params)) facets.t = '1';
      return Object.keys(facets).length ? `[${JSON.stringify(a.type)},${JSON.stringify(facets)}]` : `[${JSON.stringify(a.type)}]`;
    });
  const text = atoms.some((a) => a.kind === 'text') ? 1 : 0;
  return `[${values.length ? `[${values.join(',')}]` : 0},${datas.length ? `[${datas.join(',')}]` : 0},${text}]`;
}

function emitDocuments(kinds: readonly DocumentKind[], header: string[]): string {
  const out = [
    ...header,
    "import { parseDocument, serializeDocument, type Problem } from './codec.js';",
    "import { validateDocument } from './validate.js';",
    `import type { ${kinds.map((k) => k.typeName).join(', ')} } from './types.gen.js';`,
    '',
  ];
  for (const k of kinds) {
    const lower = k.stem[0].toLowerCase() + k.stem.slice(1);
    out.push(
      `/** Parses ${k.id} XML (libvirt's \`${k.schema}\`) into a {@link ${k.typeName}}; unknown content is kept for {@link ${lower}Xml}. */`,
      `export function parse${k.stem}Xml(xml: string): ${k.typeName} {`,
      `  return parseDocument('${k.id}', xml) as ${k.typeName};`,
      '}',
      '',
      `/** The XML of a {@link ${k.typeName}}, in the order libvirt's schema gives. */`,
      `export function ${lower}Xml(def: ${k.typeName}): string {`,
      `  return serializeDocument('${k.id}', def);`,
      '}',
      '',
      `/** The schema violations of a {@link ${k.typeName}}, each with its path (empty when none). */`,
      `export function validate${k.stem}(def: ${k.typeName}): Problem[] {`,
      `  return validateDocument('${k.id}', def);`,
      '}',
      '',
    );
  }
  return out.join('\n');
}
