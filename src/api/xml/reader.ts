/**
 * The project's one XML reader: a document parsed into a small, plain tree
 * (elements with their attributes in document order, text, and on request
 * comments and CDATA sections), and helpers to walk it. The API's device
 * lists (`domainDisks`, `domainInterfaces`) and tsvirsh's commands read
 * libvirt's XML with it; users read their own XML with it too.
 *
 * Parsing is done by `@rgrove/parse-xml` (a small, dependency-free parser
 * that follows the XML 1.0 specification: well-formedness errors with line
 * and column, entity and character references, attribute-value and
 * line-break normalisation, no DTD entity expansion). The tree here is our
 * own, so the parser behind it can change without changing this API.
 *
 * @module
 */
import { ArgumentError, LibvirtRpcError } from '../../errors/root.js';
import {
  parseXml as parseDocument,
  XmlError as LibError,
  type XmlComment as LibComment,
  type XmlElement as LibElement,
  type XmlNode as LibNode,
  type XmlText as LibText,
} from '@rgrove/parse-xml';
import { brandClass } from '../../errors/brand.js';

/** A node of the tree: an element, or character data. */
export type XmlNode = XmlElement | XmlText;

/** An element. */
export interface XmlElement {
  readonly kind: 'element';
  /** The name as written, with its prefix (`disk`, `qemu:commandline`). */
  name: string;
  /**
   * The attributes in document order (an object without prototype), values
   * with references replaced and whitespace normalised as XML requires
   * (`a="x&#10;y"` is `x\ny`, a raw line break in a value is a space).
   */
  attrs: Record<string, string>;
  /** Child elements and character data in document order. */
  children: XmlNode[];
}

/**
 * Character data: `text` (references replaced, line breaks normalised), a
 * `cdata` section or a `comment` (both only when asked for by
 * {@link XmlParseOptions}; otherwise CDATA is part of the text and comments
 * are dropped).
 */
export interface XmlText {
  readonly kind: 'text' | 'cdata' | 'comment';
  text: string;
}

/** Options of {@link parseXml}. */
export interface XmlParseOptions {
  /** Keep comments as `comment` nodes (default: dropped). */
  comments?: boolean;
  /** Keep CDATA sections as `cdata` nodes (default: merged into the text around them). */
  cdata?: boolean;
}

/** Stable codes of {@link XmlReadError}. */
export const XmlErrorCode = {
  /** The text is not well-formed XML ({@link XmlReadError.line} and `column` say where). */
  PARSE: 'XML_PARSE',
  /** Well-formed XML that lacks what was to be read from it (a disk without a target, ...). */
  CONTENT: 'XML_CONTENT',
} as const;

/** One of the {@link XmlErrorCode} values. */
export type XmlErrorCode = (typeof XmlErrorCode)[keyof typeof XmlErrorCode];

/** XML that could not be parsed, or that lacks what a reader needs from it. */
export class XmlReadError extends LibvirtRpcError {
  /** 1-based line of a parse error (0 for `XML_CONTENT`). */
  readonly line: number;
  /** 1-based column of a parse error (0 for `XML_CONTENT`). */
  readonly column: number;
  constructor(code: XmlErrorCode, message: string, where: { line?: number; column?: number; cause?: unknown } = {}) {
    super(code, message, where.cause === undefined ? undefined : { cause: where.cause });
    this.name = 'XmlReadError';
    this.line = where.line ?? 0;
    this.column = where.column ?? 0;
  }
}
brandClass(XmlReadError, 'XmlReadError');

function convert(node: LibNode, out: XmlNode[]): void {
  switch (node.type) {
    case 'element': {
      const el = node as LibElement;
      const children: XmlNode[] = [];
      for (const c of el.children) convert(c, children);
      // parse-xml's attribute object has no prototype (an attribute may be named `__proto__`) and
      // belongs to a document nobody else sees: the tree takes it over.
      out.push({ kind: 'element', name: el.name, attrs: el.attributes, children });
      return;
    }
    case 'cdata':
      out.push({ kind: 'cdata', text: (node as LibText).text });
      return;
    case 'text': {
      // Text next to text (a CDATA section merged into it) is one node, as XPath sees it.
      const last = out[out.length - 1];
      if (last?.kind === 'text') last.text += (node as LibText).text;
      else out.push({ kind: 'text', text: (node as LibText).text });
      return;
    }
    case 'comment':
      out.push({ kind: 'comment', text: (node as LibComment).content });
      return;
    default:
    // Processing instructions inside the document are not part of the tree.
  }
}

/**
 * Parses an XML document and returns its root element.
 *
 * @throws XmlReadError (`XML_PARSE`) naming the problem and where it is, for
 *   text that is not well-formed XML (or that uses an entity no DTD of it
 *   can define: only the five predefined ones and character references are
 *   known, as in libvirt's XML).
 */
export function parseXml(text: string, options: XmlParseOptions = {}): XmlElement {
  if (typeof text !== 'string') throw new ArgumentError(`parseXml: expected a string, got ${text === null ? 'null' : typeof text}`);
  let doc: ReturnType<typeof parseDocument>;
  try {
    doc = parseDocument(text, { preserveComments: options.comments === true, preserveCdata: options.cdata === true });
  } catch (err) {
    if (err instanceof LibError) {
      // parse-xml's message ends with an excerpt of the line (kept in `cause`).
      throw new XmlReadError(XmlErrorCode.PARSE, `invalid XML: ${err.message.split('\n')[0]}`, { line: err.line, column: err.column, cause: err });
    }
    throw err;
  }
  // parse-xml has already refused a document without a root element.
  const out: XmlNode[] = [];
  convert(doc.root as LibElement, out);
  return out[0] as XmlElement;
}

/** Whether `node` is an element (named `name`, when given). */
export function isXmlElement(node: XmlNode | undefined, name?: string): node is XmlElement {
  return node?.kind === 'element' && (name === undefined || node.name === name);
}

/** The child elements of `el`, or those named `name` (`*` for any). */
export function xmlChildren(el: XmlElement, name?: string): XmlElement[] {
  const any = name === undefined || name === '*';
  return el.children.filter((c): c is XmlElement => c.kind === 'element' && (any || c.name === name));
}

/**
 * The elements a path of child names reaches from `el`, in document order:
 * `xmlAll(domain, 'devices/disk')` is XPath's `./devices/disk`; a step `*`
 * matches any name.
 */
export function xmlAll(el: XmlElement, path: string): XmlElement[] {
  let found = [el];
  for (const step of path.split('/')) found = found.flatMap((e) => xmlChildren(e, step));
  return found;
}

/** The first element {@link xmlAll} finds, or undefined. */
export function xmlFirst(el: XmlElement, path: string): XmlElement | undefined {
  let found = [el];
  for (const step of path.split('/')) {
    found = found.flatMap((e) => xmlChildren(e, step));
    if (found.length === 0) return undefined;
  }
  return found[0];
}

/** Every element below `el` (or those named `name`), in document order (XPath's `.//name`). */
export function xmlDescendants(el: XmlElement, name?: string): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement): void => {
    for (const c of e.children) {
      if (c.kind !== 'element') continue;
      if (name === undefined || name === '*' || c.name === name) out.push(c);
      walk(c);
    }
  };
  walk(el);
  return out;
}

/** An attribute's value, or undefined when `el` (possibly undefined itself) has none of that name. */
export function xmlAttr(el: XmlElement | undefined, name: string): string | undefined {
  return el !== undefined && Object.hasOwn(el.attrs, name) ? el.attrs[name] : undefined;
}

/** The text of an element and its descendants, comments left out (XPath's string value). */
export function xmlText(el: XmlElement): string {
  let s = '';
  for (const c of el.children) {
    if (c.kind === 'element') s += xmlText(c);
    else if (c.kind !== 'comment') s += c.text;
  }
  return s;
}
