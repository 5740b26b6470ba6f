/**
 * tsvirsh against virsh for the host commands of host.ts (NUMA memory and
 * pages, node statistics, the CPU map, node memory tuning, suspend, CPU
 * baselines and comparisons, domain capabilities, SEV information): the same
 * command lines give the same stdout, stderr and exit status, on private
 * test-driver state and on the suite daemon's QEMU session driver.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/index.js';
import { harnessDaemon, privateTestUri } from './env.js';
import { both, type Outcome } from './virsh-diff.js';

let uri = '';
let qemu = '';
let dir = '';

beforeAll(async () => {
  uri = await privateTestUri();
  qemu = (await harnessDaemon()).uris.qemuSessionUnix;
  dir = mkdtempSync(join(tmpdir(), 'lvrpc-cli-host-'));
  await using conn = await connect(qemu);
  writeFileSync(join(dir, 'caps.xml'), await conn.raw.connectGetCapabilities());
  writeFileSync(join(dir, 'domcaps.xml'), await conn.raw.connectGetDomainCapabilities(null, null, null, null, 0));
  writeFileSync(join(dir, 'cpu1.xml'), "<cpu mode='custom' match='exact'><model fallback='forbid'>qemu64</model></cpu>\n");
  writeFileSync(
    join(dir, 'cpu2.xml'),
    "<?xml version='1.0'?>\n<cpu><arch>x86_64</arch><model>Westmere</model><vendor>Intel</vendor></cpu>\n<cpu><arch>x86_64</arch><model>Nehalem</model><vendor>Intel</vendor></cpu>\n",
  );
  writeFileSync(join(dir, 'dom.xml'), '<domain><name>x</name><cpu mode="custom"><model>qemu64</model></cpu></domain>\n');
  writeFileSync(join(dir, 'nocpu.xml'), '<a><b/></a>\n');
}, 120_000);

/** `@` stands for the dir of the XML files. */
const args = (line: string): string[] => line.split(' ').map((a) => a.replaceAll('@', dir));

const ON_TEST_DRIVER: string[] = [
  'freecell',
  'freecell --all',
  '-q freecell --all',
  'freecell 0',
  'freecell 5',
  'freecell --cellno x',
  'freecell --all --cellno 0',
  'freepages',
  'freepages --all',
  'freepages 0 4',
  'freepages 0',
  'freepages -2 4',
  'freepages --cellno 0 --pagesize 4x',
  'allocpages 4 10',
  'allocpages 4 10 --all',
  'allocpages 4 x',
  'allocpages 4x 10',
  'allocpages',
  'nodecpustats',
  'nodecpustats 0',
  'nodecpustats x',
  'nodecpustats --percent',
  'nodememstats',
  'nodecpumap',
  'nodecpumap --pretty',
  'node-memory-tune',
  'node-memory-tune --shm-pages-to-scan 5',
  'node-memory-tune --shm-pages-to-scan -5',
  'nodesuspend mem 60',
  'nodesuspend foo 60',
  'nodesuspend mem -1',
  'nodesuspend mem x',
  'nodesuspend',
  'cpu-baseline /dev/null',
  'cpu-baseline @/cpu1.xml',
  'cpu-baseline @/nofile.xml',
  'cpu-compare @/cpu1.xml',
  'hypervisor-cpu-baseline',
  'hypervisor-cpu-baseline --model qemu64',
  'hypervisor-cpu-compare @/cpu1.xml',
  'domcapabilities',
  'nodesevinfo',
];

const ON_QEMU: string[] = [
  'freecell 5',
  'freepages',
  'freepages 0 2M',
  'freepages --all --pagesize 2M',
  'freepages --cellno 0 --pagesize 4x',
  'allocpages 4 10',
  'allocpages 4 10 --all',
  'allocpages 4 10 --add 0',
  'nodecpustats 99',
  'nodememstats 99',
  'nodecpumap',
  'nodecpumap --pretty',
  'node-memory-tune',
  'node-memory-tune --shm-pages-to-scan 200',
  'cpu-baseline @/cpu2.xml',
  'cpu-baseline @/caps.xml',
  'cpu-baseline @/domcaps.xml',
  'cpu-baseline @/dom.xml',
  'cpu-baseline @/nocpu.xml',
  'cpu-baseline @/cpu2.xml --features',
  'cpu-baseline @/cpu2.xml --migratable',
  'cpu-compare @/cpu1.xml',
  'cpu-compare @/caps.xml',
  'cpu-compare @/cpu2.xml --error',
  'cpu-compare @/cpu1.xml --validate',
  'hypervisor-cpu-baseline',
  'hypervisor-cpu-baseline --model qemu64',
  'hypervisor-cpu-baseline --model qemu64 --features',
  'hypervisor-cpu-baseline @/cpu1.xml',
  'hypervisor-cpu-baseline --file @/cpu1.xml --model qemu64',
  'hypervisor-cpu-baseline --file @/domcaps.xml',
  'hypervisor-cpu-baseline --file @/domcaps.xml --migratable',
  'hypervisor-cpu-baseline --file @/cpu1.xml --arch aarch64',
  'hypervisor-cpu-baseline --model qemu64 --virttype kvm',
  'hypervisor-cpu-compare @/cpu1.xml',
  'hypervisor-cpu-compare @/caps.xml',
  'hypervisor-cpu-compare @/cpu2.xml --error',
  'hypervisor-cpu-compare @/dom.xml --machine pc',
  'domcapabilities',
  'domcapabilities qemu',
  'domcapabilities --arch aarch64',
  'domcapabilities --machine q35',
  'domcapabilities --virttype kvm',
  'nodesevinfo',
];

describe('tsvirsh gives the same output as virsh (host, test driver)', () => {
  it.each(ON_TEST_DRIVER.map((l) => [l] as const))('%s', async (line) => {
    const [a, b] = await both(['-c', uri, ...args(line)]);
    expect(a).toEqual(b);
  });

  // virsh refuses most empty option values (vshCommandOptStringReq).
  it.each([
    ['freepages 0 --pagesize'],
    ['cpu-baseline'],
    ['hypervisor-cpu-baseline --model'],
    ['hypervisor-cpu-compare @/cpu1.xml --arch'],
    ['domcapabilities --arch'],
    ['nodesuspend'],
  ])("%s ''", async (line) => {
    const [a, b] = await both(['-c', uri, ...args(line), '']);
    expect(a).toEqual(b);
  });
});

describe('tsvirsh gives the same output as virsh (host, QEMU session)', () => {
  it.each(ON_QEMU.map((l) => [l] as const))('%s', async (line) => {
    const [a, b] = await both(['-c', qemu, ...args(line)]);
    expect(a).toEqual(b);
  });

  // Free memory, free pages and CPU times are the host's own, read a moment apart.
  // Numbers become N, with the padding before them (its width follows the number's).
  const numbers = (o: Outcome): Outcome => ({ ...o, stdout: o.stdout.replace(/[ \t]*\d+(\.\d+)?/g, ' N') });

  it.each([
    ['freecell'],
    ['freecell', '--all'],
    ['freecell', '0'],
    ['freepages', '--all'],
    ['freepages', '0', '4'],
    ['nodememstats'],
    ['nodememstats', '0'],
    ['nodecpustats'],
    ['nodecpustats', '0'],
    ['nodecpustats', '--percent'],
  ])('%s %s %s (live host figures normalised)', async (...line) => {
    const cmd = line.filter((x) => x !== undefined);
    const [a, b] = await both(['-c', qemu, ...cmd]);
    expect(a.status).toBe(0);
    expect(a.stdout).toMatch(/\d/);
    expect(numbers(a)).toEqual(numbers(b));
  });

  it("domcapabilities prints the daemon's XML, a newline, and the closing blank line", async () => {
    const [a] = await both(['-c', qemu, 'domcapabilities', '--machine', 'q35']);
    await using conn = await connect(qemu);
    const xml = await conn.raw.connectGetDomainCapabilities(null, null, 'q35', null, 0);
    expect(xml).toContain('<domainCapabilities>');
    expect(a.stdout).toBe(`${xml}\n\n`);
  });
});
