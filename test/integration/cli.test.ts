/**
 * tsvirsh against virsh: the same command lines on the same private
 * test-driver state give the same stdout, stderr and exit status. (Each run
 * opens its own connection, and a test-driver node file gives every
 * connection a fresh copy of its state, so every command sees the same start.)
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TEST_DOMAINS, TEST_DOMAIN_UUID } from '../../harness/test-driver.js';
import { privateTestUri } from './env.js';
import { ours, theirs, type Outcome } from './virsh-diff.js';

let uri = '';
let dir = '';

beforeAll(async () => {
  uri = await privateTestUri('unix', {
    domains: [
      ...DEFAULT_TEST_DOMAINS,
      { name: 'idle', state: 'shutoff', vcpus: 1, memoryKiB: 524288, currentMemoryKiB: 524288 },
      { name: 'Beta', state: 'paused' },
    ],
  });
  dir = mkdtempSync(join(tmpdir(), 'lvrpc-cli-'));
  writeFileSync(join(dir, 'new.xml'), "<domain type='test'><name>fresh</name><memory unit='MiB'>64</memory><os><type>hvm</type></os></domain>\n");
});

const SAME: string[][] = [
  ['list'],
  ['list', '--all'],
  ['list', '--inactive'],
  ['list', '--all', '--name'],
  ['list', '--uuid'],
  ['list', '--state-paused'],
  ['-q', 'list', '--all'],
  ['dominfo', 'nope'],
  ['dominfo'],
  ['domstate', 'test'],
  ['domstate', 'Beta', '--reason'],
  ['domstate', '--domain', 'idle', '--reason'],
  ['domuuid', 'test'],
  ['domid', 'test'],
  ['domid', 'idle'],
  ['domname', '1'],
  ['dumpxml', 'test'],
  ['dumpxml', '--inactive', 'idle'],
  ['start', 'idle'],
  ['start', 'test'],
  ['destroy', 'test'],
  ['destroy', 'idle'],
  ['suspend', 'test'],
  ['resume', 'Beta'],
  ['shutdown', 'test'],
  ['reboot', 'test'],
  ['undefine', 'idle'],
  ['autostart', 'idle'],
  ['autostart', '--disable', 'idle'],
  ['net-list'],
  ['net-list', '--all'],
  ['net-info', 'default'],
  ['net-info', 'nonet'],
  ['net-dumpxml', 'default'],
  ['net-destroy', 'default'],
  ['net-start', 'default'],
  ['pool-list', '--all'],
  ['pool-info', 'default-pool'],
  ['pool-dumpxml', 'default-pool'],
  ['vol-list', 'default-pool'],
  ['iface-list'],
  ['nodeinfo'],
  ['hostname'],
  ['capabilities'],
  ['list', '--bogus'],
  ['domstate', 'test', 'extra'],
  ['frobnicate'],
  ['pool-info', 'nopool'],
  ['vol-list', 'nopool'],
];

describe('tsvirsh gives the same output as virsh', () => {
  it.each(SAME.map((a) => [a.join(' '), a] as const))('%s', async (_label, args) => {
    const full = ['-c', uri, ...args];
    const [a, b] = await Promise.all([ours(full), theirs(full)]);
    expect(a).toEqual(b);
  });

  it.each([['test'], ['1'], [TEST_DOMAIN_UUID], ['idle']])(
    "dominfo %s (the test driver's CPU time is the wall clock, even for a shut-off domain)",
    async (dom) => {
      const full = ['-c', uri, 'dominfo', dom];
      const [a, b] = await Promise.all([ours(full), theirs(full)]);
      const cpuTime = /^CPU time: +\d+\.\ds$/m;
      expect(a.stdout).toMatch(cpuTime);
      expect({ ...a, stdout: a.stdout.replace(cpuTime, '') }).toEqual({ ...b, stdout: b.stdout.replace(cpuTime, '') });
    },
  );

  it('define and create from a file', async () => {
    for (const cmd of ['define', 'create']) {
      const full = ['-c', uri, cmd, join(dir, 'new.xml')];
      const [a, b] = await Promise.all([ours(full), theirs(full)]);
      expect(a).toEqual(b);
      expect(a.status).toBe(0);
    }
  });

  it('uri prints the URI of the connection', async () => {
    const full = ['-c', uri, 'uri'];
    const [a, b] = await Promise.all([ours(full), theirs(full)]);
    expect(a).toEqual(b);
  });

  it('version agrees on the daemon lines', async () => {
    const [a, b] = await Promise.all([ours(['-c', uri, 'version']), theirs(['-c', uri, 'version'])]);
    const tail = (o: Outcome): string[] => o.stdout.split('\n').slice(2);
    expect(tail(a)).toEqual(tail(b));
    expect(a.stdout).toMatch(/^Compiled against library: libvirt \d+\.\d+\.\d+\n/);
  });

  it('reports a failed connection like virsh', async () => {
    const c = await ours(['-c', 'test+unix:///default?socket=/nonexistent/sock', 'list']);
    expect(c.status).toBe(1);
    expect(c.stderr).toMatch(/^error: failed to connect to the hypervisor\nerror: .*\/nonexistent\/sock/);
  });
});

describe('a daemon that is not there', () => {
  it('prints libvirt\'s "Failed to connect socket" line, as virsh does, for a missing and a refusing socket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lvrpc-nosock-'));
    const missing = join(dir, 'missing-sock');
    const stale = join(dir, 'stale-sock');
    writeFileSync(stale, ''); // a regular file: connect() is refused
    for (const sock of [missing, stale]) {
      const args = ['-c', `qemu+unix:///system?socket=${sock}`, 'list'];
      const [a, b] = await Promise.all([ours(args), theirs(args)]);
      expect(a).toEqual(b);
      expect(a.stderr).toContain(`Failed to connect socket to '${sock}'`);
    }
  });
});

describe('help by group keyword', () => {
  // Groups where tsvirsh has every command of virsh 9.0.0: the listing is identical.
  it.each(['secret', 'nodedev', 'events', 'volume', 'host', 'monitor', 'virsh'])('help %s equals virsh', async (keyword) => {
    const [a, b] = await Promise.all([ours(['help', keyword]), theirs(['help', keyword])]);
    expect(a).toEqual(b);
    expect(a.stdout).toContain(`(help keyword '${keyword}')`);
  });

  // The rest: tsvirsh's lines are virsh's, in virsh's order, with virsh's commands we lack left out.
  it.each(['domain', 'checkpoint', 'interface', 'filter', 'network', 'snapshot', 'pool'])("help %s is virsh's, less missing commands", async (keyword) => {
    const [a, b] = await Promise.all([ours(['help', keyword]), theirs(['help', keyword])]);
    expect(a.status).toBe(b.status);
    const theirLines = b.stdout.split('\n');
    let j = 0;
    for (const line of a.stdout.split('\n')) {
      while (j < theirLines.length && theirLines[j] !== line) j++;
      expect(j, `"${line}" out of virsh's order or not in it`).toBeLessThan(theirLines.length);
      j++;
    }
  });

  it("the full listing has virsh's group order and keywords", async () => {
    const [a, b] = await Promise.all([ours(['help']), theirs(['help'])]);
    const heads = (t: string): string[] => t.split('\n').filter((l) => l.includes('(help keyword'));
    expect(heads(a.stdout)).toEqual(heads(b.stdout));
  });
});
