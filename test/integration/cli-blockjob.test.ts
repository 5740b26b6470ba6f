/**
 * tsvirsh against virsh for the block job commands (blockjob, blockcopy,
 * blockcommit, blockpull, blockresize) and vol-clone, vol-create-from and
 * vol-resize.
 *
 * The test driver has no block jobs: there the option checks, the daemon's
 * refusals and `blockcopy --print-xml` are compared. Real jobs run on the
 * QEMU session daemon, on twin guests (one per tool, each with a qcow2
 * overlay over a raw base image, made afresh for every scenario) since the
 * jobs change them; outputs are compared with each guest's name and
 * directory put back to a common one. With `--verbose`, how many progress
 * updates a tool prints depends on when it polls the job: only the last one
 * is compared. The volume commands run on private test-driver state.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chownToTestUser } from '../../harness/daemon.js';
import { tinyGuestXml } from '../../harness/guest.js';
import { connect, type Connection } from '../../src/index.js';
import type { RemoteNonnullDomain } from '../../src/protocol.js';
import { harnessDaemon, privateTestUri } from './env.js';
import { both, ours, theirs, type Outcome } from './virsh-diff.js';

const tag = randomBytes(3).toString('hex');
let testUri = '';
let session = '';
let dataDir = '';
let files = '';
let conn: Connection;

beforeAll(async () => {
  const d = await harnessDaemon();
  testUri = await privateTestUri();
  session = d.uris.qemuSessionUnix;
  dataDir = join(d.dir, 'data', `cli-bj-${tag}`);
  mkdirSync(dataDir, { recursive: true });
  chownToTestUser(dataDir);
  conn = await connect(session);
  files = mkdtempSync(join(tmpdir(), 'lvrpc-cli-bj-'));
  chmodSync(files, 0o755);
  writeFileSync(join(files, 'newvol.xml'), "<volume><name>from.img</name><capacity unit='MiB'>4</capacity></volume>\n");
  writeFileSync(join(files, 'net.xml'), '<network><name>x</name></network>\n');
  writeFileSync(join(files, 'dest.xml'), "<disk type='file'><source file='/nonexistent/copy.img'/><driver type='raw'/></disk>\n");
});

afterAll(async () => {
  await conn?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  if (files) rmSync(files, { recursive: true, force: true });
});

describe('block job commands on the test driver match virsh', () => {
  const SAME: string[] = [
    'blockjob test vda',
    'blockjob test vda --info',
    'blockjob test vda --raw',
    'blockjob test vda --bytes',
    'blockjob test vda --abort',
    'blockjob test vda --pivot',
    'blockjob test vda --bandwidth 10',
    'blockjob nope vda',
    "blockjob test ''",
    'blockjob test vda --raw --abort',
    'blockjob test vda --info --bandwidth 1',
    'blockjob test vda --bytes --pivot',
    'blockjob test vda --raw --async',
    'blockjob test vda --bandwidth x',
    'blockjob test vda --bandwidth -1',
    'blockjob test vda --bandwidth 1M',
    'blockjob test vda --bandwidth 1Mx',
    'blockjob nope vda --bandwidth x',
    'blockresize test vda 10M',
    'blockresize nope vda 10M',
    'blockresize test vda 10x',
    'blockresize test vda -1',
    'blockresize test vda 99999999999999999999',
    "blockresize test vda ''",
    'blockresize test vda 1KB',
    'blockresize test vda 1kib',
    'blockresize test vda 1bytes',
    'blockresize test vda 18014398509481984',
    'blockresize test vda 16E',
    "blockresize test '' 1",
    'blockresize test vda',
    'blockpull test vda',
    'blockpull test vda --wait',
    'blockpull test vda --verbose',
    'blockpull test vda --async',
    'blockpull test vda --timeout 0 --wait',
    "blockpull test vda --base ''",
    'blockpull test vda --base /x',
    'blockpull test vda --keep-relative --bytes',
    'blockpull nope vda',
    'blockcommit test vda',
    'blockcommit test vda --pivot --keep-overlay',
    'blockcommit test vda --verbose',
    'blockcommit test vda --async',
    'blockcommit test vda --active --wait',
    "blockcommit test vda --top ''",
    'blockcommit test vda --bandwidth 1T --bytes --shallow --delete --keep-relative --base /b --top /t',
    'blockcopy test vda /tmp/x',
    'blockcopy test vda',
    'blockcopy test vda --dest x --xml y',
    'blockcopy test vda --format x --xml y',
    'blockcopy test vda --blockdev --xml y',
    'blockcopy test vda /x --pivot --finish',
    'blockcopy test vda /x --verbose',
    'blockcopy test vda /x --async',
    'blockcopy test vda /x --granularity -1',
    'blockcopy test vda /x --granularity 4294967296',
    'blockcopy test vda /x --buf-size x',
    'blockcopy test vda /x --print-xml',
    'blockcopy test vda /x --print-xml --format qcow2 --blockdev',
    'blockcopy test vda /x --raw --print-xml',
    'blockcopy test vda "/x\'<&" --print-xml',
    'blockcopy test vda --xml /nonexistent.xml',
    'blockcopy test vda --xml @/dest.xml --print-xml',
    'blockcopy test vda --xml @/dest.xml --transient-job',
    'blockcopy test vda /x --bandwidth 99999999999999999 --granularity 512',
    'blockcopy test vda /x --buf-size 10 --bandwidth 1 --print-xml',
    'blockcopy test vda /x 5 --print-xml',
    'blockcopy test vda /x 5 6 /y',
    'blockcopy test vda /x --wait',
    'blockcopy test vda /x --format qcow2',
    'blockcopy test vda /x --blockdev --raw --shallow --reuse-external --bytes --bandwidth 5',
    'blockcopy nope vda /x',
    "blockcopy test vda --dest ''",
  ];
  it.each(SAME)('%s', async (line) => {
    const [a, b] = await both(['-c', testUri, line.replace(/@/g, files)]);
    expect(a).toEqual(b);
  });

  it('-q leaves out the job messages', async () => {
    const [a, b] = await both(['-q', '-c', testUri, 'blockcopy test vda /x --print-xml; blockjob test vda']);
    expect(a).toEqual(b);
  });
});

describe('vol-clone, vol-create-from and vol-resize match virsh', () => {
  const MAKE = 'vol-create-as default-pool a.img 10M';
  const SAME: string[] = [
    `${MAKE}; vol-clone a.img b.img --pool default-pool --print-xml`,
    `${MAKE}; vol-clone a.img b.img --pool default-pool; vol-list default-pool --details; vol-dumpxml b.img --pool default-pool`,
    `${MAKE}; vol-clone /default-pool/a.img c.img`,
    `${MAKE}; vol-clone a.img b.img default-pool --print-xml`,
    `${MAKE}; vol-clone a.img a.img --pool default-pool`,
    `${MAKE}; vol-clone a.img '' --pool default-pool`,
    `${MAKE}; vol-clone a.img 'x&amp;y<' --pool default-pool --print-xml`,
    `${MAKE}; vol-clone a.img 'é' --pool default-pool --print-xml`,
    "vol-create-as default-pool 'é.img' 10M; vol-clone 'é.img' b --pool default-pool --print-xml",
    `vol-create-as default-pool 'q"u&o' 10M; vol-clone '/default-pool/q"u&o' z --print-xml`,
    `${MAKE}; vol-clone a.img b.img --pool default-pool --prealloc-metadata --reflink`,
    `${MAKE} --format qcow2; vol-clone a.img b.img --pool default-pool --print-xml`,
    'vol-clone nope b.img --pool default-pool',
    'vol-clone nope b.img',
    'vol-clone nope',
    `${MAKE}; vol-create-from default-pool @/newvol.xml a.img --inputpool default-pool; vol-list default-pool --details`,
    `${MAKE}; vol-create-from default-pool @/newvol.xml a.img`,
    `${MAKE}; vol-create-from default-pool @/newvol.xml /default-pool/a.img --validate --prealloc-metadata`,
    `${MAKE}; vol-create-from default-pool @/newvol.xml a.img default-pool --reflink`,
    'vol-create-from default-pool @/newvol.xml nope',
    'vol-create-from default-pool @/newvol.xml nope --inputpool default-pool',
    'vol-create-from default-pool @/newvol.xml nope --inputpool nopool',
    'vol-create-from nopool @/newvol.xml nope',
    `${MAKE}; vol-create-from default-pool @/missing.xml a.img --inputpool default-pool`,
    `${MAKE}; vol-create-from default-pool @/net.xml a.img --inputpool default-pool`,
    `${MAKE}; vol-create-from default-pool '' a.img --inputpool default-pool`,
    `${MAKE}; vol-resize a.img 20M --pool default-pool; vol-info a.img --pool default-pool --bytes`,
    `${MAKE}; vol-resize a.img 20M default-pool`,
    `${MAKE}; vol-resize a.img -5M --pool default-pool`,
    `${MAKE}; vol-resize a.img -5M --pool default-pool --shrink; vol-info a.img --pool default-pool --bytes`,
    `${MAKE}; vol-resize a.img 5M --pool default-pool --shrink`,
    `${MAKE}; vol-resize a.img 5M --pool default-pool`,
    `${MAKE}; vol-resize a.img 1M --pool default-pool --delta --allocate; vol-info --bytes a.img --pool default-pool`,
    `${MAKE}; vol-resize a.img '  7M' --pool default-pool`,
    `${MAKE}; vol-resize a.img 7X --pool default-pool`,
    `${MAKE}; vol-resize a.img abc --pool default-pool`,
    `${MAKE}; vol-resize a.img '' --pool default-pool`,
    `${MAKE}; vol-resize a.img 100T --pool default-pool`,
    `${MAKE}; vol-resize a.img 20000000E --pool default-pool`,
    `${MAKE}; vol-resize a.img -- --pool`,
    'vol-resize nope 1M',
  ];
  it.each(SAME)('%s', async (line) => {
    const [a, b] = await both(['-c', testUri, line.replace(/@/g, files)]);
    expect(a).toEqual(b);
  });

  it('-q leaves out the messages', async () => {
    const line = `${MAKE}; vol-clone a.img b.img --pool default-pool; vol-create-from default-pool ${files}/newvol.xml b.img default-pool`;
    const [a, b] = await both(['-q', '-c', testUri, line]);
    expect(a).toEqual(b);
    expect(a).toEqual({ stdout: '', stderr: '', status: 0 });
  });
});

describe('vol-resize, vol-clone and vol-create-from on dir pools match virsh', () => {
  // One dir pool per tool, each holding the same volumes: the outputs name volumes, never pools.
  const poolName = (who: 'ours' | 'theirs'): string => `bjpool-${who === 'ours' ? 'a' : 'b'}-${tag}`;
  const pools: { destroy: () => Promise<unknown> }[] = [];

  beforeAll(async () => {
    for (const who of ['ours', 'theirs'] as const) {
      const dir = join(dataDir, `pool-${who === 'ours' ? 'a' : 'b'}`);
      mkdirSync(dir);
      chownToTestUser(dir);
      const pool = await conn.raw.storagePoolCreateXML(`<pool type='dir'><name>${poolName(who)}</name><target><path>${dir}</path></target></pool>`, 0);
      pools.push({ destroy: () => conn.raw.storagePoolDestroy(pool) });
      await conn.raw.storageVolCreateXML(pool, "<volume><name>v.img</name><capacity unit='MiB'>10</capacity><target><format type='raw'/></target></volume>", 0);
      await conn.raw.storageVolCreateXML(
        pool,
        "<volume><name>q.qcow2</name><capacity unit='MiB'>10</capacity><target><format type='qcow2'/></target></volume>",
        0,
      );
    }
  });
  afterAll(async () => {
    for (const p of pools) await p.destroy().catch(() => {});
  });

  it.each([
    'vol-resize v.img 20M --pool %',
    'vol-resize v.img 5M --pool % --shrink',
    'vol-resize v.img 1M % --delta --allocate',
    'vol-resize v.img -2M --pool % --shrink',
    'vol-resize v.img 1M --pool %',
    'vol-resize q.qcow2 +20M --pool %',
    'vol-info v.img --pool % --bytes',
    'vol-clone v.img c.img --pool %',
    'vol-clone q.qcow2 c2.qcow2 --pool % --print-xml',
    'vol-clone q.qcow2 c2.qcow2 --pool % --prealloc-metadata',
    'vol-create-from % @/newvol.xml v.img --inputpool %',
    'vol-create-from % @/newvol.xml v.img --inputpool %',
    'vol-list % --details',
  ])('%s', async (line) => {
    const args = (who: 'ours' | 'theirs'): string[] => ['-c', session, line.replaceAll('%', poolName(who)).replace(/@/g, files)];
    const [a, b] = await Promise.all([ours(args('ours')), theirs(args('theirs'))]);
    // vol-list and the clone's XML show each pool's directory, and the XML the file times of each tool's volume.
    const fix = (o: Outcome, who: 'ours' | 'theirs'): Outcome => ({
      ...o,
      stdout: o.stdout.replaceAll(join(dataDir, `pool-${who === 'ours' ? 'a' : 'b'}`), 'DIR').replace(/<([amcb]time)>[^<]*</g, '<$1>TIME<'),
    });
    expect(fix(a, 'ours')).toEqual(fix(b, 'theirs'));
  });
});

describe('block jobs on QEMU guests match virsh', () => {
  const WHO = ['ours', 'theirs'] as const;
  type Who = (typeof WHO)[number];
  // Names of one length, so that tables listing them line up alike.
  const letter = (who: Who): string => (who === 'ours' ? 'a' : 'b');
  const guestName = (who: Who): string => `bj-${letter(who)}-${tag}`;
  const guestDir = (who: Who): string => join(dataDir, letter(who));
  let guests: RemoteNonnullDomain[] = [];

  /** Fresh twin guests: vda is a qcow2 overlay over a 4 MiB raw base. */
  async function twins(): Promise<void> {
    await destroyTwins();
    for (const who of WHO) {
      const dir = guestDir(who);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir);
      const img = (...args: string[]): void => {
        const r = spawnSync('qemu-img', ['create', '-q', ...args], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`qemu-img: ${r.stderr}`);
      };
      img('-f', 'raw', join(dir, 'base.img'), '4M');
      img('-f', 'qcow2', '-b', join(dir, 'base.img'), '-F', 'raw', join(dir, 'top.qcow2'));
      for (const p of [dir, join(dir, 'base.img'), join(dir, 'top.qcow2')]) chownToTestUser(p);
      const disk = `<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${join(dir, 'top.qcow2')}'/><target dev='vda' bus='virtio'/></disk>\n`;
      guests.push(await conn.raw.domainCreateXML(tinyGuestXml(guestName(who), { vnc: false, extraDevices: disk }), 0));
    }
  }

  async function destroyTwins(): Promise<void> {
    for (const g of guests) await conn.raw.domainDestroy(g).catch(() => {});
    guests = [];
  }

  afterAll(destroyTwins);

  /** Each guest's name and directory as a common one; only the last --verbose progress update. */
  const common = (o: Outcome, who: Who): Outcome => {
    const fix = (s: string): string => s.replaceAll(guestName(who), 'GUEST').replaceAll(guestDir(who), 'DIR');
    return { ...o, stdout: fix(o.stdout), stderr: fix(o.stderr).replace(/(\r[A-Za-z ]+: \[[ \d]{3} %\])+/g, (m) => m.slice(m.lastIndexOf('\r'))) };
  };

  /** Runs each line (`%G` the guest, `%D` its directory) with both tools, each on its own twin. */
  async function pairs(...lines: string[]): Promise<Outcome[]> {
    const results: Outcome[] = [];
    for (const line of lines) {
      const args = (who: Who): string[] => ['-c', session, line.replaceAll('%G', guestName(who)).replaceAll('%D', guestDir(who))];
      const [a, b] = await Promise.all([ours(args('ours')), theirs(args('theirs'))]);
      expect(common(a, 'ours'), line).toEqual(common(b, 'theirs'));
      results.push(a);
    }
    return results;
  }

  it('blockjob without a job, blockresize, blockpull --wait', async () => {
    await twins();
    const [, , , , pull] = await pairs(
      'blockjob %G vda',
      'blockresize %G vda 8M',
      'blockresize %G vda 8193',
      'blockresize %G vdb 8M',
      'blockpull %G vda --wait',
      'blockjob %G vda --raw',
      'blockjob %G vda',
    );
    expect(pull.stdout).toBe('\nPull complete\n');
  });

  it('blockpull --verbose, and with --base', async () => {
    await twins();
    const [pull] = await pairs('blockpull %G vda --wait --verbose');
    expect(pull.stderr).toMatch(/\rBlock Pull: \[100 %\]$/);
    await twins();
    await pairs('blockpull %G vda --base %D/base.img --wait', 'blockpull %G vda --base %D/nope.img --wait');
  });

  it('blockcopy to the mirroring phase, then blockjob queries, throttles and aborts it', async () => {
    await twins();
    const [, info] = await pairs(
      'blockcopy %G vda %D/copy.qcow2 --wait',
      'blockjob %G vda',
      'blockjob %G vda --raw',
      'blockjob %G vda --bandwidth 10',
      'blockjob %G vda --info',
      'blockjob %G vda --bytes',
      'blockjob %G vda --raw --bytes',
      'blockjob %G vda --bandwidth 3M --bytes',
      'blockjob %G vda --raw',
      'blockcopy %G vda %D/copy2.qcow2 --wait',
      'blockjob %G vda --abort',
      'blockjob %G vda',
      'blockjob %G vda --abort',
    );
    expect(info).toEqual({ stdout: '\n\n', stderr: '\rBlock Copy: [100 %]', status: 0 });
  });

  it('blockcopy --finish, --pivot, and the old and new APIs', async () => {
    await twins();
    await pairs('blockcopy %G vda %D/copy.qcow2 --wait --finish', 'domblklist %G');
    await twins();
    const [, list] = await pairs('blockcopy %G vda %D/copy.raw --format raw --pivot --verbose', 'domblklist %G');
    expect(list.stdout).toContain('copy.raw');
    await twins();
    await pairs(
      'blockcopy %G vda %D/copy3.qcow2 --format qcow2 --wait --bandwidth 100 --granularity 65536',
      'blockjob %G vda --raw',
      'blockjob %G vda --async',
    );
  });

  it('blockcommit: active with --pivot, --wait, --keep-overlay, and without waiting', async () => {
    await twins();
    await pairs('blockcommit %G vda', 'blockcommit %G vda --active --pivot', 'domblklist %G');
    await twins();
    await pairs('blockcommit %G vda --active --wait', 'blockjob %G vda --raw', 'blockjob %G vda --abort');
    await twins();
    await pairs('blockcommit %G vda --keep-overlay --verbose', 'domblklist %G');
    await twins();
    await pairs('blockcommit %G vda --active', 'blockcommit %G vda --active', 'blockjob %G vda --abort');
  });
});
