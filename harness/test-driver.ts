/**
 * Node XML files for libvirt's test driver. A URI `test+unix:///abs/path/node.xml?socket=…`
 * makes the daemon load that file afresh for every connection, so each test gets private state.
 *
 * @module
 */
import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chownToTestUser } from './daemon.js';

/** A domain of a test-driver node. */
export interface TestDomainSpec {
  /** Domain name. */
  name: string;
  /** UUID (default: random). */
  uuid?: string;
  /** State at connection open (default `running`). */
  state?: 'running' | 'paused' | 'shutoff';
  /** Maximum memory in KiB (default 8 GiB, as test:///default's `test`). */
  memoryKiB?: number;
  /** Current memory in KiB (default 2 GiB). */
  currentMemoryKiB?: number;
  /** Virtual CPUs (default 2). */
  vcpus?: number;
  /** A transient domain (no persistent config) instead of a persistent one. */
  transient?: boolean;
  /** What this domain's `<devices>` holds, instead of {@link TestNodeOptions.domainDevices}. */
  devices?: string;
  /** More elements of the domain, placed after `<vcpu>` (for example `<maxMemory>` and a `<cpu>` with NUMA cells). */
  elements?: string;
  /** Snapshots the test driver loads with the domain: `<test:domainsnapshot>` elements (the one with `<active>1</active>` is current). */
  snapshots?: string;
  /** The domain has a managed save image (`<test:hasmanagedsave/>`). */
  managedSave?: boolean;
}

/** Options for {@link writeTestNodeXml}. */
export interface TestNodeOptions {
  /** File name inside the dir (default `node-<random>.xml`). */
  fileName?: string;
  /** Domains (default: one running `test` with test:///default's UUID, memory and vCPUs). */
  domains?: TestDomainSpec[];
  /** Include a `default` network, active, like test:///default (default true). */
  network?: boolean;
  /** Include a `default-pool` dir pool, active, like test:///default (default true). */
  pool?: boolean;
  /** Include test:///default's host interface `eth1` (ethernet, aa:bb:cc:dd:ee:ff, active) (default false). */
  interfaces?: boolean;
  /** What every domain's `<devices>` holds (default nothing); {@link TEST_GUEST_DEVICES} is a set the CLI suites use. */
  domainDevices?: string;
  /** `default-pool`'s capacity in bytes, all of it available (default: none said, which the driver reports as 0). */
  poolCapacity?: number;
  /** `default-pool`'s `<volume>` elements (default none). */
  poolVolumes?: string;
  /** The node devices: `<device>` elements (default none). */
  nodeDevices?: string;
}

/** A virtio interface on the `default` network, MAC 52:54:00:aa:bb:cc, with `target` (lines) in it. */
function networkInterface(target: string): string {
  return `      <interface type='network'>
        <mac address='52:54:00:aa:bb:cc'/>
        <source network='default'/>
${target}        <model type='virtio'/>
      </interface>
`;
}

/** Devices one by one, to make a domain's `<devices>` of ({@link TestNodeOptions.domainDevices}, {@link TestDomainSpec.devices}). */
export const TEST_DEVICE = {
  /** A virtio disk `vda` on /guest/disk1.img. */
  disk: `      <disk type='file' device='disk'>
        <source file='/guest/disk1.img'/>
        <target dev='vda' bus='virtio'/>
      </disk>
`,
  /** An IDE CD-ROM `hdc` on /dev/sr0. */
  cdrom: `      <disk type='block' device='cdrom'>
        <source dev='/dev/sr0'/>
        <target dev='hdc' bus='ide'/>
        <readonly/>
      </disk>
`,
  /** A floppy drive `fda` with no medium. */
  floppy: `      <disk type='file' device='floppy'>
        <target dev='fda' bus='fdc'/>
      </disk>
`,
  /** A virtio interface on the `default` network, MAC 52:54:00:aa:bb:cc. */
  network: networkInterface(''),
  /** The same interface with its host-side device named (`vnet0`, which domiflist shows). */
  networkVnet0: networkInterface("        <target dev='vnet0'/>\n"),
  /** A user-mode interface, MAC 52:54:00:11:22:33. */
  user: `      <interface type='user'>
        <mac address='52:54:00:11:22:33'/>
      </interface>
`,
} as const;

/** Disks (file, cdrom, floppy) and interfaces (network, user) for {@link TestNodeOptions.domainDevices}. */
export const TEST_GUEST_DEVICES = [TEST_DEVICE.disk, TEST_DEVICE.cdrom, TEST_DEVICE.floppy, TEST_DEVICE.network, TEST_DEVICE.user].join('');

/** The UUID of test:///default's `test` domain. */
export const TEST_DOMAIN_UUID = '6695eb01-f6a4-8304-79aa-97f2502e193f';

/** The default domains of {@link writeTestNodeXml}: test:///default's `test`, running. */
export const DEFAULT_TEST_DOMAINS: readonly TestDomainSpec[] = Object.freeze([{ name: 'test', uuid: TEST_DOMAIN_UUID, state: 'running' }]);

const RUNSTATE = { running: 1, paused: 3, shutoff: 5 } as const;

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');
}

function domainXml(d: TestDomainSpec, devices: string): string {
  const state = RUNSTATE[d.state ?? 'running'];
  const testState = `${d.transient ? '    <test:transient/>\n' : ''}${d.managedSave ? '    <test:hasmanagedsave/>\n' : ''}${d.snapshots ?? ''}`;
  return `  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
    <name>${xmlEscape(d.name)}</name>
    <uuid>${d.uuid ?? randomUUID()}</uuid>
    <memory unit='KiB'>${d.memoryKiB ?? 8388608}</memory>
    <currentMemory unit='KiB'>${d.currentMemoryKiB ?? 2097152}</currentMemory>
    <vcpu placement='static'>${d.vcpus ?? 2}</vcpu>
${d.elements ?? ''}    <os>
      <type arch='i686'>hvm</type>
      <boot dev='hd'/>
    </os>
    <clock offset='utc'/>
    <on_poweroff>destroy</on_poweroff>
    <on_reboot>restart</on_reboot>
    <on_crash>destroy</on_crash>
    <devices>
${d.devices ?? devices}    </devices>
    <test:runstate>${state}</test:runstate>
${testState}  </domain>
`;
}

/** The node XML text for `opts` (see {@link writeTestNodeXml}). */
export function testNodeXml(opts: TestNodeOptions = {}): string {
  const domains = opts.domains ?? DEFAULT_TEST_DOMAINS;
  const network =
    opts.network === false
      ? ''
      : `  <network>
    <name>default</name>
    <uuid>dd8fe884-6c02-601e-7551-cca97df1c5df</uuid>
    <bridge name='virbr0'/>
    <forward/>
    <ip address='192.168.122.1' netmask='255.255.255.0'>
      <dhcp>
        <range start='192.168.122.2' end='192.168.122.254'/>
      </dhcp>
    </ip>
  </network>
`;
  const poolSize =
    opts.poolCapacity === undefined
      ? ''
      : `    <capacity>${opts.poolCapacity}</capacity>\n    <allocation>0</allocation>\n    <available>${opts.poolCapacity}</available>\n`;
  const pool =
    opts.pool === false
      ? ''
      : `  <pool type='dir'>
    <name>default-pool</name>
    <uuid>dfe224cb-28fb-8dd0-c4b2-64eb3f0f4566</uuid>
${poolSize}    <target>
      <path>/default-pool</path>
    </target>
${opts.poolVolumes ?? ''}  </pool>
`;
  const iface = opts.interfaces
    ? `  <interface type="ethernet" name="eth1">
    <start mode="onboot"/>
    <mac address="aa:bb:cc:dd:ee:ff"/>
    <mtu size="1492"/>
    <protocol family="ipv4">
      <ip address="192.168.0.5" prefix="24"/>
      <route gateway="192.168.0.1"/>
    </protocol>
  </interface>
`
    : '';
  return `<?xml version='1.0'?>
<node>
  <cpu>
    <mhz>4000</mhz>
    <model>i686</model>
    <nodes>1</nodes>
    <sockets>1</sockets>
    <cores>2</cores>
    <threads>2</threads>
    <active>4</active>
  </cpu>
  <memory>8388608</memory>
${domains.map((d) => domainXml(d, opts.domainDevices ?? '')).join('')}${network}${iface}${pool}${opts.nodeDevices ?? ''}</node>
`;
}

/**
 * Writes a small test-driver node XML into `dir` (made if missing) and returns its absolute
 * path. The file (and the dir, if made here) are readable by the daemon's user: world-readable,
 * and owned by lvtest when we are root. `dir` and its ancestors must be searchable by lvtest.
 */
export function writeTestNodeXml(dir: string, opts: TestNodeOptions = {}): string {
  const abs = path.resolve(dir);
  if (!fs.existsSync(abs)) {
    fs.mkdirSync(abs, { recursive: true, mode: 0o755 });
    chownToTestUser(abs);
  }
  const file = path.join(abs, opts.fileName ?? `node-${randomBytes(6).toString('hex')}.xml`);
  fs.writeFileSync(file, testNodeXml(opts), { mode: 0o644 });
  fs.chmodSync(file, 0o644);
  chownToTestUser(file);
  return file;
}
