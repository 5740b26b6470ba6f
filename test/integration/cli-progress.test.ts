/**
 * `--progress` on real transfers through the QEMU session daemon: vol-upload and vol-download of a
 * 24 MiB file, save and restore of a running TCG guest. Standard output must be what it is without
 * the option; standard error's lines are parsed (src/cli/support/progress.ts gives the format):
 * counts never go back, the first line is at 0 and the last at the total with `(100%)` and
 * `done in`, and the total is the file's size, the volume's, or the save job's.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyGuestXml } from '../../harness/guest.js';
import { connect, type Connection } from '../../src/index.js';
import type { RemoteNonnullStoragePool } from '../../src/protocol.js';
import { harnessDaemon } from './env.js';
import { ours } from './virsh-diff.js';
import { createDirPool, type DirPool } from './dir-pool.js';
import { checkRun, reports } from './progress-lines.js';

const MiB = 1024 * 1024;
const tag = randomBytes(3).toString('hex');
const poolName = `cli-progress-${tag}`;
const guest = `progress-${tag}`;
let conn: Connection;
let pool: RemoteNonnullStoragePool;
let uri = '';
let dirPool: DirPool | undefined;
let files = '';
let content: Buffer;

beforeAll(async () => {
  const d = await harnessDaemon();
  uri = d.uris.qemuSessionUnix;
  conn = await connect(uri);
  dirPool = await createDirPool(conn, d.dir, poolName);
  pool = dirPool.pool;
  content = randomBytes(24 * MiB);
  await conn.raw.storageVolCreateXML(
    pool,
    `<volume><name>data.img</name><capacity unit='bytes'>${content.length}</capacity><target><format type='raw'/></target></volume>`,
    0,
  );
  files = mkdtempSync(join(tmpdir(), 'lvrpc-cli-progress-'));
  writeFileSync(join(files, 'in.bin'), content);
});

afterAll(async () => {
  try {
    if (conn?.isOpen) {
      const dom = await conn.raw.domainLookupByName(guest).catch(() => null);
      if (dom) await conn.raw.domainDestroy(dom).catch(() => {});
      if (dom) await conn.raw.domainUndefine(dom).catch(() => {});
    }
    await dirPool?.remove();
  } finally {
    await conn?.close();
    if (files) rmSync(files, { recursive: true, force: true });
  }
});

describe('--progress on stream transfers', () => {
  it('vol-upload: the file’s bytes, reported on stderr; stdout as without it', async () => {
    const plain = await ours(['-c', uri, 'vol-upload', '--pool', poolName, 'data.img', join(files, 'in.bin')]);
    const r = await ours(['-c', uri, 'vol-upload', '--pool', poolName, 'data.img', join(files, 'in.bin'), '--progress']);
    expect([r.status, r.stdout]).toEqual([0, plain.stdout]);
    expect(plain.stderr).toBe('');
    checkRun(reports(r.stderr, 'vol-upload'), content.length);
  });

  it('vol-download: the volume’s bytes, into a file that matches', async () => {
    const out = join(files, 'out.bin');
    const r = await ours(['-c', uri, 'vol-download', '--pool', poolName, 'data.img', out, '--progress']);
    expect([r.status, r.stdout]).toEqual([0, '\n']);
    expect(readFileSync(out).equals(content)).toBe(true);
    checkRun(reports(r.stderr, 'vol-download'), content.length);
  });

  it('vol-download --length: the total is the length asked for', async () => {
    const out = join(files, 'part.bin');
    const r = await ours(['-c', uri, 'vol-download', '--pool', poolName, 'data.img', out, '--offset', String(MiB), '--length', String(3 * MiB), '--progress']);
    expect(r.status).toBe(0);
    expect(readFileSync(out).equals(content.subarray(MiB, 4 * MiB))).toBe(true);
    checkRun(reports(r.stderr, 'vol-download'), 3 * MiB);
  });

  it('is not in help, and commands without it refuse it', async () => {
    expect((await ours(['help', 'vol-upload'])).stdout).not.toContain('progress');
    const r = await ours(['-c', uri, 'vol-info', '--pool', poolName, 'data.img', '--progress']);
    expect([r.status, r.stderr]).toEqual([1, "error: command 'vol-info' doesn't support option --progress\n"]);
  });
});

describe('--progress on domain jobs', () => {
  it('save and restore of a running guest: the job’s bytes', async () => {
    // Persistent, as most guests are: its completed job statistics outlive the save.
    await conn.raw.domainCreate(await conn.raw.domainDefineXML(tinyGuestXml(guest, { vnc: false })));
    const image = join(dirPool!.dir, 'guest.save');
    const saved = await ours(['-c', uri, 'save', guest, image, '--progress']);
    expect([saved.status, saved.stdout]).toEqual([0, `\nDomain '${guest}' saved to ${image}\n\n`]);
    const rs = reports(saved.stderr, 'save');
    // The total is the job's own figure (QEMU's completed job statistics): the guest's memory and more.
    const total = rs.at(-1)!.total!;
    expect(total).toBeGreaterThanOrEqual(64 * MiB);
    checkRun(rs, total);
    const restored = await ours(['-c', uri, 'restore', image, '--progress']);
    expect([restored.status, restored.stdout]).toEqual([0, `Domain restored from ${image}\n\n`]);
    // QEMU reports no job for a restore: the last line says the image's size, read whole.
    checkRun(reports(restored.stderr, 'restore'), statSync(image).size);
    const dom = await conn.raw.domainLookupByName(guest);
    expect((await conn.raw.domainGetState(dom, 0)).state).toBe(1);
  });
});
