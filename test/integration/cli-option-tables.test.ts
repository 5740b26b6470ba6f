/**
 * tsvirsh against virsh on the option-table properties `help` does not show
 * (scripts/option-audit.ts compares the tables): string and int options that
 * virsh 9.0 fills by position (no VSH_OFLAG_REQ_OPT), options it takes by
 * name only (VSH_OFLAG_REQ_OPT), and VSH_OT_ALIAS spellings. Each line runs
 * through both tools on a private test-driver node, whose state every
 * connection loads afresh; a line with `;` is one command string, so a
 * change shows in the next command. Nothing is normalised.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateTestUri } from './env.js';
import { both } from './virsh-diff.js';

/** One interface on the `test` domain, for domif-setlink. */
const DEVICES = `    <devices>
      <interface type='network'>
        <mac address='52:54:00:aa:bb:cc'/>
        <source network='default'/>
        <model type='virtio'/>
      </interface>
    </devices>`;

const MAC = '52:54:00:aa:bb:cc';

let uri = '';
let dir = '';

beforeAll(async () => {
  uri = await privateTestUri('unix');
  const file = /^test\+unix:\/\/([^?]+)\?/.exec(uri)![1];
  writeFileSync(file, readFileSync(file, 'utf8').replaceAll('    <devices>\n    </devices>', DEVICES));
  dir = mkdtempSync(join(tmpdir(), 'lvrpc-cli-option-tables-'));
  writeFileSync(join(dir, 'hdr'), 'header\n');
  writeFileSync(join(dir, 'secret'), 'secret\n');
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const split = (line: string): string[] => (line.includes(';') ? [line] : line.split(' '));

/** Command lines; `@` stands for a scratch directory with two small files. */
const LINES: string[] = [
  // maxvcpus [--type]: positional.
  'maxvcpus test',
  'maxvcpus test extra',
  'maxvcpus bogus',
  // screenshot <domain> [--file] [--screen]: --screen positional (parsed before anything is written).
  'screenshot test @/shot x',
  'screenshot test @/shot 0 extra',
  'screenshot test @/shot 1 --screen 2',
  // console <domain> [--devname]: positional.
  'console test serial0 extra',
  'console test serial0 --devname serial1',
  // domsetlaunchsecstate: --secrethdr and --secret by name only, so a word fills --set-address.
  'domsetlaunchsecstate test @/hdr @/secret',
  'domsetlaunchsecstate test @/hdr',
  'domsetlaunchsecstate test 4096',
  'domsetlaunchsecstate test --secrethdr @/hdr --secret @/secret 4096',
  // domif-setlink --persistent: an alias of --config.
  `domif-setlink test ${MAC} down --persistent; domif-getlink test ${MAC} --config; domif-getlink test ${MAC}`,
  `domif-setlink test ${MAC} down --persistent --config`,
  `domif-setlink test ${MAC} down --persistent=yes`,
  // setmem / setmaxmem --kilobytes: an alias of --size.
  'setmem test --kilobytes 262144; dumpxml test --xpath //currentMemory',
  'setmem test --kilobytes=1G --live; dumpxml test --xpath //currentMemory',
  'setmem test --kilobytes 1024 --size 2048',
  'setmem test --kilobytes',
  'setmem test --kilobytes x',
  'setmaxmem test --kilobytes 4194304 --config; dumpxml test --inactive --xpath //memory',
  'setmaxmem test 1G --kilobytes 2G',
];

describe('tsvirsh option tables match virsh (test driver)', () => {
  it.each(LINES.map((l) => [l] as const))('%s', async (line) => {
    const [a, b] = await both(['-c', uri, ...split(line.replaceAll('@', dir))]);
    expect(a).toEqual(b);
  });
});

/**
 * `complete` on the options now filled by position: a value being typed
 * there gets its option's completer (virsh's static enum lists).
 */
const COMPLETE: string[][] = [
  ['maxvcpus', 'q'],
  ['maxvcpus', '--type', ''],
  ['domcapabilities', '--virttype', 'k'],
  ['nodedev-list', 'p'],
  ['nodedev-list', 'pci,'],
  ['nodedev-list', 'pci,usb,s'],
  ['nodedev-list', '--cap', ''],
  ['nodedev-detach', 'x', 'v'],
  ['nodedev-detach', 'x', '--driver', ''],
];

describe('complete on the positional options matches virsh', () => {
  it.each(COMPLETE.map((w) => [JSON.stringify(w), w] as const))('complete -- %s', async (_label, words) => {
    const [a, b] = await both(['-c', uri, 'complete', '--', ...words]);
    expect(a).toEqual(b);
  });
});
