/**
 * tsvirsh against virsh for the storage, network, interface, node device and
 * host commands: the same command lines on the same private test-driver state
 * give the same stdout, stderr and exit status. Every run opens its own
 * connection and the test driver loads the node file afresh for each, so
 * every command line starts from the same state. No output is normalised:
 * none of these commands prints anything time-varying.
 */
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { chownToTestUser } from '../../harness/daemon.js';
import { harnessDaemon } from './env.js';
import { ours, theirs } from './virsh-diff.js';

let uri = '';
let dir = '';

/** test:///default's network and pool, with two volumes in the pool and a host interface. */
const NODE = `<?xml version='1.0'?>
<node>
  <cpu><mhz>4000</mhz><model>i686</model><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>2</threads><active>4</active></cpu>
  <memory>8388608</memory>
  <network>
    <name>default</name>
    <uuid>dd8fe884-6c02-601e-7551-cca97df1c5df</uuid>
    <bridge name='virbr0'/>
    <forward/>
    <ip address='192.168.122.1' netmask='255.255.255.0'><dhcp><range start='192.168.122.2' end='192.168.122.254'/></dhcp></ip>
  </network>
  <pool type='dir'>
    <name>default-pool</name>
    <uuid>dfe224cb-28fb-8dd0-c4b2-64eb3f0f4566</uuid>
    <target><path>/default-pool</path></target>
    <volume><name>disk1.img</name><capacity unit='MiB'>64</capacity><allocation unit='MiB'>16</allocation></volume>
    <volume><name>Alpha.img</name><capacity unit='GiB'>2</capacity><allocation>0</allocation></volume>
  </pool>
  <pool type='dir'>
    <name>second</name>
    <uuid>35bb2ad9-388a-cdfe-461a-b8907f6e53fe</uuid>
    <target><path>/second</path></target>
  </pool>
  <interface type="ethernet" name="eth1">
    <start mode="onboot"/>
    <mac address="aa:bb:cc:dd:ee:ff"/>
    <mtu size="1492"/>
    <protocol family="ipv4"><ip address="192.168.0.5" prefix="24"/><route gateway="192.168.0.1"/></protocol>
  </interface>
</node>
`;

beforeAll(async () => {
  const d = await harnessDaemon();
  const nodes = join(d.dir, 'nodes');
  mkdirSync(nodes, { recursive: true, mode: 0o755 });
  chownToTestUser(nodes);
  const file = join(nodes, `storage-${process.pid}.xml`);
  writeFileSync(file, NODE);
  chmodSync(file, 0o644);
  chownToTestUser(file);
  uri = d.testDriverUri(file, 'unix');
  dir = mkdtempSync(join(tmpdir(), 'lvrpc-cli-storage-'));
  writeFileSync(join(dir, 'pool.xml'), "<pool type='dir'><name>newp</name><target><path>/newp</path></target></pool>\n");
  writeFileSync(join(dir, 'net.xml'), "<network><name>newnet</name><bridge name='virbr9'/><ip address='192.168.150.1' netmask='255.255.255.0'/></network>\n");
  writeFileSync(join(dir, 'vol.xml'), "<volume><name>fromfile.img</name><capacity unit='MiB'>8</capacity></volume>\n");
});

const POOL_UUID = 'dfe224cb-28fb-8dd0-c4b2-64eb3f0f4566';
const NET_UUID = 'dd8fe884-6c02-601e-7551-cca97df1c5df';

/** Command lines; `@` stands for the dir of XML files. */
const SAME: string[][] = [
  // pools
  ['pool-list', '--details', '--all'],
  ['pool-list', '--name'],
  ['pool-list', '--uuid', '--name', '--all'],
  ['pool-list', '--uuid'],
  ['pool-list', '--details', '--name'],
  ['pool-list', '--transient'],
  ['pool-list', '--persistent', '--details'],
  ['-q', 'pool-list', '--details'],
  ['pool-uuid', 'default-pool'],
  ['pool-uuid', POOL_UUID],
  ['pool-name', POOL_UUID],
  ['pool-name', 'nope'],
  ['pool-name', 'dfe224cb-28fb-8dd0-c4b2-64eb3f0f4567'],
  ['pool-define-as', 'p1', 'dir', '--target', '/tmp/p1'],
  ['pool-define-as', 'p1', 'dir'],
  ['pool-define-as', 'p1', 'bogus', '--target', '/x'],
  ['pool-define-as', 'p1', 'netfs', '--source-host', 'h', '--source-path', '/s', '--source-dev', '/d', '--source-name', 'n', '--source-format', 'nfs', '--target', '/t', '--print-xml'],
  ['pool-define-as', '--name', 'p3', '--type', 'dir', '--target', '/t'],
  ['pool-create-as', 'p1', 'dir', '--target', '/tmp/p1'],
  ['pool-create-as', 'p1'],
  ['pool-create-as', 'p2', 'dir', '--target', '/tmp/p2', '--build'],
  ['pool-create-as', 'p2', 'dir', '--target', '/tmp/p2', '--overwrite', '--no-overwrite'],
  ['pool-create-as', 'default-pool', 'dir', '--target', '/x'],
  ['pool-define', '@/pool.xml'],
  ['pool-create', '@/pool.xml'],
  ['pool-create', '@/pool.xml', '--overwrite', '--no-overwrite'],
  ['pool-create', '@/missing.xml'],
  ['pool-start', 'default-pool'],
  ['pool-start', 'nope'],
  ['pool-start', 'default-pool', '--overwrite', '--no-overwrite'],
  ['pool-destroy', 'default-pool'],
  ['pool-destroy', POOL_UUID],
  ['-q', 'pool-destroy', 'default-pool'],
  ['pool-undefine', 'default-pool'],
  ['pool-refresh', 'default-pool'],
  ['pool-build', 'default-pool'],
  ['pool-build', 'default-pool', '--overwrite', '--no-overwrite'],
  ['pool-delete', 'second'],
  ['pool-autostart', 'default-pool'],
  ['pool-autostart', '--disable', 'second'],
  ['-q', 'pool-autostart', 'default-pool'],
  // volumes
  ['vol-list', 'default-pool', '--details'],
  ['vol-list', 'default-pool'],
  ['vol-list', 'second', '--details'],
  ['-q', 'vol-list', 'default-pool', '--details'],
  ['vol-info', 'disk1.img', '--pool', 'default-pool'],
  ['vol-info', '/default-pool/disk1.img', '--bytes'],
  ['vol-info', 'nope'],
  ['vol-info', 'nope', '--pool', 'default-pool'],
  ['vol-info', 'x', '--pool', 'nope'],
  ['vol-dumpxml', '--pool', 'default-pool', 'disk1.img'],
  ['vol-path', 'disk1.img', '--pool', 'default-pool'],
  ['vol-key', 'Alpha.img', '--pool', POOL_UUID],
  ['vol-name', '/default-pool/disk1.img'],
  ['vol-name', 'disk1.img'],
  ['vol-pool', '/default-pool/disk1.img'],
  ['vol-pool', '/default-pool/disk1.img', '--uuid'],
  ['vol-delete', 'disk1.img', '--pool', 'default-pool'],
  ['vol-delete', '/default-pool/Alpha.img'],
  ['vol-delete', 'nope', '--pool', 'default-pool'],
  ['-q', 'vol-delete', 'disk1.img', '--pool', 'default-pool'],
  ['vol-wipe', 'disk1.img', '--pool', 'default-pool'],
  ['vol-create-as', 'default-pool', 'v1', '10M'],
  ['vol-create-as', 'default-pool', 'v1', '10M', '--allocation', '1M', '--format', 'raw', '--print-xml'],
  ['vol-create-as', 'default-pool', 'v1', '10X'],
  ['vol-create-as', 'default-pool', 'v', 'abc'],
  ['vol-create-as', 'default-pool', 'v', '1TB', '--print-xml'],
  ['vol-create-as', 'default-pool', 'v', '3KiB', '--print-xml'],
  ['vol-create-as', 'default-pool', 'v', '-1', '--print-xml'],
  ['vol-create-as', 'default-pool', 'v', '20000000E', '--print-xml'],
  ['vol-create-as', 'default-pool', 'disk1.img', '1G'],
  ['vol-create-as', 'nope', 'v1', '10M'],
  ['vol-create', 'default-pool', '@/vol.xml'],
  ['vol-create', 'default-pool', '@/pool.xml'],
  // networks
  ['net-list', '--table'],
  ['net-list', '--name', '--all'],
  ['net-list', '--uuid'],
  ['net-list', '--uuid', '--name'],
  ['net-list', '--table', '--name'],
  ['net-list', '--persistent'],
  ['net-list', '--transient', '--all'],
  ['net-list', '--autostart'],
  ['-q', 'net-list', '--all'],
  ['net-uuid', 'default'],
  ['net-uuid', 'nonet'],
  ['net-uuid', NET_UUID],
  ['net-name', NET_UUID],
  ['net-name', 'default'],
  ['net-destroy', NET_UUID],
  ['-q', 'net-destroy', 'default'],
  ['net-undefine', 'default'],
  ['net-undefine', 'nonet'],
  ['net-autostart', 'default'],
  ['net-autostart', '--disable', 'default'],
  ['-q', 'net-autostart', 'default'],
  ['net-define', '@/net.xml'],
  ['net-define', '@/net.xml', '--validate'],
  ['net-create', '@/net.xml'],
  ['net-define', '@/pool.xml'],
  ['net-create', '@/vol.xml', '--validate'],
  ['net-define', '@/missing.xml'],
  // interfaces, node devices, host
  ['iface-mac', 'eth1'],
  ['iface-mac', 'nope'],
  ['iface-name', 'aa:bb:cc:dd:ee:ff'],
  ['iface-name', 'eth1'],
  ['iface-dumpxml', 'eth1'],
  ['iface-dumpxml', 'aa:bb:cc:dd:ee:ff'],
  ['iface-dumpxml', 'eth1', '--inactive'],
  ['iface-dumpxml', 'nope'],
  ['nodedev-dumpxml', 'computer'],
  ['maxvcpus'],
  ['maxvcpus', '--type', 'test'],
  ['cpu-models', 'x86_64'],
  ['cpu-models', 'bogus'],
  ['cpu-models'],
];

describe('tsvirsh storage, network, interface and host commands match virsh', () => {
  it.each(SAME.map((a) => [a.join(' '), a] as const))('%s', async (_label, args) => {
    const full = ['-c', uri, ...args.map((a) => a.replace(/^@/, dir))];
    const [a, b] = await Promise.all([ours(full), theirs(full)]);
    expect(a).toEqual(b);
  });
});
