import { describe, expect, it } from 'vitest';
import { UnsupportedXPathError, XPathResultError, xpathDump } from '../../../src/cli/support/xpath.js';
import { parseXmlTree, serializeXmlNode } from '../../../src/cli/support/xml.js';

const DOC = `<domain type='kvm'>
  <name>vm1</name>
  <devices>
    <disk type='file' device='disk'>
      <source file='/a.img'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='block' device='cdrom'>
      <target dev='hdc' bus='ide'/>
    </disk>
    <interface type='network'><mac address='52:54:00:00:00:01'/></interface>
  </devices>
</domain>
`;

// The nodes selected are those `xmllint --xpath EXPR` (libxml2, as virsh uses) selects on the same document.
describe('--xpath of the dumpxml commands (virshDumpXML)', () => {
  it('selects attributes, one per line', () => {
    expect(xpathDump(DOC, '//disk/@type', false)).toBe(' type="file"\n type="block"\n');
    expect(xpathDump(DOC, '//disk[@type="file"]/source/@file', false)).toBe(' file="/a.img"\n');
  });
  it('takes positions, last() and comparisons in predicates', () => {
    expect(xpathDump(DOC, '//disk[2]/target', false)).toBe('<target dev="hdc" bus="ide"/>\n');
    expect(xpathDump(DOC, '//disk[last()]/@device', false)).toBe(' device="cdrom"\n');
    expect(xpathDump(DOC, "//target[@bus!='ide']/@dev", false)).toBe(' dev="vda"\n');
    expect(xpathDump(DOC, "//disk[@type='block' and @device='cdrom']/target/@dev", false)).toBe(' dev="hdc"\n');
  });
  it('prints text nodes and re-indents elements as libxml2 formats them without kept blanks', () => {
    expect(xpathDump(DOC, '/domain/name/text()', false)).toBe('vm1\n');
    expect(xpathDump(DOC, '/domain/devices/disk[1]', false)).toBe(
      '<disk type="file" device="disk">\n  <source file="/a.img"/>\n  <target dev="vda" bus="virtio"/>\n</disk>\n',
    );
  });
  it('puts a union in document order', () => {
    expect(xpathDump(DOC, "//target[@bus='ide'] | //name", false)).toBe('<name>vm1</name>\n<target dev="hdc" bus="ide"/>\n');
  });
  it('wraps the results in <nodes> with --wrap, attributes becoming its own', () => {
    expect(xpathDump(DOC, '//mac/@address | //name', true)).toBe('<nodes address="52:54:00:00:00:01">\n  <name>vm1</name>\n</nodes>\n');
    expect(xpathDump(DOC, '//nothing', true)).toBe('<nodes/>\n');
  });
  it('calls an expression that gives no node set an incorrect xpath, and says when it cannot evaluate one', () => {
    expect(() => xpathDump(DOC, 'count(//disk)', false)).toThrow(XPathResultError);
    expect(() => xpathDump(DOC, 'count(//disk)', false)).toThrow("internal error: Incorrect xpath 'count(//disk)'");
    expect(() => xpathDump(DOC, '//disk[contains(@type, "f")]', false)).toThrow(UnsupportedXPathError);
    expect(() => xpathDump(DOC, 'following-sibling::disk', false)).toThrow(UnsupportedXPathError);
  });
});

describe('device XML written back as xmlNodeDump writes it', () => {
  it('double-quotes attributes, self-closes empty elements, keeps the text between elements', () => {
    const disk = parseXmlTree(DOC).children.filter((c) => c.kind === 'element')[1];
    expect(disk.kind === 'element' && serializeXmlNode(disk.children.filter((c) => c.kind === 'element')[0])).toBe(
      '<disk type="file" device="disk">\n      <source file="/a.img"/>\n      <target dev="vda" bus="virtio"/>\n    </disk>',
    );
  });
  it('writes characters outside ASCII as references unless asked to keep them', () => {
    const el = parseXmlTree(`<a t='é&quot;'>ü &amp; <!--c--></a>`);
    expect(serializeXmlNode(el)).toBe('<a t="&#xE9;&quot;">&#xFC; &amp; <!--c--></a>');
    expect(serializeXmlNode(el, { nonAscii: 'keep' })).toBe('<a t="é&quot;">ü &amp; <!--c--></a>');
  });
});
