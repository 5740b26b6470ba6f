/**
 * Data streams against the real daemon: storage volume upload and download
 * (byte-identical, larger than every socket buffer, sparse with holes),
 * checked against python3-libvirt; a screenshot of a running guest; abort
 * midway and a reader that falls behind, with the connection still usable.
 */
import { createHash, randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyGuestXml } from '../../harness/guest.js';
import { connect, LibvirtError, VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM, VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM, type Connection } from '../../src/index.js';
import type { RemoteNonnullStoragePool, RemoteNonnullStorageVol } from '../../src/protocol.js';
import { pipeToFile, readAll, StreamFileError, StreamOverflowError, type LibvirtStream } from '../../src/api/stream.js';
import { READ_BUFFER_SIZE } from '../../src/transport/read-buffer.js';
import { harnessDaemon, type HarnessDaemon } from './env.js';
import { pyLibvirt } from './oracle.js';
import { createDirPool, type DirPool } from './dir-pool.js';

const MiB = 1024 * 1024;

let d: HarnessDaemon;
let conn: Connection;
let pool: RemoteNonnullStoragePool;
let dirPool: DirPool | undefined;
let poolDir: string;
const tag = randomBytes(3).toString('hex');
const poolName = `rpc-streams-${tag}`;

beforeAll(async () => {
  d = await harnessDaemon();
  conn = await connect(d.uris.qemuSessionUnix);
  dirPool = await createDirPool(conn, d.dir, poolName);
  ({ pool, dir: poolDir } = dirPool);
});

afterAll(async () => {
  try {
    await dirPool?.remove();
  } finally {
    await conn?.close();
  }
});

/** A raw volume; `allocation` 0 makes it a sparse file (otherwise it is fully allocated). */
async function createVolume(name: string, capacity: number, allocation = capacity): Promise<RemoteNonnullStorageVol> {
  return conn.raw.storageVolCreateXML(
    pool,
    `<volume><name>${name}</name><capacity unit='bytes'>${capacity}</capacity>` +
      `<allocation unit='bytes'>${allocation}</allocation><target><format type='raw'/></target></volume>`,
    0,
  );
}

/** Writes `data` in 1 MiB chunks honouring backpressure; returns how often write() said "wait". */
async function writeAll(stream: LibvirtStream, data: Buffer): Promise<number> {
  let waits = 0;
  for (let off = 0; off < data.length; off += MiB) {
    if (!stream.write(data.subarray(off, off + MiB))) {
      waits++;
      await new Promise<void>((resolve, reject) => {
        const done = (err?: Error): void => {
          stream.off('drain', done);
          stream.off('error', done);
          if (err) reject(err);
          else resolve();
        };
        stream.on('drain', done);
        stream.on('error', done);
      });
    }
  }
  await stream.finish();
  return waits;
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** python3-libvirt downloads the volume; returns its length and sha256. */
async function pyDownload(volName: string, flags = 0): Promise<{ length: number; sha256: string }> {
  const r = await pyLibvirt<{ length: number; sha256: string; ms: number }>(
    d.uris.qemuSessionUnix,
    `import hashlib, time
vol = conn.storagePoolLookupByName(${JSON.stringify(poolName)}).storageVolLookupByName(${JSON.stringify(volName)})
t0 = time.perf_counter()
st = conn.newStream(0)
vol.download(st, 0, 0, ${flags})
h = hashlib.sha256()
n = [0]
def sink(stream, data, opaque):
    h.update(data)
    n[0] += len(data)
    return 0
st.recvAll(sink, None)
st.finish()
print(json.dumps({"length": n[0], "sha256": h.hexdigest(), "ms": (time.perf_counter() - t0) * 1000}))`,
    undefined,
    { timeoutMs: 60_000 },
  );
  console.log(`streams: python3-libvirt download ${(r.length / MiB / (r.ms / 1000)).toFixed(0)} MiB/s (${(r.length / MiB).toFixed(0)} MiB)`);
  return { length: r.length, sha256: r.sha256 };
}

describe('storage volume streams', () => {
  const size = 24 * MiB;
  const data = randomBytes(size);
  let vol: RemoteNonnullStorageVol;

  it('uploads several MiB with backpressure and downloads them back byte for byte', async () => {
    vol = await createVolume(`up-${tag}.img`, size);
    const up = await conn.raw.storageVolUpload(vol, 0n, BigInt(size), 0);
    let t0 = performance.now();
    const waits = await writeAll(up, data);
    const upMs = performance.now() - t0;
    // 24 MiB cannot fit in the socket buffers: the writer had to wait.
    expect(waits).toBeGreaterThan(0);

    t0 = performance.now();
    const down = await conn.raw.storageVolDownload(vol, 0n, 0n, 0);
    const back = await readAll(down);
    const downMs = performance.now() - t0;
    expect(back.length).toBe(size);
    expect(back.equals(data)).toBe(true);
    console.log(
      `streams: upload ${(size / MiB / (upMs / 1000)).toFixed(0)} MiB/s, download ${(size / MiB / (downMs / 1000)).toFixed(0)} MiB/s (${size / MiB} MiB over unix)`,
    );
  });

  it('downloads the same bytes python3-libvirt does', async () => {
    const oracle = await pyDownload(`up-${tag}.img`);
    expect(oracle).toEqual({ length: size, sha256: sha256(data) });
  });

  it('downloads a range (offset and length)', async () => {
    const down = await conn.raw.storageVolDownload(vol, 1000n, 5000n, 0);
    expect((await readAll(down)).equals(data.subarray(1000, 6000))).toBe(true);
  });

  it('aborting a download midway leaves the connection usable', async () => {
    const down = await conn.raw.storageVolDownload(vol, 0n, 0n, 0);
    let got = 0;
    for await (const chunk of down as AsyncIterable<Buffer>) {
      got += chunk.length;
      if (got >= 2 * MiB) break; // leaving the loop aborts the stream
    }
    await down.abort();
    expect(got).toBeLessThan(size);
    expect(conn.isOpen).toBe(true);
    expect(await conn.raw.storageVolGetInfo(vol)).toMatchObject({ capacity: BigInt(size) });
    // And a stream afterwards works.
    const again = await conn.raw.storageVolDownload(vol, 0n, 4096n, 0);
    expect((await readAll(again)).equals(data.subarray(0, 4096))).toBe(true);
  });

  it('a stalled reader pauses the connection: memory stays within bufferSize, calls wait, a second connection does not, and the bytes arrive whole', async () => {
    const bufferSize = 1 * MiB;
    const down = await conn.raw.storageVolDownload(vol, 0n, 0n, 0, { bufferSize, highWaterMark: 64 * 1024 });
    const chunks: Buffer[] = [];
    let stalled = false;
    let peak = 0;
    let callDone = false;
    let call: Promise<unknown> = Promise.resolve();
    const second = await connect(d.uris.qemuSessionUnix);
    try {
      for await (const chunk of down as AsyncIterable<Buffer>) {
        chunks.push(chunk);
        peak = Math.max(peak, down.bufferedBytes);
        if (!stalled) {
          stalled = true;
          // The reader stops: the stream fills to its mark and pauses the connection.
          for (let i = 0; i < 200 && !down.readingPaused; i++) await new Promise((r) => setTimeout(r, 10));
          expect(down.readingPaused).toBe(true);
          expect(conn.client.stats.readingPaused).toBe(true);
          // A call on the paused connection waits behind the stream's data...
          call = conn.raw.connectGetLibVersion().then(() => (callDone = true));
          await new Promise((r) => setTimeout(r, 300));
          expect(callDone).toBe(false);
          // ...one on a second connection does not.
          expect(await second.raw.connectGetLibVersion()).toBeGreaterThan(0n);
          // What was read stays within the mark plus one socket read and the packet being assembled.
          expect(down.bufferedBytes).toBeLessThanOrEqual(bufferSize + READ_BUFFER_SIZE + 262_148);
        }
      }
    } finally {
      await second.close();
    }
    await call;
    expect(callDone).toBe(true);
    expect(peak).toBeLessThanOrEqual(bufferSize + READ_BUFFER_SIZE + 262_148);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
    expect(conn.client.stats.readingPaused).toBe(false);
  });

  it('pipeToFile into a destination that fails aborts the stream on the daemon; the connection carries on', async () => {
    const down = await conn.raw.storageVolDownload(vol, 0n, 0n, 0);
    const fh = await open(join(poolDir, `closed-${tag}`), 'w');
    await fh.close();
    const err = await pipeToFile(down, fh).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StreamFileError);
    await down.abort();
    expect(await conn.raw.connectGetLibVersion()).toBeGreaterThan(0n);
  });

  it('abort() on an open download is confirmed by the daemon', async () => {
    const down = await conn.raw.storageVolDownload(vol, 0n, 0n, 0);
    await down.abort();
    expect(down.destroyed).toBe(true);
    expect(await conn.raw.connectGetLibVersion()).toBeGreaterThan(0n);
  });

  it('a reader that falls behind past maxBuffered fails with StreamOverflowError, not the connection', async () => {
    const down = await conn.raw.storageVolDownload(vol, 0n, 0n, 0, { maxBuffered: 2 * MiB });
    const err = await new Promise<Error>((resolve) => down.once('error', resolve));
    expect(err).toBeInstanceOf(StreamOverflowError);
    await down.abort();
    expect(await conn.raw.connectGetLibVersion()).toBeGreaterThan(0n);
  });

  it('an upload the daemon refuses rejects with its LibvirtError', async () => {
    const err = await conn.raw.storageVolUpload({ ...vol, name: 'no-such.img' }, 0n, 10n, 0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibvirtError);
    expect((err as LibvirtError).code).toBe('VIR_ERR_NO_STORAGE_VOL');
    expect(await conn.raw.connectGetLibVersion()).toBeGreaterThan(0n);
  });
});

describe('sparse streams', () => {
  const size = 16 * MiB;
  // data 1 MiB | hole 6 MiB | data 1 MiB | hole to the end (8 MiB)
  const head = randomBytes(MiB);
  const mid = randomBytes(MiB);
  const expected = Buffer.alloc(size);
  head.copy(expected, 0);
  mid.copy(expected, 7 * MiB);

  it('uploads with holes and downloads them back as holes (and as zeros without the flag)', async () => {
    const vol = await createVolume(`sparse-${tag}.img`, size, 0);
    const up = await conn.raw.storageVolUpload(vol, 0n, 0n, VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM);
    expect(up.sparse).toBe(true);
    up.write(head);
    up.sendHole(6 * MiB);
    up.write(mid);
    up.sendHole(8 * MiB);
    await up.finish();

    const file = join(poolDir, `sparse-${tag}.img`);
    expect(statSync(file).size).toBe(size);
    // The holes made it to the file: far less is allocated than its size.
    expect(statSync(file).blocks * 512).toBeLessThan(4 * MiB);

    const down = await conn.raw.storageVolDownload(vol, 0n, 0n, VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM);
    const parts: Buffer[] = [];
    let holeBytes = 0n;
    for await (const e of down.entries()) {
      if (e.kind === 'hole') {
        holeBytes += e.length;
        parts.push(Buffer.alloc(Number(e.length)));
      } else parts.push(e.data);
    }
    expect(holeBytes).toBeGreaterThanOrEqual(BigInt(12 * MiB));
    expect(Buffer.concat(parts).equals(expected)).toBe(true);

    // The same download read as bytes: holes come out as zeros.
    const asBytes = await readAll(await conn.raw.storageVolDownload(vol, 0n, 0n, VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM));
    expect(asBytes.equals(expected)).toBe(true);
    const plain = await readAll(await conn.raw.storageVolDownload(vol, 0n, 0n, 0));
    expect(plain.equals(expected)).toBe(true);

    const oracle = await pyDownload(`sparse-${tag}.img`);
    expect(oracle).toEqual({ length: size, sha256: sha256(expected) });
  });
});

describe('a running guest', () => {
  it('gives a screenshot with its MIME type, and a console stream', async () => {
    const name = `rpc-shot-${tag}`;
    const dom = await conn.raw.domainCreateXML(tinyGuestXml(name), 0);
    try {
      const { mime, stream } = await conn.raw.domainScreenshot(dom, 0, 0);
      const image = await readAll(stream);
      console.log(`streams: screenshot ${mime}, ${image.length} bytes`);
      expect(image.length).toBeGreaterThan(100);
      if (mime === 'image/png') {
        expect(image.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
      } else {
        expect(mime).toBe('image/x-portable-pixmap');
        expect(image.subarray(0, 2).toString()).toBe('P6');
      }

      // The serial console: a duplex stream; writing works and finish() is confirmed.
      const console_ = await conn.raw.domainOpenConsole(dom, null, 0);
      expect(console_.mode).toBe('duplex');
      console_.resume();
      console_.write('\r');
      await console_.finish();
    } finally {
      await conn.raw.domainDestroy(dom).catch(() => {});
    }
  });
});
