/**
 * tsvirsh against virsh for the node device commands, on two URIs:
 *
 * - a private test-driver node holding test:///default's devices (a computer
 *   and three SCSI hosts, two of them vHBA-capable). Every connection loads
 *   the node afresh, so both tools run each command line at once, creating
 *   and destroying devices included; command strings show that the state
 *   changed within one connection. The test driver rejects the listing flags
 *   virsh 9.0 always sends, so nodedev-list is compared failing there.
 * - the suite daemon's QEMU session URI, whose node device driver lists the
 *   host's devices: the listings, the tree and the lookups are compared on
 *   it, and the commands that would change a device only on `computer`,
 *   where the daemon refuses them.
 *
 * Nothing is normalised.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/index.js';
import { harnessDaemon, privateTestUri } from './env.js';
import { both, helpOutline } from './virsh-diff.js';

/** The node devices of test:///default. */
const DEVICES = `  <device>
    <name>computer</name>
    <capability type='system'>
      <hardware><vendor>Libvirt</vendor><version>Test driver</version><serial>123456</serial><uuid>11111111-2222-3333-4444-555555555555</uuid></hardware>
      <firmware><vendor>Libvirt</vendor><version>Test Driver</version><release_date>01/22/2007</release_date></firmware>
    </capability>
  </device>
  <device>
    <name>scsi_host1</name>
    <parent>computer</parent>
    <capability type='scsi_host'>
      <host>1</host>
      <unique_id>0</unique_id>
      <capability type='fc_host'><wwnn>2000000012341234</wwnn><wwpn>1000000012341234</wwpn><fabric_wwn>2000000043214321</fabric_wwn></capability>
      <capability type='vport_ops'><max_vports>0</max_vports><vports>0</vports></capability>
    </capability>
  </device>
  <device>
    <name>scsi_host2</name>
    <parent>computer</parent>
    <capability type='scsi_host'>
      <host>2</host>
      <unique_id>1</unique_id>
      <capability type='fc_host'><wwnn>2000000056785678</wwnn><wwpn>1000000056785678</wwpn><fabric_wwn>2000000087658765</fabric_wwn></capability>
      <capability type='vport_ops'><max_vports>0</max_vports><vports>0</vports></capability>
    </capability>
  </device>
  <device>
    <name>scsi_host11</name>
    <parent>scsi_host1</parent>
    <capability type='scsi_host'>
      <host>11</host>
      <unique_id>10</unique_id>
      <capability type='fc_host'><wwnn>2000000034563456</wwnn><wwpn>1000000034563456</wwpn><fabric_wwn>2000000043214321</fabric_wwn></capability>
    </capability>
  </device>
`;

/** A vHBA on scsi_host1, as nodedev-create takes it. */
const VHBA = `<device>
  <parent>scsi_host1</parent>
  <capability type='scsi_host'>
    <capability type='fc_host'>
      <wwnn>2000000011112222</wwnn>
      <wwpn>1000000011112222</wwpn>
    </capability>
  </capability>
</device>
`;

/** A mediated device (needs mdevctl, which the session daemon lacks). */
const MDEV = `<device>
  <parent>pci_0000_00_02_0</parent>
  <capability type='mdev'>
    <type id='nvidia-11'/>
    <uuid>d2441d39-495e-4243-ad9f-beb3f14c23d9</uuid>
  </capability>
</device>
`;

let testUri = '';
let sessionUri = '';
let dir = '';
/** A device of the session daemon other than `computer`, with a parent. */
let hostDevice = '';

beforeAll(async () => {
  sessionUri = (await harnessDaemon()).uris.qemuSessionUnix;
  testUri = await privateTestUri('unix', { nodeDevices: DEVICES });
  dir = mkdtempSync(join(tmpdir(), 'lvrpc-cli-nodedev-'));
  writeFileSync(join(dir, 'vhba.xml'), VHBA);
  writeFileSync(join(dir, 'mdev.xml'), MDEV);
  writeFileSync(join(dir, 'garbage.xml'), 'not xml\n');
  const conn = await connect(sessionUri);
  try {
    const { devices } = await conn.raw.connectListAllNodeDevices(1, 0);
    hostDevice = devices.map((x) => x.name).find((n) => n !== 'computer') ?? 'computer';
  } finally {
    await conn.close();
  }
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const WWN_PAIR = '2000000034563456,1000000034563456';

/** Command lines on the test-driver node; `@` stands for the dir of XML files. */
const ON_TEST_NODE: string[][] = [
  ['nodedev-list'],
  ['nodedev-list', '--all', '--tree'],
  ['nodedev-list', '--inactive', '--cap', 'scsi_host'],
  ['nodedev-info', 'computer'],
  ['nodedev-info', 'scsi_host11'],
  ['nodedev-info', '--device', 'scsi_host1'],
  ['nodedev-info', 'nope'],
  ['nodedev-info', ''],
  ['nodedev-info', WWN_PAIR],
  ['nodedev-info', `0x${WWN_PAIR}`],
  ['nodedev-info', 'a,b'],
  ['nodedev-info', 'a,b,c'],
  ['nodedev-info', 'a,,b'],
  ['nodedev-info', 'a,,,b'],
  ['nodedev-info', ','],
  ['nodedev-info', '2000000034563456,'],
  ['nodedev-info', '20000000345634560,1000000034563456'],
  ['nodedev-info', '2000000034563456,100000003456345x'],
  ['nodedev-dumpxml', 'computer'],
  ['nodedev-dumpxml', 'scsi_host1', '--wrap'],
  ['nodedev-dumpxml', 'scsi_host1', '--xpath='],
  ['nodedev-dumpxml', 'nope', '--xpath='],
  ['nodedev-dumpxml', 'x,y'],
  ['nodedev-dumpxml', WWN_PAIR],
  ['nodedev-destroy', 'scsi_host11'],
  ['-q', 'nodedev-destroy', 'scsi_host11'],
  ['nodedev-destroy', 'nope'],
  ['nodedev-destroy', WWN_PAIR],
  ['nodedev-destroy scsi_host11; nodedev-info scsi_host11; nodedev-info scsi_host1'],
  // --name: virsh's alias of --device.
  ['nodedev-destroy --name scsi_host11; nodedev-info scsi_host11'],
  ['nodedev-destroy', '--name', 'scsi_host11', '--device', 'scsi_host1'],
  ['nodedev-destroy', '--name=nope'],
  ['nodedev-create', '@/vhba.xml'],
  ['-q', 'nodedev-create', '@/vhba.xml'],
  ['nodedev-create @/vhba.xml; nodedev-info scsi_host12; nodedev-dumpxml scsi_host12; nodedev-create @/vhba.xml'],
  ['nodedev-create', '@/vhba.xml', '--validate'],
  ['nodedev-create', '@/garbage.xml'],
  ['nodedev-create', '@/missing.xml'],
  ['nodedev-create', ''],
  ['nodedev-define', '@/vhba.xml'],
  ['nodedev-define', '@/vhba.xml', '--validate'],
  ['nodedev-define', '@/missing.xml'],
  ['nodedev-undefine', 'scsi_host11'],
  ['nodedev-undefine', 'nope'],
  ['nodedev-start', 'scsi_host11'],
  ['nodedev-start', WWN_PAIR],
  ['nodedev-autostart', 'scsi_host11'],
  ['nodedev-autostart', '--disable', 'scsi_host11'],
  ['nodedev-autostart', ''],
  ['nodedev-detach', 'scsi_host11'],
  ['nodedev-detach', 'scsi_host11', '--driver', 'vfio'],
  ['nodedev-detach', 'scsi_host11', 'vfio'],
  ['nodedev-detach', 'scsi_host11', 'vfio', 'extra'],
  ['nodedev-detach', 'scsi_host11', '--driver='],
  ['nodedev-detach', 'nope'],
  ['nodedev-reattach', 'scsi_host11'],
  ['nodedev-reset', 'scsi_host11'],
  ['nodedev-reset', ''],
];

/** Command lines on the session daemon (`%` stands for a host device other than `computer`). */
const ON_SESSION: string[][] = [
  ['nodedev-list'],
  ['nodedev-list', '--all'],
  ['nodedev-list', '--inactive'],
  ['nodedev-list', '--tree'],
  ['nodedev-list', '--all', '--tree'],
  ['-q', 'nodedev-list', '--tree'],
  ['nodedev-list', '--cap', 'net'],
  ['nodedev-list', '--cap', 'net,pci'],
  // --cap fills by position too.
  ['nodedev-list', 'net,pci'],
  ['nodedev-list', 'system', '--all'],
  ['nodedev-list', 'net', 'extra'],
  ['nodedev-list', 'net', '--cap', 'pci'],
  ['nodedev-list', '--cap', 'system', '--all'],
  ['nodedev-list', '--cap', 'css,vdpa,ccw,mdev,mdev_types,drm,scsi_generic,vports,fc_host,storage,scsi,scsi_target,scsi_host,usb,usb_device,system'],
  ['nodedev-list', '--cap', 'ap_card,ap_queue,ap_matrix,vpd'],
  ['nodedev-list', '--cap', 'bogus'],
  ['nodedev-list', '--cap', 'net,bogus'],
  ['nodedev-list', '--cap', 'net,,pci'],
  ['nodedev-list', '--cap', ','],
  ['nodedev-list', '--cap='],
  ['nodedev-list', '--cap=', '--tree'],
  ['nodedev-list', '--cap', 'net', '--tree'],
  ['nodedev-list', '--tree', '--inactive'],
  ['nodedev-list', '--all', '--inactive'],
  ['nodedev-list', '--all', '--inactive', '--tree', '--cap', 'x'],
  ['nodedev-info', 'computer'],
  ['nodedev-info', '%'],
  ['-q', 'nodedev-info', '%'],
  ['nodedev-info', WWN_PAIR],
  ['nodedev-dumpxml', 'computer'],
  ['nodedev-dumpxml', '%', '--wrap'],
  ['nodedev-destroy', 'computer'],
  ['nodedev-undefine', 'computer'],
  ['nodedev-start', 'computer'],
  ['nodedev-autostart', 'computer'],
  ['nodedev-autostart', 'computer', '--disable'],
  ['nodedev-detach', 'computer'],
  ['nodedev-detach', 'computer', '--driver', 'xen'],
  ['nodedev-reattach', 'computer'],
  ['nodedev-reset', 'computer'],
  ['nodedev-create', '@/mdev.xml'],
  ['nodedev-define', '@/mdev.xml'],
  ['nodedev-create', '@/vhba.xml'],
];

describe('tsvirsh node device commands match virsh', () => {
  it.each(ON_TEST_NODE.map((a) => [a.join(' '), a] as const))('%s (test driver)', async (_label, args) => {
    const [a, b] = await both(['-c', testUri, ...args.map((x) => x.replaceAll('@', dir))]);
    expect(a).toEqual(b);
  });

  it.each(ON_SESSION.map((a) => [a.join(' '), a] as const))('%s (session daemon)', async (_label, args) => {
    const [a, b] = await both(['-c', sessionUri, ...args.map((x) => x.replace(/^@/, dir).replace(/^%$/, hostDevice))]);
    expect(a).toEqual(b);
  });

  it('the session tree holds every device the flat list does', async () => {
    const [[list], [tree]] = await Promise.all([both(['-c', sessionUri, '-q', 'nodedev-list']), both(['-c', sessionUri, '-q', 'nodedev-list', '--tree'])]);
    const names = list.stdout.split('\n').filter(Boolean);
    expect(names).toContain('computer');
    for (const n of names) expect(tree.stdout).toMatch(new RegExp(`(^|\\+- )${n}$`, 'm'));
  });

  it('nodedev-create adds a device and nodedev-destroy removes it (one connection)', async () => {
    const [a] = await both(['-c', testUri, `nodedev-create ${dir}/vhba.xml; nodedev-destroy scsi_host12; nodedev-info scsi_host12`]);
    expect(a.stdout).toContain('Node device scsi_host12 created from');
    expect(a.stdout).toContain("Destroyed node device 'scsi_host12'");
    expect(a.stderr).toContain("Could not find matching device 'scsi_host12'");
  });
});

describe('help for the node device commands', () => {
  it.each([
    'nodedev-list',
    'nodedev-info',
    'nodedev-create',
    'nodedev-destroy',
    'nodedev-define',
    'nodedev-undefine',
    'nodedev-start',
    'nodedev-autostart',
    'nodedev-detach',
    'nodedev-reattach',
    'nodedev-reset',
    'nodedev-dumpxml',
  ])('help %s', async (name) => {
    const [a, b] = await both(['help', name]);
    expect(helpOutline(a.stdout)).toEqual(helpOutline(b.stdout));
    expect(helpOutline(a.stdout)).toContainEqual(expect.stringMatching(/^SYNOPSIS: nodedev-/));
  });
});
