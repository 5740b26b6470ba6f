/**
 * domainDisks / domainInterfaces on varied domain XML: the rows virsh 9.0's
 * cmdDomblklist and cmdDomiflist derive (tools/virsh-domain-monitor.c), the
 * XPath rules behind them (`string(a|b|c)` is the first node in document
 * order; an empty value counts as none), and their failures. The same
 * functions are checked against the real virsh in
 * test/integration/domain-devices.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  DISK_WITHOUT_DETAILS,
  DISK_WITHOUT_TARGET,
  domainDisks,
  domainInterfaces,
  readDomainDisks,
  readDomainInterfaces,
  type DomainXmlSource,
} from '../../../src/api/domain-devices.js';
import { parseXml, XmlErrorCode, XmlReadError } from '../../../src/api/xml/reader.js';
import { VIR_DOMAIN_XML_INACTIVE } from '../../../src/procedures/libvirt-api.gen.js';
import type { CallOptions } from '../../../src/rpc/procedure.js';

const domain = (devices: string): string => `<domain type='qemu'><name>g</name><devices>\n${devices}\n</devices></domain>`;

const DISKS = domain(`
  <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/var/lib/g/a b.qcow2'/>
    <backingStore type='file'><format type='raw'/><source file='/var/lib/g/base.img'/></backingStore>
    <target dev='vda' bus='virtio'/></disk>
  <disk type='block' device='lun'><source dev='/dev/sdz'/><target dev='sda' bus='scsi'/></disk>
  <disk type='dir' device='disk'><source dir='/srv/dir'/><target dev='hdd' bus='ide'/></disk>
  <disk type='network' device='disk'><source protocol='rbd' name='pool/image'><host name='mon1' port='6789'/></source><target dev='vdb' bus='virtio'/></disk>
  <disk type='volume' device='disk'><source pool='default' volume='vol1.img'/><target dev='vdc' bus='virtio'/></disk>
  <disk type='nvme' device='disk'><source type='pci' managed='yes' namespace='1'><address domain='0x0001' bus='0x01' slot='0x00' function='0x0'/></source><target dev='vde' bus='virtio'/></disk>
  <disk type='vhostuser' device='disk'><source type='unix' path='/tmp/vhost.sock'><reconnect enabled='yes' timeout='10'/></source><target dev='vdf' bus='virtio'/></disk>
  <disk type='file' device='cdrom'><target dev='hdc' bus='ide'/><readonly/></disk>
  <disk type='file' device='floppy'><source file='/f.img'/><target dev='fda' bus='fdc'/></disk>`);

describe('domainDisks', () => {
  it('lists every kind of disk source as virsh prints it', () => {
    expect(domainDisks(DISKS, { details: true })).toEqual([
      { type: 'file', device: 'disk', target: 'vda', source: '/var/lib/g/a b.qcow2' },
      { type: 'block', device: 'lun', target: 'sda', source: '/dev/sdz' },
      { type: 'dir', device: 'disk', target: 'hdd', source: '/srv/dir' },
      { type: 'network', device: 'disk', target: 'vdb', source: 'pool/image' },
      { type: 'volume', device: 'disk', target: 'vdc', source: 'vol1.img' },
      { type: 'nvme', device: 'disk', target: 'vde', source: 'nvme://0001:01:00.0/1' },
      { type: 'vhostuser', device: 'disk', target: 'vdf', source: '/tmp/vhost.sock' },
      { type: 'file', device: 'cdrom', target: 'hdc', source: null },
      { type: 'file', device: 'floppy', target: 'fda', source: '/f.img' },
    ]);
  });

  it('gives the same rows without details, and reads a parsed tree as well as text', () => {
    expect(domainDisks(DISKS)).toEqual(domainDisks(DISKS, { details: true }));
    expect(domainDisks(parseXml(DISKS))).toEqual(domainDisks(DISKS));
  });

  it('takes the first source attribute in document order, not in a fixed preference', () => {
    // XPath's string() of `./source/@file|./source/@dev|...|./source/@name` is the first in document order.
    const rows = domainDisks(
      domain(`<disk type='file' device='disk'><source name='n' file='f'/><target dev='vda'/></disk>
        <disk type='file' device='disk'><source index='1'/><source dev='/second'/><target dev='vdb'/></disk>`),
    );
    expect(rows.map((r) => r.source)).toEqual(['n', '/second']);
  });

  it('counts an empty value as none, as virXPathString does', () => {
    const rows = domainDisks(domain(`<disk type='' device=''><source file='' dev='/x'/><target dev='vda'/></disk>`));
    expect(rows).toEqual([{ type: null, device: null, target: 'vda', source: null }]);
  });

  it('is empty for a domain without disks or without devices', () => {
    expect(domainDisks(domain(''))).toEqual([]);
    expect(domainDisks('<domain type="qemu"><name>x</name></domain>')).toEqual([]);
  });

  it('reads only ./devices/disk (not disks elsewhere in the document)', () => {
    const xml = `<domain><devices><disk type='file' device='disk'><target dev='vda'/></disk></devices><metadata><devices><disk><target dev='zz'/></disk></devices></metadata></domain>`;
    expect(domainDisks(xml).map((d) => d.target)).toEqual(['vda']);
  });

  it.each([
    ['a disk without a target', `<disk type='file' device='disk'><source file='/a'/></disk>`, {}, DISK_WITHOUT_TARGET],
    ['a target without dev', `<disk type='file' device='disk'><target bus='virtio'/></disk>`, {}, DISK_WITHOUT_TARGET],
    ['an empty target dev', `<disk type='file' device='disk'><target dev=''/></disk>`, {}, DISK_WITHOUT_TARGET],
    ['with details, a disk without device', `<disk type='file'><target dev='vda'/></disk>`, { details: true }, DISK_WITHOUT_DETAILS],
    ['with details, a disk without type', `<disk device='disk'><target dev='vda'/></disk>`, { details: true }, DISK_WITHOUT_DETAILS],
  ])('fails as virsh does for %s', (_label, disk, opts, message) => {
    let err: unknown;
    try {
      domainDisks(domain(disk), opts);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(XmlReadError);
    expect((err as XmlReadError).code).toBe(XmlErrorCode.CONTENT);
    expect((err as XmlReadError).message).toBe(message);
  });

  it('lists a disk without type or device when details are not asked for', () => {
    expect(domainDisks(domain(`<disk><source file='/a'/><target dev='vda'/></disk>`))).toEqual([{ type: null, device: null, target: 'vda', source: '/a' }]);
  });

  const nvme = (address: string, namespace = " namespace='2'"): string =>
    domain(`<disk type='nvme' device='disk'><source type='pci'${namespace}>${address}</source><target dev='vdx'/></disk>`);

  it.each([
    [`<address domain='0x0000' bus='0x3b' slot='0x1f' function='0x7'/>`, 'nvme://0000:3b:1f.7/2'],
    [`<address domain='10' bus='020' slot=' +3' function='1'/>`, 'nvme://000a:10:03.1/2'],
    [`<address domain='0x12345' bus='1'/>`, 'nvme://12345:01:00.0/2'],
    // All zero is an empty address, which libvirt does not check.
    [`<address/>`, 'nvme://0000:00:00.0/2'],
    [`<address domain='0' bus='0' slot='0' function='9'/>`, 'nvme://0000:00:00.9/2'],
    [`<address bus='1' multifunction='on'><zpci uid='0x1' fid='2'/></address>`, 'nvme://0000:01:00.0/2'],
    // Only the last <zpci> is read.
    [`<address bus='1'><zpci uid='bad'/><zpci uid='3'/></address>`, 'nvme://0000:01:00.0/2'],
  ])('names an NVMe disk by its PCI address and namespace: %s', (address, source) => {
    expect(domainDisks(nvme(address))[0].source).toBe(source);
  });

  it.each([
    ['no namespace', nvme(`<address bus='1'/>`, ''), /no <source namespace>/],
    ['no address', nvme(''), /no <source><address>/],
    ['a bus over 0xFF', nvme(`<address bus='0x100'/>`), /Invalid PCI address bus='0x100', must be <= 0xFF/],
    ['a slot over 0x1F', nvme(`<address bus='1' slot='32'/>`), /Invalid PCI address slot='0x20', must be <= 0x1F/],
    ['a function over 7', nvme(`<address bus='1' function='8'/>`), /Invalid PCI address function=0x8, must be <= 7/],
    ['a negative number', nvme(`<address bus='-1'/>`), /Invalid value for attribute 'bus' in element 'address': '-1'/],
    ['a number with junk after it', nvme(`<address bus='0x1g'/>`), /'0x1g'/],
    ['an octal number with an 8', nvme(`<address bus='08'/>`), /'08'/],
    ['a number over 32 bits', nvme(`<address domain='4294967296'/>`), /'4294967296'/],
    ['an empty number', nvme(`<address bus=''/>`), /'bus'/],
    ['a bad multifunction', nvme(`<address bus='1' multifunction='default'/>`), /multifunction/],
    ['a bad zpci uid', nvme(`<address bus='1'><zpci uid='x'/></address>`), /'uid' in element 'zpci'/],
  ])('refuses an NVMe disk with %s', (_label, xml, message) => {
    expect(() => domainDisks(xml)).toThrow(XmlReadError);
    expect(() => domainDisks(xml)).toThrow(/^Unable to query NVMe disk address/);
    expect(() => domainDisks(xml)).toThrow(message);
  });

  it('passes parse errors on', () => {
    expect(() => domainDisks('<domain><devices>')).toThrow(expect.objectContaining({ code: XmlErrorCode.PARSE }));
  });
});

const NICS = domain(`
  <interface type='network'><mac address='52:54:00:00:00:01'/><source network='default' portid='8a4f'/><target dev='vnet0'/><model type='virtio'/></interface>
  <interface type='bridge'><mac address='52:54:00:00:00:02'/><source bridge='br0'/><target dev='vnet1'/><model type='e1000'/></interface>
  <interface type='direct'><mac address='52:54:00:00:00:03'/><source dev='eth0' mode='bridge'/><target dev='macvtap0'/></interface>
  <interface type='user'><mac address='52:54:00:00:00:04'/><model type='rtl8139'/></interface>
  <interface type='ethernet'><mac address='52:54:00:00:00:05'/><target dev='tap3' managed='no'/></interface>
  <interface type='vhostuser'><mac address='52:54:00:00:00:06'/><source type='unix' path='/tmp/vu.sock' mode='client'/><model type='virtio'/></interface>
  <interface type='udp'><mac address='52:54:00:00:00:07'/><source address='127.0.0.1' port='1234'><local address='127.0.0.1' port='5678'/></source></interface>
  <interface type='vdpa'><source dev='/dev/vhost-vdpa-0'/></interface>
  <interface type='hostdev' managed='yes'><mac address='52:54:00:00:00:09'/><source><address type='pci' domain='0x0000' bus='0x00' slot='0x07' function='0x0'/></source></interface>`);

describe('domainInterfaces', () => {
  it('lists every kind of interface as virsh prints it', () => {
    expect(domainInterfaces(NICS)).toEqual([
      { interface: 'vnet0', type: 'network', source: 'default', model: 'virtio', mac: '52:54:00:00:00:01' },
      { interface: 'vnet1', type: 'bridge', source: 'br0', model: 'e1000', mac: '52:54:00:00:00:02' },
      { interface: 'macvtap0', type: 'direct', source: 'eth0', model: null, mac: '52:54:00:00:00:03' },
      { interface: null, type: 'user', source: null, model: 'rtl8139', mac: '52:54:00:00:00:04' },
      { interface: 'tap3', type: 'ethernet', source: null, model: null, mac: '52:54:00:00:00:05' },
      { interface: null, type: 'vhostuser', source: '/tmp/vu.sock', model: 'virtio', mac: '52:54:00:00:00:06' },
      { interface: null, type: 'udp', source: null, model: null, mac: '52:54:00:00:00:07' },
      { interface: null, type: 'vdpa', source: '/dev/vhost-vdpa-0', model: null, mac: null },
      { interface: null, type: 'hostdev', source: null, model: null, mac: '52:54:00:00:00:09' },
    ]);
  });

  it('takes the first source attribute in document order and counts empty values as none', () => {
    const rows = domainInterfaces(
      domain(`<interface type='network'><source network='n' bridge='b'/><target dev=''/><model type=''/><mac address=''/></interface>`),
    );
    expect(rows).toEqual([{ interface: null, type: 'network', source: 'n', model: null, mac: null }]);
  });

  it('is empty for a domain without interfaces, and reads a parsed tree', () => {
    expect(domainInterfaces(domain(''))).toEqual([]);
    expect(domainInterfaces(parseXml(NICS))).toEqual(domainInterfaces(NICS));
  });

  it('fails for an interface without a type (virsh cannot print its row either)', () => {
    expect(() => domainInterfaces(domain(`<interface type='user'/><interface><mac address='52:54:00:00:00:01'/></interface>`))).toThrow(
      expect.objectContaining({ code: XmlErrorCode.CONTENT, message: 'interface 2 of the domain XML has no type' }),
    );
  });
});

describe('readDomainDisks / readDomainInterfaces', () => {
  /** A domain object that answers getXMLDesc with the live or the persistent XML, and records its calls. */
  function fakeDomain(): DomainXmlSource & { calls: [number, CallOptions | undefined][] } {
    const calls: [number, CallOptions | undefined][] = [];
    return {
      calls,
      async getXMLDesc(flags: number, options?: CallOptions): Promise<string> {
        calls.push([flags, options]);
        return flags & VIR_DOMAIN_XML_INACTIVE
          ? domain(`<disk type='file' device='cdrom'><target dev='hdc'/></disk><interface type='user'/>`)
          : domain(
              `<disk type='file' device='disk'><source file='/live'/><target dev='vda'/></disk><interface type='network'><source network='default'/><target dev='vnet3'/></interface>`,
            );
      },
    };
  }

  it('read the running configuration by default and the persistent one with inactive', async () => {
    const dom = fakeDomain();
    expect(await readDomainDisks(dom, { details: true })).toEqual([{ type: 'file', device: 'disk', target: 'vda', source: '/live' }]);
    expect(await readDomainDisks(dom, { inactive: true })).toEqual([{ type: 'file', device: 'cdrom', target: 'hdc', source: null }]);
    expect(await readDomainInterfaces(dom)).toEqual([{ interface: 'vnet3', type: 'network', source: 'default', model: null, mac: null }]);
    expect(await readDomainInterfaces(dom, { inactive: true })).toEqual([{ interface: null, type: 'user', source: null, model: null, mac: null }]);
    expect(dom.calls.map(([flags]) => flags)).toEqual([0, VIR_DOMAIN_XML_INACTIVE, 0, VIR_DOMAIN_XML_INACTIVE]);
  });

  it('pass signal and timeout on to the call', async () => {
    const dom = fakeDomain();
    const signal = new AbortController().signal;
    await readDomainDisks(dom, { signal, timeout: 5000 });
    await readDomainInterfaces(dom, {});
    expect(dom.calls[0][1]).toEqual({ signal, timeout: 5000 });
    expect(dom.calls[1][1]).toEqual({});
  });

  it('let the call fail as it fails', async () => {
    const broken: DomainXmlSource = { getXMLDesc: async () => Promise.reject(new Error('Domain not found')) };
    await expect(readDomainDisks(broken)).rejects.toThrow('Domain not found');
    await expect(readDomainInterfaces({ getXMLDesc: async () => '<domain>' })).rejects.toThrow(XmlReadError);
  });
});
