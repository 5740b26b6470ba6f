/**
 * tsvirsh against virsh for the device commands: the XML that attach-disk and
 * attach-interface write, and that detach-disk, detach-interface,
 * change-media and update-memory-device cut out of a domain's XML
 * (`--print-xml`, on the test driver), their checks and error paths, and the
 * attach/detach/update calls themselves on a real QEMU guest of the suite
 * daemon's session driver (the test driver has none of those calls, which
 * is checked too).
 *
 * Nothing is normalised: every comparison is byte for byte.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chownToTestUser } from '../../harness/daemon.js';
import { tinyGuestXml } from '../../harness/guest.js';
import { DEFAULT_TEST_DOMAINS, TEST_DEVICE } from '../../harness/test-driver.js';
import { connect } from '../../src/index.js';
import { harnessDaemon, privateTestUri } from './env.js';
import { both, ours, theirs, type Outcome } from './virsh-diff.js';

/** Disks (one with a backing chain and a serial to escape), CD-ROMs, a floppy and three interfaces for `test`. */
const DEVICES = `      <disk type='file' device='disk'>
        <driver name='qemu' type='qcow2'/>
        <source file='/guest/disk1.img'/>
        <backingStore type='file'>
          <format type='raw'/>
          <source file='/guest/base.img'/>
        </backingStore>
        <target dev='vda' bus='virtio'/>
        <serial>a&amp;b"c</serial>
      </disk>
      <disk type='block' device='cdrom'>
        <source dev='/dev/sr0' startupPolicy='optional'/>
        <target dev='hdc' bus='ide'/>
        <readonly/>
      </disk>
${TEST_DEVICE.floppy}      <disk type='file' device='cdrom'>
        <driver name='qemu' type='raw'/>
        <source file='/media/caf\u00e9 &lt;1&gt;.iso'/>
        <target dev='sdb' bus='sata'/>
        <readonly/>
      </disk>
${TEST_DEVICE.network}      <interface type='network'>
        <mac address='52:54:00:aa:bb:cd'/>
        <source network='default'/>
      </interface>
${TEST_DEVICE.user}`;

/** A NUMA guest with a DIMM and a virtio-mem device for `mem`. */
const MEMORY_DEVICES = `      <memory model='dimm'>
        <target>
          <size unit='KiB'>524288</size>
          <node>0</node>
        </target>
        <alias name='ua-dimm0'/>
      </memory>
      <memory model='virtio-mem'>
        <target>
          <size unit='KiB'>1048576</size>
          <node>0</node>
          <block unit='KiB'>2048</block>
          <requested unit='KiB'>524288</requested>
        </target>
        <alias name='ua-vmem'/>
      </memory>
`;
const NUMA = `    <maxMemory slots='16' unit='KiB'>16777216</maxMemory>
    <cpu><numa><cell id='0' cpus='0-1' memory='2097152' unit='KiB'/></numa></cpu>
`;

let uri = '';

beforeAll(async () => {
  uri = await privateTestUri('unix', {
    domains: [
      { ...DEFAULT_TEST_DOMAINS[0]!, devices: DEVICES },
      { name: 'off', state: 'shutoff' as const },
      { name: 'mem', state: 'shutoff' as const, vcpus: 2, elements: NUMA, devices: MEMORY_DEVICES },
    ],
  });
});

const PRINT_XML: string[][] = [
  // attach-disk: the XML virsh writes, and its checks
  ['attach-disk', 'test', '/x', 'vdb', '--print-xml'],
  ['attach-disk', 'nope', '/x', 'vdb', '--print-xml'],
  [
    'attach-disk',
    'test',
    '',
    'vdb',
    '--print-xml',
    '--driver',
    'qemu',
    '--subdriver',
    'raw',
    '--cache',
    'none',
    '--io',
    'native',
    '--iothread',
    '1',
    '--type',
    'cdrom',
    '--mode',
    'readonly',
    '--serial',
    'a<b',
    '--wwn',
    '0x5000c50015ea71ac',
    '--alias',
    'ua-x',
    '--address',
    'pci:0.0.a.0',
    '--multifunction',
    '--rawio',
    '--targetbus',
    'virtio',
  ],
  [
    'attach-disk',
    'test',
    `a&b'c`,
    'sda',
    '--sourcetype',
    'network',
    '--source-protocol',
    'nbd',
    '--source-host-name',
    'h:1234',
    '--address',
    'scsi:0.0.1',
    '--print-xml',
  ],
  [
    'attach-disk',
    'test',
    'vol',
    'sda',
    '--source-protocol',
    'rbd',
    '--source-host-transport',
    'unix',
    '--source-host-socket',
    '/s',
    '--print-xml',
    '--shareable',
  ],
  ['attach-disk', 'test', '/dev/null', 'hda', '--print-xml', '--address', 'ide:1.2.3', '--sourcetype', 'block'],
  ['attach-disk', 'test', '/x', 'vdb', 'virtio', 'qemu', 'qcow2', '--print-xml'],
  ['attach-disk', 'test', '/x', 'vdb', '--print-xml', '--wwn', '123'],
  ['attach-disk', 'test', '/x', 'vdb', '--print-xml', '--mode', 'foo'],
  ['attach-disk', 'test', '/x', 'vdb', '--print-xml', '--sourcetype', 'bad'],
  ['attach-disk', 'test', '/x', 'vdb', '--print-xml', '--sourcetype', 'network'],
  ['attach-disk', 'test', '/x', 'vdb', '--print-xml', '--source-host-name', 'h'],
  ['attach-disk', 'test', '/x', 'vdb', '--print-xml', '--source-host-socket', 's', '--source-protocol', 'nbd'],
  [
    'attach-disk',
    'test',
    '/x',
    'vdb',
    '--print-xml',
    '--source-host-name',
    'h',
    '--source-host-socket',
    's',
    '--source-protocol',
    'nbd',
    '--source-host-transport',
    'unix',
  ],
  ['attach-disk', 'test', '/x', 'vdb', '--print-xml', '--address', 'foo'],
  ['attach-disk', 'test', '/x', 'vdb', '--print-xml', '--address', 'pci:0.0.0'],
  ['attach-disk', 'test', '/x', 'vdb', '--print-xml', '--address', 'ide:0.0.0'],
  ['attach-disk', 'test', '/x', 'sdb', '--print-xml', '--address', 'ide:0.0.0'],
  ['attach-disk', 'test', '/x', 'sdb', '--print-xml', '--address', 'usb:1.2'],
  ['attach-disk', 'test', '/x', 'sdb', '--print-xml', '--address', 'sata:1.2.3'],
  ['attach-disk', 'test', '/x', 'hdb', '--print-xml', '--address', 'scsi:0.0.0'],
  ['attach-disk', 'test', '/x', 'xvdb', '--print-xml', '--address', 'usb:0.0'],
  ['attach-disk', 'test', '/x', 'vdb', '--print-xml', '--address', 'ccw:fe.0.1'],
  ['attach-disk', 'test', '/x', 'vdb', '--print-xml', '--address', 'pci:0x1.2.3.4x'],
  ['attach-disk', 'test', '/x', 'vdb', '--print-xml', '--address', 'ide:-1.0.0'],
  ['attach-disk', 'test', '/x', 'vdb', '--print-xml', '--persistent', '--current'],
  ['attach-disk', 'test', '/x', 'vdb', '--print-xml', '--live', '--current'],
  ['attach-disk', 'test', '/x', 'vdb', '--print-xml', '--driver', ''],
  ['attach-disk', 'test', '/x'],
  ['attach-disk', 'test', '/x', 'vdb', '--bogus'],
  // attach-interface
  ['attach-interface', 'test', 'network', 'default', '--print-xml'],
  [
    'attach-interface',
    'test',
    'bridge',
    'br0',
    '--target',
    'vnet9',
    '--mac',
    '52:54:00:00:00:01',
    '--script',
    '/s',
    '--model',
    'virtio',
    '--alias',
    'ua-n',
    '--inbound',
    '100,200,300,400',
    '--outbound',
    '10,20,30',
    '--managed',
    '--print-xml',
  ],
  ['attach-interface', 'test', 'bridge', 'br0', 'vnet9', '52:54:00:00:00:02', '--print-xml'],
  ['attach-interface', 'test', 'hostdev', '0000:00:1f.3', '--print-xml'],
  ['attach-interface', 'test', 'hostdev', 'zz', '--print-xml'],
  ['attach-interface', 'test', 'vhostuser', '/sock', '--source-mode', 'server', '--print-xml'],
  ['attach-interface', 'test', 'vhostuser', '/sock', '--print-xml'],
  ['attach-interface', 'test', 'vhostuser', '/sock', '--source-mode', 'x', '--print-xml'],
  ['attach-interface', 'test', 'user', 'x', '--print-xml'],
  ['attach-interface', 'test', 'bogus', 'x', '--print-xml'],
  ['attach-interface', 'test', 'direct', 'eth0', '--inbound', ',,5', '--print-xml'],
  ['attach-interface', 'test', 'direct', 'eth0', '--inbound', '0,,,7', '--print-xml'],
  ['attach-interface', 'test', 'direct', 'eth0', '--inbound', 'a', '--print-xml'],
  ['attach-interface', 'test', 'direct', 'eth0', '--inbound', '1,2,3,4,5', '--print-xml'],
  ['attach-interface', 'test', 'direct', 'eth0', '--outbound', '0,1', '--print-xml'],
  ['attach-interface', 'test', 'direct', 'eth0', '--outbound', '1,1,1,1', '--print-xml'],
  ['attach-interface', 'test', 'network'],
  // detach-disk: the disk as it is in the domain's XML, without its backing chain
  ['detach-disk', 'test', 'vda', '--print-xml'],
  ['detach-disk', 'test', '/dev/sr0', '--print-xml'],
  ['detach-disk', 'test', 'sdb', '--print-xml'],
  ['detach-disk', 'test', 'vda', '--config', '--print-xml'],
  ['detach-disk', 'test', 'nope', '--print-xml'],
  ['detach-disk', 'off', 'vda', '--print-xml'],
  ['detach-disk', 'nope', 'vda', '--print-xml'],
  // detach-interface
  ['detach-interface', 'test', 'network', '--print-xml'],
  ['detach-interface', 'test', 'network'],
  ['detach-interface', 'test', 'network', '--mac', '52:54:00:AA:BB:CC', '--print-xml'],
  ['detach-interface', 'test', 'network', '--mac', '52:54:0:aa:bb:cd', '--print-xml'],
  ['detach-interface', 'test', 'network', '--mac', '52:54:00:aa:bb:00', '--print-xml'],
  ['detach-interface', 'test', 'network', '--mac', '52:54:00:aa:bb:00'],
  ['detach-interface', 'test', 'bridge'],
  ['detach-interface', 'test', 'bridge', '--print-xml'],
  ['detach-interface', 'test', 'bridge', '--print-xml', '--config'],
  ['detach-interface', 'test', 'user', '--print-xml', '--config', '--live'],
  ['detach-interface', 'test', 'user', '--print-xml', '--persistent'],
  ['detach-interface', 'test', 'user', '--mac', ''],
  ['detach-interface', 'test', 'user', '--mac', '', '--print-xml'],
  ['detach-interface', 'test', 'user', '--live', '--current'],
  // change-media: the disk with its new media
  ['change-media', 'test', 'hdc', '/new.iso', '--print-xml'],
  ['change-media', 'test', 'hdc', '--eject', '--print-xml'],
  ['change-media', 'test', 'sdb', '--insert', '/x', '--block', '--print-xml'],
  ['change-media', 'test', 'sdb', '--update', `/y&'z`, '--print-xml'],
  ['change-media', 'test', 'vda', '--insert', '/x', '--print-xml'],
  ['change-media', 'test', 'hdc', '--insert', '/x', '--print-xml'],
  ['change-media', 'test', 'fda', '--eject', '--print-xml'],
  ['change-media', 'test', 'fda', '--update', '--print-xml'],
  ['change-media', 'test', 'fda', '--update', '/a', '--print-xml'],
  ['change-media', 'test', 'fda', '--print-xml'],
  ['change-media', 'test', 'hdc', '--eject', '--block'],
  ['change-media', 'test', 'hdc', '--eject', '--insert'],
  ['change-media', 'test', 'hdc', '/x'],
  ['-q', 'change-media', 'test', 'hdc', '/x'],
  // update-memory-device
  ['update-memory-device', 'mem', '--print-xml'],
  ['update-memory-device', 'mem', '--print-xml', '--alias', 'ua-vmem'],
  ['update-memory-device', 'mem', 'ua-vmem', '--print-xml'],
  ['update-memory-device', 'mem', '--print-xml', '--alias', 'ua-vmem', '--requested-size', '1G'],
  ['update-memory-device', 'mem', '--print-xml', '--alias', 'ua-vmem', '--requested-size', '1000'],
  ['update-memory-device', 'mem', '--print-xml', '--alias', 'ua-vmem', '--requested-size', '1023b'],
  ['update-memory-device', 'mem', '--print-xml', '--alias', 'ua-vmem', '--requested-size', '1x'],
  ['update-memory-device', 'mem', '--print-xml', '--alias', 'ua-vmem', '--requested-size', '18014398509481984'],
  ['update-memory-device', 'mem', '--print-xml', '--alias', 'ua-dimm0', '--requested-size', '1G'],
  ['update-memory-device', 'mem', '--print-xml', '--alias', 'nope'],
  ['update-memory-device', 'mem', '--print-xml', '--node', '0'],
  ['update-memory-device', 'mem', '--print-xml', '--node', 'x'],
  ['update-memory-device', 'mem', '--node', '0', '--alias', 'x'],
  ['update-memory-device', 'mem', '--alias', 'ua-vmem', '--requested-size', '2048'],
  ['update-memory-device', 'mem', '--alias', ''],
  ['update-memory-device', 'test', '--print-xml'],
  // the test driver has no attach/detach/update: the calls fail as virsh's do
  ['attach-disk', 'test', '/x', 'vdb'],
  ['attach-disk', 'test', '/x', 'vdb', '--persistent'],
  ['attach-interface', 'test', 'network', 'default', '--config'],
  ['detach-disk', 'test', 'vda'],
  ['detach-disk', 'test', 'vda', '--live'],
  ['detach-interface', 'test', 'user'],
  ['detach-interface', 'test', 'user', '--config', '--live'],
  ['detach-device-alias', 'test', 'ua-x'],
  ['detach-device-alias', 'test', 'ua-x', '--current', '--config'],
  ['detach-device-alias', 'nope', 'ua-x'],
  ['-q', 'detach-device-alias', 'test', 'ua-x'],
];

describe('tsvirsh device commands match virsh on the test driver', () => {
  it.each(PRINT_XML.map((a) => [a.join(' '), a] as const))('%s', async (_label, args) => {
    const [a, b] = await both(['-c', uri, ...args]);
    expect(a).toEqual(b);
  });

  it('attach-device, detach-device and update-device read the file, then fail on the test driver', async () => {
    const dir = path.join((await harnessDaemon()).dir, `cli-device-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'disk.xml');
    writeFileSync(file, "<disk type='file' device='disk'><source file='/x.img'/><target dev='vdb'/></disk>\n");
    for (const cmd of ['attach-device', 'detach-device', 'update-device']) {
      for (const extra of [[], ['--persistent'], ['--config', '--live'], ['--current'], ['--persistent', '--current']]) {
        const [a, b] = await both(['-c', uri, cmd, 'test', file, ...extra]);
        expect(a).toEqual(b);
        expect(a.status).toBe(1);
      }
      const [a, b] = await both(['-c', uri, `${cmd} test ${dir}/missing.xml; ${cmd} nope ${file}; ${cmd} test ''`]);
      expect(a).toEqual(b);
    }
  });
});

describe('tsvirsh device commands match virsh on a QEMU guest', () => {
  const NAME = 'tsvirsh-dev';
  const UUID = '3f2b8c1e-0d5a-4c7e-9b1a-6e4d2c8f0a11';
  let qemuUri = '';
  let dir = '';

  /** The guest (ACPI, for PCI hotplug) with an empty CD-ROM, defined and running from scratch. */
  async function freshGuest(): Promise<void> {
    await using conn = await connect(qemuUri);
    // Redefined in place rather than undefined: the domain stays listed for other tests of the daemon.
    const old = await conn.raw.domainLookupByName(NAME).catch(() => null);
    if (old) {
      if (await conn.raw.domainIsActive(old)) await conn.raw.domainDestroy(old);
      if (await conn.raw.domainHasManagedSaveImage(old, 0)) await conn.raw.domainManagedSaveRemove(old, 0);
    }
    const xml = tinyGuestXml(NAME, {
      uuid: UUID,
      vnc: false,
      extraDevices: "    <disk type='file' device='cdrom'><target dev='hdc' bus='ide'/><readonly/></disk>\n",
    }).replace("<clock offset='utc'/>", "<features><acpi/></features>\n  <clock offset='utc'/>");
    await conn.raw.domainCreate(await conn.raw.domainDefineXML(xml));
  }

  /** The same command line through tsvirsh and virsh, each on a fresh guest (QEMU state is shared by every connection). */
  async function onFreshGuests(args: string[]): Promise<[Outcome, Outcome]> {
    await freshGuest();
    const a = await ours(['-c', qemuUri, ...args]);
    await freshGuest();
    const b = await theirs(['-c', qemuUri, ...args]);
    return [a, b];
  }

  beforeAll(async () => {
    const d = await harnessDaemon();
    qemuUri = d.uris.qemuSessionUnix;
    dir = path.join(d.dir, `cli-device-qemu-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    chownToTestUser(dir);
    for (const f of ['d1.img', 'cd.iso']) {
      writeFileSync(path.join(dir, f), Buffer.alloc(1 << 20));
      chownToTestUser(path.join(dir, f));
    }
    writeFileSync(path.join(dir, 'nic.xml'), "<interface type='bridge'>\n  <mac address='52:54:00:12:34:56'/>\n  <source bridge='br-none'/>\n</interface>\n");
    writeFileSync(
      path.join(dir, 'cd.xml'),
      `<disk type='file' device='cdrom'>\n  <source file='${dir}/cd.iso'/>\n  <target dev='hdc' bus='ide'/>\n  <readonly/>\n</disk>\n`,
    );
  });

  afterAll(async () => {
    if (!qemuUri) return;
    await using conn = await connect(qemuUri);
    const dom = await conn.raw.domainLookupByName(NAME).catch(() => null);
    if (dom) {
      if (await conn.raw.domainIsActive(dom)) await conn.raw.domainDestroy(dom);
      await conn.raw.domainUndefine(dom).catch(() => undefined);
    }
  });

  /**
   * Command lines; `DIR` stands for the test's directory (known once the daemon is up). Live media
   * changes wait for the guest to open the tray, which an idle guest does in its own time (QEMU:
   * "Tray of device ... is not open" or not, run to run): they are made with --config here.
   */
  const LINES: string[][] = [
    [
      'attach-disk tsvirsh-dev DIR/d1.img vdb --config; dumpxml tsvirsh-dev --inactive; detach-disk tsvirsh-dev vdb --config --print-xml; detach-disk tsvirsh-dev vdb --config; detach-disk tsvirsh-dev vdb --config',
    ],
    ['attach-disk tsvirsh-dev DIR/d1.img vdb --live --alias ua-d1; domblklist tsvirsh-dev; detach-disk tsvirsh-dev vdb --print-xml'],
    ['attach-disk tsvirsh-dev DIR/d1.img vdb --persistent; domblklist tsvirsh-dev --inactive; domblklist tsvirsh-dev'],
    ['attach-disk', 'tsvirsh-dev', 'DIR/d1.img', 'vdb', '--current', '--driver', 'bogus'],
    [
      'attach-interface tsvirsh-dev bridge br0 --config --mac 52:54:00:12:34:56 --model virtio; domiflist tsvirsh-dev --inactive; detach-interface tsvirsh-dev bridge --config --print-xml; detach-interface tsvirsh-dev bridge --config; detach-interface tsvirsh-dev bridge --config',
    ],
    ['attach-interface', 'tsvirsh-dev', 'network', 'default'],
    [
      'attach-device tsvirsh-dev DIR/nic.xml --config; domiflist tsvirsh-dev --inactive; detach-device tsvirsh-dev DIR/nic.xml --config; domiflist tsvirsh-dev --inactive',
    ],
    [
      'update-device tsvirsh-dev DIR/cd.xml --config --force; domblklist tsvirsh-dev --inactive; update-device tsvirsh-dev DIR/cd.xml --config; domblklist tsvirsh-dev --inactive',
    ],
    [
      'change-media tsvirsh-dev hdc DIR/cd.iso --print-xml; change-media tsvirsh-dev hdc DIR/cd.iso --insert --config; domblklist tsvirsh-dev --inactive; change-media tsvirsh-dev hdc DIR/cd.iso --insert --config',
    ],
    [
      'change-media tsvirsh-dev hdc DIR/cd.iso --config; domblklist tsvirsh-dev --inactive; change-media tsvirsh-dev hdc --update --config --print-xml; change-media tsvirsh-dev hdc --update --config',
    ],
    ['detach-device-alias tsvirsh-dev nope; detach-device-alias tsvirsh-dev ide0-1-0 --config'],
    ['update-memory-device tsvirsh-dev; detach-disk tsvirsh-dev hdc --print-xml'],
  ];

  it.each(LINES.map((a, i) => [a.join(' '), i] as const))('%s', async (_label, i) => {
    const args = LINES[i].map((a) => a.replaceAll('DIR', dir));
    const [a, b] = await onFreshGuests(args);
    expect(a).toEqual(b);
    // The calls really happened: the attached disk shows in the domain's XML and block list.
    if (i === 0) expect(a.stdout).toContain(`<source file='${dir}/d1.img'/>`);
    if (i === 1) expect(a.stdout).toMatch(/vdb\s+\S+d1\.img/);
  });
});
