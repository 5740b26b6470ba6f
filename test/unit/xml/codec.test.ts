/**
 * The typed XML model's parse and write (src/api/xml/codec.ts with the tables generated from
 * libvirt's schemas): typed values, repeated elements, flags, open elements, namespaces, unknown
 * content kept through a read-modify-write, and clear errors.
 */
import { describe, expect, it } from 'vitest';
import {
  domainXml,
  networkXml,
  parseDomainXml,
  parseNetworkXml,
  parseStoragePoolXml,
  parseStorageVolXml,
  storageVolXml,
  UNKNOWN,
} from '../../../src/api/xml/index.js';
import { xmlDifference } from '../../support/xml-same.js';

const GUEST = `<domain type='kvm' id='3'>
  <name>web</name>
  <uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fa0</uuid>
  <metadata>
    <app:info xmlns:app='http://example.org/app'><owner>ops</owner></app:info>
  </metadata>
  <memory unit='KiB'>1048576</memory>
  <vcpu placement='static'>2</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <boot dev='hd'/>
    <boot dev='cdrom'/>
  </os>
  <features><acpi/><apic/></features>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/var/lib/images/web.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='cdrom'>
      <target dev='sda' bus='sata'/>
      <readonly/>
    </disk>
    <controller type='pci' index='0' model='pci-root'/>
    <controller type='usb' index='0' model='qemu-xhci'><model name='qemu-xhci'/></controller>
    <interface type='network'>
      <mac address='52:54:00:4f:1c:02'/>
      <source network='default'/>
      <model type='virtio'/>
    </interface>
  </devices>
</domain>
`;

describe('parse', () => {
  const def = parseDomainXml(GUEST);

  it('gives attributes and text-only elements as typed values', () => {
    expect(def.type).toBe('kvm');
    expect(def.id).toBe(3);
    expect(def.name).toBe('web');
    expect(def.memory).toEqual({ unit: 'KiB', value: 1048576 });
    expect(def.vcpu).toEqual({ placement: 'static', value: 2 });
    expect(def.os?.type).toEqual({ arch: 'x86_64', machine: 'pc', value: 'hvm' });
  });

  it('gives repeated elements as arrays in document order, empty elements as true', () => {
    expect(def.os?.boot?.map((b) => b.dev)).toEqual(['hd', 'cdrom']);
    expect(def.devices?.disk?.map((d) => d.target.dev)).toEqual(['vda', 'sda']);
    expect(def.devices?.disk?.[0]?.source?.file).toBe('/var/lib/images/web.qcow2');
    expect(def.devices?.disk?.[1]?.readonly).toBe(true);
    expect(def.features?.acpi).toBe(true);
    expect(def.devices?.interface?.[0]?.mac?.address).toBe('52:54:00:4f:1c:02');
  });

  it('names a child element like an attribute of its parent <name>Element', () => {
    const usb = def.devices?.controller?.[1];
    expect(usb?.model).toBe('qemu-xhci');
    expect(usb?.modelElement).toEqual({ name: 'qemu-xhci' });
  });

  it('keeps an open element (<metadata>) as a parsed tree', () => {
    expect(def.metadata?.kind).toBe('element');
    expect(def.metadata?.children.some((c) => c.kind === 'element' && c.name === 'app:info')).toBe(true);
  });

  it('writes it back to the same XML', () => {
    expect(xmlDifference(GUEST, domainXml(def))).toBeNull();
  });

  it('keeps text a number would change as text (2^64-1, leading zeros, octal modes)', () => {
    const vol = parseStorageVolXml(
      "<volume><name>v</name><capacity unit='bytes'>18446744073709551615</capacity><allocation>007</allocation><target><permissions><mode>0755</mode></permissions></target></volume>",
    );
    expect(vol.capacity).toEqual({ unit: 'bytes', value: '18446744073709551615' });
    expect(vol.allocation).toEqual({ value: '007' });
    expect(vol.target?.permissions?.mode).toBe('0755');
    expect(storageVolXml(vol)).toContain('<mode>0755</mode>');
  });
});

describe('read-modify-write', () => {
  const NEWER = `<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>web</name>
  <memory unit='KiB'>1048576</memory>
  <os><type>hvm</type></os>
  <futureTuning level='9'><knob>1</knob></futureTuning>
  <devices>
    <disk type='file' device='disk' futureAttr='x'>
      <source file='/a.qcow2'/>
      <target dev='vda' bus='virtio' futureBus='y'/>
      <readonly futureFlag='z'/>
    </disk>
  </devices>
  <qemu:commandline><qemu:arg value='-S'/></qemu:commandline>
</domain>`;

  it('keeps what the schema does not know, out of the enumerable properties, and writes it back', () => {
    const def = parseDomainXml(NEWER);
    expect(Object.keys(def)).not.toContain('futureTuning');
    expect(JSON.stringify(def)).not.toContain('future');
    expect((def as { [UNKNOWN]?: { elements?: { name: string }[] } })[UNKNOWN]?.elements?.map((e) => e.name)).toEqual(['futureTuning']);
    def.memory = { unit: 'KiB', value: 2097152 };
    def.devices!.disk![0]!.target.dev = 'vdb';
    const out = domainXml(def);
    const expected = NEWER.replace('1048576', '2097152').replace("dev='vda'", "dev='vdb'");
    expect(xmlDifference(expected, out)).toBeNull();
    expect(def['qemu:commandline']?.['qemu:arg']).toEqual([{ value: '-S' }]);
  });

  it('declares a namespace the definition uses and the root does not', () => {
    const out = domainXml({ type: 'qemu', name: 'x', 'qemu:commandline': { 'qemu:arg': [{ value: '-S' }] } });
    expect(out).toContain("xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'");
    expect(parseDomainXml(out)['qemu:commandline']?.['qemu:arg']?.[0]?.value).toBe('-S');
  });

  it('reads a known namespace under another prefix by its URI', () => {
    const def = parseDomainXml(
      "<domain type='qemu' xmlns:q='http://libvirt.org/schemas/domain/qemu/1.0'><name>x</name><q:commandline><q:arg value='-S'/></q:commandline></domain>",
    );
    expect(def['qemu:commandline']?.['qemu:arg']?.[0]?.value).toBe('-S');
  });
});

describe('write', () => {
  it('follows the order the schema names things in, indented, escaped', () => {
    const out = networkXml({ name: 'a<b', forward: { mode: 'nat' }, ip: [{ address: '10.0.0.1', netmask: '255.255.255.0' }], bridge: { name: "it's" } });
    expect(out).toBe(
      `<network>\n  <name>a&lt;b</name>\n  <bridge name='it&apos;s'/>\n  <forward mode='nat'/>\n  <ip address='10.0.0.1' netmask='255.255.255.0'/>\n</network>\n`,
    );
    expect(parseNetworkXml(out).bridge?.name).toBe("it's");
  });

  it('refuses values of the wrong shape with the path', () => {
    expect(() => domainXml({ type: 'kvm', name: 'x', os: { boot: { dev: 'hd' } } as never })).toThrow(
      expect.objectContaining({ code: 'ARG_INVALID', message: 'domain.os.boot: expected an array' }),
    );
    expect(() => domainXml({ type: 'kvm', name: { text: 'x' } as never })).toThrow(/domain\.name: expected a string or a number, got object/);
    expect(() => domainXml(null as never)).toThrow(expect.objectContaining({ code: 'ARG_INVALID' }));
  });
});

describe('bad XML', () => {
  it('names the problem: not well-formed, or another document', () => {
    expect(() => parseDomainXml('<domain><name>x</domain>')).toThrow(expect.objectContaining({ code: 'XML_PARSE' }));
    expect(() => parseDomainXml('<network><name>x</name></network>')).toThrow(
      expect.objectContaining({ code: 'XML_CONTENT', message: 'expected <domain> as the root of domain XML, found <network>' }),
    );
    expect(() => parseStoragePoolXml(42 as never)).toThrow(expect.objectContaining({ code: 'ARG_INVALID' }));
  });
});
