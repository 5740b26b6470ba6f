/**
 * domainDisks / domainInterfaces (and the readDomain* adapters) against the
 * real `virsh domblklist [--details] [--inactive]` and `virsh domiflist
 * [--inactive]` on the same daemon: a running QEMU TCG guest with a disk, an
 * empty CD-ROM and two NICs of different types, whose live and persistent
 * configurations differ (a disk plugged in live, a NIC added to the config);
 * and a test-driver domain with every kind of disk source and interface.
 * virsh's tables are parsed and compared with the rows, `-` as null.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chownToTestUser } from '../../harness/daemon.js';
import { tinyGuestXml } from '../../harness/guest.js';
import {
  domainDisks,
  domainInterfaces,
  readDomainDisks,
  readDomainInterfaces,
  type DomainDiskRow,
  type DomainInterfaceRow,
} from '../../src/api/domain-devices.js';
import { connect, VIR_DOMAIN_AFFECT_CONFIG, VIR_DOMAIN_AFFECT_LIVE, VIR_DOMAIN_XML_INACTIVE, type Connection } from '../../src/index.js';
import { harnessDaemon, privateTestUri } from './env.js';
import { virsh } from './oracle.js';

/** The rows of a virsh table (tools/vsh-table.c), cut at the columns of its header; the last column may hold spaces. */
function virshTable(text: string): string[][] {
  const [header, rule, ...rows] = text.split('\n');
  expect(rule).toMatch(/^-+$/);
  const starts = [...header.matchAll(/\S+/g)].map((m) => m.index!);
  return rows.filter((r) => r.trim() !== '').map((r) => starts.map((s, i) => (i === starts.length - 1 ? r.slice(s) : r.slice(s, starts[i + 1])).trimEnd()));
}

const dash = (v: string | null): string => v ?? '-';
const diskDetails = (rows: DomainDiskRow[]): string[][] => rows.map((d) => [d.type ?? '', d.device ?? '', d.target, dash(d.source)]);
const diskBrief = (rows: DomainDiskRow[]): string[][] => rows.map((d) => [d.target, dash(d.source)]);
const nicRows = (rows: DomainInterfaceRow[]): string[][] => rows.map((n) => [dash(n.interface), n.type, dash(n.source), dash(n.model), dash(n.mac)]);

/** Every comparison for one domain: our rows from its XML, and from the adapters, against virsh's tables. */
async function expectSameAsVirsh(
  conn: Connection,
  uri: string,
  name: string,
): Promise<{ live: { disks: DomainDiskRow[]; nics: DomainInterfaceRow[] }; config: { disks: DomainDiskRow[]; nics: DomainInterfaceRow[] } }> {
  const ref = await conn.raw.domainLookupByName(name);
  const dom = await conn.domainLookupByName(name);
  const out = {
    live: { disks: [] as DomainDiskRow[], nics: [] as DomainInterfaceRow[] },
    config: { disks: [] as DomainDiskRow[], nics: [] as DomainInterfaceRow[] },
  };
  for (const [which, flags, extra] of [
    ['live', 0, []],
    ['config', VIR_DOMAIN_XML_INACTIVE, ['--inactive']],
  ] as const) {
    const xml = await conn.raw.domainGetXMLDesc(ref, flags);
    const disks = domainDisks(xml, { details: true });
    expect(diskDetails(disks)).toEqual(virshTable(await virsh(uri, ['domblklist', name, '--details', ...extra])));
    expect(diskBrief(domainDisks(xml))).toEqual(virshTable(await virsh(uri, ['domblklist', name, ...extra])));
    const nics = domainInterfaces(xml);
    expect(nicRows(nics)).toEqual(virshTable(await virsh(uri, ['domiflist', name, ...extra])));
    // The Domain object's dom.disks() / dom.interfaces() (and the adapters behind them) read the same XML.
    const inactive = which === 'config';
    expect(await dom.disks({ details: true, inactive })).toEqual(disks);
    expect(diskBrief(await dom.disks({ inactive }))).toEqual(diskBrief(disks));
    expect(await dom.interfaces({ inactive })).toEqual(nics);
    expect(await readDomainDisks(dom, { details: true, inactive })).toEqual(disks);
    expect(await readDomainInterfaces(dom, { inactive })).toEqual(nics);
    out[which] = { disks, nics };
  }
  return out;
}

describe('on a running QEMU guest', () => {
  const NAME = `rpc-devices-${process.pid}`;
  let uri = '';
  let dir = '';

  beforeAll(async () => {
    const d = await harnessDaemon();
    uri = d.uris.qemuSessionUnix;
    dir = path.join(d.dir, `domain-devices-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    chownToTestUser(dir);
    for (const f of ['root disk.img', 'hot.img']) {
      writeFileSync(path.join(dir, f), Buffer.alloc(1 << 20));
      chownToTestUser(path.join(dir, f));
    }
  });

  afterAll(async () => {
    if (!uri) return;
    await using conn = await connect(uri);
    const dom = await conn.raw.domainLookupByName(NAME).catch(() => null);
    if (!dom) return;
    if (await conn.raw.domainIsActive(dom)) await conn.raw.domainDestroy(dom);
    await conn.raw.domainUndefine(dom);
  });

  it('lists its disks and interfaces, live and persistent, as virsh does', async () => {
    await using conn = await connect(uri);
    // ACPI for PCI hotplug; no option ROMs on the NICs, so the firmware does not try to boot from them.
    const xml = tinyGuestXml(NAME, {
      vnc: false,
      extraDevices: `    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='${dir}/root disk.img'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='cdrom'>
      <target dev='hdc' bus='ide'/>
      <readonly/>
    </disk>
    <interface type='user'>
      <mac address='52:54:00:de:0d:01'/>
      <model type='e1000'/>
      <rom enabled='no'/>
    </interface>
    <interface type='udp'>
      <mac address='52:54:00:de:0d:02'/>
      <source address='127.0.0.1' port='${40000 + (process.pid % 10000)}'>
        <local address='127.0.0.1' port='${50000 + (process.pid % 10000)}'/>
      </source>
      <model type='rtl8139'/>
      <rom enabled='no'/>
    </interface>
`,
    }).replace("<clock offset='utc'/>", "<features><acpi/></features>\n  <clock offset='utc'/>");
    const ref = await conn.raw.domainDefineXML(xml);
    await conn.raw.domainCreate(ref);
    // The two configurations differ: a disk plugged into the running guest only, a NIC added to the persistent config only.
    await conn.raw.domainAttachDeviceFlags(
      ref,
      `<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${dir}/hot.img'/><target dev='vdb' bus='virtio'/></disk>`,
      VIR_DOMAIN_AFFECT_LIVE,
    );
    await conn.raw.domainAttachDeviceFlags(
      ref,
      `<interface type='network'><mac address='52:54:00:de:0d:03'/><source network='default'/><model type='virtio'/></interface>`,
      VIR_DOMAIN_AFFECT_CONFIG,
    );

    const { live, config } = await expectSameAsVirsh(conn, uri, NAME);
    // What was compared is what the guest has (libvirt keeps disks ordered by bus).
    expect(live.disks.map((d) => [d.device, d.target, d.source])).toEqual([
      ['disk', 'vda', `${dir}/root disk.img`],
      ['disk', 'vdb', `${dir}/hot.img`],
      ['cdrom', 'hdc', null],
    ]);
    expect(config.disks.map((d) => d.target)).toEqual(['vda', 'hdc']);
    expect(live.nics.map((n) => [n.type, n.model, n.mac])).toEqual([
      ['user', 'e1000', '52:54:00:de:0d:01'],
      ['udp', 'rtl8139', '52:54:00:de:0d:02'],
    ]);
    expect(config.nics.map((n) => [n.type, n.source, n.mac])).toEqual([
      ['user', null, '52:54:00:de:0d:01'],
      ['udp', null, '52:54:00:de:0d:02'],
      ['network', 'default', '52:54:00:de:0d:03'],
    ]);
  });
});

describe('on the test driver', () => {
  const DEVICES = `      <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/var/lib/images/a b.qcow2'/>
        <backingStore type='file'><format type='raw'/><source file='/var/lib/images/base.img'/></backingStore>
        <target dev='vda' bus='virtio'/></disk>
      <disk type='block' device='lun'><source dev='/dev/sdz'/><target dev='sda' bus='scsi'/></disk>
      <disk type='dir' device='disk'><source dir='/srv/dir'/><target dev='hdd' bus='ide'/></disk>
      <disk type='network' device='disk'><source protocol='rbd' name='pool/image'><host name='mon1' port='6789'/></source><target dev='vdb' bus='virtio'/></disk>
      <disk type='network' device='cdrom'><source protocol='http' name='/media/x.iso'><host name='example.invalid' port='80'/></source><target dev='sdb' bus='sata'/><readonly/></disk>
      <disk type='volume' device='disk'><source pool='default-pool' volume='vol1.img'/><target dev='vdc' bus='virtio'/></disk>
      <disk type='nvme' device='disk'><driver name='qemu' type='raw'/><source type='pci' managed='yes' namespace='3'><address domain='0x0001' bus='0x3b' slot='0x1f' function='0x5'/></source><target dev='vde' bus='virtio'/></disk>
      <disk type='vhostuser' device='disk'><driver name='qemu' type='raw'/><source type='unix' path='/tmp/vhost.sock'><reconnect enabled='yes' timeout='10'/></source><target dev='vdf' bus='virtio'/></disk>
      <disk type='file' device='cdrom'><target dev='hdc' bus='ide'/><readonly/></disk>
      <disk type='file' device='floppy'><target dev='fda' bus='fdc'/></disk>
      <interface type='network'><mac address='52:54:00:00:00:01'/><source network='default'/><model type='virtio'/></interface>
      <interface type='bridge'><mac address='52:54:00:00:00:02'/><source bridge='br0'/><model type='e1000'/></interface>
      <interface type='direct'><mac address='52:54:00:00:00:03'/><source dev='eth0' mode='bridge'/></interface>
      <interface type='user'><mac address='52:54:00:00:00:04'/></interface>
      <interface type='ethernet'><mac address='52:54:00:00:00:05'/><target dev='tap3' managed='no'/></interface>
      <interface type='vhostuser'><mac address='52:54:00:00:00:06'/><source type='unix' path='/tmp/vu.sock' mode='client'/><model type='virtio'/></interface>
      <interface type='udp'><mac address='52:54:00:00:00:07'/><source address='127.0.0.1' port='1234'><local address='127.0.0.1' port='5678'/></source></interface>
`;
  let uri = '';

  beforeAll(async () => {
    uri = await privateTestUri('unix', {
      // many has every kind of device, bare none.
      domains: [
        { name: 'many', state: 'running', devices: DEVICES },
        { name: 'bare', state: 'shutoff' },
      ],
    });
  });

  it('lists every kind of disk source and interface as virsh does', async () => {
    await using conn = await connect(uri);
    const { live, config } = await expectSameAsVirsh(conn, uri, 'many');
    expect(live.disks.map((d) => d.type)).toEqual(expect.arrayContaining(['file', 'block', 'dir', 'network', 'volume', 'nvme', 'vhostuser']));
    expect(live.disks.find((d) => d.type === 'nvme')?.source).toBe('nvme://0001:3b:1f.5/3');
    expect(
      live.disks
        .filter((d) => d.source === null)
        .map((d) => d.target)
        .sort(),
    ).toEqual(['fda', 'hdc']);
    expect(live.nics.map((n) => n.type)).toEqual(['network', 'bridge', 'direct', 'user', 'ethernet', 'vhostuser', 'udp']);
    expect(config.disks).toHaveLength(live.disks.length);
  });

  it('lists nothing for a domain without devices, as virsh does', async () => {
    await using conn = await connect(uri);
    const { live, config } = await expectSameAsVirsh(conn, uri, 'bare');
    expect([live, config]).toEqual([
      { disks: [], nics: [] },
      { disks: [], nics: [] },
    ]);
  });
});
