/**
 * `--xpath` and `--wrap` of the dumpxml commands (virshDumpXML): a subset of
 * XPath 1.0 evaluated on the XML tree (location paths with `/`, `//`, `.`,
 * `..`, `@`, `*`, `text()`, `node()`, predicates with positions, `last()`,
 * comparisons, `and`/`or`, and `|`), printed as libxml2 formats nodes.
 */
import { brandClass } from '../../errors/brand.js';
import { LibvirtRpcError } from '../../errors/root.js';
import { CliError, type CommandContext, type ParsedOptions } from '../command.js';
import { silentFailure } from './failures.js';
import {
  attrText,
  copyAttrs,
  elementText,
  escapeAttr,
  parseXmlTree,
  serializeXmlNode,
  type XmlTreeElement,
  type XmlTreeNode,
  type XmlTreeText,
} from './xml.js';

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
    const m =
      /^(?:(@|child::|attribute::|self::|parent::|descendant-or-self::))?([A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?|\*|\.\.|\.|text\(\)|node\(\)|comment\(\))((?:\[.*\])*)$/s.exec(
        t,
      );
    if (!m) throw new UnsupportedXPathError(t);
    const axisText = m[1] ?? '';
    let axis: Step['axis'] =
      axisText === '@' || axisText === 'attribute::'
        ? 'attribute'
        : axisText === 'self::'
          ? 'self'
          : axisText === 'parent::'
            ? 'parent'
            : axisText === 'descendant-or-self::'
              ? 'descendant-or-self'
              : 'child';
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
      else if (step.axis === 'attribute')
        candidates = ctx.kind === 'element' ? Object.entries(ctx.attrs).map(([name, value]) => ({ kind: 'attribute' as const, owner: ctx, name, value })) : [];
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
    const rank = (n: Selected): number =>
      n.kind === 'attribute' ? order.get(n.owner)! + (Object.keys(n.owner.attrs).indexOf(n.name) + 1) / 1e6 : (order.get(n) ?? -1);
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

/** --xpath as vshCommandOptStringQuiet reads it, before the XML is fetched: an empty one fails silently. */
export function xpathOption(opts: ParsedOptions): string | undefined {
  const xpath = opts.string('xpath');
  if (xpath === '') throw silentFailure();
  return xpath;
}

/** Prints a dumpxml command's XML, or the nodes `xpath` selects in it (virshDumpXML; `--wrap` alone changes nothing). */
export function printXml(ctx: CommandContext, xml: string, xpath: string | undefined, wrap: boolean): void {
  if (xpath === undefined) {
    ctx.print(xml);
    return;
  }
  try {
    ctx.print(xpathDump(xml, xpath, wrap));
  } catch (err) {
    if (err instanceof XPathResultError) throw new CliError([err.message]);
    if (err instanceof UnsupportedXPathError) throw new CliError([`tsvirsh cannot evaluate the XPath expression '${xpath}'`]);
    throw err;
  }
}
