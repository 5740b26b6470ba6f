/**
 * The XML reader: the tree it builds (order, attributes, references,
 * normalisation, comments and CDATA on request), its helpers, and its errors
 * for text that is not XML.
 */
import { ArgumentError } from '../../../src/errors/root.js';
import { describe, expect, it } from 'vitest';
import {
  isXmlElement,
  parseXml,
  xmlAll,
  xmlAttr,
  xmlChildren,
  xmlDescendants,
  xmlFirst,
  xmlText,
  XmlErrorCode,
  XmlReadError,
} from '../../../src/api/xml/reader.js';
import { LibvirtRpcError } from '../../../src/rpc/errors.js';

const DOMAIN = `<?xml version="1.0" encoding="UTF-8"?>
<!-- written by hand -->
<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>web&amp;db &#x263A; &lt;1&gt;</name>
  <description><![CDATA[a <b> c]]> and more</description>
  <devices>
    <disk type='file' device='disk'>
      <source file="/var/lib/a b.img" index='2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <!-- the second disk -->
    <disk type='block' device='cdrom'><target dev='hdc'/></disk>
    <interface type='user'><mac address='52:54:00:11:22:33'/></interface>
  </devices>
  <qemu:commandline><qemu:arg value='-S'/></qemu:commandline>
</domain>
`;

describe('parseXml', () => {
  it('returns the root element with children, attributes and text in document order', () => {
    const root = parseXml(DOMAIN);
    expect(root.kind).toBe('element');
    expect(root.name).toBe('domain');
    expect(Object.entries(root.attrs)).toEqual([
      ['type', 'qemu'],
      ['xmlns:qemu', 'http://libvirt.org/schemas/domain/qemu/1.0'],
    ]);
    expect(xmlChildren(root).map((e) => e.name)).toEqual(['name', 'description', 'devices', 'qemu:commandline']);
    // Whitespace between elements is kept as text, so a tree can be written back out as it was.
    expect(root.children[0]).toEqual({ kind: 'text', text: '\n  ' });
  });

  it('replaces entity and character references in text and attributes', () => {
    const root = parseXml(DOMAIN);
    expect(xmlText(xmlFirst(root, 'name')!)).toBe('web&db \u263a <1>');
    expect(xmlAttr(xmlFirst(root, 'devices/disk/source'), 'file')).toBe('/var/lib/a b.img');
    expect(parseXml(`<a x="&quot;&apos;&#65;&#x42;"/>`).attrs.x).toBe(`"'AB`);
  });

  it('normalises attribute whitespace and line breaks as XML requires', () => {
    const root = parseXml('<a x="1\n2\t3" y="1&#10;2">l1\r\nl2\rl3</a>');
    expect(root.attrs).toEqual(Object.assign(Object.create(null), { x: '1 2 3', y: '1\n2' }));
    expect(xmlText(root)).toBe('l1\nl2\nl3');
  });

  it('drops comments and merges CDATA into the text by default', () => {
    const root = parseXml(DOMAIN);
    const devices = xmlFirst(root, 'devices')!;
    expect(devices.children.some((c) => c.kind === 'comment')).toBe(false);
    const description = xmlFirst(root, 'description')!;
    expect(description.children).toEqual([{ kind: 'text', text: 'a <b> c and more' }]);
  });

  it('keeps comments and CDATA sections as nodes when asked', () => {
    const root = parseXml(DOMAIN, { comments: true, cdata: true });
    expect(xmlFirst(root, 'devices')!.children.filter((c) => c.kind === 'comment')).toEqual([{ kind: 'comment', text: ' the second disk ' }]);
    expect(xmlFirst(root, 'description')!.children).toEqual([
      { kind: 'cdata', text: 'a <b> c' },
      { kind: 'text', text: ' and more' },
    ]);
    // The comment before the root element is not part of the root's tree.
    expect(root.children.some((c) => c.kind === 'comment' && c.text.includes('by hand'))).toBe(false);
    // A CDATA section's text counts in the string value; a comment's does not.
    expect(xmlText(parseXml('<a>x<!--y--><![CDATA[z]]></a>', { comments: true, cdata: true }))).toBe('xz');
  });

  it('keeps an attribute named __proto__ as an attribute', () => {
    const root = parseXml(`<a __proto__='p' b='1'/>`);
    expect(xmlAttr(root, '__proto__')).toBe('p');
    expect(Object.keys(root.attrs)).toEqual(['__proto__', 'b']);
    expect(xmlAttr(root, 'toString')).toBeUndefined();
  });

  it.each([
    ['<a><b></a>', /Missing end tag for element b/, 1, 7],
    ['<a>\n  <b x="1" x="2"/>\n</a>', /Duplicate attribute: x/, 2, 17],
    ['', /Root element is missing/, 1, 1],
    ['<a>&nbsp;</a>', /Named entity isn't defined: &nbsp;/, 1, 4],
    ['<a/><b/>', /Extra content at the end of the document/, 1, 5],
    ['not xml', /Root element is missing/, 1, 1],
  ])('refuses %j with a parse error naming the problem and where', (text, message, line, column) => {
    const err = (() => {
      try {
        parseXml(text);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(XmlReadError);
    expect(err).toBeInstanceOf(LibvirtRpcError);
    const e = err as XmlReadError;
    expect(e.code).toBe(XmlErrorCode.PARSE);
    expect(e.message).toMatch(/^invalid XML: /);
    expect(e.message).toMatch(message);
    expect(e.message).not.toContain('\n');
    expect([e.line, e.column]).toEqual([line, column]);
    expect(e.cause).toBeInstanceOf(Error);
  });

  it('refuses what is not a string with an ArgumentError', () => {
    expect(() => parseXml(undefined as unknown as string)).toThrow(/parseXml: expected a string, got undefined/);
    expect(() => parseXml(null as unknown as string)).toThrow(ArgumentError);
  });
});

describe('the helpers', () => {
  const root = parseXml(DOMAIN);

  it('xmlAll and xmlFirst follow a path of child names', () => {
    expect(xmlAll(root, 'devices/disk').map((d) => d.attrs.type)).toEqual(['file', 'block']);
    expect(xmlAll(root, 'devices/*').map((d) => d.name)).toEqual(['disk', 'disk', 'interface']);
    expect(xmlAll(root, 'devices/disk/target').map((t) => t.attrs.dev)).toEqual(['vda', 'hdc']);
    expect(xmlFirst(root, 'devices/interface/mac')?.attrs.address).toBe('52:54:00:11:22:33');
    expect(xmlAll(root, 'devices/nope')).toEqual([]);
    expect(xmlFirst(root, 'nope/disk')).toBeUndefined();
    // Only children: a path does not reach grandchildren.
    expect(xmlAll(root, 'disk')).toEqual([]);
  });

  it('xmlChildren filters by name, and * or nothing means any', () => {
    const devices = xmlFirst(root, 'devices')!;
    expect(xmlChildren(devices, 'disk')).toHaveLength(2);
    expect(xmlChildren(devices, '*')).toHaveLength(3);
    expect(xmlChildren(devices)).toHaveLength(3);
  });

  it('xmlDescendants walks the whole subtree in document order', () => {
    expect(xmlDescendants(root, 'target').map((t) => t.attrs.dev)).toEqual(['vda', 'hdc']);
    expect(xmlDescendants(xmlFirst(root, 'devices')!).map((e) => e.name)).toEqual(['disk', 'source', 'target', 'disk', 'target', 'interface', 'mac']);
    expect(xmlDescendants(root, 'qemu:arg')[0].attrs.value).toBe('-S');
  });

  it('xmlAttr reads an attribute of an element that may be missing', () => {
    expect(xmlAttr(xmlFirst(root, 'devices/disk'), 'device')).toBe('disk');
    expect(xmlAttr(xmlFirst(root, 'devices/disk'), 'nope')).toBeUndefined();
    expect(xmlAttr(undefined, 'type')).toBeUndefined();
  });

  it('xmlText is the text of the element and its descendants', () => {
    expect(xmlText(parseXml('<a>1<b>2<c>3</c></b>4</a>'))).toBe('1234');
    expect(xmlText(parseXml('<a/>'))).toBe('');
  });

  it('isXmlElement tells elements from text', () => {
    const devices = xmlFirst(root, 'devices')!;
    expect(devices.children.filter((c) => isXmlElement(c)).length).toBe(3);
    expect(devices.children.filter((c) => isXmlElement(c, 'interface')).length).toBe(1);
    expect(isXmlElement(undefined)).toBe(false);
  });
});
