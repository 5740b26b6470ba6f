/**
 * The object API against python3-libvirt, method by method (issue 7): read-only methods of
 * every class, called through libvirt-rpc and through python3-libvirt on the same daemon, give
 * the same values after the documented conversions, and every one of our results goes through
 * `JSON.stringify`. Where python raises, ours rejects with the same libvirt error number and
 * message.
 *
 * Two tables: the test driver on a private node file (domains with devices and snapshots, a
 * network, a pool with volumes, a host interface, node devices; each connection loads the file
 * afresh, so ours and python's start from the same state), and a real TCG guest with a disk, a
 * dir pool, a secret and a network on the harness daemon's QEMU session driver.
 *
 * The conversions, python → the compared shape (see each row's `mine`/`theirs`):
 * - python's tuples and lists of a C struct's fields (`dom.info()`) ↔ our object's fields in
 *   the struct's order; python's C int booleans (`isActive()` → 1) ↔ our `boolean`s;
 * - python's dicts of typed parameters ↔ our records, as they are;
 * - python's objects ↔ ours as names (UUID strings for secrets), lists of them sorted;
 * - python's CPU maps as tuples of bools ↔ our `Uint8Array` maps unpacked bit by bit;
 * - `conn.getInfo()` gives memory in MiB (libvirt-python shifts it), ours the C API's KiB;
 * - python drops what the C API returns beside the result (`jobStats()` folds the job type into
 *   its dict, `blockJobInfo()` gives `{}` when no job runs);
 * - where libvirt-python returns the C API's error value instead of raising (`getFreeMemory()`'s
 *   0, `guestVcpus()`'s None), libvirt's last error makes it raise (`_checked`); where it makes
 *   another call first (`listSecrets()` asks virConnectNumOfSecrets), its error names that API.
 *
 * Counters that move on their own (the test driver derives its statistics from the clock, a
 * QEMU process's RSS grows) are compared as bounds: python's value lies between ours before and
 * ours after it. The QEMU guest is paused, so its CPU time and disk I/O hold still anyway.
 *
 * @module
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chownToTestUser } from '../../harness/daemon.js';
import { tinyGuestXml } from '../../harness/guest.js';
import { TEST_DEVICE, TEST_DOMAIN_UUID } from '../../harness/test-driver.js';
import { connect, type Connection, type Domain, type Network, type StoragePool, type StorageVol } from '../../src/index.js';
import { harnessDaemon, privateTestUri } from './env.js';
import { compareTable, type DiffRow, type Json, type TableReport } from './object-diff.js';

// --- conversions ---------------------------------------------------------------------------

/** A python C-int boolean (exactly 0 or 1) as ours; anything else stays as it is and differs. */
const asBool = (v: Json): Json => (v === 0 || v === 1 ? v === 1 : v);
/** Lists whose order is the daemon's hash order: compared sorted. */
const sorted = (v: Json): Json => (Array.isArray(v) ? [...v].sort() : v);
/** Our struct as python's tuple: the fields in the C struct's order. */
const fields =
  (...names: string[]) =>
  (v: Record<string, Json>): Json =>
    names.map((n) => v[n]!);
/** A CPU map's bytes as python's tuple of booleans, one per host CPU. */
const bits = (map: number[], cpus: number): boolean[] => Array.from({ length: cpus }, (_, i) => ((map[i >> 3] ?? 0) & (1 << (i & 7))) !== 0);

/** `virNodeInfo` as libvirt-python's `conn.getInfo()`: memory in MiB. */
const nodeInfo = (v: Record<string, Json>): Json => [
  v.model!,
  Math.floor((v.memory as number) / 1024),
  v.cpus!,
  v.mhz!,
  v.nodes!,
  v.sockets!,
  v.cores!,
  v.threads!,
];
const domainInfo = fields('state', 'maxMem', 'memory', 'nrVirtCpu', 'cpuTime');
const blockStats = fields('rdReq', 'rdBytes', 'wrReq', 'wrBytes', 'errs');
const ifaceStats = fields('rxBytes', 'rxPackets', 'rxErrs', 'rxDrop', 'txBytes', 'txPackets', 'txErrs', 'txDrop');
const jobInfo = fields(
  'type',
  'timeElapsed',
  'timeRemaining',
  'dataTotal',
  'dataProcessed',
  'dataRemaining',
  'memTotal',
  'memProcessed',
  'memRemaining',
  'fileTotal',
  'fileProcessed',
  'fileRemaining',
);
/** python's `jobStats()`: the parameters with the job type folded in. */
const jobStats = (v: { type: Json; params: Record<string, Json> }): Json => ({ ...v.params, type: v.type });
/** python's `vcpus()`: a tuple of (number, state, cpuTime, cpu) tuples and one of CPU maps. */
const vcpus = (v: { info: Record<string, Json>[]; cpumaps: Json[] }): Json => [v.info.map(fields('number', 'state', 'cpuTime', 'cpu')), v.cpumaps];
/** python's `blockJobInfo()`: `{}` when no job runs, else the info without `found`. */
const blockJob = (v: Record<string, Json>): Json => (v.found ? { type: v.type!, bandwidth: v.bandwidth!, cur: v.cur!, end: v.end! } : {});
/** python's `diskErrors()`: a dict of disk → error. */
const diskErrors = (v: { disk: string; error: number }[]): Json => Object.fromEntries(v.map((e) => [e.disk, e.error]));
/** python's `interfaceAddresses()`: a dict of name → { hwaddr, addrs }. */
const ifaceAddrs = (v: { name: string; hwaddr: Json; addrs: Json[] }[]): Json =>
  Object.fromEntries(v.map((i) => [i.name, { hwaddr: i.hwaddr, addrs: i.addrs }]));
/** python's `fsInfo()`: tuples of (mountpoint, name, fstype, aliases). */
const fsInfo = (v: Record<string, Json>[]): Json => v.map(fields('mountpoint', 'name', 'fstype', 'devAliases'));
/** python's `securityLabelList()`: [label, enforcing] pairs. */
const labels = (v: Record<string, Json>[]): Json => v.map(fields('label', 'enforcing'));
/** libvirt-python's `list*()` ask `virConnectNumOf*` for the count first: its error names that API. */
const numOfFirst = (m: string): string => m.replace(/virConnectNumOf(\w+)$/, 'virConnectList$1');

// --- the test driver's node ----------------------------------------------------------------

const DEVICES = TEST_DEVICE.disk + TEST_DEVICE.networkVnet0;

/** `snap1` ← `snap2` (current) on `test`, as the test driver reads them from its node file. */
const SNAPSHOTS = `    <test:domainsnapshot>
      <name>snap1</name>
      <description>first</description>
      <state>running</state>
      <creationTime>1700000000</creationTime>
      <active>0</active>
    </test:domainsnapshot>
    <test:domainsnapshot>
      <name>snap2</name>
      <state>running</state>
      <creationTime>1700000100</creationTime>
      <parent><name>snap1</name></parent>
      <active>1</active>
    </test:domainsnapshot>
`;

/** The node devices: test:///default's `computer` and the net device of its `eth1`. */
const NODE_DEVICES = `  <device>
    <name>computer</name>
    <capability type='system'>
      <hardware>
        <vendor>Libvirt</vendor>
        <version>Test driver</version>
        <serial>123456</serial>
        <uuid>11111111-2222-3333-4444-555555555555</uuid>
      </hardware>
      <firmware>
        <vendor>Libvirt</vendor>
        <version>Test Driver</version>
        <release_date>01/22/2007</release_date>
      </firmware>
    </capability>
  </device>
  <device>
    <name>net_eth1_aa_bb_cc_dd_ee_ff</name>
    <parent>computer</parent>
    <capability type='net'>
      <interface>eth1</interface>
      <address>aa:bb:cc:dd:ee:ff</address>
      <capability type='80203'/>
    </capability>
  </device>
`;

const VOLUMES = `    <volume>
      <name>vol1.img</name>
      <capacity>1000000</capacity>
      <allocation>50000</allocation>
      <target/>
    </volume>
    <volume>
      <name>big.img</name>
      <capacity unit='PiB'>4</capacity>
      <allocation>4096</allocation>
      <target/>
    </volume>
`;

/** A private test-driver node: `test` running (devices, snapshots), `idle` shut off with a managed save image. */
async function testNodeUri(): Promise<string> {
  return await privateTestUri('unix', {
    domains: [
      { name: 'test', uuid: TEST_DOMAIN_UUID, state: 'running', devices: DEVICES, snapshots: SNAPSHOTS },
      {
        name: 'idle',
        uuid: '11111111-2222-3333-4444-555555555555',
        state: 'shutoff',
        vcpus: 1,
        memoryKiB: 524288,
        currentMemoryKiB: 524288,
        managedSave: true,
      },
    ],
    interfaces: true,
    poolCapacity: 107374182400,
    poolVolumes: VOLUMES,
    nodeDevices: NODE_DEVICES,
  });
}

const TEST_SETUP = `
dom = conn.lookupByName("test")
idle = conn.lookupByName("idle")
snap1 = dom.snapshotLookupByName("snap1", 0)
snap2 = dom.snapshotLookupByName("snap2", 0)
net = conn.networkLookupByName("default")
pool = conn.storagePoolLookupByName("default-pool")
vol = pool.storageVolLookupByName("vol1.img")
big = pool.storageVolLookupByName("big.img")
dev = conn.nodeDeviceLookupByName("net_eth1_aa_bb_cc_dd_ee_ff")
root = conn.nodeDeviceLookupByName("computer")
iface = conn.interfaceLookupByName("eth1")
`;

async function testDriverRows(c: Connection): Promise<DiffRow[]> {
  const dom = await c.domainLookupByName('test');
  const idle = await c.domainLookupByName('idle');
  const snap1 = await dom.snapshotLookupByName('snap1', 0);
  const snap2 = await dom.snapshotLookupByName('snap2', 0);
  const net = await c.networkLookupByName('default');
  const pool = await c.storagePoolLookupByName('default-pool');
  const vol = await pool.storageVolLookupByName('vol1.img');
  const big = await pool.storageVolLookupByName('big.img');
  const dev = await c.nodeDeviceLookupByName('net_eth1_aa_bb_cc_dd_ee_ff');
  const root = await c.nodeDeviceLookupByName('computer');
  const iface = await c.interfaceLookupByName('eth1');
  const hostCpus = (await c.nodeGetCPUMap(0)).cpus;
  return [
    ...connectionRows(c, 'test'),
    { method: 'Connection.nodeGetCPUStats', ours: () => c.nodeGetCPUStats(-1, 0), py: 'conn.getCPUStats(-1, 0)' },
    { method: 'Connection.nodeGetMemoryStats', ours: () => c.nodeGetMemoryStats(-1, 0), py: 'conn.getMemoryStats(-1, 0)' },
    { method: 'Connection.nodeGetCellsFreeMemory', ours: () => c.nodeGetCellsFreeMemory(0, 1), py: 'conn.getCellsFreeMemory(0, 1)' },
    { method: 'Connection.nodeGetFreeMemory', ours: () => c.nodeGetFreeMemory(), py: '_checked(conn.getFreeMemory())' },
    { method: 'Connection.getStoragePoolCapabilities', ours: () => c.getStoragePoolCapabilities(0), py: 'conn.getStoragePoolCapabilities(0)' },
    { method: 'Connection.listAllInterfaces', ours: () => c.listAllInterfaces(0), py: 'conn.listAllInterfaces(0)', mine: sorted, theirs: sorted },
    { method: 'Connection.listAllNodeDevices', ours: () => c.listAllNodeDevices(0), py: 'conn.listAllDevices(0)', mine: sorted, theirs: sorted },
    { method: 'Connection.numOfInterfaces', ours: () => c.numOfInterfaces(), py: 'conn.numOfInterfaces()' },
    { method: 'Connection.listInterfaces', ours: () => c.listInterfaces(), py: 'conn.listInterfaces()', mine: sorted, theirs: sorted },
    { method: 'Connection.numOfDefinedInterfaces', ours: () => c.numOfDefinedInterfaces(), py: 'conn.numOfDefinedInterfaces()' },
    { method: 'Connection.listDefinedInterfaces', ours: () => c.listDefinedInterfaces(), py: 'conn.listDefinedInterfaces()', mine: sorted, theirs: sorted },
    { method: 'Connection.nodeNumOfDevices', ours: () => c.nodeNumOfDevices(null, 0), py: 'conn.numOfDevices(None, 0)' },
    { method: 'Connection.nodeListDevices', ours: () => c.nodeListDevices(null, 0), py: 'conn.listDevices(None, 0)', mine: sorted, theirs: sorted },
    {
      method: 'Connection.nodeListDevices',
      label: 'net',
      ours: () => c.nodeListDevices('net', 0),
      py: 'conn.listDevices("net", 0)',
      mine: sorted,
      theirs: sorted,
    },
    { method: 'Connection.domainLookupByID', ours: () => c.domainLookupByID(dom.id), py: 'conn.lookupByID(dom.ID())' },
    {
      method: 'Connection.domainListGetStats',
      ours: () => c.domainListGetStats([dom, idle], 0, 0),
      py: 'conn.domainListGetStats([dom, idle], 0, 0)',
      mine: (v: { domain: string; params: Json }[]) => v.map((r) => [r.domain, r.params]),
    },
    {
      method: 'Connection.domainLookupByUUIDString',
      ours: () => c.domainLookupByUUIDString(idle.uuidString),
      py: 'conn.lookupByUUIDString(idle.UUIDString())',
    },
    {
      method: 'Connection.networkLookupByUUIDString',
      ours: () => c.networkLookupByUUIDString(net.uuidString),
      py: 'conn.networkLookupByUUIDString(net.UUIDString())',
    },
    {
      method: 'Connection.storagePoolLookupByUUIDString',
      ours: () => c.storagePoolLookupByUUIDString(pool.uuidString),
      py: 'conn.storagePoolLookupByUUIDString(pool.UUIDString())',
    },
    {
      method: 'Connection.storagePoolLookupByTargetPath',
      ours: () => c.storagePoolLookupByTargetPath('/default-pool'),
      py: 'conn.storagePoolLookupByTargetPath("/default-pool")',
    },
    {
      method: 'Connection.storageVolLookupByPath',
      ours: () => c.storageVolLookupByPath('/default-pool/vol1.img'),
      py: 'conn.storageVolLookupByPath("/default-pool/vol1.img")',
    },
    { method: 'Connection.storageVolLookupByKey', ours: () => c.storageVolLookupByKey(vol.key), py: 'conn.storageVolLookupByKey(vol.key())' },
    {
      method: 'Connection.interfaceLookupByMACString',
      ours: () => c.interfaceLookupByMACString('aa:bb:cc:dd:ee:ff'),
      py: 'conn.interfaceLookupByMACString("aa:bb:cc:dd:ee:ff")',
    },
    { method: 'Connection.nodeDeviceLookupByName', label: 'missing', ours: () => c.nodeDeviceLookupByName('nope'), py: 'conn.nodeDeviceLookupByName("nope")' },

    ...domainRows(dom, hostCpus, 'vda', 'vnet0'),
    { method: 'Domain.getInfo', label: 'idle', ours: () => idle.getInfo(), py: 'idle.info()', mine: domainInfo, moving: true },
    { method: 'Domain.getVcpus', label: 'idle', ours: () => idle.getVcpus(), py: 'idle.vcpus()', mine: vcpus },
    { method: 'Domain.hasManagedSaveImage', label: 'idle', ours: () => idle.hasManagedSaveImage(0), py: 'idle.hasManagedSaveImage(0)', theirs: asBool },
    { method: 'Domain.getVcpuPinInfo', label: 'idle config', ours: () => idle.getVcpuPinInfo(2), py: 'idle.vcpuPinInfo(2)' },
    { method: 'Domain.blockStats', label: 'missing', ours: () => dom.blockStats('nope'), py: 'dom.blockStats("nope")' },
    { method: 'Domain.blockStatsFlags', ours: () => dom.blockStatsFlags('vda', 0), py: 'dom.blockStatsFlags("vda", 0)', moving: true },
    { method: 'Domain.listAllSnapshots', ours: () => dom.listAllSnapshots(0), py: 'dom.listAllSnapshots(0)', mine: sorted, theirs: sorted },
    { method: 'Domain.snapshotNum', ours: () => dom.snapshotNum(0), py: 'dom.snapshotNum(0)' },
    { method: 'Domain.snapshotListNames', ours: () => dom.snapshotListNames(0), py: 'dom.snapshotListNames(0)', mine: sorted, theirs: sorted },
    { method: 'Domain.hasCurrentSnapshot', ours: () => dom.hasCurrentSnapshot(0), py: 'dom.hasCurrentSnapshot(0)', theirs: asBool },
    { method: 'Domain.snapshotCurrent', ours: () => dom.snapshotCurrent(0), py: 'dom.snapshotCurrent(0)' },
    { method: 'Domain.snapshotLookupByName', ours: () => dom.snapshotLookupByName('snap1', 0), py: 'dom.snapshotLookupByName("snap1", 0)' },
    { method: 'Domain.snapshotLookupByName', label: 'missing', ours: () => dom.snapshotLookupByName('nope', 0), py: 'dom.snapshotLookupByName("nope", 0)' },

    { method: 'DomainSnapshot.getXMLDesc', ours: () => snap2.getXMLDesc(0), py: 'snap2.getXMLDesc(0)' },
    { method: 'DomainSnapshot.getParent', ours: () => snap2.getParent(0), py: 'snap2.getParent(0)' },
    { method: 'DomainSnapshot.getParent', label: 'root', ours: () => snap1.getParent(0), py: 'snap1.getParent(0)' },
    { method: 'DomainSnapshot.numChildren', ours: () => snap1.numChildren(0), py: 'snap1.numChildren(0)' },
    { method: 'DomainSnapshot.listChildrenNames', ours: () => snap1.listChildrenNames(0), py: 'snap1.listChildrenNames(0)' },
    { method: 'DomainSnapshot.listAllChildren', ours: () => snap1.listAllChildren(0), py: 'snap1.listAllChildren(0)' },
    { method: 'DomainSnapshot.isCurrent', ours: () => snap1.isCurrent(0), py: 'snap1.isCurrent(0)', theirs: asBool },
    { method: 'DomainSnapshot.isCurrent', label: 'current', ours: () => snap2.isCurrent(0), py: 'snap2.isCurrent(0)', theirs: asBool },
    { method: 'DomainSnapshot.hasMetadata', ours: () => snap2.hasMetadata(0), py: 'snap2.hasMetadata(0)', theirs: asBool },

    ...networkRows(net),
    { method: 'Network.getDHCPLeases', ours: () => net.getDHCPLeases(null, 0), py: 'net.DHCPLeases(None, 0)' },

    ...poolRows(pool),
    ...volRows(vol, 'vol'),
    ...volRows(big, 'big'),

    { method: 'NodeDevice.getXMLDesc', ours: () => dev.getXMLDesc(0), py: 'dev.XMLDesc(0)' },
    { method: 'NodeDevice.getParent', ours: () => dev.getParent(), py: 'dev.parent()' },
    { method: 'NodeDevice.getParent', label: 'root', ours: () => root.getParent(), py: 'root.parent()' },
    { method: 'NodeDevice.numOfCaps', ours: () => dev.numOfCaps(), py: 'dev.numOfCaps()' },
    { method: 'NodeDevice.listCaps', ours: () => dev.listCaps(), py: 'dev.listCaps()' },
    { method: 'NodeDevice.isActive', ours: () => dev.isActive(), py: 'dev.isActive()', theirs: asBool },
    { method: 'NodeDevice.isPersistent', ours: () => dev.isPersistent(), py: 'dev.isPersistent()', theirs: asBool },
    { method: 'NodeDevice.getAutostart', ours: () => dev.getAutostart(), py: 'dev.autostart()', theirs: asBool },

    { method: 'Interface.getXMLDesc', ours: () => iface.getXMLDesc(0), py: 'iface.XMLDesc(0)' },
    { method: 'Interface.isActive', ours: () => iface.isActive(), py: 'iface.isActive()', theirs: asBool },
  ];
}

// --- rows both daemons run -----------------------------------------------------------------

/** Connection methods with the same calls on both daemons (`on` tells the rows apart). */
function connectionRows(c: Connection, on: string): DiffRow[] {
  const rows: DiffRow[] = [
    { method: 'Connection.getCapabilities', ours: () => c.getCapabilities(), py: 'conn.getCapabilities()' },
    { method: 'Connection.getHostname', ours: () => c.getHostname(), py: 'conn.getHostname()' },
    { method: 'Connection.getLibVersion', ours: () => c.getLibVersion(), py: 'conn.getLibVersion()' },
    { method: 'Connection.getVersion', ours: () => c.getVersion(), py: 'conn.getVersion()' },
    { method: 'Connection.getType', ours: () => c.getType(), py: 'conn.getType()' },
    { method: 'Connection.getURI', ours: () => c.getURI(), py: 'conn.getURI()' },
    { method: 'Connection.getSysinfo', ours: () => c.getSysinfo(0), py: 'conn.getSysinfo(0)' },
    { method: 'Connection.getMaxVcpus', ours: () => c.getMaxVcpus(null), py: 'conn.getMaxVcpus(None)' },
    { method: 'Connection.isSecure', ours: () => c.isSecure(), py: 'conn.isSecure()', theirs: asBool },
    { method: 'Connection.isEncrypted', ours: () => c.isEncrypted(), py: 'conn.isEncrypted()', theirs: asBool },
    { method: 'Connection.isAlive', ours: async () => c.isAlive(), py: 'conn.isAlive()', theirs: asBool },
    { method: 'Connection.nodeGetInfo', ours: () => c.nodeGetInfo(), py: 'conn.getInfo()', mine: nodeInfo },
    { method: 'Connection.nodeGetSecurityModel', ours: () => c.nodeGetSecurityModel(), py: 'conn.getSecurityModel()', mine: fields('model', 'doi') },
    {
      method: 'Connection.nodeGetCPUMap',
      ours: () => c.nodeGetCPUMap(0),
      py: 'conn.getCPUMap(0)',
      mine: (v: { cpus: number; cpumap: boolean[]; online: number }) => [v.cpus, v.cpumap, v.online],
    },
    { method: 'Connection.nodeGetMemoryParameters', ours: () => c.nodeGetMemoryParameters(0), py: 'conn.getMemoryParameters(0)' },
    { method: 'Connection.nodeGetSEVInfo', ours: () => c.nodeGetSEVInfo(0), py: 'conn.getSEVInfo(0)' },
    {
      method: 'Connection.getAllDomainStats',
      ours: () => c.getAllDomainStats(1, 0),
      py: 'conn.getAllDomainStats(1, 0)',
      mine: (v: { domain: string; params: Json }[]) => v.map((r) => [r.domain, r.params]).sort(),
      theirs: sorted,
    },
    { method: 'Connection.getCPUModelNames', ours: () => c.getCPUModelNames('x86_64', 0), py: 'conn.getCPUModelNames("x86_64", 0)' },
    {
      method: 'Connection.getDomainCapabilities',
      ours: () => c.getDomainCapabilities(null, null, null, null, 0),
      py: 'conn.getDomainCapabilities(None, None, None, None, 0)',
    },
    { method: 'Connection.listAllDomains', ours: () => c.listAllDomains(0), py: 'conn.listAllDomains(0)', mine: sorted, theirs: sorted },
    { method: 'Connection.listAllNetworks', ours: () => c.listAllNetworks(0), py: 'conn.listAllNetworks(0)', mine: sorted, theirs: sorted },
    { method: 'Connection.listAllStoragePools', ours: () => c.listAllStoragePools(0), py: 'conn.listAllStoragePools(0)', mine: sorted, theirs: sorted },
    { method: 'Connection.listAllSecrets', ours: () => c.listAllSecrets(0), py: 'conn.listAllSecrets(0)', mine: sorted, theirs: sorted },
    { method: 'Connection.listAllNWFilters', ours: () => c.listAllNWFilters(0), py: 'conn.listAllNWFilters(0)', mine: sorted, theirs: sorted },
    {
      method: 'Connection.listAllNWFilterBindings',
      ours: () => c.listAllNWFilterBindings(0),
      py: 'conn.listAllNWFilterBindings(0)',
      mine: sorted,
      theirs: sorted,
    },
    { method: 'Connection.numOfDomains', ours: () => c.numOfDomains(), py: 'conn.numOfDomains()' },
    { method: 'Connection.listDomains', ours: () => c.listDomains(), py: 'conn.listDomainsID()', mine: sorted, theirs: sorted },
    { method: 'Connection.listDomainsID', ours: () => c.listDomainsID(), py: 'conn.listDomainsID()', mine: sorted, theirs: sorted },
    { method: 'Connection.numOfDefinedDomains', ours: () => c.numOfDefinedDomains(), py: 'conn.numOfDefinedDomains()' },
    { method: 'Connection.listDefinedDomains', ours: () => c.listDefinedDomains(), py: 'conn.listDefinedDomains()', mine: sorted, theirs: sorted },
    { method: 'Connection.numOfNetworks', ours: () => c.numOfNetworks(), py: 'conn.numOfNetworks()' },
    { method: 'Connection.listNetworks', ours: () => c.listNetworks(), py: 'conn.listNetworks()', mine: sorted, theirs: sorted },
    { method: 'Connection.numOfDefinedNetworks', ours: () => c.numOfDefinedNetworks(), py: 'conn.numOfDefinedNetworks()' },
    { method: 'Connection.listDefinedNetworks', ours: () => c.listDefinedNetworks(), py: 'conn.listDefinedNetworks()', mine: sorted, theirs: sorted },
    { method: 'Connection.numOfStoragePools', ours: () => c.numOfStoragePools(), py: 'conn.numOfStoragePools()' },
    { method: 'Connection.listStoragePools', ours: () => c.listStoragePools(), py: 'conn.listStoragePools()', mine: sorted, theirs: sorted },
    { method: 'Connection.numOfDefinedStoragePools', ours: () => c.numOfDefinedStoragePools(), py: 'conn.numOfDefinedStoragePools()' },
    {
      method: 'Connection.listDefinedStoragePools',
      ours: () => c.listDefinedStoragePools(),
      py: 'conn.listDefinedStoragePools()',
      mine: sorted,
      theirs: sorted,
    },
    { method: 'Connection.numOfSecrets', ours: () => c.numOfSecrets(), py: 'conn.numOfSecrets()' },
    { method: 'Connection.listSecrets', ours: () => c.listSecrets(), py: 'conn.listSecrets()', mine: sorted, theirs: sorted, theirsError: numOfFirst },
    { method: 'Connection.numOfNWFilters', ours: () => c.numOfNWFilters(), py: 'conn.numOfNWFilters()' },
    { method: 'Connection.listNWFilters', ours: () => c.listNWFilters(), py: 'conn.listNWFilters()', mine: sorted, theirs: sorted, theirsError: numOfFirst },
    { method: 'Connection.domainLookupByName', ours: () => c.domainLookupByName('nope'), py: 'conn.lookupByName("nope")' },
    { method: 'Connection.networkLookupByName', ours: () => c.networkLookupByName('nope'), py: 'conn.networkLookupByName("nope")' },
    { method: 'Connection.storagePoolLookupByName', ours: () => c.storagePoolLookupByName('nope'), py: 'conn.storagePoolLookupByName("nope")' },
    { method: 'Connection.interfaceLookupByName', ours: () => c.interfaceLookupByName('nope'), py: 'conn.interfaceLookupByName("nope")' },
    { method: 'Connection.nwFilterLookupByName', ours: () => c.nwFilterLookupByName('nope'), py: 'conn.nwfilterLookupByName("nope")' },
    {
      method: 'Connection.secretLookupByUUIDString',
      label: 'missing',
      ours: () => c.secretLookupByUUIDString('00000000-0000-0000-0000-000000000001'),
      py: 'conn.secretLookupByUUIDString("00000000-0000-0000-0000-000000000001")',
    },
  ];
  return rows.map((r) => ({ ...r, label: r.label ? `${on} ${r.label}` : on }));
}

/** Domain methods with the same calls on both daemons. */
function domainRows(dom: Domain, hostCpus: number, disk: string, nic: string): DiffRow[] {
  return [
    { method: 'Domain.getInfo', ours: () => dom.getInfo(), py: 'dom.info()', mine: domainInfo, moving: true },
    { method: 'Domain.getState', ours: () => dom.getState(0), py: 'dom.state(0)', mine: fields('state', 'reason') },
    { method: 'Domain.getMaxMemory', ours: () => dom.getMaxMemory(), py: 'dom.maxMemory()' },
    { method: 'Domain.getMaxVcpus', ours: () => dom.getMaxVcpus(), py: 'dom.maxVcpus()' },
    { method: 'Domain.getVcpusFlags', ours: () => dom.getVcpusFlags(0), py: 'dom.vcpusFlags(0)' },
    { method: 'Domain.getVcpusFlags', label: 'maximum config', ours: () => dom.getVcpusFlags(2 | 4), py: 'dom.vcpusFlags(2 | 4)' },
    { method: 'Domain.getOSType', ours: () => dom.getOSType(), py: 'dom.OSType()' },
    { method: 'Domain.getXMLDesc', ours: () => dom.getXMLDesc(0), py: 'dom.XMLDesc(0)' },
    { method: 'Domain.getXMLDesc', label: 'inactive', ours: () => dom.getXMLDesc(2), py: 'dom.XMLDesc(2)' },
    { method: 'Domain.getSchedulerType', ours: () => dom.getSchedulerType(), py: 'dom.schedulerType()', mine: fields('type', 'nparams') },
    { method: 'Domain.getSchedulerParameters', ours: () => dom.getSchedulerParameters(), py: 'dom.schedulerParameters()' },
    { method: 'Domain.getSchedulerParametersFlags', ours: () => dom.getSchedulerParametersFlags(0), py: 'dom.schedulerParametersFlags(0)' },
    { method: 'Domain.getMemoryParameters', ours: () => dom.getMemoryParameters(0), py: 'dom.memoryParameters(0)' },
    { method: 'Domain.getBlkioParameters', ours: () => dom.getBlkioParameters(0), py: 'dom.blkioParameters(0)' },
    { method: 'Domain.getNumaParameters', ours: () => dom.getNumaParameters(0), py: 'dom.numaParameters(0)' },
    { method: 'Domain.getInterfaceParameters', ours: () => dom.getInterfaceParameters(nic, 0), py: `dom.interfaceParameters(${JSON.stringify(nic)}, 0)` },
    { method: 'Domain.getBlockIoTune', ours: () => dom.getBlockIoTune(disk, 0), py: `dom.blockIoTune(${JSON.stringify(disk)}, 0)` },
    { method: 'Domain.blockStats', ours: () => dom.blockStats(disk), py: `dom.blockStats(${JSON.stringify(disk)})`, mine: blockStats, moving: true },
    { method: 'Domain.interfaceStats', ours: () => dom.interfaceStats(nic), py: `dom.interfaceStats(${JSON.stringify(nic)})`, mine: ifaceStats, moving: true },
    // `rss` of a QEMU process grows as it answers the monitor commands of the other rows.
    { method: 'Domain.memoryStats', ours: () => dom.memoryStats(0), py: 'dom.memoryStats()', moving: true },
    {
      method: 'Domain.getBlockInfo',
      ours: () => dom.getBlockInfo(disk, 0),
      py: `dom.blockInfo(${JSON.stringify(disk)}, 0)`,
      mine: fields('capacity', 'allocation', 'physical'),
    },
    { method: 'Domain.getVcpus', ours: () => dom.getVcpus(), py: 'dom.vcpus()', mine: vcpus, moving: true },
    { method: 'Domain.getVcpuPinInfo', ours: () => dom.getVcpuPinInfo(0), py: 'dom.vcpuPinInfo(0)' },
    { method: 'Domain.getEmulatorPinInfo', ours: () => dom.getEmulatorPinInfo(0), py: 'dom.emulatorPinInfo(0)' },
    { method: 'Domain.getCPUStats', label: 'total', ours: () => dom.getCPUStats(-1, 1, 0), py: 'dom.getCPUStats(True, 0)', moving: true },
    { method: 'Domain.getCPUStats', label: 'per CPU', ours: () => dom.getCPUStats(0, hostCpus, 0), py: 'dom.getCPUStats(False, 0)', moving: true },
    { method: 'Domain.getControlInfo', ours: () => dom.getControlInfo(0), py: 'dom.controlInfo(0)', mine: fields('state', 'details', 'stateTime') },
    { method: 'Domain.getJobInfo', ours: () => dom.getJobInfo(), py: 'dom.jobInfo()', mine: jobInfo },
    { method: 'Domain.getJobStats', ours: () => dom.getJobStats(0), py: 'dom.jobStats(0)', mine: jobStats },
    { method: 'Domain.isActive', ours: () => dom.isActive(), py: 'dom.isActive()', theirs: asBool },
    { method: 'Domain.isPersistent', ours: () => dom.isPersistent(), py: 'dom.isPersistent()', theirs: asBool },
    { method: 'Domain.isUpdated', ours: () => dom.isUpdated(), py: 'dom.isUpdated()', theirs: asBool },
    { method: 'Domain.hasManagedSaveImage', ours: () => dom.hasManagedSaveImage(0), py: 'dom.hasManagedSaveImage(0)', theirs: asBool },
    { method: 'Domain.getAutostart', ours: () => dom.getAutostart(), py: 'dom.autostart()', theirs: asBool },
    { method: 'Domain.getSecurityLabel', ours: () => dom.getSecurityLabel(), py: 'dom.securityLabel()', mine: fields('label', 'enforcing') },
    { method: 'Domain.getSecurityLabelList', ours: () => dom.getSecurityLabelList(), py: 'dom.securityLabelList()', mine: labels },
    { method: 'Domain.getDiskErrors', ours: () => dom.getDiskErrors(0), py: 'dom.diskErrors(0)', mine: diskErrors },
    { method: 'Domain.getPerfEvents', ours: () => dom.getPerfEvents(0), py: 'dom.perfEvents(0)' },
    {
      method: 'Domain.getIOThreadInfo',
      ours: () => dom.getIOThreadInfo(0),
      py: 'dom.ioThreadInfo(0)',
      mine: (v: { iothreadId: number; cpumap: number[] }[]) => v.map((t) => [t.iothreadId, bits(t.cpumap, hostCpus)]),
    },
    { method: 'Domain.getFSInfo', ours: () => dom.getFSInfo(0), py: 'dom.fsInfo(0)', mine: fsInfo },
    { method: 'Domain.getHostname', ours: () => dom.getHostname(0), py: 'dom.hostname(0)' },
    { method: 'Domain.getTime', ours: () => dom.getTime(0), py: 'dom.getTime(0)', moving: true },
    { method: 'Domain.getMetadata', ours: () => dom.getMetadata(0, null, 0), py: 'dom.metadata(0, None, 0)' },
    { method: 'Domain.getBlockJobInfo', ours: () => dom.getBlockJobInfo(disk, 0), py: `dom.blockJobInfo(${JSON.stringify(disk)}, 0)`, mine: blockJob },
    { method: 'Domain.getLaunchSecurityInfo', ours: () => dom.getLaunchSecurityInfo(0), py: 'dom.launchSecurityInfo(0)' },
    { method: 'Domain.getGuestVcpus', ours: () => dom.getGuestVcpus(0), py: '_checked(dom.guestVcpus(0))' },
    { method: 'Domain.getGuestInfo', ours: () => dom.getGuestInfo(0, 0), py: 'dom.guestInfo(0, 0)' },
    { method: 'Domain.interfaceAddresses', label: 'lease', ours: () => dom.interfaceAddresses(0, 0), py: 'dom.interfaceAddresses(0, 0)', mine: ifaceAddrs },
    { method: 'Domain.interfaceAddresses', label: 'arp', ours: () => dom.interfaceAddresses(2, 0), py: 'dom.interfaceAddresses(2, 0)', mine: ifaceAddrs },
    { method: 'Domain.getMessages', ours: () => dom.getMessages(0), py: 'dom.messages(0)' },
    { method: 'Domain.listAllCheckpoints', ours: () => dom.listAllCheckpoints(0), py: 'dom.listAllCheckpoints(0)', mine: sorted, theirs: sorted },
    // Physical memory at the x86 reset vector (the BIOS's first instruction on a real guest).
    { method: 'Domain.memoryPeek', ours: () => dom.memoryPeek(0xffff0, 16, 2), py: 'dom.memoryPeek(0xffff0, 16, 2)' },
    { method: 'Domain.blockPeek', ours: () => dom.blockPeek(disk, 0, 512, 0), py: `dom.blockPeek(${JSON.stringify(disk)}, 0, 512, 0)` },
  ];
}

function networkRows(net: Network): DiffRow[] {
  return [
    { method: 'Network.getXMLDesc', ours: () => net.getXMLDesc(0), py: 'net.XMLDesc(0)' },
    { method: 'Network.getAutostart', ours: () => net.getAutostart(), py: 'net.autostart()', theirs: asBool },
    { method: 'Network.getBridgeName', ours: () => net.getBridgeName(), py: 'net.bridgeName()' },
    { method: 'Network.isActive', ours: () => net.isActive(), py: 'net.isActive()', theirs: asBool },
    { method: 'Network.isPersistent', ours: () => net.isPersistent(), py: 'net.isPersistent()', theirs: asBool },
    { method: 'Network.listAllPorts', ours: () => net.listAllPorts(0), py: 'net.listAllPorts(0)', mine: sorted, theirs: sorted },
  ].map((r) => ({ ...r, label: net.name }));
}

function poolRows(pool: StoragePool): DiffRow[] {
  return [
    { method: 'StoragePool.getInfo', ours: () => pool.getInfo(), py: 'pool.info()', mine: fields('state', 'capacity', 'allocation', 'available') },
    { method: 'StoragePool.getXMLDesc', ours: () => pool.getXMLDesc(0), py: 'pool.XMLDesc(0)' },
    { method: 'StoragePool.getAutostart', ours: () => pool.getAutostart(), py: 'pool.autostart()', theirs: asBool },
    { method: 'StoragePool.isActive', ours: () => pool.isActive(), py: 'pool.isActive()', theirs: asBool },
    { method: 'StoragePool.isPersistent', ours: () => pool.isPersistent(), py: 'pool.isPersistent()', theirs: asBool },
    { method: 'StoragePool.numOfVolumes', ours: () => pool.numOfVolumes(), py: 'pool.numOfVolumes()' },
    { method: 'StoragePool.listVolumes', ours: () => pool.listVolumes(), py: 'pool.listVolumes()', mine: sorted, theirs: sorted },
    { method: 'StoragePool.listAllVolumes', ours: () => pool.listAllVolumes(0), py: 'pool.listAllVolumes(0)', mine: sorted, theirs: sorted },
    { method: 'StoragePool.storageVolLookupByName', ours: () => pool.storageVolLookupByName('nope'), py: 'pool.storageVolLookupByName("nope")' },
  ].map((r) => ({ ...r, label: pool.name }));
}

function volRows(vol: StorageVol, py: string): DiffRow[] {
  return [
    { method: 'StorageVol.getInfo', ours: () => vol.getInfo(), py: `${py}.info()`, mine: fields('type', 'capacity', 'allocation') },
    { method: 'StorageVol.getInfoFlags', ours: () => vol.getInfoFlags(1), py: `${py}.infoFlags(1)`, mine: fields('type', 'capacity', 'allocation') },
    { method: 'StorageVol.getPath', ours: () => vol.getPath(), py: `${py}.path()` },
    { method: 'StorageVol.getXMLDesc', ours: () => vol.getXMLDesc(0), py: `${py}.XMLDesc(0)` },
    { method: 'StorageVol.storagePoolLookupByVolume', ours: () => vol.storagePoolLookupByVolume(), py: `${py}.storagePoolLookupByVolume()` },
  ].map((r) => ({ ...r, label: vol.name }));
}

// --- the QEMU session driver ---------------------------------------------------------------

const tag = randomBytes(3).toString('hex');
const GUEST = `objdiff-${tag}`;
const POOL = `objdiff-pool-${tag}`;
const NET = `objdiff-net-${tag}`;
const MAC = '52:54:00:0d:1f:01';
const SECRET_UUID = randomUUID();
let qemuUri = '';
let dir = '';

const QEMU_SETUP = `
dom = conn.lookupByName(${JSON.stringify(GUEST)})
pool = conn.storagePoolLookupByName(${JSON.stringify(POOL)})
vol = pool.storageVolLookupByName("v1.img")
net = conn.networkLookupByName(${JSON.stringify(NET)})
sec = conn.secretLookupByUUIDString(${JSON.stringify(SECRET_UUID)})
`;

beforeAll(async () => {
  const d = await harnessDaemon();
  qemuUri = d.uris.qemuSessionUnix;
  dir = path.join(d.dir, `objdiff-${tag}`);
  mkdirSync(path.join(dir, 'pool'), { recursive: true });
  chownToTestUser(dir);
  chownToTestUser(path.join(dir, 'pool'));
  for (const f of [path.join(dir, 'disk.img'), path.join(dir, 'pool', 'v1.img')]) {
    writeFileSync(f, Buffer.alloc(1 << 20, 0x5a));
    chownToTestUser(f);
  }
  await using conn = await connect(qemuUri);
  const disk = `    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${dir}/disk.img'/><target dev='vda' bus='virtio'/></disk>
    <disk type='file' device='cdrom'><target dev='hdc' bus='ide'/><readonly/></disk>
    <interface type='user'><mac address='${MAC}'/><model type='virtio'/></interface>
`;
  const dom = await conn.domainDefineXML(tinyGuestXml(GUEST, { vnc: false, extraDevices: disk, vcpus: 2 }));
  await dom.create();
  // Paused, the guest's counters (CPU time, the host CPU a vCPU last ran on, disk I/O) hold still.
  await dom.suspend();
  const pool = await conn.storagePoolDefineXML(`<pool type='dir'><name>${POOL}</name><target><path>${dir}/pool</path></target></pool>`, 0);
  await pool.create(0);
  await conn.networkDefineXML(
    `<network><name>${NET}</name><bridge name='virbr-od${tag.slice(0, 3)}'/><ip address='192.168.213.1' netmask='255.255.255.0'/></network>`,
  );
  const secret = await conn.secretDefineXML(
    `<secret ephemeral='no' private='no'><uuid>${SECRET_UUID}</uuid><usage type='volume'><volume>${dir}/pool/v1.img</volume></usage></secret>`,
    0,
  );
  await secret.setValue(new TextEncoder().encode('s3cret\u0000bytes'), 0);
}, 120_000);

afterAll(async () => {
  if (!qemuUri) return;
  await using conn = await connect(qemuUri);
  const dom = await conn.domainLookupByName(GUEST).catch(() => null);
  if (dom) {
    if (await dom.isActive()) await dom.destroy();
    await dom.undefine();
  }
  const pool = await conn.storagePoolLookupByName(POOL).catch(() => null);
  if (pool) {
    if (await pool.isActive()) await pool.destroy();
    await pool.undefine();
  }
  const net = await conn.networkLookupByName(NET).catch(() => null);
  if (net) await net.undefine();
  const secret = await conn.secretLookupByUUIDString(SECRET_UUID).catch(() => null);
  if (secret) await secret.undefine();
}, 60_000);

async function qemuRows(c: Connection): Promise<DiffRow[]> {
  const dom = await c.domainLookupByName(GUEST);
  const pool = await c.storagePoolLookupByName(POOL);
  const vol = await pool.storageVolLookupByName('v1.img');
  const net = await c.networkLookupByName(NET);
  const sec = await c.secretLookupByUUIDString(SECRET_UUID);
  const hostCpus = (await c.nodeGetCPUMap(0)).cpus;
  return [
    ...connectionRows(c, 'qemu'),
    { method: 'Connection.getMaxVcpus', label: 'qemu type', ours: () => c.getMaxVcpus('qemu'), py: 'conn.getMaxVcpus("qemu")' },
    {
      method: 'Connection.nodeGetFreePages',
      ours: () => c.nodeGetFreePages([2048], 0, 1, 0),
      py: 'conn.getFreePages([2048], 0, 1, 0)',
      mine: (v: number[]) => ({ '0': { '2048': v[0]! } }),
    },
    {
      method: 'Connection.secretLookupByUUIDString',
      ours: () => c.secretLookupByUUIDString(SECRET_UUID),
      py: `conn.secretLookupByUUIDString(${JSON.stringify(SECRET_UUID)})`,
    },
    {
      method: 'Connection.secretLookupByUsage',
      ours: () => c.secretLookupByUsage(1, `${dir}/pool/v1.img`),
      py: `conn.secretLookupByUsage(1, ${JSON.stringify(`${dir}/pool/v1.img`)})`,
    },
    {
      method: 'Connection.listAllInterfaces',
      label: 'qemu',
      ours: () => c.listAllInterfaces(0),
      py: 'conn.listAllInterfaces(0)',
      mine: sorted,
      theirs: sorted,
    },
    { method: 'Connection.listAllNodeDevices', label: 'qemu', ours: () => c.listAllNodeDevices(0), py: 'conn.listAllDevices(0)', mine: sorted, theirs: sorted },
    ...domainRows(dom, hostCpus, 'vda', MAC).map((r) => ({ ...r, label: r.label ? `qemu ${r.label}` : 'qemu' })),
    { method: 'Domain.blockStats', label: 'qemu cdrom', ours: () => dom.blockStats('hdc'), py: 'dom.blockStats("hdc")', mine: blockStats },
    { method: 'Domain.listAllSnapshots', label: 'qemu', ours: () => dom.listAllSnapshots(0), py: 'dom.listAllSnapshots(0)' },
    { method: 'Domain.snapshotNum', label: 'qemu', ours: () => dom.snapshotNum(0), py: 'dom.snapshotNum(0)' },
    { method: 'Domain.hasCurrentSnapshot', label: 'qemu', ours: () => dom.hasCurrentSnapshot(0), py: 'dom.hasCurrentSnapshot(0)', theirs: asBool },
    ...networkRows(net),
    ...poolRows(pool),
    ...volRows(vol, 'vol'),
    { method: 'Secret.getXMLDesc', ours: () => sec.getXMLDesc(0), py: 'sec.XMLDesc(0)' },
    { method: 'Secret.getValue', ours: () => sec.getValue(0), py: 'sec.value(0)' },
  ];
}

// --- the tests ------------------------------------------------------------------------------

const reports: TableReport[] = [];

describe('object methods agree with python3-libvirt', () => {
  it('on the test driver', async () => {
    const uri = await testNodeUri();
    await using c = await connect(uri);
    reports.push(await compareTable(uri, TEST_SETUP, await testDriverRows(c)));
  });

  it('on a QEMU TCG guest of the session daemon', async () => {
    await using c = await connect(qemuUri);
    reports.push(await compareTable(qemuUri, QEMU_SETUP, await qemuRows(c)));
  });

  it('covers at least 60 distinct read-only methods', () => {
    const methods = new Set(reports.flatMap((r) => [...r.methods]));
    const rows = reports.reduce((n, r) => n + r.rows.length, 0);
    const errors = reports.reduce((n, r) => n + r.errors.length, 0);
    const valued = new Set(reports.flatMap((r) => r.rows.filter((k) => !r.errors.includes(k)).map((k) => k.replace(/\(.*$/, ''))));
    console.log(
      `object-differential: ${methods.size} distinct methods compared with python3-libvirt (${valued.size} with values), ${rows} rows, ${errors} of them the same error on both sides`,
    );
    expect(reports).toHaveLength(2);
    expect(methods.size).toBeGreaterThanOrEqual(60);
  });
});
