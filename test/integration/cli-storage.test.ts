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
import { ours, theirs, type Outcome } from './virsh-diff.js';

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
  // pool-list --type: a comma list of pool types, checked after --all/--inactive and before --details/--uuid
  ['pool-list', '--type', 'dir', '--all'],
  ['pool-list', '--type', 'netfs,logical'],
  ['pool-list', '--type', 'dir,,logical', '--all'],
  ['pool-list', '--type', 'dir,', '--all'],
  ['pool-list', '--type', 'bogus'],
  ['pool-list', '--type', ''],
  ['pool-list', '--type', 'dir', '--name', '--all'],
  ['pool-list', '--type', 'dir', '--details', '--all'],
  ['pool-list', '--type', 'bogus', '--details', '--uuid'],
  ['pool-list', '--type', '', '--details', '--uuid'],
  ['pool-list', '--all', '--inactive', '--type', 'bogus'],
  ['pool-list', '--type', 'dir', '--type', 'fs'],
  ['pool-define-as lv logical --source-name vg --target /dev/vg; pool-list --all --type logical,dir --details; pool-list --type logical --inactive'],
  ['pool-uuid', 'default-pool'],
  ['pool-uuid', POOL_UUID],
  ['pool-name', POOL_UUID],
  ['pool-name', 'nope'],
  ['pool-name', 'dfe224cb-28fb-8dd0-c4b2-64eb3f0f4567'],
  ['pool-define-as', 'p1', 'dir', '--target', '/tmp/p1'],
  ['pool-define-as', 'p1', 'dir'],
  ['pool-define-as', 'p1', 'bogus', '--target', '/x'],
  [
    'pool-define-as',
    'p1',
    'netfs',
    '--source-host',
    'h',
    '--source-path',
    '/s',
    '--source-dev',
    '/d',
    '--source-name',
    'n',
    '--source-format',
    'nfs',
    '--target',
    '/t',
    '--print-xml',
  ],
  ['pool-define-as', '--name', 'p3', '--type', 'dir', '--target', '/t'],
  // every source option (virshBuildPoolXML), by name and by position, and what virsh leaves out
  ['pool-define-as', 'p1', 'netfs', '--print-xml', 'h', '/s', '/d', 'n', '/t', 'nfs', 'chap', 'u', 'usage1'],
  [
    'pool-define-as',
    'p1',
    'iscsi',
    'h',
    '--print-xml',
    '--source-dev',
    'iqn.2013-06.com.example:t',
    '--source-initiator',
    'iqn.x:init',
    '--auth-type',
    'chap',
    '--auth-username',
    'me',
    '--secret-uuid',
    '2a8b6c3e-1111-4d2e-9f00-123456789abc',
  ],
  ['pool-define-as', 'p1', 'rbd', '--source-host', 'mon', '--source-name', 'rbdpool', '--auth-type', 'ceph', '--auth-username', 'admin', '--print-xml'],
  ['pool-define-as', 'p1', 'rbd', '--source-name', 'rbdpool', '--auth-type', 'ceph', '--secret-usage', 'u', '--print-xml'],
  ['pool-define-as', 'p1', 'scsi', '--adapter-name', 'host0', '--target', '/dev/disk/by-path', '--print-xml'],
  ['pool-define-as', 'p1', 'scsi', '--adapter-wwnn', '20000000c9831b4b', '--adapter-wwpn', '10000000c9831b4b', '--adapter-name', 'host0', '--print-xml'],
  [
    'pool-define-as',
    'p1',
    'scsi',
    '--adapter-wwnn',
    'a',
    '--adapter-wwpn',
    'b',
    '--adapter-parent',
    'scsi_host5',
    '--adapter-parent-wwnn',
    'c',
    '--adapter-parent-wwpn',
    'd',
    '--print-xml',
  ],
  [
    'pool-define-as',
    'p1',
    'scsi',
    '--adapter-wwnn',
    'a',
    '--adapter-wwpn',
    'b',
    '--adapter-parent-wwnn',
    'c',
    '--adapter-parent-wwpn',
    'd',
    '--adapter-parent-fabric-wwn',
    'e',
    '--print-xml',
  ],
  [
    'pool-define-as',
    'p1',
    'scsi',
    '--adapter-wwnn',
    'a',
    '--adapter-wwpn',
    'b',
    '--adapter-parent-wwnn',
    'c',
    '--adapter-parent-fabric-wwn',
    'e',
    '--print-xml',
  ],
  ['pool-define-as', 'p1', 'scsi', '--adapter-wwnn', 'a', '--adapter-parent', 'scsi_host5', '--print-xml'],
  [
    'pool-define-as',
    'p1',
    'netfs',
    '--source-host',
    'nfs.example',
    '--source-path',
    '/export',
    '--source-protocol-ver',
    '4',
    '--target',
    '/mnt',
    '--print-xml',
  ],
  ['pool-define-as', 'p1', 'netfs', '--source-protocol-ver', '3', '--print-xml'],
  ['pool-define-as', 'p1', 'dir', '--target', "/a'b<c>&", '--print-xml'],
  ['pool-define-as', 'p1', 'dir', '--secret-usage', 'a', '--secret-uuid', 'b', '--print-xml'],
  ['pool-define-as', 'p1', 'dir', '--source-host', '', '--print-xml'],
  ['pool-define-as', 'p1', 'dir', '--adapter-parent-fabric-wwn', ''],
  ['pool-define-as', '', 'dir', '--print-xml'],
  ['pool-define-as', 'p1', '', '--print-xml'],
  ['pool-define-as', 'p1', 'dir', '--target', '/a', '--target', '/b'],
  ['pool-define-as', 'p1', 'dir', 'h', '--source-host', 'x'],
  ['pool-define-as', 'p1', 'dir', ...Array.from({ length: 19 }, (_, i) => `v${i}`)],
  ['pool-define-as', 'p1', 'netfs', 'h', '/s', '--target', '/t'],
  ['pool-define-as p1 netfs nfs.example /export --target /t --source-format nfs; pool-dumpxml p1 --inactive; pool-list --all --type netfs'],
  ['pool-create-as', 'p2', 'logical', '--source-name', 'vg', '--target', '/dev/vg', '--print-xml', '--build'],
  ['pool-create-as', 'p2', 'dir', '--print-xml', '--overwrite', '--no-overwrite', '--secret-usage', 'a', '--secret-uuid', 'b'],
  ['pool-create-as', 'p2', 'dir', '', '/s', '--print-xml'],
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
  ['vol-info', 'disk1.img', 'default-pool'],
  ['vol-info', 'disk1.img', 'default-pool', '--physical'],
  ['vol-info', 'disk1.img', '--pool', 'default-pool', '--physical', '--bytes'],
  ['vol-info', 'disk1.img', 'default-pool', '--pool', 'second'],
  ['vol-path', 'disk1.img', 'default-pool'],
  ['vol-dumpxml', 'disk1.img', 'default-pool', '--xpath', '//capacity'],
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
  ['vol-wipe', 'disk1.img', 'default-pool', 'zero'],
  ['vol-wipe', 'disk1.img', '--pool', 'default-pool', '--algorithm', 'nnsa'],
  ['vol-wipe', 'disk1.img', '--pool', 'default-pool', '--algorithm', 'bogus'],
  ['vol-wipe', 'disk1.img', '--pool', 'default-pool', '--algorithm', ''],
  ['vol-wipe', 'nope', '--pool', 'default-pool', '--algorithm', 'bogus'],
  ['vol-delete', 'disk1.img', 'default-pool'],
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
  // --backing-vol: by name in the pool, by key, by path (virsh writes its path), and the rest of vol-create-as's page by position
  ['vol-create-as', 'default-pool', 'v2', '10M', '--format', 'qcow2', '--backing-vol', 'disk1.img', '--backing-vol-format', 'raw', '--print-xml'],
  ['vol-create-as', 'default-pool', 'v2', '10M', '--backing-vol', '/default-pool/Alpha.img', '--print-xml'],
  ['vol-create-as', 'second', 'v2', '10M', '--backing-vol', '/default-pool/disk1.img', '--backing-vol-format', 'qcow2', '--print-xml'],
  ['vol-create-as', 'default-pool', 'v2', '10M', '--backing-vol', 'nope', '--print-xml'],
  ['vol-create-as', 'default-pool', 'v2', '10M', '--backing-vol-format', 'raw', '--print-xml'],
  ['vol-create-as', 'default-pool', 'v2', '10M', '--backing-vol', '', '--print-xml'],
  ['vol-create-as', 'default-pool', 'v2', '10M', '--backing-vol', 'disk1.img', '--backing-vol-format', ''],
  ['vol-create-as', 'default-pool', 'v2', '10M', '1M', 'qcow2', 'disk1.img', 'raw', '--print-xml'],
  ['vol-create-as', 'default-pool', 'v2', '10M', '1M', 'qcow2', 'disk1.img', 'raw', 'extra'],
  ['vol-create-as', 'default-pool', 'v2', '10M', '--allocation', '', '--print-xml'],
  ['vol-create-as', 'default-pool', 'v2', '10M', '--format', ''],
  ['vol-create-as', 'default-pool', '', '10M'],
  ['vol-create-as', '', 'v2', '10M'],
  ['vol-create-as', 'default-pool', 'v2', '10M', '--allocation', '1M', '--allocation', '2M'],
  ['vol-create-as default-pool v2 10M --backing-vol disk1.img --format qcow2; vol-dumpxml v2 default-pool'],
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

/*
 * vol-upload and vol-download on the QEMU session daemon's storage: a dir pool
 * in a directory the daemon's user owns. Each transfer is made once by tsvirsh
 * and once by virsh (on twin volumes or files), their stdout, stderr and exit
 * status compared, and what one tool uploaded is downloaded by the other: the
 * files must be byte-identical. Nothing is normalised.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, ftruncateSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { afterAll } from 'vitest';
import { connect, type Connection } from '../../src/index.js';
import type { RemoteNonnullStoragePool } from '../../src/protocol.js';
import { createDirPool, type DirPool } from './dir-pool.js';

describe('tsvirsh vol-upload and vol-download match virsh', () => {
  const MiB = 1024 * 1024;
  const tag = randomBytes(3).toString('hex');
  const poolName = `cli-xfer-${tag}`;
  let sessionUri = '';
  let conn: Connection;
  let pool: RemoteNonnullStoragePool;
  let dirPool: DirPool | undefined;
  let _poolDir = '';
  let files = '';

  const createVol = (name: string, capacity: number, allocation = capacity): Promise<unknown> =>
    conn.raw.storageVolCreateXML(
      pool,
      `<volume><name>${name}</name><capacity unit='bytes'>${capacity}</capacity>` +
        `<allocation unit='bytes'>${allocation}</allocation><target><format type='raw'/></target></volume>`,
      0,
    );

  /** Both tools with the same arguments (`@` stands for the files dir); their outcomes must be equal. */
  async function same(args: string[]): Promise<void> {
    const full = ['-c', sessionUri, ...args.map((a) => a.replace(/^@/, files))];
    const [a, b] = await Promise.all([ours(full), theirs(full)]);
    expect(a).toEqual(b);
  }

  /** tsvirsh with `ourArgs`, virsh with `theirArgs`: both must succeed alike. */
  async function pair(ourArgs: string[], theirArgs: string[]): Promise<void> {
    const fix = (args: string[]): string[] => ['-c', sessionUri, ...args.map((a) => a.replace(/^@/, files))];
    const [a, b] = await Promise.all([ours(fix(ourArgs)), theirs(fix(theirArgs))]);
    expect(a).toEqual(b);
    expect(a).toEqual({ stdout: '\n', stderr: '', status: 0 });
  }

  beforeAll(async () => {
    const d = await harnessDaemon();
    sessionUri = d.uris.qemuSessionUnix;
    conn = await connect(sessionUri);
    dirPool = await createDirPool(conn, d.dir, poolName);
    ({ pool, dir: _poolDir } = dirPool);
    files = mkdtempSync(join(tmpdir(), 'lvrpc-cli-xfer-'));
    for (const v of ['ours', 'theirs']) {
      await createVol(`full-${v}.img`, 3 * MiB);
      await createVol(`part-${v}.img`, 3 * MiB);
      await createVol(`sparse-${v}.img`, 4 * MiB, 0);
    }
    writeFileSync(join(files, 'src.bin'), randomBytes(3 * MiB));
    writeFileSync(join(files, 'chunk.bin'), randomBytes(MiB));
    // Data, a 2 MiB run of zeros, data.
    writeFileSync(join(files, 'holey.bin'), Buffer.concat([randomBytes(MiB), Buffer.alloc(2 * MiB), randomBytes(MiB)]));
  });

  afterAll(async () => {
    try {
      await dirPool?.remove();
    } finally {
      await conn?.close();
      if (files) rmSync(files, { recursive: true, force: true });
    }
  });

  const read = (name: string): Buffer => readFileSync(join(files, name));

  it('uploads 3 MiB and downloads it with the other tool, byte-identical', async () => {
    await pair(['vol-upload', 'full-ours.img', '@/src.bin', '--pool', poolName], ['vol-upload', 'full-theirs.img', '@/src.bin', '--pool', poolName]);
    // What virsh uploaded, tsvirsh downloads, and the other way round.
    await pair(
      ['vol-download', 'full-theirs.img', '@/got-ours.bin', '--pool', poolName],
      ['vol-download', 'full-ours.img', '@/got-theirs.bin', '--pool', poolName],
    );
    expect(read('got-ours.bin').equals(read('src.bin'))).toBe(true);
    expect(read('got-theirs.bin').equals(read('src.bin'))).toBe(true);
  });

  it('--offset and --length', async () => {
    const chunkArgs = (v: string): string[] => [
      'vol-upload',
      '--pool',
      poolName,
      `part-${v}.img`,
      '@/chunk.bin',
      '--offset',
      String(MiB),
      '--length',
      String(MiB),
    ];
    await pair(chunkArgs('ours'), chunkArgs('theirs'));
    const down = (v: string, out: string): string[] => [
      'vol-download',
      `part-${v}.img`,
      `@/${out}`,
      '--pool',
      poolName,
      '--offset',
      String(MiB),
      '--length',
      String(MiB),
    ];
    await pair(down('theirs', 'part-ours.bin'), down('ours', 'part-theirs.bin'));
    expect(read('part-ours.bin').equals(read('chunk.bin'))).toBe(true);
    expect(read('part-theirs.bin').equals(read('chunk.bin'))).toBe(true);
    // The whole volume: zeros around the chunk.
    await pair(
      ['vol-download', 'part-theirs.img', '@/whole-ours.bin', '--pool', poolName],
      ['vol-download', 'part-ours.img', '@/whole-theirs.bin', '--pool', poolName],
    );
    const expected = Buffer.concat([Buffer.alloc(MiB), read('chunk.bin'), Buffer.alloc(MiB)]);
    expect(read('whole-ours.bin').equals(expected)).toBe(true);
    expect(read('whole-theirs.bin').equals(expected)).toBe(true);
  });

  it('--sparse', async () => {
    await pair(
      ['vol-upload', 'sparse-ours.img', '@/holey.bin', '--pool', poolName, '--sparse'],
      ['vol-upload', 'sparse-theirs.img', '@/holey.bin', '--pool', poolName, '--sparse'],
    );
    await pair(
      ['vol-download', 'sparse-theirs.img', '@/sparse-ours.bin', '--pool', poolName, '--sparse'],
      ['vol-download', 'sparse-ours.img', '@/sparse-theirs.bin', '--pool', poolName, '--sparse'],
    );
    expect(read('sparse-ours.bin').equals(read('holey.bin'))).toBe(true);
    expect(read('sparse-theirs.bin').equals(read('holey.bin'))).toBe(true);
  });

  it('--sparse from a file with real holes (virsh seeks over them, tsvirsh reads them with O_DIRECT)', async () => {
    // 1 MiB of data, a 2 MiB hole, 1 MiB of data: made with ftruncate, so the file system has the hole.
    const fd = openSync(join(files, 'holes.bin'), 'w');
    ftruncateSync(fd, 4 * MiB);
    writeSync(fd, randomBytes(MiB), 0, MiB, 0);
    writeSync(fd, randomBytes(MiB), 0, MiB, 3 * MiB);
    closeSync(fd);
    expect(statSync(join(files, 'holes.bin')).blocks * 512).toBeLessThan(4 * MiB);
    await pair(
      ['vol-upload', 'sparse-ours.img', '@/holes.bin', '--pool', poolName, '--sparse'],
      ['vol-upload', 'sparse-theirs.img', '@/holes.bin', '--pool', poolName, '--sparse'],
    );
    await pair(
      ['vol-download', 'sparse-theirs.img', '@/holes-ours.bin', '--pool', poolName, '--sparse'],
      ['vol-download', 'sparse-ours.img', '@/holes-theirs.bin', '--pool', poolName, '--sparse'],
    );
    expect(read('holes-ours.bin').equals(read('holes.bin'))).toBe(true);
    expect(read('holes-theirs.bin').equals(read('holes.bin'))).toBe(true);
  });

  it.each([
    ['vol-upload', 'full-ours.img', '@/missing.bin', '--pool', '%'],
    ['vol-upload', 'nope.img', '@/src.bin', '--pool', '%'],
    ['vol-upload', 'nope.img', '@/missing.bin'],
    ['vol-upload', 'full-ours.img', '@/src.bin', '--pool', 'nopool'],
    ['vol-upload', 'full-ours.img', '@/src.bin', '--pool', '%', '--offset', 'abc'],
    ['vol-upload', 'full-ours.img', '@/src.bin', '--pool', '%', '--offset', '-1'],
    ['vol-upload', 'full-ours.img', '--pool', '%'],
    ['vol-download', 'nope.img', '@/x.bin', '--pool', '%'],
    ['vol-download', 'full-ours.img', '/nonexistent-dir/x.bin', '--pool', '%'],
    ['vol-download', 'full-ours.img', '@/y.bin', '--pool', '%', '--length', 'x'],
    ['vol-download', 'full-ours.img'],
    ['vol-upload', 'full-ours.img', '@/missing.bin', '%', '0', '5'],
    ['vol-upload', 'full-ours.img', '@/src.bin', '%', 'x'],
    ['vol-download', 'nope.img', '@/x.bin', '%', '0', '1', 'extra'],
    ['vol-download', 'full-ours.img', '@/y.bin', '%', '0', '--length', '1', '--offset', '2'],
  ])('%s %s %s', async (...args) => {
    await same(args.map((a) => (a === '%' ? poolName : a)));
  });
});

/*
 * vol-create-as --backing-vol, vol-info --physical and vol-wipe --algorithm on the QEMU session
 * daemon's dir pool, where they do real work (the test driver refuses the last two). Each command
 * line runs in tsvirsh, then in virsh (not at once: they act on the same volume), the pool put back
 * between the two; the outcomes must be equal, and what each made must be the same volume.
 */
describe('tsvirsh vol-create-as --backing-vol, vol-info --physical and vol-wipe --algorithm match virsh on a dir pool', () => {
  const MiB = 1024 * 1024;
  const poolName = `cli-volopt-${randomBytes(3).toString('hex')}`;
  let sessionUri = '';
  let conn: Connection;
  let dirPool: DirPool | undefined;

  beforeAll(async () => {
    const d = await harnessDaemon();
    sessionUri = d.uris.qemuSessionUnix;
    conn = await connect(sessionUri);
    dirPool = await createDirPool(conn, d.dir, poolName);
    const vol = (xml: string): Promise<unknown> => conn.raw.storageVolCreateXML(dirPool!.pool, xml, 0);
    // Sparse: nothing allocated, the file 4 MiB long (its physical size).
    await vol(`<volume><name>sparse.img</name><capacity>${4 * MiB}</capacity><allocation>0</allocation><target><format type='raw'/></target></volume>`);
    await vol(`<volume><name>base.img</name><capacity>${2 * MiB}</capacity><target><format type='raw'/></target></volume>`);
  });

  afterAll(async () => {
    try {
      await dirPool?.remove();
    } finally {
      await conn?.close();
    }
  });

  /** The command line in tsvirsh then virsh (`%` the pool, `@` its directory), `reset` run after each. */
  async function inTurn(line: string, reset?: () => Promise<void>): Promise<[Outcome, Outcome]> {
    const args = ['-c', sessionUri, line.replaceAll('%', poolName).replaceAll('@', dirPool!.dir)];
    const a = await ours(args);
    await reset?.();
    const b = await theirs(args);
    await reset?.();
    return [a, b];
  }

  const deleteVol = (name: string) => async (): Promise<void> => {
    const v = await conn.raw.storageVolLookupByName(dirPool!.pool, name).catch(() => null);
    if (v) await conn.raw.storageVolDelete(v, 0);
  };

  it.each([
    'vol-info sparse.img %',
    'vol-info sparse.img % --physical',
    'vol-info sparse.img --pool % --physical --bytes',
    'vol-info @/sparse.img --physical',
    'vol-wipe sparse.img %',
    'vol-wipe sparse.img % zero',
    'vol-wipe sparse.img --pool % --algorithm nnsa',
    'vol-wipe sparse.img --pool % --algorithm trim',
    'vol-wipe sparse.img --pool % --algorithm random',
    'vol-wipe sparse.img --pool % --algorithm bogus',
    'vol-create-as % v.qcow2 8M --format qcow2 --backing-vol base.img --backing-vol-format raw --print-xml',
    'vol-create-as % v.qcow2 8M --format qcow2 --backing-vol @/base.img --backing-vol-format raw; vol-dumpxml v.qcow2 % --xpath //backingStore',
    'vol-create-as % v.qcow2 8M 0 qcow2 base.img raw; vol-info v.qcow2 % --bytes; vol-info v.qcow2 % --physical --bytes',
    'vol-create-as % v.qcow2 8M --format qcow2 --backing-vol nope.img',
    'vol-create-as % v.qcow2 8M --format qcow2 --backing-vol base.img --backing-vol-format bogus',
  ])('%s', async (line) => {
    const [a, b] = await inTurn(line, deleteVol('v.qcow2'));
    expect(a).toEqual(b);
  });

  it('vol-info --physical reports the file size where the allocation is 0', async () => {
    const [a] = await inTurn('vol-info sparse.img % --physical --bytes; vol-info sparse.img % --bytes');
    expect(a.stdout).toContain(`Physical:       ${4 * MiB} bytes`);
    expect(a.stdout).toContain('Allocation:     0 bytes');
    // --json names the field as the text does (docs/tsvirsh-json.md).
    const json = await ours(['-c', sessionUri, 'vol-info', 'sparse.img', poolName, '--physical', '--json']);
    expect(JSON.parse(json.stdout)).toEqual({ name: 'sparse.img', type: 'file', capacity: 4 * MiB, physical: 4 * MiB });
  });
});
