/**
 * A download held paused behind a stalled reader, against a daemon whose
 * keepalive is strict (`keepalive_interval = 1`, `keepalive_count = 1`: it
 * closes a client after about 2 s without a packet from it). The client's
 * PINGs while paused keep the connection; without them (the control) the
 * daemon closes it. The 60 s stall against libvirt's default keepalive (5 s,
 * count 5) is checked by `npm run bench:streams`.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivateDaemon, type PrivateDaemon } from '../../harness/daemon.js';
import { ConnectionClosedError, connect, type Connection } from '../../src/index.js';
import type { RemoteNonnullStorageVol } from '../../src/protocol.js';
import { createDirPool } from './dir-pool.js';

const MiB = 1024 * 1024;
const STALL_MS = 6000;
let d: PrivateDaemon;
let conn: Connection;
let vol: RemoteNonnullStorageVol;
const data = randomBytes(8 * MiB);

beforeAll(async () => {
  d = await startPrivateDaemon({ label: 'keepalive', extraConf: ['keepalive_interval = 1', 'keepalive_count = 1'] });
  conn = await connect(d.uris.qemuSessionUnix, { keepalive: { interval: 1, count: 1 } });
  const { pool } = await createDirPool(conn, d.dir, 'ka');
  vol = await conn.raw.storageVolCreateXML(
    pool,
    `<volume><name>ka.img</name><capacity unit='bytes'>${data.length}</capacity><target><format type='raw'/></target></volume>`,
    0,
  );
  const up = await conn.raw.storageVolUpload(vol, 0n, 0n, 0);
  up.end(data);
  await up.finish();
}, 60_000);

afterAll(async () => {
  await conn?.close();
  await d?.stop();
});

/** Downloads with a reader that stops for STALL_MS after its first chunk; resolves with what it read or rejects. */
async function stalledDownload(c: Connection): Promise<Buffer> {
  const down = await c.raw.storageVolDownload(vol, 0n, 0n, 0, { bufferSize: MiB });
  const chunks: Buffer[] = [];
  for await (const chunk of down as AsyncIterable<Buffer>) {
    if (chunks.length === 0) {
      await new Promise((r) => setTimeout(r, STALL_MS));
      expect(down.readingPaused).toBe(true);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

describe('keepalive while a stream is paused', () => {
  it('neither side closes the connection; the download completes when the reader resumes', async () => {
    const got = await stalledDownload(conn);
    expect(got.equals(data)).toBe(true);
    expect(conn.isOpen).toBe(true);
    expect(conn.client.stats.readPauses).toBeGreaterThan(0);
    expect(await conn.raw.connectGetLibVersion()).toBeGreaterThan(0n);
  }, 30_000);

  it("control: a client that sends nothing while paused is closed by the daemon's keepalive", async () => {
    const silent = await connect(d.uris.qemuSessionUnix, { keepalive: false });
    silent.client.setPeerSpeaksKeepalive(false);
    try {
      const err = await stalledDownload(silent).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectionClosedError);
      expect(silent.isOpen).toBe(false);
    } finally {
      await silent.close();
    }
  }, 30_000);
});
