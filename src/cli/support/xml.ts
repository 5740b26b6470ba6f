/**
 * XML as virsh reads and writes it. One parser (the package's reader,
 * src/api/xml/reader.ts) gives a tree that keeps every node in order
 * (elements, the whitespace text between them, comments); the tree is
 * written back as libxml2's xmlNodeDump writes a node (what virsh prints when
 * it cuts a device out of a domain's XML: detach-disk, detach-interface,
 * change-media --print-xml); values are escaped as virBufferEscapeString
 * escapes them, and XML is built as virBuffer builds it.
 */

import { parseXml, xmlAll, xmlAttr, xmlChildren, xmlText, type XmlElement, type XmlNode, type XmlText } from '../../api/xml/reader.js';

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

/** How xmlNodeDump writes characters outside ASCII: as `&#xHEX;` (a document without a declared encoding) or as they are. */
export interface DumpOptions {
  readonly nonAscii?: 'refs' | 'keep';
}

/** Text content as libxml2 writes it. */
function escapeText(s: string, o: DumpOptions = {}): string {
  const t = s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
  return o.nonAscii === 'keep' ? t : hexRefs(t);
}

/** An attribute value as libxml2 writes it between double quotes. */
export function escapeAttr(s: string, o: DumpOptions = {}): string {
  const t = s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
  return o.nonAscii === 'keep' ? t : hexRefs(t);
}

/**
 * The node as libxml2's xmlNodeDump writes it (virXMLNodeToString):
 * attributes in double quotes, an element without children as `<x/>`, the
 * text between elements as it was. libvirt's own XML always has whitespace
 * between elements, which keeps libxml2 from re-indenting anything.
 */
export function serializeXmlNode(node: XmlTreeNode, o: DumpOptions = {}): string {
  switch (node.kind) {
    case 'text':
      return escapeText(node.text, o);
    case 'comment':
      return `<!--${node.text}-->`;
    case 'cdata':
      return `<![CDATA[${node.text}]]>`;
    case 'element': {
      const attrs = attrText(node, o);
      if (node.children.length === 0) return `<${node.name}${attrs}/>`;
      return `<${node.name}${attrs}>${node.children.map((c) => serializeXmlNode(c, o)).join('')}</${node.name}>`;
    }
  }
}

/** The attributes of an element as libxml2 writes them: double-quoted, in document order. */
export function attrText(el: XmlTreeElement, o: DumpOptions = {}): string {
  return Object.entries(el.attrs)
    .map(([k, v]) => ` ${k}="${escapeAttr(v, o)}"`)
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
export function copyAttrs(attrs: Readonly<Record<string, string>>): Record<string, string> {
  return Object.assign(Object.create(null) as Record<string, string>, attrs);
}

/**
 * A value escaped as virBufferEscapeString does: the five XML specials as
 * entities, other control characters than tab, newline and CR dropped.
 */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"'\x01-\x08\x0b\x0c\x0e-\x19]/g, (c) => XML_ESCAPES[c] ?? '');
}

const XML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** ` name='value'` with the value escaped, or nothing when there is no value (virBufferEscapeString). */
export const xmlAttrText = (name: string, value: string | undefined): string => (value === undefined ? '' : ` ${name}='${escapeXml(value)}'`);

/**
 * A text buffer as virBuffer builds XML: each piece added at the start of a
 * line gets the buffer's indentation (pieces that carry newlines inside them
 * do not re-indent their later lines).
 */
export class XmlBuffer {
  text = '';
  constructor(public indent = 0) {}
  add(piece: string): this {
    if (this.text === '' || this.text.endsWith('\n')) this.text += ' '.repeat(this.indent);
    this.text += piece;
    return this;
  }
  /** A buffer for an element's children, two more spaces in. */
  child(): XmlBuffer {
    return new XmlBuffer(this.indent + 2);
  }
  /** virXMLFormatElement: nothing when empty, `<name attrs/>`, or the element around its children. */
  element(name: string, attrs: string, children?: XmlBuffer): void {
    if (attrs === '' && !children?.text) return;
    this.add(`<${name}`);
    this.text += attrs;
    if (children?.text) {
      this.text += '>\n' + children.text;
      this.add(`</${name}>\n`);
    } else {
      this.text += '/>\n';
    }
  }
}
