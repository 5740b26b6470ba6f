import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TEST_DOMAINS, TEST_GUEST_DEVICES } from '../../harness/test-driver.js';
import { privateTestUri } from './env.js';
import { both, type Outcome } from './virsh-diff.js';

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
