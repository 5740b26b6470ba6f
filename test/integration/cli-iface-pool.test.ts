/**
 * tsvirsh against virsh for the interface commands (iface-define, -undefine,
 * -start, -destroy, -begin, -commit, -rollback, -bridge, -unbridge,
 * -dumpxml --xpath), the pool discovery commands, pool-capabilities and
 * lxc-enter-namespace. Each command line runs in both tools at once on a
 * test-driver URI whose state is private to each connection (with
 * test:///default's interface `eth1`), so a command string (`a; b`) sees
 * its own changes and nothing leaks between lines; the QEMU session URI
 * answers the storage and LXC calls with its own drivers. Nothing is
 * normalised.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harnessDaemon, privateTestUri } from './env.js';
import { both } from './virsh-diff.js';

let testUri = '';
let sessionUri = '';
let dir = '';

beforeAll(async () => {
  testUri = await privateTestUri('unix', { interfaces: true });
  sessionUri = (await harnessDaemon()).uris.qemuSessionUnix;
  dir = mkdtempSync(join(tmpdir(), 'lvrpc-cli-iface-'));
  writeFileSync(
    join(dir, 'eth2.xml'),
    "<interface type='ethernet' name='eth2'>\n  <start mode='onboot'/>\n  <mac address='52:54:00:aa:bb:cc'/>\n</interface>\n",
  );
  writeFileSync(join(dir, 'garbage.xml'), 'not xml\n');
  writeFileSync(join(dir, 'spec.xml'), "<source>\n  <host name='example.org'/>\n</source>\n");
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Command lines on the test driver; `@` stands for the dir of XML files. */
const TEST_LINES: string[][] = [
  ['iface-list --all'],
  ['iface-define @/eth2.xml; iface-list --all; iface-dumpxml eth2'],
  ['iface-define --file @/eth2.xml --validate'],
  ['iface-define @/garbage.xml'],
  ['iface-define @/missing.xml'],
  ['iface-define'],
  ['-q', 'iface-define @/eth2.xml; iface-list --all'],
  ['iface-undefine eth1; iface-list --all'],
  ['iface-undefine aa:bb:cc:dd:ee:ff'],
  ['iface-undefine nope'],
  ['iface-undefine', ''],
  ['iface-destroy eth1; iface-list --all'],
  ['-q', 'iface-destroy', 'eth1'],
  ['iface-destroy', 'nope'],
  ['iface-start eth1'],
  ['iface-define @/eth2.xml; iface-start eth2; iface-list --all'],
  ['iface-start', '52:54:00:aa:bb:cc'],
  ['iface-begin'],
  ['iface-begin; iface-begin'],
  ['iface-begin; iface-commit'],
  ['iface-begin; iface-undefine eth1; iface-rollback; iface-list --all'],
  ['iface-commit'],
  ['iface-rollback'],
  ['-q', 'iface-begin; iface-commit'],
  ['iface-begin', 'extra'],
  ['iface-bridge eth1 br0'],
  ['iface-bridge eth1 br0 --no-stp --delay 5 --no-start'],
  ['iface-bridge eth1 eth1'],
  ['iface-bridge nope br0'],
  ['iface-bridge eth1 br0 --delay x'],
  ['iface-bridge eth1'],
  ['iface-unbridge eth1'],
  ['iface-unbridge nope --no-start'],
  ['iface-unbridge'],
  ['iface-dumpxml eth1 --xpath //mac/@address'],
  ['iface-dumpxml eth1 --xpath //ip --wrap'],
  ['iface-dumpxml eth1 --xpath='],
  ['iface-dumpxml eth1 --xpath count(//ip)'],
  ['find-storage-pool-sources logical'],
  ['find-storage-pool-sources', 'logical', '@/spec.xml'],
  ['find-storage-pool-sources', 'nosuch'],
  ['find-storage-pool-sources', 'logical', '@/missing.xml'],
  ['find-storage-pool-sources', ''],
  ['find-storage-pool-sources-as', 'netfs', '--host', 'example.org'],
  ['find-storage-pool-sources-as', 'netfs', 'example.org', '2049', 'iqn.2026-12.org.example:x'],
  ['find-storage-pool-sources-as', 'netfs', '--port', '2049'],
  ['find-storage-pool-sources-as', 'netfs', '--host', 'h', '--port='],
  ['find-storage-pool-sources-as', 'nosuch'],
  ['find-storage-pool-sources-as'],
  ['pool-capabilities'],
  ['pool-capabilities', 'extra'],
  ['lxc-enter-namespace', 'test', '/bin/true'],
  ['lxc-enter-namespace', 'test', '--noseclabel', '--', '/bin/sh', '-c', 'exit 3'],
  ['lxc-enter-namespace', 'nope', '/bin/true'],
  ['lxc-enter-namespace', 'test'],
  ['-r', 'lxc-enter-namespace', 'test', '/bin/true'],
];

/** Command lines on the QEMU session daemon (its storage driver discovers and describes; it has no LXC). */
const SESSION_LINES: string[][] = [
  ['pool-capabilities'],
  ['find-storage-pool-sources-as', 'netfs', '127.0.0.1'],
  ['find-storage-pool-sources', 'dir'],
  ['iface-list', '--all'],
  ['iface-begin'],
  ['lxc-enter-namespace', 'nope', '/bin/true'],
];

const expand = (args: readonly string[]): string[] => args.map((a) => a.replace(/@/g, dir));

describe('tsvirsh interface, pool discovery and LXC commands match virsh on the test driver', () => {
  it.each(TEST_LINES.map((a) => [a.join(' '), a] as const))('%s', async (_label, args) => {
    const [a, b] = await both(['-c', testUri, ...expand(args)]);
    expect(a).toEqual(b);
  });
});

describe('... and on the QEMU session daemon', () => {
  it.each(SESSION_LINES.map((a) => [a.join(' '), a] as const))('%s', async (_label, args) => {
    const [a, b] = await both(['-c', sessionUri, ...args]);
    expect(a).toEqual(b);
  });
});

describe('the changes are real', () => {
  it('iface-define adds eth2 and iface-undefine takes it away again, as virsh sees it', async () => {
    const [a, b] = await both(['-c', testUri, `iface-define ${dir}/eth2.xml; iface-undefine eth2; iface-list --all`]);
    expect(a).toEqual(b);
    expect(a.stdout).toContain('Interface eth2 defined from');
    expect(a.stdout).toContain('Interface eth2 undefined');
  });
});
