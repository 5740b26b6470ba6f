/**
 * tsvirsh against virsh for the secret commands. Secrets live in the suite
 * daemon's QEMU session URI (a session libvirtd loads the secret driver; the
 * test driver has none, and its errors are compared too). Read-only command
 * lines run through both tools at once; a command line that changes a secret
 * runs through tsvirsh, the secret is put back, then through virsh, and the
 * two outcomes and the secret's state are compared. Every secret this file
 * defines carries a random UUID prefix and is undefined afterwards. Nothing
 * is normalised except where a test says so.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Connection } from '../../src/index.js';
import { harnessDaemon, privateTestUri } from './env.js';
import { both, ours, theirs, type Outcome, helpOutline } from './virsh-diff.js';

const tag = randomBytes(4).toString('hex');
/** This file's secrets: `uuid(1)`, `uuid(2)`, ... */
const uuid = (n: number): string => `${tag}-0000-4000-8000-${String(n).padStart(12, '0')}`;
const VOLUME = uuid(1); // has a value
const PRIVATE = uuid(2); // private, ephemeral, has a value
const EMPTY = uuid(3); // no value
const SCRATCH = uuid(4); // defined and undefined by the tests
const MISSING = uuid(9); // never defined

let uri = '';
let testUri = '';
let dir = '';
let conn: Connection;

const secretXml = (id: string, attrs: string, usage: string): string =>
  `<secret ${attrs}>\n  <uuid>${id}</uuid>\n  <description>tsvirsh ${tag}</description>\n${usage}</secret>\n`;

/** Defines `id` from its XML in `dir`, with `value` when given. */
async function define(file: string, value?: string): Promise<void> {
  const secret = await conn.raw.secretDefineXML(readFileSync(join(dir, file), 'utf8'), 0);
  if (value !== undefined) await conn.raw.secretSetValue(secret, Buffer.from(value), 0);
}

/** The UUIDs of this file's secrets that exist now. */
async function ourSecrets(): Promise<string[]> {
  const { secrets } = await conn.raw.connectListAllSecrets(1, 0);
  return secrets.map((s) => Buffer.from(s.uuid).toString('hex')).filter((h) => h.startsWith(tag));
}

beforeAll(async () => {
  const d = await harnessDaemon();
  uri = d.uris.qemuSessionUnix;
  testUri = await privateTestUri();
  conn = await connect(uri);
  dir = mkdtempSync(join(tmpdir(), 'lvrpc-cli-secret-'));
  const files: Record<string, string> = {
    'volume.xml': secretXml(
      VOLUME,
      "ephemeral='no' private='no'",
      `  <usage type='volume'>\n    <volume>/var/lib/libvirt/images/${tag}.img</volume>\n  </usage>\n`,
    ),
    'private.xml': secretXml(PRIVATE, "ephemeral='yes' private='yes'", ''),
    'empty.xml': secretXml(EMPTY, "ephemeral='no' private='yes'", `  <usage type='ceph'>\n    <name>client.${tag} secret</name>\n  </usage>\n`),
    'scratch.xml': secretXml(SCRATCH.toUpperCase(), "ephemeral='no' private='no'", `  <usage type='iscsi'>\n    <target>iqn.${tag}</target>\n  </usage>\n`),
    'bad-usage.xml': "<secret><usage type='bogus'/></secret>\n",
    'invalid.xml': '<secret><uuid>nope</uuid><bogus/></secret>\n',
    'garbage.xml': 'not xml\n',
    // Values for secret-set-value --file: base64, plain text, lenient base64, a NUL in the middle, nothing.
    v64: 'd29ybGQ=',
    vplain: 'plain value\n',
    vlenient: 'QUJD\n!!REVG=',
    vnul: 'aGk=\0Z2FyYmFnZQ==',
    vempty: '',
    vbig: 'A'.repeat(1025),
    vmax: 'QUJD'.repeat(256),
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  await define('volume.xml', 'hello');
  await define('private.xml', 'top secret');
  await define('empty.xml');
});

afterAll(async () => {
  try {
    if (conn?.isOpen) {
      for (const s of (await conn.raw.connectListAllSecrets(1, 0)).secrets) {
        if (Buffer.from(s.uuid).toString('hex').startsWith(tag)) await conn.raw.secretUndefine(s).catch(() => {});
      }
    }
  } finally {
    await conn?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
});

/** `@` at the start of an argument stands for the dir of files. */
const withUri = (u: string, args: readonly string[]): string[] => ['-c', u, ...args.map((a) => a.replace(/^@/, dir))];

/** Command lines that change nothing (or fail before changing anything). */
const SAME: string[][] = [
  ['secret-list'],
  ['secret-list', '--ephemeral'],
  ['secret-list', '--no-ephemeral'],
  ['secret-list', '--private'],
  ['secret-list', '--no-private'],
  ['secret-list', '--private', '--no-private'],
  ['secret-list', '--ephemeral', '--no-ephemeral', '--private'],
  ['-q', 'secret-list'],
  ['secret-dumpxml', VOLUME],
  ['secret-dumpxml', EMPTY.toUpperCase()],
  ['secret-dumpxml', ` ${VOLUME.replace(/-/g, ' ')} `],
  ['secret-dumpxml', VOLUME.replace(/-/g, '')],
  ['secret-dumpxml', '--secret', PRIVATE, '--wrap'],
  ['secret-dumpxml', VOLUME, '--xpath='],
  ['secret-dumpxml', MISSING, '--xpath='],
  ['secret-dumpxml', MISSING],
  ['secret-dumpxml', 'nope'],
  ['secret-dumpxml', `${VOLUME}0`],
  ['secret-dumpxml', ''],
  ['secret-dumpxml'],
  ['secret-get-value', VOLUME],
  ['secret-get-value', VOLUME, '--plain'],
  ['secret-get-value', PRIVATE],
  ['secret-get-value', EMPTY],
  ['secret-get-value', MISSING, '--plain'],
  ['secret-set-value', VOLUME],
  ['secret-set-value', VOLUME, '--plain'],
  ['secret-set-value', VOLUME, '--file', '@/v64', '--base64', 'eA=='],
  ['secret-set-value', VOLUME, '--plain', '--base64', 'eA=='],
  ['secret-set-value', VOLUME, '--interactive', '--base64', 'eA=='],
  ['secret-set-value', VOLUME, '--interactive', '--plain'],
  ['secret-set-value', VOLUME, '--interactive', '--file', '@/v64'],
  ['secret-set-value', VOLUME, '--base64='],
  // --base64 fills by position too.
  ['secret-set-value', VOLUME, '--plain', 'eA=='],
  ['secret-set-value', VOLUME, 'eA==', 'extra'],
  ['secret-set-value', VOLUME, 'eA==', '--base64', 'eQ=='],
  ['secret-set-value', VOLUME, '--file='],
  ['secret-set-value', VOLUME, '--file', '@/missing'],
  ['secret-set-value', VOLUME, '--file', '@/vbig'],
  ['secret-set-value', VOLUME, '--file', '@'],
  ['secret-set-value', VOLUME, '--file', '@/vempty'],
  ['secret-set-value', VOLUME, '--file', '@/vempty', '--plain'],
  ['secret-set-value', 'nope', '--file', '@/v64'],
  ['secret-set-value', MISSING, '--file', '@/v64'],
  // No terminal and nothing on stdin: virsh prompts, reads nothing and the daemon refuses an empty value.
  ['secret-set-value', VOLUME, '--interactive'],
  ['secret-define', '@/missing.xml'],
  ['secret-define', '@/bad-usage.xml'],
  ['secret-define', '@/garbage.xml'],
  ['secret-define', '@/invalid.xml', '--validate'],
  ['secret-define', ''],
  ['secret-undefine', 'nope'],
  ['secret-undefine', MISSING],
  ['secret-undefine', ''],
  ['secret-list', '--bogus'],
];

describe('tsvirsh secret commands match virsh (QEMU session daemon)', () => {
  it.each(SAME.map((a) => [a.join(' '), a] as const))('%s', async (_label, args) => {
    const [a, b] = await both(withUri(uri, args));
    expect(a).toEqual(b);
  });

  /** Runs `args` through tsvirsh, then `reset`, then through virsh; returns both outcomes. */
  async function inTurn(args: string[], reset: () => Promise<unknown>): Promise<[Outcome, Outcome]> {
    const a = await ours(withUri(uri, args));
    await reset();
    const b = await theirs(withUri(uri, args));
    return [a, b];
  }

  const undefineScratch = async (): Promise<void> => {
    await conn.raw.secretUndefine(await conn.raw.secretLookupByUUID(Buffer.from(SCRATCH.replace(/-/g, ''), 'hex')));
  };

  it.each([[['secret-define', '@/scratch.xml']], [['secret-define', '@/scratch.xml', '--validate']], [['-q', 'secret-define', '@/scratch.xml']]])(
    '%j defines the secret',
    async (args) => {
      const [a, b] = await inTurn(args, async () => {
        expect(await ourSecrets()).toContain(SCRATCH.replace(/-/g, ''));
        await undefineScratch();
      });
      expect(a).toEqual(b);
      expect(a.status).toBe(0);
      await undefineScratch();
    },
  );

  it.each([[['secret-undefine', SCRATCH]], [['-q', 'secret-undefine', SCRATCH.toUpperCase()]]])('%j deletes the secret', async (args) => {
    await define('scratch.xml');
    const [a, b] = await inTurn(args, async () => {
      expect(await ourSecrets()).not.toContain(SCRATCH.replace(/-/g, ''));
      await define('scratch.xml');
    });
    expect(a).toEqual(b);
    expect(a.status).toBe(0);
    expect(await ourSecrets()).not.toContain(SCRATCH.replace(/-/g, ''));
  });

  /** The bytes of VOLUME's value now. */
  const volumeValue = async (): Promise<string> =>
    Buffer.from(await conn.raw.secretGetValue(await conn.raw.secretLookupByUUID(Buffer.from(VOLUME.replace(/-/g, ''), 'hex')), 0)).toString('latin1');

  it.each([
    [['--file', '@/v64'], 'world'],
    [['--file', '@/v64', '--plain'], 'd29ybGQ='],
    [['--file', '@/vplain', '--plain'], 'plain value\n'],
    // glib's decoder skips what is not base64 and drops a partial group.
    [['--file', '@/vlenient'], 'ABCDEF'],
    // Without --plain the value ends at a NUL (virsh decodes a C string); with it the whole file counts.
    [['--file', '@/vnul'], 'hi'],
    [['--file', '@/vnul', '--plain'], 'aGk=\0Z2FyYmFnZQ=='],
    [['--file', '@/vmax'], 'ABC'.repeat(256)],
  ])('secret-set-value %j sets the value', async (extra, expected) => {
    const args = ['secret-set-value', VOLUME, ...extra];
    const [a, b] = await inTurn(args, async () => {
      expect(await volumeValue()).toBe(expected);
      await conn.raw.secretSetValue(await conn.raw.secretLookupByUUID(Buffer.from(VOLUME.replace(/-/g, ''), 'hex')), Buffer.from('hello'), 0);
    });
    expect(a).toEqual(b);
    expect(a.status).toBe(0);
    expect(await volumeValue()).toBe(expected);
    // And both tools read it back alike.
    const [ga, gb] = await both(withUri(uri, ['secret-get-value', VOLUME]));
    expect(ga).toEqual(gb);
  });

  it.each([
    [['--base64', 'aGVsbG8='], 'hello'],
    [['--base64', 'd29y!ld'], 'wor'],
  ])('secret-set-value %j warns on stderr and sets the value', async (extra, expected) => {
    const [a, b] = await inTurn(['secret-set-value', VOLUME, ...extra], async () => {
      expect(await volumeValue()).toBe(expected);
    });
    expect(a).toEqual(b);
    expect(a.stderr).toBe('error: Passing secret value as command-line argument is insecure!\n');
    expect(a.status).toBe(0);
    expect(await volumeValue()).toBe(expected);
  });

  it('secret-set-value --base64 with nothing decodable warns, then fails', async () => {
    const [a, b] = await inTurn(['secret-set-value', VOLUME, '--base64', '!!!'], async () => {});
    expect(a).toEqual(b);
    expect(a.stderr).toMatch(/^error: Passing secret value as command-line argument is insecure!\nerror: Failed to set secret value\n/);
  });
});

describe('tsvirsh secret commands fail as virsh does on the test driver (no secret driver)', () => {
  it.each([
    ['secret-list'],
    ['secret-list', '--no-private'],
    ['secret-define', '@/volume.xml'],
    ['secret-dumpxml', VOLUME],
    ['secret-get-value', 'nope'],
    ['secret-set-value', VOLUME, '--base64', 'eA=='],
    ['secret-undefine', VOLUME],
  ])('%s %s', async (...args) => {
    const [a, b] = await both(withUri(testUri, args));
    expect(a).toEqual(b);
    expect(a.status).toBe(1);
  });
});

describe('help for the secret commands', () => {
  it.each(['secret-define', 'secret-dumpxml', 'secret-get-value', 'secret-list', 'secret-set-value', 'secret-undefine'])('help %s', async (name) => {
    const [a, b] = await both(['help', name]);
    expect(helpOutline(a.stdout)).toEqual(helpOutline(b.stdout));
    expect(helpOutline(a.stdout)).toContainEqual(expect.stringMatching(/^SYNOPSIS: secret-/));
  });
});
