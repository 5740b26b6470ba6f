/**
 * tsvirsh against virsh for the `--xpath`/`--wrap` of dumpxml, net-dumpxml,
 * pool-dumpxml, vol-dumpxml and snapshot-dumpxml, and the `--validate` of
 * define, pool-define and vol-create, destroy's `--graceful`/`--remove-logs`
 * and snapshot-revert's `--reset-nvram`, on a test-driver URI whose state is
 * private to each connection. Both tools run each line at once; nothing is
 * normalised.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateTestUri } from './env.js';
import { both } from './virsh-diff.js';

let testUri = '';
let dir = '';

beforeAll(async () => {
  testUri = await privateTestUri();
  dir = mkdtempSync(join(tmpdir(), 'lvrpc-cli-xpath-'));
  writeFileSync(join(dir, 'dom.xml'), "<domain type='test'>\n  <name>xv</name>\n  <memory>65536</memory>\n  <os>\n    <type>hvm</type>\n  </os>\n</domain>\n");
  writeFileSync(
    join(dir, 'bad-dom.xml'),
    "<domain type='test'>\n  <name>xv</name>\n  <memory>65536</memory>\n  <nonsense/>\n  <os>\n    <type>hvm</type>\n  </os>\n</domain>\n",
  );
  writeFileSync(join(dir, 'pool.xml'), "<pool type='dir'>\n  <name>xp</name>\n  <target>\n    <path>/xp</path>\n  </target>\n</pool>\n");
  writeFileSync(join(dir, 'vol.xml'), '<volume>\n  <name>xvol</name>\n  <capacity>1048576</capacity>\n</volume>\n');
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const LINES: string[][] = [
  ['dumpxml', 'test', '--xpath', '//name'],
  ['dumpxml', 'test', '--xpath', '//vcpu | //memory', '--wrap'],
  ['dumpxml', 'test', '--xpath='],
  ['dumpxml', 'test', '--wrap'],
  ['dumpxml', 'nope', '--xpath', '//name'],
  ['net-dumpxml', 'default', '--xpath', '//ip/@address'],
  ['net-dumpxml', 'default', '--inactive', '--xpath', '//dhcp', '--wrap'],
  ['pool-dumpxml', 'default-pool', '--xpath', '//target/path'],
  ['pool-dumpxml', 'default-pool', '--xpath', 'count(//path)'],
  [`vol-create default-pool @/vol.xml; vol-dumpxml xvol --pool default-pool --xpath //capacity`],
  ['snapshot-dumpxml', 'test', 'nope', '--xpath', '//name'],
  ['define', '@/dom.xml', '--validate'],
  ['define', '--validate', '@/bad-dom.xml'],
  ['define', '@/bad-dom.xml'],
  ['pool-define', '@/pool.xml', '--validate'],
  ['pool-define', '@/missing.xml', '--validate'],
  ['vol-create', 'default-pool', '@/vol.xml', '--validate'],
  ['vol-create', 'default-pool', '@/vol.xml', '--validate', '--prealloc-metadata'],
  ['destroy test --graceful; domstate test'],
  ['destroy', 'test', '--remove-logs'],
  ['destroy', 'test', '--graceful', '--remove-logs'],
  ['destroy', 'nope', '--graceful'],
  ['snapshot-create-as test s1; snapshot-revert test s1 --reset-nvram; domstate test'],
  ['snapshot-revert', 'test', 's1', '--reset-nvram'],
];

describe('these options match virsh on the test driver', () => {
  it.each(LINES.map((a) => [a.join(' '), a] as const))('%s', async (_label, args) => {
    const [a, b] = await both(['-c', testUri, ...args.map((x) => x.replace(/@/g, dir))]);
    expect(a).toEqual(b);
  });
});
