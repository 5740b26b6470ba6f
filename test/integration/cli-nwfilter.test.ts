/**
 * tsvirsh against virsh for the network filter and filter binding commands.
 * The suite daemon runs unprivileged: its QEMU session URI has the nwfilter
 * driver but refuses to define filters or bindings ("in session mode"), and
 * the test driver has no nwfilter driver at all; so what is compared here is
 * the empty listings, the lookups that find nothing and every error path, on
 * both URIs. Both tools run each command line at once; nothing changes state
 * and nothing is normalised.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harnessDaemon, privateTestUri } from './env.js';
import { both, helpOutline } from './virsh-diff.js';

let sessionUri = '';
let testUri = '';
let dir = '';

const FILTER_UUID = '5c6c1b2a-3d4e-4f50-8a9b-0c1d2e3f4a51';

beforeAll(async () => {
  sessionUri = (await harnessDaemon()).uris.qemuSessionUnix;
  testUri = await privateTestUri();
  dir = mkdtempSync(join(tmpdir(), 'lvrpc-cli-nwfilter-'));
  writeFileSync(
    join(dir, 'filter.xml'),
    `<filter name='tsvirsh-test' chain='ipv4'>\n  <uuid>${FILTER_UUID}</uuid>\n  <rule action='accept' direction='out' priority='500'>\n    <ip srcipaddr='10.0.0.1'/>\n  </rule>\n</filter>\n`,
  );
  writeFileSync(
    join(dir, 'binding.xml'),
    "<filterbinding>\n  <owner>\n    <name>guest1</name>\n    <uuid>11111111-2222-3333-4444-555555555555</uuid>\n  </owner>\n  <portdev name='vnet7'/>\n  <mac address='52:54:00:11:22:33'/>\n  <filterref filter='tsvirsh-test'/>\n</filterbinding>\n",
  );
  writeFileSync(join(dir, 'garbage.xml'), 'not xml\n');
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Command lines for both URIs; `@` stands for the dir of XML files. */
const SAME: string[][] = [
  ['nwfilter-list'],
  ['-q', 'nwfilter-list'],
  ['nwfilter-list', 'extra'],
  ['nwfilter-define', '@/filter.xml'],
  ['nwfilter-define', '@/filter.xml', '--validate'],
  ['nwfilter-define', '--file', '@/garbage.xml'],
  ['nwfilter-define', '@/missing.xml'],
  ['nwfilter-define', ''],
  ['nwfilter-define'],
  ['nwfilter-dumpxml', 'tsvirsh-test'],
  ['nwfilter-dumpxml', FILTER_UUID],
  ['nwfilter-dumpxml', FILTER_UUID.replace(/-/g, '')],
  ['nwfilter-dumpxml', 'nope', '--wrap'],
  ['nwfilter-dumpxml', 'nope', '--xpath='],
  ['nwfilter-dumpxml', ''],
  ['nwfilter-undefine', 'tsvirsh-test'],
  ['nwfilter-undefine', FILTER_UUID],
  ['nwfilter-undefine', '--nwfilter='],
  ['-q', 'nwfilter-undefine', 'nope'],
  ['nwfilter-binding-list'],
  ['-q', 'nwfilter-binding-list'],
  ['nwfilter-binding-create', '@/binding.xml'],
  ['nwfilter-binding-create', '@/binding.xml', '--validate'],
  ['nwfilter-binding-create', '@/missing.xml'],
  ['nwfilter-binding-create', ''],
  ['nwfilter-binding-delete', 'vnet7'],
  ['nwfilter-binding-delete', ''],
  ['nwfilter-binding-dumpxml', 'vnet7'],
  ['nwfilter-binding-dumpxml', 'vnet7', '--xpath', '//portdev', '--wrap'],
  ['nwfilter-binding-dumpxml', '--binding='],
];

describe.each([
  ['the QEMU session daemon', () => sessionUri],
  ['the test driver', () => testUri],
])('tsvirsh nwfilter commands match virsh on %s', (_where, uri) => {
  it.each(SAME.map((a) => [a.join(' '), a] as const))('%s', async (_label, args) => {
    const [a, b] = await both(['-c', uri(), ...args.map((x) => x.replace(/^@/, dir))]);
    expect(a).toEqual(b);
  });
});

describe('the session daemon refuses to define, so nothing was defined', () => {
  it('nwfilter-list and nwfilter-binding-list stay empty', async () => {
    const [a, b] = await both(['-c', sessionUri, '-q', 'nwfilter-list; nwfilter-binding-list']);
    expect(a).toEqual(b);
    expect(a).toEqual({ stdout: '', stderr: '', status: 0 });
  });
});

describe('help for the nwfilter commands', () => {
  it.each([
    'nwfilter-define',
    'nwfilter-dumpxml',
    'nwfilter-list',
    'nwfilter-undefine',
    'nwfilter-binding-create',
    'nwfilter-binding-delete',
    'nwfilter-binding-dumpxml',
    'nwfilter-binding-list',
  ])('help %s', async (name) => {
    const [a, b] = await both(['help', name]);
    expect(helpOutline(a.stdout)).toEqual(helpOutline(b.stdout));
    expect(helpOutline(a.stdout)).toContainEqual(expect.stringMatching(/^SYNOPSIS: nwfilter-/));
  });
});
