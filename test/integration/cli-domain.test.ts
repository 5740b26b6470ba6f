import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TEST_DOMAINS, TEST_GUEST_DEVICES } from '../../harness/test-driver.js';
import { privateTestUri } from './env.js';
import { both, ours, type Outcome } from './virsh-diff.js';

const DOMAINS = [
  ...DEFAULT_TEST_DOMAINS,
  { name: 'idle', state: 'shutoff' as const, vcpus: 1, memoryKiB: 524288, currentMemoryKiB: 524288 },
  { name: 'Beta', state: 'paused' as const },
];

let uri = '';
let devUri = '';

beforeAll(async () => {
  uri = await privateTestUri('unix', { domains: DOMAINS });
  // The same node with disks and interfaces on every domain.
  devUri = await privateTestUri('unix', { domains: DOMAINS, domainDevices: TEST_GUEST_DEVICES });
});

const SAME: string[][] = [
  ['vcpuinfo', 'idle'],
  ['vcpuinfo', 'idle', '--pretty'],
  ['vcpuinfo', 'nope'],
  ['vcpucount', 'test'],
  ['vcpucount', 'idle'],
  ['vcpucount', 'test', '--maximum'],
  ['vcpucount', 'test', '--current'],
  ['vcpucount', 'test', '--live', '--config'],
  ['vcpucount', 'idle', '--live'],
  ['vcpucount', 'test', '--guest'],
  ['dommemstat', 'test'],
  ['dommemstat', 'idle'],
  ['domblklist', 'test'],
  ['domiflist', 'idle'],
  ['domblkstat', 'test'],
  ['domcontrol', 'test'],
  ['domcontrol', 'idle'],
  ['domtime', 'test'],
  ['domtime', 'test', '--pretty'],
  ['domtime', 'idle'],
  ['domhostname', 'test'],
  ['domhostname', 'idle'],
  ['setmem', 'test', '1024000'],
  ['setmem', 'idle', '100000'],
  ['setmem', 'idle', '100000', '--config'],
  ['setmem', 'test', '99999999'],
  ['setmem', 'test', 'abc'],
  ['setmem', 'test', '1G'],
  ['setmem'],
  ['setmaxmem', 'idle', '1x'],
  ['setmaxmem', 'idle', '600000'],
  ['setmaxmem', 'test', '600000'],
  ['setvcpus', 'test', '1'],
  ['setvcpus', 'idle', '2'],
  ['setvcpus', 'idle', '1', '--maximum', '--config'],
  ['setvcpus', 'test', '3', '--maximum'],
  ['setvcpus', 'test', 'abc'],
  ['domrename', 'idle', 'idle2'],
  ['domrename', 'test', 'foo'],
  ['desc', 'test'],
  ['desc', 'test', '--title'],
  ['desc', 'test', '--new-desc', 'hello'],
  ['list', '--title'],
  ['list', '--table', '--title', '--all'],
  ['managedsave', 'idle'],
  ['managedsave-remove', 'idle'],
  // One connection, several commands: state carries over from one to the next.
  ['desc idle --title --new-desc T1; list --title --all; desc idle --title; desc idle'],
  ['managedsave test; managedsave-remove test; managedsave-remove test; dominfo idle'],
  ['vcpucount test; setvcpus test 1; vcpucount test; setmem test 1G; vcpucount test --current'],
  ['domid test; domstate nope'],
  ['domstate nope; domid test'],
  ['domid test;domname 1 ; ; domid test'],
  ['domid test # a comment; domid 1'],
  ['domid te\\st; quit; domid test'],
  ['domid "test'],
  ['domid test; bogus; domid test'],
  ['setmem; setvcpus test 1'],
];

const ON_DEVICES: string[][] = [
  ['domblklist', 'test'],
  ['domblklist', 'test', '--details'],
  ['domblklist', 'test', '--inactive'],
  ['-q', 'domblklist', 'test', '--details'],
  ['domiflist', 'test'],
  ['domiflist', 'test', '--inactive'],
  ['domblkstat', 'test', 'hda'],
  ['domifstat', 'test', 'vnet0'],
  ['domifstat', 'test'],
];

describe('tsvirsh gives the same output as virsh (domains)', () => {
  // The test driver reports a domain's CPU time from the wall clock: that one value may move
  // between the two runs.
  const cpuTime = (o: Outcome): Outcome => ({ ...o, stdout: o.stdout.replace(/^(CPU time:\s+)\d+(\.\d)?s$/gm, '$1N') });
  it.each(SAME.map((a) => [a.join(' '), a] as const))('%s', async (_label, args) => {
    const [a, b] = await both(['-c', uri, ...args]);
    expect(cpuTime(a)).toEqual(cpuTime(b));
  });

  it.each(ON_DEVICES.map((a) => [a.join(' '), a] as const))('%s (with disks and interfaces)', async (_label, args) => {
    const [a, b] = await both(['-c', devUri, ...args]);
    expect(a).toEqual(b);
  });

  // The test driver derives vCPU times and block/interface counters from the clock.
  const digits = (o: Outcome): Outcome => ({ ...o, stdout: o.stdout.replace(/\d+(\.\d)?s?$/gm, 'N') });

  it.each([
    ['vcpuinfo', 'test'],
    ['vcpuinfo', 'Beta', '--pretty'],
    ['domblkstat', 'test', 'vda'],
    ['domblkstat', 'test', 'vda', '--human'],
    ['domifstat', 'test', '52:54:00:aa:bb:cc'],
  ])('%s %s %s (time-derived counters normalised)', async (...args) => {
    const [a, b] = await both(['-c', devUri, ...args.filter((x) => x !== undefined)]);
    expect(a.stdout).toMatch(/\d/);
    expect(digits(a)).toEqual(digits(b));
  });

  it('screenshot writes the image and names its type', async () => {
    const [a, b] = await both(['-c', uri, 'screenshot', 'test', `/tmp/lvrpc-shot-${process.pid}.png`]);
    expect(a).toEqual(b);
    expect(a.stdout).toContain('image/png');
  });
});

describe('the shell reads commands from stdin as virsh does', () => {
  const SCRIPTS: [string, string[], string][] = [
    ['two commands', [], 'domstate test\ndomid test\n'],
    ['errors, blank lines and comments', [], 'domstate nope\ndomid test\n\n# comment\ndomname 1\n'],
    ['an unknown command', [], 'domid test\nbogus\ndomid test\n'],
    ['quiet', ['-q'], 'domid test\nlist\n'],
    ['quit', [], 'domid test\nquit\ndomid test\n'],
    ['several per line, no final newline', [], 'domid test; domname 1\n  domid test  '],
    ['state kept between lines', [], 'setvcpus test 1\nvcpucount test\ndesc test --title --new-desc T\nlist --title\ndomrename idle x\nlist --all\n'],
  ];
  it.each(SCRIPTS)('%s', async (_label, opts, script) => {
    const [a, b] = await both([...opts, '-c', uri], script);
    expect(a).toEqual(b);
  });
});

/**
 * The options of create, start, undefine, list, shutdown, reboot, dommemstat,
 * domtime and domhostname, on a node with a transient domain beside the others
 * and disks on every domain (undefine's --storage finds them; the test driver
 * manages none of their volumes). `F` is a domain XML file for create.
 */
describe('the options of the domain lifecycle and monitoring commands, as virsh', () => {
  let lifeUri = '';
  let dir = '';
  beforeAll(async () => {
    lifeUri = await privateTestUri('unix', {
      domains: [...DOMAINS, { name: 'tr', state: 'running' as const, transient: true }],
      domainDevices: TEST_GUEST_DEVICES,
    });
    dir = mkdtempSync(path.join(tmpdir(), 'lvrpc-life-'));
    writeFileSync(path.join(dir, 'new.xml'), "<domain type='test'><name>newdom</name><memory>8192</memory><os><type>hvm</type></os></domain>\n");
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const LINES: string[][] = [
    ['list', '--persistent'],
    ['list', '--transient', '--name'],
    ['list', '--uuid', '--id', '--name', '--all'],
    ['list', '--id', '--all'],
    ['list', '--uuid', '--inactive'],
    ['list', '--state-shutoff'],
    ['list', '--state-running', '--state-paused'],
    ['list', '--state-other', '--all'],
    ['list', '--inactive', '--persistent'],
    ['list', '--autostart', '--all'],
    ['list', '--no-autostart'],
    ['list', '--table', '--name'],
    ['list', '--table', '--uuid'],
    ['list', '--table', '--id'],
    ['list', '--with-snapshot', '--all'],
    ['list', '--without-snapshot', '--all'],
    ['list', '--with-checkpoint', '--all'],
    ['list', '--without-checkpoint'],
    ['list', '--with-managed-save', '--all'],
    ['list', '--without-managed-save', '--all'],
    ['-q', 'list', '--all', '--managed-save'],
    ['managedsave test; list --all --managed-save; list --with-managed-save --all; list --without-managed-save --name'],
    ['snapshot-create-as idle s1; list --all --with-snapshot; list --inactive --without-snapshot; list --with-snapshot --title'],
    ['autostart idle; list --autostart --all; list --no-autostart --all --uuid'],
    ['create', 'F'],
    ['create', 'F', '--console'],
    ['create', 'F', '--pass-fds', '3,x'],
    ['create', 'F', '--pass-fds', ''],
    ['create', 'F', '--reset-nvram'],
    ['create', 'F', '--validate'],
    ['create', 'F', '--autodestroy'],
    ['create', 'D/missing.xml', '--pass-fds', 'x'],
    ['start', 'idle', '--console'],
    ['start', 'idle', '--pass-fds', '3,y'],
    ['start', 'idle', '--pass-fds', ''],
    ['start', 'idle', '--reset-nvram'],
    ['start', 'idle', '--force-boot'],
    ['start', '1'],
    ['start', 'test', '--pass-fds', 'x'],
    ['managedsave test; start test --force-boot; list --all --managed-save'],
    ['shutdown', 'test', '--mode', 'acpi'],
    ['shutdown', '1', '--mode', 'agent,signal'],
    ['shutdown', 'test', '--mode', 'acpi,bogus'],
    ['shutdown', 'test', '--mode', 'acpi,,agent'],
    ['shutdown', 'test', '--mode', ''],
    ['shutdown', '1'],
    ['reboot', '1'],
    ['reboot', 'test', '--mode', 'signal'],
    ['reboot', 'test', '--mode', 'initctl,x'],
    ['reboot', 'Beta', '--mode', 'paravirt'],
    ['destroy 1; suspend 2; resume 2; list --all'],
    ['undefine', '1'],
    ['undefine', 'idle', '--checkpoints-metadata'],
    ['undefine', 'idle', '--keep-nvram'],
    ['undefine', 'idle', '--nvram'],
    ['undefine', 'idle', '--tpm'],
    ['undefine', 'idle', '--keep-tpm'],
    ['undefine', 'idle', '--nvram', '--keep-nvram'],
    ['undefine', 'idle', '--tpm', '--keep-tpm'],
    ['undefine', 'idle', '--wipe-storage'],
    ['undefine', 'idle', '--delete-storage-volume-snapshots'],
    ['undefine', 'idle', '--delete-snapshots'],
    ['undefine', 'idle', '--storage', 'vda'],
    ['undefine', 'idle', '--storage', ''],
    ['undefine', 'idle', '--storage', 'nope,vda'],
    ['undefine', 'idle', '--storage', 'hdc,fda'],
    ['undefine', 'idle', '--storage', '/dev/sr0', '--wipe-storage'],
    ['undefine', 'idle', '--storage', 'vda', '--remove-all-storage'],
    ['undefine', 'idle', '--remove-all-storage', '--delete-snapshots'],
    ['undefine', 'test', '--storage', 'vda'],
    ['undefine', 'nope', '--storage', 'x'],
    ['undefine', 'tr'],
    ['managedsave test; undefine test; undefine test --managed-save; list --all'],
    ['snapshot-create-as idle s1; undefine idle; undefine idle --snapshots-metadata; list --all'],
    ['snapshot-create-as idle s1; managedsave test; undefine test --snapshots-metadata'],
    ['dommemstat', 'test', '--period', '5'],
    ['dommemstat', 'test', '--period', '5', '--config'],
    ['dommemstat', 'idle', '--period', '5'],
    ['dommemstat', 'idle', '--period', '5', '--live'],
    ['dommemstat', 'test', '--period', '-1'],
    ['dommemstat', 'test', '--period', 'x'],
    ['dommemstat', 'test', '--period', ''],
    ['dommemstat', 'test', '--period', '5', '--live', '--current'],
    ['dommemstat', 'test', '--current'],
    ['dommemstat', '1', '--live'],
    ['dommemstat', 'test', '5'],
    ['domtime', 'test', '--now'],
    ['domtime', 'test', '--sync'],
    ['domtime', 'test', '--time', '12345'],
    ['domtime test 1000; domtime test; domtime test --pretty'],
    ['domtime', 'test', '--time', '1', '--now'],
    ['domtime', 'test', '--now', '--sync'],
    ['domtime', 'test', '--time', '1', '--sync'],
    ['domtime', 'test', '--time', 'abc'],
    ['domtime', 'test', '--time', '99999999999999999999'],
    ['domtime', 'idle', '--now'],
    ['domhostname', 'test', '--source', 'lease'],
    ['domhostname', 'test', '--source', 'agent'],
    ['domhostname', 'test', '--source', 'foo'],
    ['domhostname', 'test', '--source', ''],
    ['domhostname', 'nope', '--source', 'foo'],
  ];
  it.each(LINES.map((a) => [a.join(' '), a] as const))('%s', async (_label, template) => {
    const args = template.map((a) => (a === 'F' ? path.join(dir, 'new.xml') : a.replaceAll('D/', `${dir}/`)));
    const [a, b] = await both(['-c', lifeUri, ...args]);
    expect(a).toEqual(b);
  });

  it('list --json: the states the table shows (saved with --managed-save), whatever --name/--uuid say', async () => {
    const [a, b] = await both(['-c', lifeUri, 'managedsave test; list --all --managed-save --name']);
    expect(a).toEqual(b);
    const json = await ours(['-c', lifeUri, 'managedsave test; list --all --managed-save --json --name']);
    const states = (JSON.parse(json.stdout.split('\n').find((l) => l.startsWith('['))!) as { name: string; state: string }[]).map(
      (d) => `${d.name}=${d.state}`,
    );
    expect(states).toEqual(['Beta=paused', 'tr=running', 'idle=shut off', 'test=saved']);
  });

  it('--pass-fds with descriptors: virsh passes them, tsvirsh says it cannot', async () => {
    const refusal = 'error: tsvirsh cannot pass file descriptors (--pass-fds): Node.js has no way to send them over a socket (SCM_RIGHTS)\n';
    for (const args of [
      ['create', path.join(dir, 'new.xml'), '--pass-fds', '3'],
      ['start', 'idle', '--pass-fds', '3,4'],
    ]) {
      const [a, b] = await both(['-c', lifeUri, ...args]);
      expect(b.status).toBe(0);
      expect(a).toEqual({ stdout: '\n', stderr: refusal, status: 1 });
    }
  });
});
