/**
 * Nothing waits forever: abort() and finish() settle within their bounds
 * against a scripted peer that never confirms, and take a signal; a
 * destination that fails aborts the stream on the daemon and rejects.
 */
import { Buffer } from 'node:buffer';
import { spawnSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { pipeFromFile, pipeToFile, STREAM_ABORT_TIMEOUT_DEFAULT, STREAM_FINISH_TIMEOUT_DEFAULT, StreamFileError } from '../../../../src/api/stream.js';
import { AbortError, TimeoutError } from '../../../../src/rpc/errors.js';
import { dataFrame as dataFrameOf, destroyClients, openAccepted, pattern, S, settle, setup, streamProc, T } from './stream-helpers.js';

afterEach(() => {
  vi.useRealTimers();
  destroyClients();
});

const READ = streamProc('read');
const WRITE = streamProc('write');

describe('abort() against a daemon that never confirms', () => {
  it('settles by itself within STREAM_ABORT_TIMEOUT_DEFAULT and releases the stream', async () => {
    const ctx = setup();
    const { call, stream } = await openAccepted(ctx, READ);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let settled = false;
    const aborting = stream.abort().then(() => (settled = true));
    await ctx.peer.waitStatus(call, S.ERROR);
    await vi.advanceTimersByTimeAsync(STREAM_ABORT_TIMEOUT_DEFAULT - 1);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await aborting;
    expect(settled).toBe(true);
    vi.useRealTimers();
    // Released: a late confirmation is dropped, and the connection carries on.
    const dropped = ctx.nextDiagnostic('unhandled-stream');
    ctx.peer.confirm(call);
    await dropped;
    expect(ctx.client.stats.droppedStreamPackets).toBe(1);
    await openAccepted(ctx, READ);
  });

  it('settles at its own timeout, or when its signal fires', async () => {
    const ctx = setup();
    const a = await openAccepted(ctx, READ);
    const t0 = Date.now();
    await a.stream.abort({ timeout: 30 });
    expect(Date.now() - t0).toBeLessThan(STREAM_ABORT_TIMEOUT_DEFAULT);
    const b = await openAccepted(ctx, READ);
    const ac = new AbortController();
    const aborting = b.stream.abort({ signal: ac.signal });
    await ctx.peer.waitStatus(b.call, S.ERROR);
    ac.abort();
    await aborting;
    // A confirmed abort settles at once.
    const c = await openAccepted(ctx, READ);
    const confirmed = c.stream.abort({ timeout: 60_000 });
    await ctx.peer.waitStatus(c.call, S.ERROR);
    ctx.peer.confirm(c.call);
    await confirmed;
  });
});

describe('finish() against a daemon that never confirms', () => {
  it('rejects with a TimeoutError at its timeout and aborts the stream', async () => {
    const ctx = setup();
    const { call, stream } = await openAccepted(ctx, WRITE);
    stream.write(pattern(1000));
    const err = await stream.finish({ timeout: 30 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    await ctx.peer.waitStatus(call, S.OK);
    await ctx.peer.waitStatus(call, S.ERROR);
  });

  it('rejects with an AbortError when its signal fires', async () => {
    const ctx = setup();
    const { call, stream } = await openAccepted(ctx, WRITE);
    const ac = new AbortController();
    const finishing = stream.finish({ signal: ac.signal });
    await ctx.peer.waitStatus(call, S.OK);
    ac.abort();
    await expect(finishing).rejects.toBeInstanceOf(AbortError);
    await ctx.peer.waitStatus(call, S.ERROR);
  });

  it('is bounded by default (STREAM_FINISH_TIMEOUT_DEFAULT) for a read stream whose end is never confirmed', async () => {
    const ctx = setup();
    const { call, stream } = await openAccepted(ctx, READ);
    const errored = new Promise<Error>((resolve) => stream.once('error', resolve));
    stream.resume();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    ctx.peer.eof(call);
    await ctx.peer.waitStatus(call, S.OK);
    await vi.advanceTimersByTimeAsync(STREAM_FINISH_TIMEOUT_DEFAULT);
    const err = await errored;
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.message).toMatch(/did not confirm the end of the stream/);
    await ctx.peer.waitStatus(call, S.ERROR);
  });

  it('does not count time the connection is paused by a slow reader', async () => {
    const ctx = setup();
    const { call, stream } = await openAccepted(ctx, READ, { bufferSize: 64 * 1024, highWaterMark: 1024 });
    ctx.peer.sendRaw(Buffer.concat([dataFrameOf(call, pattern(64 * 1024)), dataFrameOf(call, Buffer.alloc(0))]));
    await ctx.peer.waitStatus(call, S.OK);
    expect(stream.readingPaused).toBe(true);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await vi.advanceTimersByTimeAsync(STREAM_FINISH_TIMEOUT_DEFAULT * 3);
    vi.useRealTimers();
    expect(stream.destroyed).toBe(false);
    ctx.peer.confirm(call);
    const chunks: Buffer[] = [];
    for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
    expect(Buffer.concat(chunks).equals(pattern(64 * 1024))).toBe(true);
  });
});

describe('a destination or source that fails', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const tmp = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'lvrpc-streamfile-'));
    dirs.push(d);
    return d;
  };

  it('pipeToFile: a write that fails aborts the stream on the daemon and rejects with a StreamFileError', async () => {
    const ctx = setup();
    const { call, stream } = await openAccepted(ctx, READ);
    // A handle closed under the transfer: every write fails with EBADF.
    const fh = await open(join(tmp(), 'out'), 'w');
    await fh.close();
    const piping = pipeToFile(stream, fh);
    ctx.peer.data(call, pattern(1000));
    const err = await piping.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StreamFileError);
    expect((err as StreamFileError).op).toBe('write');
    expect((err as StreamFileError).errno).toBe('EBADF');
    await ctx.peer.waitStatus(call, S.ERROR);
  });

  it('pipeToFile into a pipe whose reader has gone: EPIPE aborts the stream on the daemon', async () => {
    const ctx = setup();
    const { call, stream } = await openAccepted(ctx, READ);
    // A pipe whose reading end is closed: every write fails with EPIPE (Node ignores SIGPIPE).
    const fifo = join(tmp(), 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const fh = await open(fifo, 'w');
    closeSync(reader);
    const piping = pipeToFile(stream, fh);
    ctx.peer.data(call, pattern(1000));
    const err = await piping.catch((e: unknown) => e);
    await fh.close();
    expect(err).toBeInstanceOf(StreamFileError);
    expect((err as StreamFileError).errno).toBe('EPIPE');
    await ctx.peer.waitStatus(call, S.ERROR);
    expect(stream.destroyed).toBe(true);
  });

  it('pipeToFile into a full disk (/dev/full): ENOSPC aborts the stream on the daemon, also while it is paused', async () => {
    const ctx = setup();
    const { call, stream } = await openAccepted(ctx, READ, { bufferSize: 64 * 1024 });
    // More than bufferSize arrives before the first write fails: the connection is paused then.
    for (let i = 0; i < 4; i++) ctx.peer.data(call, pattern(64 * 1024, i));
    for (let i = 0; i < 200 && !ctx.client.stats.readingPaused; i++) await settle();
    expect(ctx.client.stats.readingPaused).toBe(true);
    const err = await pipeToFile(stream, '/dev/full').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StreamFileError);
    expect((err as StreamFileError).errno).toBe('ENOSPC');
    expect((err as StreamFileError).op).toBe('write');
    await ctx.peer.waitStatus(call, S.ERROR);
    // The paused connection reads again once the stream is gone.
    expect(ctx.client.stats.readingPaused).toBe(false);
  });

  it('pipeline() into a consumer that fails: the stream is aborted on the daemon and pipeline rejects with its error', async () => {
    const ctx = setup();
    const { call, stream } = await openAccepted(ctx, READ);
    const failing = new Writable({
      write(_chunk, _enc, cb) {
        cb(new Error('the consumer failed'));
      },
    });
    const piping = pipeline(stream, failing);
    ctx.peer.data(call, pattern(1000));
    await expect(piping).rejects.toThrow('the consumer failed');
    await ctx.peer.waitStatus(call, S.ERROR);
  });

  it('pipeToFile into a regular file keeps holes as holes and the length right', async () => {
    const ctx = setup();
    const { call, stream } = await openAccepted(ctx, streamProc('read', true));
    const path = join(tmp(), 'sparse');
    const piping = pipeToFile(stream, path);
    ctx.peer.data(call, Buffer.from('head'));
    ctx.peer.hole(call, 8n * 1024n * 1024n);
    ctx.peer.data(call, Buffer.from('tail'));
    ctx.peer.hole(call, 4096n);
    ctx.peer.eof(call);
    await ctx.peer.waitStatus(call, S.OK);
    ctx.peer.confirm(call);
    expect(await piping).toBe(8 + 8 * 1024 * 1024 + 4096);
    const fh = await open(path, 'r');
    const st = await fh.stat();
    expect(st.size).toBe(8 + 8 * 1024 * 1024 + 4096);
    expect(st.blocks * 512).toBeLessThan(1024 * 1024);
    const tail = Buffer.alloc(4);
    await fh.read(tail, 0, 4, 4 + 8 * 1024 * 1024);
    await fh.close();
    expect(tail.toString()).toBe('tail');
  });

  it('pipeFromFile reuses its read buffers only after their bytes left: 24 MiB of data and holes arrive intact through a slow socket', async () => {
    const ctx = setup({ clientHighWaterMark: 64 * 1024 });
    const { call, stream } = await openAccepted(ctx, streamProc('write', true));
    const path = join(tmp(), 'big');
    // Runs of 6 blocks of data and 2 of zeros (a block is 65,530 bytes, a quarter of a packet):
    // each data run is a write smaller than the connection's write buffer, so writes do not
    // always wait, and a read buffer reused too early would corrupt what is still queued.
    const BLOCK = 65_530;
    const runs: Buffer[] = [];
    for (let i = 0; i < 48; i++) runs.push(pattern(6 * BLOCK, i), Buffer.alloc(2 * BLOCK));
    const content = Buffer.concat(runs);
    writeFileSync(path, content);
    ctx.socket.hold = true;
    const pump = setInterval(() => {
      ctx.socket.release();
      ctx.socket.hold = true;
    }, 2);
    try {
      const sending = pipeFromFile(path, stream, { detectHoles: true });
      const fin = await ctx.peer.waitStatus(call, S.OK);
      ctx.peer.confirm(fin);
      expect(await sending).toBe(content.length);
    } finally {
      clearInterval(pump);
      ctx.socket.release();
    }
    // Rebuild the file from the packets: data as it came, holes as zeros.
    const parts: Buffer[] = [];
    for (const f of ctx.peer.streamFrames(call.header.serial)) {
      if (f.header.status !== S.CONTINUE) continue;
      parts.push(f.header.type === T.HOLE ? Buffer.alloc(Number(f.payload.readBigInt64BE(0))) : f.payload);
    }
    const got = Buffer.concat(parts);
    expect(got.length).toBe(content.length);
    expect(got.equals(content)).toBe(true);
    expect(ctx.peer.streamFrames(call.header.serial).filter((f) => f.header.type === T.HOLE).length).toBe(48);
  });

  it('pipeFromFile: a read that fails aborts the stream and rejects with a StreamFileError', async () => {
    const ctx = setup();
    const { call, stream } = await openAccepted(ctx, WRITE);
    const fh = await open(join(tmp(), 'in'), 'w');
    // Opened write-only: reading fails with EBADF.
    const err = await pipeFromFile(fh, stream).catch((e: unknown) => e);
    await fh.close();
    expect(err).toBeInstanceOf(StreamFileError);
    expect((err as StreamFileError).op).toBe('read');
    await ctx.peer.waitStatus(call, S.ERROR);
  });
});
