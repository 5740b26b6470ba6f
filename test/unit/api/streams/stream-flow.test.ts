/**
 * Read-side flow control against a scripted peer: a stream whose reader is
 * behind pauses the connection's reading at its bufferSize and resumes when
 * the reader drains, at every boundary (mid-frame, between the data and the
 * finish, with a hole pending); other calls wait meanwhile; maxBuffered is a
 * hard bound that never pauses; and each way a paused stream can end
 * (destroy, signal, stallTimeout, the connection closing) resumes reading.
 */
import { Buffer } from 'node:buffer';
import { afterEach, describe, expect, it } from 'vitest';
import { openStreamCall, readAll, StreamOverflowError, type LibvirtStream, type StreamEntry } from '../../../../src/api/stream.js';
import { AbortError, ConnectionClosedError, TimeoutError } from '../../../../src/rpc/errors.js';
import { testProc } from '../../rpc/helpers.js';
import { dataFrame, destroyClients, openAccepted, pattern, S, settle, setup, streamProc, type StreamTestContext } from './stream-helpers.js';

afterEach(destroyClients);

const READ = streamProc('read');
const SPARSE_READ = streamProc('read', true);
const KiB = 1024;

/** Resolves once `stream` holds the connection paused. */
async function untilPaused(ctx: StreamTestContext, stream: LibvirtStream): Promise<void> {
  for (let i = 0; i < 200 && !(stream.readingPaused && ctx.client.stats.readingPaused); i++) await settle();
  expect(stream.readingPaused).toBe(true);
  expect(ctx.client.stats.readingPaused).toBe(true);
}

/** Reads `stream` as bytes, slowly: after each chunk, `turns` times lets the client handle what has arrived. */
async function readSlowly(stream: LibvirtStream, turns: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) {
    chunks.push(c);
    for (let i = 0; i < turns; i++) await settle();
  }
  return Buffer.concat(chunks);
}

describe('flow control: pausing and resuming', () => {
  it('pauses reading at bufferSize, holds no more than bufferSize plus one socket read, and delivers everything once read', async () => {
    const ctx = setup();
    const { call, stream } = await openAccepted(ctx, READ, { bufferSize: 256 * KiB, highWaterMark: 1024 });
    expect(stream.bufferSize).toBe(256 * KiB);
    expect(stream.maxBuffered).toBeNull();
    const sent = Array.from({ length: 40 }, (_, i) => pattern(64 * KiB, i));
    for (const b of sent) ctx.peer.data(call, b);
    ctx.peer.eof(call);
    await untilPaused(ctx, stream);
    await settle();
    // Nobody reads: what was dispatched stops at the mark plus one socket read (one packet here).
    expect(stream.bufferedBytes).toBeGreaterThanOrEqual(256 * KiB);
    expect(stream.bufferedBytes).toBeLessThanOrEqual(256 * KiB + 64 * KiB);
    // The end of the data was not seen yet: no finish sent.
    expect(ctx.peer.streamFrames(call.header.serial)).toHaveLength(0);
    const reading = readSlowly(stream, 0);
    await ctx.peer.waitStatus(call, S.OK);
    ctx.peer.confirm(call);
    const all = await reading;
    expect(all.equals(Buffer.concat(sent))).toBe(true);
    expect(ctx.client.stats.readingPaused).toBe(false);
    expect(ctx.client.stats.readPauses).toBeGreaterThan(1);
  });

  it('pauses with a frame torn in the middle and completes it intact after resuming', async () => {
    const ctx = setup();
    const { call, stream } = await openAccepted(ctx, READ, { bufferSize: 100 * KiB, highWaterMark: 1024 });
    const first = dataFrame(call, pattern(100 * KiB, 1));
    const second = dataFrame(call, pattern(50 * KiB, 2));
    const tornAt = 20 * KiB;
    // One socket read: the first packet and the start of the second; the rest comes later.
    ctx.peer.sendRaw(Buffer.concat([first, second.subarray(0, tornAt)]));
    await untilPaused(ctx, stream);
    ctx.peer.sendRaw(second.subarray(tornAt));
    ctx.peer.eof(call);
    await settle();
    expect(stream.bufferedBytes).toBe(100 * KiB);
    const reading = readAll(stream);
    await ctx.peer.waitStatus(call, S.OK);
    ctx.peer.confirm(call);
    expect((await reading).equals(Buffer.concat([pattern(100 * KiB, 1), pattern(50 * KiB, 2)]))).toBe(true);
  });

  it('pauses between the last data and the end: the finish is sent only once the end is read, and confirmed after', async () => {
    const ctx = setup();
    const { call, stream } = await openAccepted(ctx, READ, { bufferSize: 128 * KiB, highWaterMark: 1024 });
    ctx.peer.data(call, pattern(128 * KiB, 3));
    ctx.peer.eof(call);
    await untilPaused(ctx, stream);
    await settle();
    expect(ctx.peer.streamFrames(call.header.serial)).toHaveLength(0);
    let ended = false;
    const reading = readAll(stream).then((b) => {
      ended = true;
      return b;
    });
    const fin = await ctx.peer.waitStatus(call, S.OK);
    expect(fin.payload.length).toBe(0);
    await settle();
    expect(ended).toBe(false);
    ctx.peer.confirm(call);
    expect((await reading).equals(pattern(128 * KiB, 3))).toBe(true);
  });

  it('pauses after the end arrived in the same read: the confirmation waits in the socket until the reader drains', async () => {
    const ctx = setup();
    const { call, stream } = await openAccepted(ctx, READ, { bufferSize: 128 * KiB, highWaterMark: 1024 });
    ctx.peer.sendRaw(Buffer.concat([dataFrame(call, pattern(128 * KiB, 4)), dataFrame(call, Buffer.alloc(0))]));
    await untilPaused(ctx, stream);
    // The finish went out while paused (writing goes on); the confirmation is not read yet.
    await ctx.peer.waitStatus(call, S.OK);
    ctx.peer.confirm(call);
    await settle();
    expect(stream.readableEnded).toBe(false);
    expect((await readAll(stream)).equals(pattern(128 * KiB, 4))).toBe(true);
  });

  it('pauses with a hole pending and gives data, hole and data in order through entries()', async () => {
    const ctx = setup();
    const { call, stream } = await openAccepted(ctx, SPARSE_READ, { bufferSize: 64 * KiB });
    ctx.peer.data(call, pattern(64 * KiB, 5));
    ctx.peer.hole(call, 1n << 33n);
    ctx.peer.data(call, pattern(64 * KiB, 6));
    ctx.peer.data(call, pattern(64 * KiB, 7));
    ctx.peer.eof(call);
    await untilPaused(ctx, stream);
    const got: StreamEntry[] = [];
    const iterating = (async () => {
      for await (const e of stream.entries()) {
        got.push(e);
        await settle();
      }
    })();
    await ctx.peer.waitStatus(call, S.OK);
    ctx.peer.confirm(call);
    await iterating;
    // (Buffers compared with equals(): a deep toEqual over 64 KiB is slow.)
    expect(got.map((e) => e.kind)).toEqual(['data', 'hole', 'data', 'data']);
    expect(got[1]).toEqual({ kind: 'hole', length: 1n << 33n });
    const data = got.filter((e): e is Extract<StreamEntry, { kind: 'data' }> => e.kind === 'data').map((e) => e.data);
    expect(Buffer.concat(data).equals(Buffer.concat([5, 6, 7].map((s) => pattern(64 * KiB, s))))).toBe(true);
    expect(ctx.client.stats.readPauses).toBeGreaterThanOrEqual(2);
  });

  it('keeps a slow reader within bufferSize plus one packet over many packets', async () => {
    const ctx = setup();
    const { call, stream } = await openAccepted(ctx, READ, { bufferSize: 128 * KiB, highWaterMark: 1024 });
    let peak = 0;
    const sent: Buffer[] = [];
    for (let i = 0; i < 64; i++) {
      sent.push(pattern(32 * KiB, i));
      ctx.peer.data(call, sent[i]);
    }
    ctx.peer.eof(call);
    const chunks: Buffer[] = [];
    const reading = (async () => {
      for await (const c of stream as AsyncIterable<Buffer>) {
        peak = Math.max(peak, stream.bufferedBytes);
        chunks.push(c);
        await settle();
      }
    })();
    await ctx.peer.waitStatus(call, S.OK);
    ctx.peer.confirm(call);
    await reading;
    expect(Buffer.concat(chunks).equals(Buffer.concat(sent))).toBe(true);
    expect(peak).toBeLessThanOrEqual(128 * KiB + 32 * KiB);
  });
});

describe('flow control: the rest of the connection while paused', () => {
  it('makes other calls wait until the reader drains (a second connection is the remedy)', async () => {
    const ctx = setup();
    const { call, stream } = await openAccepted(ctx, READ, { bufferSize: 64 * KiB, highWaterMark: 1024 });
    ctx.peer.data(call, pattern(64 * KiB));
    await untilPaused(ctx, stream);
    const proc = testProc({ number: 42 });
    let answered = false;
    const from = ctx.peer.frames.length;
    const other = ctx.client.call(proc, 1).then(() => (answered = true));
    // The call goes out (writing is not paused) and the daemon answers, behind the stream's data.
    const sentCall = await ctx.peer.waitFor((f) => f.header.proc === 42, from);
    ctx.peer.reply(sentCall, 0);
    await settle();
    expect(answered).toBe(false);
    const reading = readAll(stream);
    await other;
    expect(answered).toBe(true);
    ctx.peer.eof(call);
    await ctx.peer.waitStatus(call, S.OK);
    ctx.peer.confirm(call);
    await reading;
  });

  it('a hard bound (maxBuffered) never pauses: it overflows instead', async () => {
    const ctx = setup();
    const { call, stream } = await openAccepted(ctx, READ, { maxBuffered: 128 * KiB });
    const errored = new Promise<Error>((resolve) => stream.once('error', resolve));
    for (let i = 0; i < 4; i++) ctx.peer.data(call, pattern(64 * KiB, i));
    expect(await errored).toBeInstanceOf(StreamOverflowError);
    expect(ctx.client.stats.readPauses).toBe(0);
    await ctx.peer.waitStatus(call, S.ERROR);
  });
});

describe('flow control: a paused stream that ends resumes the connection', () => {
  it('a consumer that destroys the stream: the daemon is told to abort and reading resumes', async () => {
    const ctx = setup();
    const { call, stream } = await openAccepted(ctx, READ, { bufferSize: 64 * KiB });
    ctx.peer.data(call, pattern(64 * KiB));
    await untilPaused(ctx, stream);
    stream.destroy(new Error('the consumer gave up'));
    expect(ctx.client.stats.readingPaused).toBe(false);
    await ctx.peer.waitStatus(call, S.ERROR);
    ctx.peer.confirm(call);
    await stream.abort();
    const again = await openAccepted(ctx, READ);
    expect(again.stream.serial).not.toBe(stream.serial);
  });

  it("the caller's signal ends a consumer that never reads", async () => {
    const ctx = setup();
    const ac = new AbortController();
    const { call, stream } = await openAccepted(ctx, READ, { bufferSize: 64 * KiB, signal: ac.signal });
    ctx.peer.data(call, pattern(64 * KiB));
    await untilPaused(ctx, stream);
    const errored = new Promise<Error>((resolve) => stream.once('error', resolve));
    ac.abort();
    expect(await errored).toBeInstanceOf(AbortError);
    expect(ctx.client.stats.readingPaused).toBe(false);
    await ctx.peer.waitStatus(call, S.ERROR);
  });

  it('stallTimeout ends a consumer that leaves the connection paused too long', async () => {
    const ctx = setup();
    const { call, stream } = await openAccepted(ctx, READ, { bufferSize: 64 * KiB, stallTimeout: 50 });
    ctx.peer.data(call, pattern(64 * KiB));
    const errored = new Promise<Error>((resolve) => stream.once('error', resolve));
    const err = await errored;
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.message).toMatch(/took nothing for 50 ms/);
    expect(ctx.client.stats.readingPaused).toBe(false);
    await ctx.peer.waitStatus(call, S.ERROR);
  });

  it('a reader that keeps reading is not ended by stallTimeout', async () => {
    const ctx = setup();
    const { call, stream } = await openAccepted(ctx, READ, { bufferSize: 32 * KiB, stallTimeout: 200, highWaterMark: 1024 });
    for (let i = 0; i < 20; i++) ctx.peer.data(call, pattern(16 * KiB, i));
    ctx.peer.eof(call);
    const reading = readSlowly(stream, 3);
    await ctx.peer.waitStatus(call, S.OK);
    ctx.peer.confirm(call);
    expect((await reading).length).toBe(20 * 16 * KiB);
  });

  it('the connection closing under a paused stream fails it with the ConnectionClosedError', async () => {
    const ctx = setup();
    const { call, stream } = await openAccepted(ctx, READ, { bufferSize: 64 * KiB });
    ctx.peer.data(call, pattern(64 * KiB));
    await untilPaused(ctx, stream);
    const errored = new Promise<Error>((resolve) => stream.once('error', resolve));
    ctx.client.destroy();
    expect(await errored).toBeInstanceOf(ConnectionClosedError);
  });

  it('rejects a bufferSize or stallTimeout that is not positive', async () => {
    const ctx = setup();
    await expect(openStreamCall(ctx.client, READ, 5, 'read', false, { bufferSize: 0 })).rejects.toBeInstanceOf(RangeError);
    await expect(openStreamCall(ctx.client, READ, 5, 'read', false, { stallTimeout: -1 })).rejects.toThrow(/stallTimeout must be positive/);
    // Nothing was sent.
    await settle();
    expect(ctx.peer.frames).toHaveLength(0);
  });
});
