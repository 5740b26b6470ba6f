/**
 * An XML tree that keeps every node in order (elements, the whitespace text
 * between them, comments), and its output as libxml2's xmlNodeDump writes a
 * node: what virsh prints when it cuts a device out of a domain's XML and
 * hands it back (detach-disk, detach-interface, change-media --print-xml),
 * and what the dumpxml commands print for `--xpath` (a subset of XPath 1.0:
 * location paths with `/`, `//`, `.`, `..`, `@`, `*`, `text()`, `node()`,
 * predicates with positions, `last()`, comparisons, `and`/`or`, and `|`).
 */

import { brandClass } from '../errors/brand.js';
import { LibvirtRpcError } from '../errors/root.js';
import { parseXml, xmlAll, xmlAttr, xmlChildren, xmlText, type XmlElement, type XmlNode, type XmlText } from '../api/xml/reader.js';

/** A node of the tree (the XML reader's, with comments and CDATA sections kept). */
export type XmlTreeNode = XmlNode;

/** An element with its attributes in document order. */
export type XmlTreeElement = XmlElement;

/** Character data (`text`), a comment or a CDATA section. */
export type XmlTreeText = XmlText;

/** Parses a document (see src/api/xml/reader.ts) keeping its comments and CDATA sections, and returns its root element. */
export function parseXmlTree(text: string): XmlTreeElement {
  return parseXml(text, { comments: true, cdata: true });
}

/** Non-ASCII characters as `&#xHEX;`: libxml2 writes them so for a document without a declared encoding. */
function hexRefs(s: string): string {
  return s.replace(/[^\x00-\x7f]/gu, (c) => `&#x${c.codePointAt(0)!.toString(16).toUpperCase()};`);
}

function escapeText(s: string): string {
  return hexRefs(s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;'));
}

function escapeAttr(s: string): string {
  return hexRefs(
    s
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/\n/g, '&#10;')
      .replace(/\r/g, '&#13;')
      .replace(/\t/g, '&#9;'),
  );
}

/**
 * The node as libxml2's xmlNodeDump writes it (virXMLNodeToString):
 * attributes in double quotes, an element without children as `<x/>`, the
 * text between elements as it was. libvirt's own XML always has whitespace
 * between elements, which keeps libxml2 from re-indenting anything.
 */
export function serializeXmlNode(node: XmlTreeNode): string {
  switch (node.kind) {
    case 'text':
      return escapeText(node.text);
    case 'comment':
      return `<!--${node.text}-->`;
    case 'cdata':
      return `<![CDATA[${node.text}]]>`;
    case 'element': {
      const attrs = attrText(node);
      if (node.children.length === 0) return `<${node.name}${attrs}/>`;
      return `<${node.name}${attrs}>${node.children.map(serializeXmlNode).join('')}</${node.name}>`;
    }
  }
}

/** The attributes of an element as libxml2 writes them: double-quoted, in document order. */
function attrText(el: XmlTreeElement): string {
  return Object.entries(el.attrs)
    .map(([k, v]) => ` ${k}="${escapeAttr(v)}"`)
    .join('');
}

/** The element children of `el` named `name`. */
export const childElements = (el: XmlTreeElement, name: string): XmlTreeElement[] => xmlChildren(el, name);

/** The elements a slash-separated path of names reaches from `el` (`devices/disk`). */
export const treeElements = (el: XmlTreeElement, path: string): XmlTreeElement[] => xmlAll(el, path);

/** An attribute's value, or undefined. */
export const attr = (el: XmlTreeElement, name: string): string | undefined => xmlAttr(el, name);

/** Sets an attribute, in place when it exists, at the end otherwise (xmlSetProp). */
export function setAttr(el: XmlTreeElement, name: string, value: string): void {
  el.attrs[name] = value;
}

/** An element's XPath string value: the text of it and its descendants, comments left out. */
export const elementText = (el: XmlTreeElement): string => xmlText(el);

/** A copy of an attribute set (without prototype, as the reader makes them). */
function copyAttrs(attrs: Readonly<Record<string, string>>): Record<string, string> {
  return Object.assign(Object.create(null) as Record<string, string>, attrs);
}

// ---------------------------------------------------------------------------------------------
// --xpath of the dumpxml commands (virshDumpXML)

/** A node an XPath expression selects: a tree node, or an attribute of an element. */
type Selected = XmlTreeNode | { readonly kind: 'attribute'; readonly owner: XmlTreeElement; readonly name: string; readonly value: string };

/**
 * The tree as libxml2 parses it with blanks not kept (xmlKeepBlanksDefault(0)):
 * whitespace-only text between elements is dropped, but kept when it is an
 * element's only content or sits beside other text.
 */
function withoutBlanks(el: XmlTreeElement): XmlTreeElement {
  const children: XmlTreeNode[] = [];
  const isText = (n: XmlTreeNode | undefined): boolean => n !== undefined && (n.kind === 'text' || n.kind === 'cdata');
  el.children.forEach((c, i) => {
    if (c.kind === 'element') children.push(withoutBlanks(c));
    else if (c.kind !== 'text' || /\S/.test(c.text)) children.push({ ...c });
    // libxml2's areBlanks(): kept as an element's only content, or next to text.
    else if ((children.length === 0 && i === el.children.length - 1) || isText(children.at(-1)) || isText(children[0])) children.push({ ...c });
  });
  return { kind: 'element', name: el.name, attrs: copyAttrs(el.attrs), children };
}

/** An XPath expression tsvirsh cannot evaluate (a subset of XPath 1.0 is understood). */
export class UnsupportedXPathError extends LibvirtRpcError {
  constructor(message: string) {
    super('CLI_XPATH_UNSUPPORTED', message);
    this.name = 'UnsupportedXPathError';
  }
}
brandClass(UnsupportedXPathError, 'UnsupportedXPathError');

/** An XPath expression whose value is not a node set (virXPathNodeSet's error). */
export class XPathResultError extends LibvirtRpcError {
  constructor(message: string) {
    super('CLI_XPATH_RESULT', message);
    this.name = 'XPathResultError';
  }
}
brandClass(XPathResultError, 'XPathResultError');

/** A node's XPath string value. */
function stringValue(n: Selected): string {
  if (n.kind === 'attribute') return n.value;
  return n.kind === 'element' ? elementText(n) : n.text;
}

interface Step {
  readonly axis: 'child' | 'attribute' | 'self' | 'parent' | 'descendant-or-self';
  readonly test: string;
  readonly predicates: readonly string[];
}

/** Splits `text` at `sep` where it is outside brackets, parentheses and quotes. */
function splitTop(text: string, sep: RegExp): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote = '';
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = '';
      continue;
    }
    const m = depth === 0 ? sep.exec(text.slice(i)) : null;
    if (m && m.index === 0) {
      parts.push(text.slice(last, i));
      i += m[0].length - 1;
      last = i + 1;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '(') depth++;
    else if (c === ']' || c === ')') depth--;
  }
  parts.push(text.slice(last));
  return parts;
}

/** The steps of a location path (`//` becomes a descendant-or-self step). */
function parseSteps(path: string): Step[] {
  const steps: Step[] = [];
  const raw = splitTop(path, /\//);
  raw.forEach((s, i) => {
    const t = s.trim();
    if (t === '') {
      // An empty step between two slashes is `//`.
      if (i > 0 && i < raw.length - 1) steps.push({ axis: 'descendant-or-self', test: 'node()', predicates: [] });
      return;
    }
    const m = /^(?:(@|child::|attribute::|self::|parent::|descendant-or-self::))?([A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?|\*|\.\.|\.|text\(\)|node\(\)|comment\(\))((?:\[.*\])*)$/s.exec(t);
    if (!m) throw new UnsupportedXPathError(t);
    const axisText = m[1] ?? '';
    let axis: Step['axis'] = axisText === '@' || axisText === 'attribute::' ? 'attribute' : axisText === 'self::' ? 'self' : axisText === 'parent::' ? 'parent' : axisText === 'descendant-or-self::' ? 'descendant-or-self' : 'child';
    let test = m[2];
    if (test === '.') [axis, test] = ['self', 'node()'];
    else if (test === '..') [axis, test] = ['parent', 'node()'];
    const predicates = m[3] ? splitTop(m[3].slice(1, -1), /\]\s*\[/) : [];
    steps.push({ axis, test, predicates });
  });
  return steps;
}

/** Evaluates a predicate for `node` at `position` of `size` (a number means position() = n). */
function predicateHolds(pred: string, node: Selected, position: number, size: number, parents: Map<XmlTreeNode, XmlTreeElement>): boolean {
  const p = pred.trim();
  if (/^\d+$/.test(p)) return position === Number(p);
  if (p === 'last()') return position === size;
  const ors = splitTop(p, /\s+or\s+/);
  if (ors.length > 1) return ors.some((o) => predicateHolds(o, node, position, size, parents));
  const ands = splitTop(p, /\s+and\s+/);
  if (ands.length > 1) return ands.every((a) => predicateHolds(a, node, position, size, parents));
  const operand = (t: string): { strings: string[] } | { number: number } => {
    const s = t.trim();
    const lit = /^(?:"([^"]*)"|'([^']*)')$/.exec(s);
    if (lit) return { strings: [lit[1] ?? lit[2]] };
    if (/^\d+(\.\d+)?$/.test(s)) return { number: Number(s) };
    if (s === 'position()') return { number: position };
    if (s === 'last()') return { number: size };
    return { strings: evaluate(s, [node], parents).map(stringValue) };
  };
  const cmp = splitTop(p, /\s*!?=\s*/);
  if (cmp.length === 1) {
    const v = operand(p);
    return 'number' in v ? position === v.number : v.strings.length > 0;
  }
  if (cmp.length !== 2) throw new UnsupportedXPathError(p);
  const negate = /!=/.test(p.slice(cmp[0].length, p.length - cmp[1].length));
  const a = operand(cmp[0]);
  const b = operand(cmp[1]);
  const as = 'number' in a ? [String(a.number)] : a.strings;
  const bs = 'number' in b ? [String(b.number)] : b.strings;
  const numeric = 'number' in a || 'number' in b;
  const eq = (x: string, y: string): boolean => (numeric ? Number(x) === Number(y) : x === y);
  return as.some((x) => bs.some((y) => (negate ? !eq(x, y) : eq(x, y))));
}

function matchesTest(n: Selected, test: string): boolean {
  if (test === 'node()') return true;
  if (test === 'text()') return n.kind === 'text' || n.kind === 'cdata';
  if (test === 'comment()') return n.kind === 'comment';
  if (n.kind === 'element' || n.kind === 'attribute') return test === '*' || n.name === test;
  return false;
}

/** The nodes `path` selects from each of `context` (relative), in document order per context node. */
function evaluate(path: string, context: Selected[], parents: Map<XmlTreeNode, XmlTreeElement>): Selected[] {
  let current = context;
  for (const step of parseSteps(path)) {
    const next: Selected[] = [];
    for (const ctx of current) {
      let candidates: Selected[] = [];
      if (step.axis === 'child') candidates = ctx.kind === 'element' ? ctx.children : [];
      else if (step.axis === 'attribute') candidates = ctx.kind === 'element' ? Object.entries(ctx.attrs).map(([name, value]) => ({ kind: 'attribute' as const, owner: ctx, name, value })) : [];
      else if (step.axis === 'self') candidates = [ctx];
      else if (step.axis === 'parent') {
        const p = ctx.kind === 'attribute' ? ctx.owner : parents.get(ctx);
        candidates = p ? [p] : [];
      } else {
        const all: Selected[] = [];
        const walk = (n: Selected): void => {
          all.push(n);
          if (n.kind === 'element') n.children.forEach(walk);
        };
        walk(ctx);
        candidates = all;
      }
      let selected = candidates.filter((c) => matchesTest(c, step.test));
      for (const pred of step.predicates) {
        const size = selected.length;
        selected = selected.filter((c, i) => predicateHolds(pred, c, i + 1, size, parents));
      }
      for (const s of selected) if (!next.includes(s)) next.push(s);
    }
    current = next;
  }
  return current;
}

/** A node as libxml2 writes it with formatting on: children on their own lines when no text is among them. */
function formatted(n: Selected, level: number): string {
  if (n.kind === 'attribute') return ` ${n.name}="${escapeAttr(n.value)}"`;
  if (n.kind !== 'element') return serializeXmlNode(n);
  const attrs = attrText(n);
  if (n.children.length === 0) return `<${n.name}${attrs}/>`;
  if (n.children.some((c) => c.kind !== 'element' && c.kind !== 'comment')) return serializeXmlNode(n);
  const pad = (l: number): string => '  '.repeat(l);
  return `<${n.name}${attrs}>\n${n.children.map((c) => `${pad(level + 1)}${formatted(c, level + 1)}\n`).join('')}${pad(level)}</${n.name}>`;
}

/**
 * What `--xpath` (and `--wrap`) print for a document, as virshDumpXML does:
 * each selected node on its own line, or all of them inside `<nodes>`.
 * Expressions that do not give nodes are an "Incorrect xpath" error;
 * expressions beyond the subset tsvirsh understands throw
 * {@link UnsupportedXPathError}.
 */
export function xpathDump(xml: string, expr: string, wrap: boolean): string {
  const e = expr.trim();
  // A function call, a literal or a number at the top gives no node set.
  if (/^(?!(?:text|node|comment)\(\))[A-Za-z_][\w.-]*\s*\(|^["'\d]/.test(e)) throw new XPathResultError(`internal error: Incorrect xpath '${expr}'`);
  const root = withoutBlanks(parseXmlTree(xml));
  const docNode: XmlTreeElement = { kind: 'element', name: '#document', attrs: copyAttrs({}), children: [root] };
  const parents = new Map<XmlTreeNode, XmlTreeElement>();
  const order = new Map<XmlTreeNode, number>();
  const index = (el: XmlTreeElement): void =>
    el.children.forEach((c) => {
      parents.set(c, el);
      order.set(c, order.size);
      if (c.kind === 'element') index(c);
    });
  index(docNode);
  // An absolute path starts at the document, a relative one at the root element.
  const select = (path: string): Selected[] =>
    path.startsWith('/') ? evaluate(path.startsWith('//') ? `.${path}` : path.slice(1), [docNode], parents) : evaluate(path, [root], parents);
  const parts = splitTop(e, /\|/).map((p) => p.trim());
  let nodes = parts.flatMap(select).filter((n, i, all) => all.indexOf(n) === i);
  if (parts.length > 1) {
    // A union is in document order (an attribute right after its element, in its order).
    const rank = (n: Selected): number => (n.kind === 'attribute' ? order.get(n.owner)! + (Object.keys(n.owner.attrs).indexOf(n.name) + 1) / 1e6 : (order.get(n) ?? -1));
    nodes = nodes.sort((a, b) => rank(a) - rank(b));
  }
  // The document itself prints with its XML declaration.
  const show = (n: Selected): string => (n === docNode ? `<?xml version="1.0" encoding="UTF-8"?>\n${formatted(root, 0)}\n` : formatted(n, 0));
  if (!wrap) return nodes.map((n) => `${show(n)}\n`).join('');
  // Copies go under <nodes>: attributes become its attributes (the last of a name wins), adjacent text merges.
  const wrapper: XmlTreeElement = { kind: 'element', name: 'nodes', attrs: copyAttrs({}), children: [] };
  for (const n of nodes) {
    if (n.kind === 'attribute') {
      delete wrapper.attrs[n.name];
      wrapper.attrs[n.name] = n.value;
    } else if (n.kind === 'text' && wrapper.children.at(-1)?.kind === 'text') {
      (wrapper.children.at(-1) as XmlTreeText).text += n.text;
    } else {
      wrapper.children.push(structuredClone(n));
    }
  }
  return `${formatted(wrapper, 0)}\n`;
}
