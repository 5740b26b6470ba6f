/**
 * tsvirsh against virsh for net-update, net-dhcp-leases and the network port
 * commands (net-port-create, -list, -dumpxml, -delete).
 *
 * net-update runs on private test-driver state (every command line starts
 * from the same node file; each line checks the result with net-dumpxml).
 * Leases and ports need the network driver: the QEMU session daemon's, with
 * a lease status file written where its dnsmasq would keep it, and a
 * bridge-mode network (which starts without creating a bridge) for the
 * ports. Port commands change state, so each tool gets its own twin
 * network; their outputs never name it. Nothing is normalised.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chownToTestUser } from '../../harness/daemon.js';
import { connect, type Connection } from '../../src/index.js';
import type { RemoteNonnullNetwork } from '../../src/protocol.js';
import { harnessDaemon, privateTestUri } from './env.js';
import { both, ours, theirs } from './virsh-diff.js';

const tag = randomBytes(3).toString('hex');
let testUri = '';
let session = '';
let conn: Connection;
let files = '';
const networks: RemoteNonnullNetwork[] = [];
let leaseFile = '';

const PORT_UUID = '5d2b1c9e-0f4e-4c2a-9d8b-0123456789ab';
const LEASE_NET = `xlease-${tag}`;
const LEASE_BRIDGE = `vl${tag}`;
/** The twin networks of the port tests: `ours` and `theirs`. */
const portNet = (who: 'ours' | 'theirs'): string => `xport-${who}-${tag}`;

beforeAll(async () => {
  const d = await harnessDaemon();
  testUri = await privateTestUri();
  session = d.uris.qemuSessionUnix;
  conn = await connect(session);
  files = mkdtempSync(join(tmpdir(), 'lvrpc-cli-net-'));
  chmodSync(files, 0o755);
  writeFileSync(join(files, 'host.xml'), "<host mac='52:54:00:00:00:77' ip='192.168.122.77'/>\n");
  writeFileSync(
    join(files, 'port.xml'),
    `<networkport><uuid>${PORT_UUID}</uuid><owner><name>guest1</name><uuid>0c0d4d8a-8ad4-4bd2-a1d5-aaaaaaaaaaaa</uuid></owner><mac address='52:54:00:12:34:56'/></networkport>\n`,
  );
  writeFileSync(join(files, 'badport.xml'), '<networkport><mac/></networkport>\n');
  writeFileSync(join(files, 'net.xml'), `<network><name>x</name></network>\n`);

  // A network with leases (never started: the driver reads the status file all the same).
  networks.push(
    await conn.raw.networkDefineXML(
      `<network><name>${LEASE_NET}</name><bridge name='${LEASE_BRIDGE}'/>` +
        `<ip address='192.168.177.1' netmask='255.255.255.0'/><ip family='ipv6' address='fd00::1' prefix='64'/></network>`,
    ),
  );
  const leaseDir = join(d.env.XDG_RUNTIME_DIR, 'libvirt', 'dnsmasq', 'lib');
  mkdirSync(leaseDir, { recursive: true });
  for (const dir of [join(d.env.XDG_RUNTIME_DIR, 'libvirt', 'dnsmasq'), leaseDir]) chownToTestUser(dir);
  leaseFile = join(leaseDir, `${LEASE_BRIDGE}.status`);
  const future = Math.floor(Date.now() / 1000) + 30 * 24 * 3600;
  writeFileSync(
    leaseFile,
    JSON.stringify([
      { 'ip-address': '192.168.177.10', 'mac-address': '52:54:00:bb:bb:cc', hostname: 'guest1', 'client-id': '01:52:54:00:bb:bb:cc', 'expiry-time': future },
      { 'ip-address': '192.168.177.11', 'mac-address': '52:54:00:AA:bb:cc', 'expiry-time': future + 500 },
      {
        'ip-address': 'fd00::5',
        'mac-address': '52:54:00:aa:bb:01',
        iaid: '1234',
        'client-id': '00:01:00:01:2c:11:22:33:52:54:00:aa:bb:01',
        'expiry-time': future + 61,
      },
      { 'ip-address': '192.168.177.12', 'mac-address': '52:54:00:00:00:01', 'expiry-time': 1000 },
    ]),
  );
  chownToTestUser(leaseFile);

  // Twin bridge-mode networks for the port commands, started.
  for (const who of ['ours', 'theirs'] as const) {
    // Both plug into the same (absent) host bridge: a port's XML names it.
    const net = await conn.raw.networkDefineXML(`<network><name>${portNet(who)}</name><forward mode='bridge'/><bridge name='xb${tag}'/></network>`);
    networks.push(net);
    await conn.raw.networkCreate(net);
  }
  networks.push(await conn.raw.networkDefineXML(`<network><name>xdown-${tag}</name><forward mode='bridge'/><bridge name='xd${tag}'/></network>`));
});

afterAll(async () => {
  for (const net of networks) {
    await conn.raw.networkDestroy(net).catch(() => {});
    await conn.raw.networkUndefine(net).catch(() => {});
  }
  await conn?.close();
  if (leaseFile) rmSync(leaseFile, { force: true });
  if (files) rmSync(files, { recursive: true, force: true });
});

const HOST = "\"<host mac='52:54:00:00:00:99' ip='192.168.122.99'/>\"";

describe('net-update matches virsh', () => {
  const LINES: string[] = [
    `net-update default add ip-dhcp-host ${HOST}; net-dumpxml default; net-dumpxml default --inactive`,
    `net-update default add-first ip-dhcp-host ${HOST} --config; net-dumpxml default --inactive`,
    `net-update default add-last ip-dhcp-host ${HOST} --live --config; net-dumpxml default`,
    `net-update default add ip-dhcp-host ${HOST} --live`,
    `net-update default add ip-dhcp-host ${HOST} --current`,
    `net-update default add ip-dhcp-host ${HOST} --current --live`,
    `net-update default add ip-dhcp-host ${HOST} --current --config`,
    `net-update default add ip-dhcp-host ${HOST}; net-update default delete ip-dhcp-host ${HOST}; net-dumpxml default`,
    `net-update default modify ip-dhcp-host ${HOST}`,
    `net-update default modify ip-dhcp-range "<range start='192.168.122.100' end='192.168.122.200'/>"; net-dumpxml default`,
    `net-update default add dns-host "<host ip='192.168.122.5'><hostname>h</hostname></host>"; net-dumpxml default`,
    `net-update default add portgroup "<portgroup name='pg'/>"`,
    `net-update default add bridge "<bridge name='x'/>"`,
    `net-update default add ip-dhcp-host @/host.xml; net-dumpxml default`,
    'net-update default add ip-dhcp-host @/missing.xml',
    `net-update default add ip-dhcp-host ${HOST} 0`,
    `net-update default add ip-dhcp-host ${HOST} 3`,
    `net-update default add ip-dhcp-host ${HOST} --parent-index x`,
    "net-update default none ip-dhcp-host '<host/>'",
    "net-update default bogus ip-dhcp-host '<host/>'",
    "net-update default add none '<host/>'",
    "net-update default add bogus '<host/>'",
    "net-update default '' ip-dhcp-host '<host/>'",
    "net-update nope add ip-dhcp-host '<host/>'",
    'net-update default add ip-dhcp-host',
    `net-destroy default; net-update default add ip-dhcp-host ${HOST}; net-dumpxml default --inactive`,
    `net-update dd8fe884-6c02-601e-7551-cca97df1c5df add ip-dhcp-host ${HOST}`,
    'net-dhcp-leases default',
    'net-dhcp-leases nope',
    "net-dhcp-leases default --mac ''",
    'net-port-list default',
    'net-port-list default --uuid --table',
    'net-port-dumpxml default 1234',
    'net-port-delete default 1234',
    'net-port-create default @/missing.xml',
    'net-port-create default @/port.xml',
  ];
  it.each(LINES)('%s', async (line) => {
    const [a, b] = await both(['-c', testUri, line.replace(/@/g, files)]);
    expect(a).toEqual(b);
  });

  it('-q leaves out the message', async () => {
    const [a, b] = await both(['-q', '-c', testUri, `net-update default add ip-dhcp-host ${HOST}`]);
    expect(a).toEqual(b);
    expect(a).toEqual({ stdout: '', stderr: '', status: 0 });
  });
});

describe('net-dhcp-leases matches virsh', () => {
  it.each([
    [LEASE_NET],
    [LEASE_NET, '--mac', '52:54:00:aa:bb:cc'],
    [LEASE_NET, '52:54:00:AA:bb:01'],
    [LEASE_NET, '--mac', '52:54:00:00:00:01'],
    [LEASE_NET, '--mac', ''],
    ['-q', LEASE_NET],
    [`xdown-${tag}`],
  ])('net-dhcp-leases %s %s %s', async (...args) => {
    const quiet = args[0] === '-q';
    const rest = quiet ? args.slice(1) : args;
    const [a, b] = await both([...(quiet ? ['-q'] : []), '-c', session, 'net-dhcp-leases', ...rest]);
    expect(a).toEqual(b);
  });

  it('prints the leases, sorted by MAC address', async () => {
    const a = await ours(['-c', session, 'net-dhcp-leases', LEASE_NET]);
    const macs = a.stdout
      .split('\n')
      .slice(2, 5)
      .map((l) => l.split(/ {3,}/)[1]);
    expect(macs).toEqual(['52:54:00:aa:bb:01', '52:54:00:AA:bb:cc', '52:54:00:bb:bb:cc']);
    expect(a.stdout).toContain('fd00::5/64');
    expect(a.stdout).not.toContain('192.168.177.12');
  });
});

describe('network port commands match virsh', () => {
  /** Each tool on its own twin network (`%`); `@` is the files dir. */
  async function pair(line: string): Promise<void> {
    const fill = (who: 'ours' | 'theirs'): string[] => ['-c', session, line.replace(/%/g, portNet(who)).replace(/@/g, files)];
    const [a, b] = await Promise.all([ours(fill('ours')), theirs(fill('theirs'))]);
    expect(a).toEqual(b);
  }

  it('create, list, dump and delete a port, and the errors around them', async () => {
    for (const line of [
      'net-port-list %',
      'net-port-create % @/port.xml',
      'net-port-create % @/port.xml',
      'net-port-list %',
      'net-port-list % --uuid',
      'net-port-list % --table',
      'net-port-list % --uuid --table',
      'net-port-dumpxml % ' + PORT_UUID,
      `net-port-dumpxml % ${PORT_UUID.toUpperCase()}`,
      'net-port-dumpxml % ' + PORT_UUID.replace(/-/g, ''),
      `net-port-dumpxml % ${PORT_UUID} --xpath //mac/@address`,
      `net-port-dumpxml % ${PORT_UUID} --xpath /networkport/owner --wrap`,
      `net-port-dumpxml % ${PORT_UUID} --xpath 'count(//mac)'`,
      'net-port-dumpxml % 5d2b1c9e-0f4e-4c2a-9d8b-0123456789ac',
      'net-port-dumpxml % nope',
      "net-port-dumpxml % ''",
      'net-port-dumpxml nope ' + PORT_UUID,
      'net-port-delete nope ' + PORT_UUID,
      'net-port-delete % ' + PORT_UUID,
      'net-port-delete % ' + PORT_UUID,
      'net-port-list %',
      'net-port-create % @/port.xml --validate',
      '-q net-port-list %',
      `net-port-delete % ${PORT_UUID}; net-port-create % @/badport.xml`,
      'net-port-create % @/badport.xml --validate',
      'net-port-create % @/net.xml',
      'net-port-create % @/missing.xml',
      'net-port-create nope @/port.xml',
      `net-port-create xdown-${tag} @/port.xml`,
      `net-port-list xdown-${tag}`,
      'net-port-list nope',
    ]) {
      if (line.startsWith('-q ')) {
        const fill = (who: 'ours' | 'theirs'): string[] => ['-q', '-c', session, line.slice(3).replace(/%/g, portNet(who))];
        const [a, b] = await Promise.all([ours(fill('ours')), theirs(fill('theirs'))]);
        expect(a).toEqual(b);
      } else {
        await pair(line);
      }
    }
    // The ports made were deleted again (the listings above showed them while they lived).
    const net = await conn.raw.networkLookupByName(portNet('ours'));
    expect((await conn.raw.networkListAllPorts(net, 1, 0)).ports).toHaveLength(0);
  });
});
