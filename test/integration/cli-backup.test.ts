/**
 * tsvirsh against virsh for backup-begin, backup-dumpxml and
 * domblkthreshold: on a QEMU TCG guest with a qcow2 disk (a pull-mode
 * backup over an NBD unix socket, which stays until aborted, so both tools
 * can read its XML), on a diskless guest (the daemon's refusals), and on
 * the test driver (which has none of these APIs). Compared byte for byte:
 * nothing is normalised.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chownToTestUser } from '../../harness/daemon.js';
import { tinyGuestXml } from '../../harness/guest.js';
import { connect, type Connection } from '../../src/index.js';
import { harnessDaemon, privateTestUri } from './env.js';
import { both, ours, theirs } from './virsh-diff.js';

const tag = randomBytes(3).toString('hex');
const guest = `cli-bk-${tag}`;
const diskless = `cli-bk0-${tag}`;
let session = '';
let testUri = '';
let conn: Connection;
let files = '';

beforeAll(async () => {
  const d = await harnessDaemon();
  session = d.uris.qemuSessionUnix;
  testUri = await privateTestUri();
  conn = await connect(session);
  const dir = join(d.dir, 'data', `cli-bk-${tag}`);
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', join(dir, 'disk.qcow2'), '4M'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`qemu-img: ${r.stderr}`);
  for (const p of [dir, join(dir, 'disk.qcow2')]) chownToTestUser(p);
  const disk = `<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${join(dir, 'disk.qcow2')}'/><target dev='vda' bus='virtio'/></disk>\n`;
  await conn.domainCreateXML(tinyGuestXml(guest, { vnc: false, extraDevices: disk }), 0);
  await conn.domainCreateXML(tinyGuestXml(diskless, { vnc: false }), 0);
  files = mkdtempSync(join(tmpdir(), 'lvrpc-cli-bk-'));
  chmodSync(files, 0o755);
  writeFileSync(
    join(files, 'pull.xml'),
    `<domainbackup mode='pull'>
  <server transport='unix' socket='${join(dir, 'nbd.sock')}'/>
  <disks>
    <disk name='vda' backup='yes' type='file'>
      <scratch file='${join(dir, 'scratch.qcow2')}'/>
    </disk>
  </disks>
</domainbackup>
`,
  );
  writeFileSync(join(files, 'bad.xml'), '<domainbackup><disks><disk name="nope"/></disks></domainbackup>\n');
}, 60_000);

afterAll(async () => {
  for (const name of [guest, diskless]) {
    const dom = await conn?.domainLookupByName(name).catch(() => null);
    await dom?.destroy().catch(() => {});
  }
  await conn?.close();
});

const line = (args: string[]): string[] => ['-c', session, ...args.map((a) => a.replace('GUEST', guest).replace('NODISK', diskless).replace('@', files))];

describe('backup commands on QEMU guests match virsh', () => {
  it('a pull backup: started by each tool in turn, its XML read by both while it runs', async () => {
    const abort = async (): Promise<void> => (await conn.domainLookupByName(guest)).abortJob();
    const begin = line(['backup-begin', 'GUEST', '@/pull.xml']);
    const mine = await ours(begin);
    for (const args of [
      ['backup-dumpxml', 'GUEST'],
      ['backup-dumpxml', 'GUEST', '--xpath', '//disk', '--wrap'],
      ['backup-dumpxml', 'GUEST', '--xpath', '//scratch/@file'],
      ['backup-dumpxml', 'GUEST', '--xpath', ''],
      ['-q', 'backup-dumpxml', 'GUEST'],
    ]) {
      const [a, b] = await both(line(args));
      expect(a, args.join(' ')).toEqual(b);
    }
    await abort();
    const yours = await theirs(begin);
    await abort();
    expect(mine).toEqual(yours);
    expect(mine.stdout).toBe('Backup started\n\n');
  }, 60_000);

  it.each([
    ['backup-begin', 'NODISK'],
    ['backup-begin', 'GUEST', '@/bad.xml'],
    ['backup-begin', 'GUEST', '/nonexistent'],
    ['backup-begin', 'GUEST', '@/pull.xml', '/nonexistent'],
    ['backup-begin', 'GUEST', '--backupxml', ''],
    ['backup-begin', 'GUEST', '--checkpointxml', ''],
    ['backup-begin', 'nope'],
    ['backup-begin'],
    ['backup-dumpxml', 'GUEST'],
    ['backup-dumpxml', 'GUEST', '--xpath', '/x'],
    ['backup-dumpxml', 'GUEST', '//disk'],
    ['backup-dumpxml', 'nope'],
    ['domblkthreshold', 'GUEST', 'vda', '1M'],
    ['domblkthreshold', 'GUEST', '--dev', 'vda', '--threshold', '4096'],
    ['domblkthreshold', 'GUEST', 'vdz', '1'],
    ['domblkthreshold', 'GUEST', 'vda', '1x'],
    ['domblkthreshold', 'GUEST', 'vda', '-1'],
    ['domblkthreshold', 'GUEST', 'vda', '18446744073709551615k'],
    ['domblkthreshold', 'GUEST', '', '1'],
    ['domblkthreshold', 'GUEST', 'vda'],
    ['domblkthreshold', 'nope', 'vda', '1k'],
    ['domblkthreshold', 'NODISK', 'vda', '1'],
  ])('%s %s %s %s', async (...args) => {
    const [a, b] = await both(line(args));
    expect(a).toEqual(b);
  });
});

describe('the test driver refuses them as it refuses virsh', () => {
  it.each([
    ['backup-begin', 'test'],
    ['backup-dumpxml', 'test'],
    ['domblkthreshold', 'test', 'vda', '10M'],
  ])('%s %s', async (...args) => {
    const [a, b] = await both(['-c', testUri, ...args]);
    expect(a).toEqual(b);
  });
});
