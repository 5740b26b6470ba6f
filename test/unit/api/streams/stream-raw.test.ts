/**
 * The raw layer's stream methods: what they send, what they resolve to, and
 * which kind of stream they open (read, write, duplex; sparse by flag).
 */
import { Buffer } from 'node:buffer';
import { afterEach, describe, expect, it } from 'vitest';
import { LibvirtStream, pipeFromFile, pipeToFile, readAll } from '../../../../src/api/stream.js';
import { Connection, type ConnectionInfo } from '../../../../src/api/connection.js';
import { RawApi } from '../../../../src/api/gen/raw.gen.js';
import { remoteDomainScreenshotRetCodec, remoteProcedures, remoteStorageVolDownloadArgsCodec } from '../../../../src/procedures/remote.gen.js';
import { VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM, VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM } from '../../../../src/procedures/libvirt-api.gen.js';
import { UnsupportedError } from '../../../../src/rpc/errors.js';
import { decodeXdr } from '../../../../src/xdr/index.js';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { destroyClients, pattern, S, setup, T } from './stream-helpers.js';

const dirs: string[] = [];
afterEach(() => {
  destroyClients();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const vol = { pool: 'p', name: 'v', key: '/p/v' };
const dom = { name: 'g', uuid: Buffer.alloc(16), id: 1 };

describe('raw layer stream methods', () => {
  it('storageVolDownload sends the call on the stream serial and resolves to a readable stream', async () => {
    const ctx = setup();
    const raw = new RawApi(ctx.client);
    const opening = raw.storageVolDownload(vol, 0n, 0n, 0);
    const call = await ctx.peer.waitFor((f) => f.header.type === T.CALL);
    expect(call.header.proc).toBe(remoteProcedures.REMOTE_PROC_STORAGE_VOL_DOWNLOAD.number);
    expect(decodeXdr(remoteStorageVolDownloadArgsCodec, call.payload)).toEqual({ vol, offset: 0n, length: 0n, flags: 0 });
    ctx.peer.reply(call, null);
    const stream = await opening;
    expect(stream).toBeInstanceOf(LibvirtStream);
    expect([stream.mode, stream.sparse, stream.serial]).toEqual(['read', false, call.header.serial]);
    ctx.peer.data(call, Buffer.from('volume bytes'));
    ctx.peer.eof(call);
    await ctx.peer.waitStatus(call, S.OK);
    ctx.peer.confirm(call);
    expect((await readAll(stream)).toString()).toBe('volume bytes');
  });

  it('opens sparse streams when the flags carry the @sparseflag', async () => {
    const ctx = setup();
    const raw = new RawApi(ctx.client);
    const down = raw.storageVolDownload(vol, 0n, 0n, VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM);
    const up = raw.storageVolUpload(vol, 0n, 0n, VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM);
    const calls = await ctx.peer.waitFrames(2);
    for (const c of calls) ctx.peer.reply(c, null);
    const [d, u] = await Promise.all([down, up]);
    expect([d.mode, d.sparse]).toEqual(['read', true]);
    expect([u.mode, u.sparse, u.readable, u.writable]).toEqual(['write', true, false, true]);
    d.destroy();
    u.destroy();
  });

  it('domainScreenshot resolves to the ret struct with the stream: { mime, stream }', async () => {
    const ctx = setup();
    const raw = new RawApi(ctx.client);
    const opening = raw.domainScreenshot(dom, 0, 0);
    const call = await ctx.peer.waitFor((f) => f.header.type === T.CALL);
    ctx.peer.reply(call, remoteDomainScreenshotRetCodec, { mime: 'image/png' });
    const shot = await opening;
    expect(shot.mime).toBe('image/png');
    expect(shot.stream.mode).toBe('read');
    ctx.peer.data(call, Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    ctx.peer.eof(call);
    await ctx.peer.waitStatus(call, S.OK);
    ctx.peer.confirm(call);
    expect((await readAll(shot.stream)).subarray(1, 4).toString()).toBe('PNG');
  });

  it('domainOpenConsole and domainOpenChannel open duplex streams', async () => {
    const ctx = setup();
    const raw = new RawApi(ctx.client);
    const console = raw.domainOpenConsole(dom, null, 0);
    const channel = raw.domainOpenChannel(dom, 'org.qemu.guest_agent.0', 0);
    for (const c of await ctx.peer.waitFrames(2)) ctx.peer.reply(c, null);
    for (const s of await Promise.all([console, channel])) {
      expect([s.mode, s.readable, s.writable]).toEqual(['duplex', true, true]);
    }
  });

  it('works through a Connection (its RPC engine) and refuses a caller that cannot open streams', async () => {
    const ctx = setup();
    const conn = new Connection(ctx.client, { uri: 'test:///default', readOnly: false } as unknown as ConnectionInfo);
    const opening = conn.raw.storageVolUpload(vol, 0n, 5n, 0);
    const call = await ctx.peer.waitFor((f) => f.header.type === T.CALL);
    ctx.peer.reply(call, null);
    const up = await opening;
    expect(up.mode).toBe('write');
    const plain = new RawApi({ call: () => Promise.resolve(undefined as never) });
    await expect(plain.storageVolDownload(vol, 0n, 0n, 0)).rejects.toBeInstanceOf(UnsupportedError);
  });
});

describe('file helpers', () => {
  function tmp(): string {
    const d = mkdtempSync(join(tmpdir(), 'lvrpc-stream-'));
    dirs.push(d);
    return d;
  }

  it('pipeToFile writes a sparse download with holes skipped, and the same bytes as zeros', async () => {
    const ctx = setup();
    const raw = new RawApi(ctx.client);
    const opening = raw.storageVolDownload(vol, 0n, 0n, VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM);
    const call = await ctx.peer.waitFor((f) => f.header.type === T.CALL);
    ctx.peer.reply(call, null);
    const stream = await opening;
    const path = join(tmp(), 'out.img');
    const writing = pipeToFile(stream, path);
    ctx.peer.data(call, Buffer.from('A'));
    ctx.peer.hole(call, 8n * 1024n * 1024n);
    ctx.peer.data(call, Buffer.from('B'));
    ctx.peer.hole(call, 1024n * 1024n);
    ctx.peer.eof(call);
    await ctx.peer.waitStatus(call, S.OK);
    ctx.peer.confirm(call);
    expect(await writing).toBe(2 + 9 * 1024 * 1024);
    const file = readFileSync(path);
    expect(file.length).toBe(2 + 9 * 1024 * 1024);
    expect(String.fromCharCode(file[0], file[1 + 8 * 1024 * 1024])).toBe('AB');
    expect(file.subarray(1, 1 + 8 * 1024 * 1024).every((b) => b === 0)).toBe(true);
    // Allocated far less than its length (the holes are holes), where the filesystem supports it.
    expect(statSync(path).blocks * 512).toBeLessThan(9 * 1024 * 1024);
  });

  it('pipeFromFile sends a file, turning zero blocks into holes with detectHoles', async () => {
    const ctx = setup();
    const raw = new RawApi(ctx.client);
    const path = join(tmp(), 'in.img');
    const content = Buffer.concat([pattern(100 * 1024), Buffer.alloc(512 * 1024), pattern(70 * 1024, 9), Buffer.alloc(64 * 1024)]);
    writeFileSync(path, content);
    const opening = raw.storageVolUpload(vol, 0n, 0n, VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM);
    const call = await ctx.peer.waitFor((f) => f.header.type === T.CALL);
    ctx.peer.reply(call, null);
    const stream = await opening;
    const sending = pipeFromFile(path, stream, { detectHoles: true });
    const fin = await ctx.peer.waitStatus(call, S.OK);
    ctx.peer.confirm(fin);
    expect(await sending).toBe(content.length);
    // Rebuild what the daemon would write.
    const parts: Buffer[] = [];
    let holes = 0;
    for (const f of ctx.peer.streamFrames(call.header.serial)) {
      if (f.header.type === T.HOLE) {
        holes++;
        parts.push(Buffer.alloc(Number(f.payload.readBigInt64BE(0))));
      } else if (f.header.status === S.CONTINUE) parts.push(f.payload);
    }
    expect(holes).toBeGreaterThanOrEqual(2);
    expect(Buffer.concat(parts).equals(content)).toBe(true);
  });
});
