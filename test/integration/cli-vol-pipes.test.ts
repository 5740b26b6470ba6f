/**
 * tsvirsh vol-download into pipes, named pipes and a full disk, as processes
 * in shell pipelines beside the real virsh on the same volume: the bytes that
 * come out, the exit status and stderr must be virsh's.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientEnv, VIRSH } from '../../harness/daemon.js';
import { connect, type Connection } from '../../src/index.js';
import type { RemoteNonnullStoragePool } from '../../src/protocol.js';
import { harnessDaemon } from './env.js';
import { createDirPool, type DirPool } from './dir-pool.js';

const MiB = 1024 * 1024;
const ROOT = new URL('../..', import.meta.url).pathname;
const TSVIRSH = `${join(ROOT, 'node_modules/.bin/tsx')} ${join(ROOT, 'src/cli/tsvirsh.ts')}`;
const tag = randomBytes(3).toString('hex');
const poolName = `cli-pipes-${tag}`;
let conn: Connection;
let pool: RemoteNonnullStoragePool;
let uri = '';
let dirPool: DirPool | undefined;
let _poolDir = '';
let files = '';
let content: Buffer;

/** Runs `script` in bash with `$TOOL` standing for tsvirsh or virsh (with `-c URI`); stdout as bytes. */
async function shell(tool: 'tsvirsh' | 'virsh', script: string): Promise<{ stdout: Buffer; stderr: string; status: number | null }> {
  const bin = tool === 'virsh' ? VIRSH : TSVIRSH;
  // Asynchronous, so that this process's own connection keeps answering the daemon's keepalive.
  const child = spawn('bash', ['-c', script.replaceAll('$TOOL', '$TOOL -c "$URI"')], {
    env: { ...clientEnv(), TOOL: bin, URI: uri, POOL: poolName, FILES: files },
    timeout: 120_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stderr.on('data', (c: Buffer) => err.push(c));
  const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString(), status };
}

beforeAll(async () => {
  const d = await harnessDaemon();
  uri = d.uris.qemuSessionUnix;
  conn = await connect(uri);
  dirPool = await createDirPool(conn, d.dir, poolName);
  ({ pool, dir: _poolDir } = dirPool);
  files = mkdtempSync(join(tmpdir(), 'lvrpc-cli-pipes-'));
  content = randomBytes(12 * MiB);
  const vol = await conn.raw.storageVolCreateXML(
    pool,
    `<volume><name>data.img</name><capacity unit='bytes'>${content.length}</capacity><target><format type='raw'/></target></volume>`,
    0,
  );
  const up = await conn.raw.storageVolUpload(vol, 0n, 0n, 0);
  up.end(content);
  await up.finish();
  // A sparse volume: 1 MiB of data, 7 MiB of hole.
  const holey = await conn.raw.storageVolCreateXML(
    pool,
    `<volume><name>holey.img</name><capacity unit='bytes'>${8 * MiB}</capacity><allocation>0</allocation><target><format type='raw'/></target></volume>`,
    0,
  );
  const up2 = await conn.raw.storageVolUpload(holey, 0n, BigInt(MiB), 0);
  up2.end(content.subarray(0, MiB));
  await up2.finish();
});

afterAll(async () => {
  try {
    await dirPool?.remove();
  } finally {
    await conn?.close();
    if (files) {
      spawnSync('umount', [join(files, 'full')]);
      rmSync(files, { recursive: true, force: true });
    }
  }
});

describe('vol-download into pipes, as virsh', () => {
  it("| gzip: the same bytes as virsh (the volume, then virsh's closing blank line)", async () => {
    const script = '$TOOL vol-download --pool $POOL data.img /dev/stdout | gzip -1 | gzip -dc';
    const a = await shell('tsvirsh', script);
    const b = await shell('virsh', script);
    expect(a.status).toBe(0);
    expect({ status: a.status, stderr: a.stderr }).toEqual({ status: b.status, stderr: b.stderr });
    expect(a.stdout.equals(b.stdout)).toBe(true);
    expect(a.stdout.equals(Buffer.concat([content, Buffer.from('\n')]))).toBe(true);
    // -q leaves the blank line out: exactly the volume.
    const q = await shell('tsvirsh', '$TOOL -q vol-download --pool $POOL data.img /dev/stdout | gzip -1 | gzip -dc');
    expect(createHash('sha256').update(q.stdout).digest('hex')).toBe(createHash('sha256').update(content).digest('hex'));
  });

  it("| head -c 1M: ends at once with virsh's status (SIGPIPE) and nothing on stderr", async () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a bash script
    const script = '$TOOL vol-download --pool $POOL data.img /dev/stdout | head -c 1M | wc -c; echo "status ${PIPESTATUS[0]}"';
    const a = await shell('tsvirsh', script);
    const b = await shell('virsh', script);
    expect(a.stdout.toString()).toBe(b.stdout.toString());
    expect(a.stdout.toString()).toBe('1048576\nstatus 141\n');
    expect(a.stderr).toBe(b.stderr);
  });

  it('a named pipe whose reader opens 5 s late gets the whole volume', async () => {
    const script = (f: string): string =>
      `rm -f $FILES/${f} && mkfifo $FILES/${f} && { (sleep 5; sha256sum < $FILES/${f} > $FILES/${f}.sum) & $TOOL -q vol-download --pool $POOL data.img $FILES/${f}; echo "status $?"; wait; cat $FILES/${f}.sum; }`;
    const [a, b] = await Promise.all([shell('tsvirsh', script('fifo-ours')), shell('virsh', script('fifo-theirs'))]);
    const sum = createHash('sha256').update(content).digest('hex');
    expect(a.stdout.toString()).toBe(b.stdout.toString());
    expect(a.stdout.toString()).toBe(`status 0\n${sum}  -\n`);
    expect(a.stderr).toBe(b.stderr);
  });

  it('--sparse into a pipe and into /dev/null fails as virsh does (it cannot seek there)', async () => {
    for (const script of [
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a bash script
      '$TOOL -q vol-download --pool $POOL holey.img /dev/stdout --sparse | wc -c; echo "status ${PIPESTATUS[0]}"',
      '$TOOL -q vol-download --pool $POOL holey.img /dev/null --sparse; echo "status $?"',
    ]) {
      const a = await shell('tsvirsh', script);
      const b = await shell('virsh', script);
      expect({ out: a.stdout.toString(), err: a.stderr }).toEqual({ out: b.stdout.toString(), err: b.stderr });
      expect(a.stdout.toString()).toMatch(/status 1\n$/);
      expect(a.stderr).toMatch(/recv holeHandler failed/);
    }
  });

  it("a full disk: virsh's error and status, and the file it created is removed", async () => {
    const full = join(files, 'full');
    mkdirSync(full, { recursive: true });
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', full]);
    expect(mounted.status).toBe(0);
    const script = (out: string): string => `$TOOL -q vol-download --pool $POOL data.img $FILES/full/${out}; echo "status $?"`;
    const a = await shell('tsvirsh', script('ours'));
    const b = await shell('virsh', script('theirs'));
    expect({ out: a.stdout.toString(), err: a.stderr }).toEqual({ out: b.stdout.toString(), err: b.stderr });
    expect(a.stderr).toBe('error: cannot receive data from volume data.img\nerror: recv handler failed: No space left on device\n');
    expect(existsSync(join(full, 'ours'))).toBe(false);
    expect(readFileSync('/proc/mounts', 'utf8')).toContain(full);
  });
});
