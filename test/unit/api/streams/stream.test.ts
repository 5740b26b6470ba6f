/**
 * LibvirtStream against a fake daemon: receiving, end of data and the finish
 * handshake, holes, bounded buffering, sending with backpressure, finish,
 * abort, daemon errors, connection loss, AbortSignal and timeouts.
 */
import { Buffer } from 'node:buffer';
import { pipeline } from 'node:stream/promises';
import { Duplex, Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { LibvirtStream, openStreamCall, readAll, StreamOverflowError, StreamStateError, type StreamEntry } from '../../../../src/api/stream.js';
import { AbortError, ConnectionClosedError, LibvirtError, ProtocolError, TimeoutError, UnsupportedError } from '../../../../src/rpc/errors.js';
import { WRITE_BUFFER_MAX } from '../../../../src/rpc/client.js';
import { tick } from '../../rpc/helpers.js';
import { destroyClients, pattern, S, settle, setup, streamProc, T } from './stream-helpers.js';

afterEach(destroyClients);

const READ = streamProc('read');
const WRITE = streamProc('write');
const SPARSE_READ = streamProc('read', true);
const SPARSE_WRITE = streamProc('write', true);

/** Opens a stream through the fake daemon, which accepts the call. */
async function open(ctx: ReturnType<typeof setup>, proc = READ, mode: 'read' | 'write' | 'duplex' = proc.stream ?? 'read', sparse = proc.sparse, options = {}) {
  const from = ctx.peer.frames.length;
  const opening = openStreamCall(ctx.client, proc, 5, mode, sparse, options);
  const call = await ctx.peer.waitFor((f) => f.header.type === T.CALL, from);
  ctx.peer.reply(call, 77);
  const { ret, stream } = await opening;
  expect(ret).toBe(77);
  return { call, stream };
}

describe('LibvirtStream: a Node Duplex', () => {
  it('is a Duplex, LibvirtStream extending Duplex', async () => {
    const { stream } = await open(setup());
    expect(stream).toBeInstanceOf(Duplex);
    expect(Object.getPrototypeOf(LibvirtStream)).toBe(Duplex);
    expect(LibvirtStream.prototype).toBeInstanceOf(Duplex);
    expect(typeof stream.pipe).toBe('function');
    stream.destroy();
  });
});

describe('LibvirtStream: receiving', () => {
  it('delivers data, finishes at the end of data and ends only once the daemon confirms', async () => {
    const ctx = setup();
    const { call, stream } = await open(ctx);
    expect(stream).toBeInstanceOf(LibvirtStream);
    expect(stream.mode).toBe('read');
    expect(stream.serial).toBe(call.header.serial);
    expect(stream.writable).toBe(false);
    const reading = readAll(stream);
    let ended = false;
    stream.on('end', () => (ended = true));
    ctx.peer.data(call, pattern(1000));
    ctx.peer.data(call, pattern(3000, 1000));
    ctx.peer.eof(call);
    const finish = await ctx.peer.waitStatus(call, S.OK);
    expect(finish.payload.length).toBe(0);
    await settle();
    expect(ended).toBe(false);
    ctx.peer.confirm(call);
    const all = await reading;
    expect(all.equals(Buffer.concat([pattern(1000), pattern(3000, 1000)]))).toBe(true);
    expect(ended).toBe(true);
    // The serial is released: a late packet is dropped.
    const dropped = ctx.nextDiagnostic('unhandled-stream');
    ctx.peer.data(call, Buffer.from('late'));
    await dropped;
    expect(ctx.client.stats.droppedStreamPackets).toBe(1);
  });

  it('queues data (and the end) that arrive before the reply of the opening call', async () => {
    const ctx = setup();
    const opening = openStreamCall(ctx.client, READ, 5, 'read', false);
    const call = await ctx.peer.waitFor((f) => f.header.type === T.CALL);
    ctx.peer.data(call, Buffer.from('early '));
    ctx.peer.eof(call);
    await settle();
    // Not finished before the call succeeded.
    expect(ctx.peer.streamFrames(call.header.serial)).toHaveLength(0);
    ctx.peer.reply(call);
    const { stream } = await opening;
    await ctx.peer.waitStatus(call, S.OK);
    ctx.peer.confirm(call);
    expect((await readAll(stream)).toString()).toBe('early ');
  });

  it('fails with the LibvirtError of a failed finish confirmation', async () => {
    const ctx = setup();
    const { call, stream } = await open(ctx);
    const reading = readAll(stream);
    ctx.peer.data(call, Buffer.from('abc'));
    ctx.peer.eof(call);
    await ctx.peer.waitStatus(call, S.OK);
    ctx.peer.streamError(call);
    const err = await reading.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibvirtError);
    expect((err as LibvirtError).message).toMatch(/I\/O error/);
  });

  it('surfaces a daemon error in the middle of the data as a LibvirtError; the connection stays usable', async () => {
    const ctx = setup();
    const { call, stream } = await open(ctx);
    const reading = readAll(stream);
    ctx.peer.data(call, Buffer.from('partial'));
    ctx.peer.streamError(call);
    await expect(reading).rejects.toBeInstanceOf(LibvirtError);
    // No abort is sent for a stream the daemon failed.
    await settle();
    expect(ctx.peer.streamFrames(call.header.serial)).toHaveLength(0);
    const again = await open(ctx);
    expect(again.call.header.serial).not.toBe(call.header.serial);
  });

  it('bounds what a slow reader leaves queued: past maxBuffered it aborts with StreamOverflowError', async () => {
    const ctx = setup();
    const { call, stream } = await open(ctx, READ, 'read', false, { maxBuffered: 1024 * 1024 });
    expect(stream.maxBuffered).toBe(1024 * 1024);
    const errored = new Promise<Error>((resolve) => stream.once('error', resolve));
    const chunk = pattern(256 * 1024);
    for (let i = 0; i < 6; i++) ctx.peer.data(call, chunk);
    const err = await errored;
    expect(err).toBeInstanceOf(StreamOverflowError);
    expect((err as StreamOverflowError).code).toBe('RPC_STREAM_OVERFLOW');
    const abort = await ctx.peer.waitStatus(call, S.ERROR);
    expect(abort.payload.length).toBe(0);
    ctx.peer.confirm(call);
    await stream.abort();
    // The connection is fine.
    await open(ctx);
  });

  it('holds data for a paused reader within the bound and delivers it in order', async () => {
    const ctx = setup();
    const { call, stream } = await open(ctx, READ, 'read', false, { highWaterMark: 1024 });
    for (let i = 0; i < 8; i++) ctx.peer.data(call, pattern(64 * 1024, i));
    await settle();
    // Nobody reads yet: Node's buffer holds little, the rest waits in the stream's queue.
    expect(stream.bufferedBytes).toBeGreaterThan(6 * 64 * 1024);
    ctx.peer.eof(call);
    await ctx.peer.waitStatus(call, S.OK);
    ctx.peer.confirm(call);
    const all = await readAll(stream);
    expect(all.equals(Buffer.concat(Array.from({ length: 8 }, (_, i) => pattern(64 * 1024, i))))).toBe(true);
    expect(stream.bufferedBytes).toBe(0);
  });
});

describe('LibvirtStream: holes', () => {
  it('reads holes as zeros by default, generated lazily', async () => {
    const ctx = setup();
    const { call, stream } = await open(ctx, SPARSE_READ);
    expect(stream.sparse).toBe(true);
    const reading = readAll(stream);
    ctx.peer.data(call, Buffer.from('head'));
    ctx.peer.hole(call, 3n * 1024n * 1024n + 5n);
    ctx.peer.data(call, Buffer.from('tail'));
    ctx.peer.eof(call);
    await ctx.peer.waitStatus(call, S.OK);
    ctx.peer.confirm(call);
    const all = await reading;
    expect(all.length).toBe(8 + 3 * 1024 * 1024 + 5);
    expect(all.subarray(0, 4).toString()).toBe('head');
    expect(all.subarray(all.length - 4).toString()).toBe('tail');
    expect(all.subarray(4, all.length - 4).every((b) => b === 0)).toBe(true);
  });

  it('gives data and holes one by one through entries()', async () => {
    const ctx = setup();
    const { call, stream } = await open(ctx, SPARSE_READ);
    ctx.peer.data(call, Buffer.from('a'));
    ctx.peer.hole(call, 1n << 40n);
    ctx.peer.data(call, Buffer.from('b'));
    ctx.peer.eof(call);
    const got: StreamEntry[] = [];
    const iterating = (async () => {
      for await (const e of stream.entries()) got.push(e);
    })();
    await ctx.peer.waitStatus(call, S.OK);
    ctx.peer.confirm(call);
    await iterating;
    expect(got).toEqual([
      { kind: 'data', data: Buffer.from('a') },
      { kind: 'hole', length: 1n << 40n },
      { kind: 'data', data: Buffer.from('b') },
    ]);
    await new Promise((resolve) => stream.once('close', resolve));
  });

  it('fails a stream that gets a hole it did not ask for, and aborts it', async () => {
    const ctx = setup();
    const { call, stream } = await open(ctx);
    const reading = readAll(stream);
    ctx.peer.hole(call, 10n);
    await expect(reading).rejects.toBeInstanceOf(ProtocolError);
    await ctx.peer.waitStatus(call, S.ERROR);
  });

  it('sends holes in order with the data, and refuses them on a stream that is not sparse', async () => {
    const ctx = setup();
    const { call, stream } = await open(ctx, SPARSE_WRITE);
    stream.write(Buffer.from('one'));
    stream.sendHole(4096);
    stream.write(Buffer.from('two'));
    stream.sendHole(1n << 33n);
    expect(() => stream.sendHole(0)).toThrow(RangeError);
    expect(() => stream.sendHole(-1n)).toThrow(RangeError);
    const finishing = stream.finish();
    const fin = await ctx.peer.waitStatus(call, S.OK);
    const frames = ctx.peer.streamFrames(call.header.serial);
    expect(frames.map((f) => [f.header.type, f.header.status])).toEqual([
      [T.STREAM, S.CONTINUE],
      [T.HOLE, S.CONTINUE],
      [T.STREAM, S.CONTINUE],
      [T.HOLE, S.CONTINUE],
      [T.STREAM, S.OK],
    ]);
    expect(frames[0].payload.toString()).toBe('one');
    expect(frames[1].payload.readBigInt64BE(0)).toBe(4096n);
    expect(frames[3].payload.readBigInt64BE(0)).toBe(1n << 33n);
    ctx.peer.confirm(fin);
    await finishing;

    const plain = await open(ctx, WRITE);
    expect(() => plain.stream.sendHole(10)).toThrow(StreamStateError);
    const reader = await open(ctx, SPARSE_READ);
    expect(() => reader.stream.sendHole(10)).toThrow(StreamStateError);
  });
});

describe('LibvirtStream: sending', () => {
  it('respects backpressure: write() returns false and _write waits for the socket to drain', async () => {
    const ctx = setup({ clientHighWaterMark: 64 * 1024 });
    const { call, stream } = await open(ctx, WRITE, 'write', false, { highWaterMark: 64 * 1024 });
    ctx.socket.hold = true; // the "kernel" stops taking bytes
    const chunk = pattern(256 * 1024);
    let writes = 0;
    while (stream.write(chunk)) writes++;
    // The connection's write buffer (1 MiB) takes a few packets, then writes wait.
    expect(writes).toBeGreaterThan(1);
    expect(writes * chunk.length).toBeLessThanOrEqual(WRITE_BUFFER_MAX + chunk.length);
    await settle();
    // Nothing more than the connection's write buffer plus the stream's own buffer is held.
    expect(stream.writableLength).toBeGreaterThan(0);
    let drained = false;
    stream.once('drain', () => (drained = true));
    await settle();
    expect(drained).toBe(false);
    ctx.socket.release();
    await new Promise((resolve) => stream.once('drain', resolve));
    const finishing = stream.finish();
    const fin = await ctx.peer.waitStatus(call, S.OK);
    const data = ctx.peer.streamFrames(call.header.serial).filter((f) => f.header.status === S.CONTINUE);
    expect(Buffer.concat(data.map((f) => f.payload)).equals(Buffer.concat(Array(writes + 1).fill(chunk)))).toBe(true);
    ctx.peer.confirm(fin);
    await finishing;
  });

  it('pipes a source through, ending with the finish handshake; finish completes only after the confirmation', async () => {
    const ctx = setup();
    const { call, stream } = await open(ctx, WRITE);
    expect(stream.readable).toBe(false);
    const source = Readable.from([pattern(300 * 1024), pattern(10, 3)]);
    let finished = false;
    const piping = pipeline(source, stream).then(() => (finished = true));
    const fin = await ctx.peer.waitStatus(call, S.OK);
    await settle();
    expect(finished).toBe(false);
    const data = ctx.peer.streamFrames(call.header.serial).filter((f) => f.header.status === S.CONTINUE);
    // Split at VIR_NET_MESSAGE_LEGACY_PAYLOAD_MAX (256 KiB), as libvirt does.
    expect(data.every((f) => f.payload.length <= 256 * 1024)).toBe(true);
    expect(Buffer.concat(data.map((f) => f.payload)).equals(Buffer.concat([pattern(300 * 1024), pattern(10, 3)]))).toBe(true);
    ctx.peer.confirm(fin);
    await piping;
    expect(finished).toBe(true);
  });

  it('rejects finish() with the daemon error of the confirmation', async () => {
    const ctx = setup();
    const { call, stream } = await open(ctx, WRITE);
    stream.write(Buffer.from('x'));
    const finishing = stream.finish();
    await ctx.peer.waitStatus(call, S.OK);
    ctx.peer.streamError(call);
    await expect(finishing).rejects.toBeInstanceOf(LibvirtError);
  });

  it('fails the writer when the daemon fails the upload', async () => {
    const ctx = setup();
    const { call, stream } = await open(ctx, WRITE);
    const source = new Readable({ read() {} });
    const piping = pipeline(source, stream);
    source.push(Buffer.from('abc'));
    await ctx.peer.waitFor((f) => f.header.type === T.STREAM && f.header.serial === call.header.serial);
    ctx.peer.streamError(call);
    await expect(piping).rejects.toBeInstanceOf(LibvirtError);
  });
});

describe('LibvirtStream: abort', () => {
  it('abort() sends the abort packet, resolves on the confirmation and releases the serial', async () => {
    const ctx = setup();
    const { call, stream } = await open(ctx);
    ctx.peer.data(call, Buffer.from('ignored'));
    let errored = false;
    stream.on('error', () => (errored = true));
    const aborting = stream.abort();
    const abort = await ctx.peer.waitStatus(call, S.ERROR);
    expect(abort.payload.length).toBe(0);
    // Data still in flight is dropped.
    ctx.peer.data(call, Buffer.from('more'));
    ctx.peer.confirm(call);
    await aborting;
    expect(errored).toBe(false);
    expect(stream.destroyed).toBe(true);
    await expect(stream.finish()).rejects.toBeInstanceOf(AbortError);
    const dropped = ctx.nextDiagnostic('unhandled-stream');
    ctx.peer.data(call, Buffer.from('late'));
    await dropped;
    expect(ctx.client.stats.droppedStreamPackets).toBe(1);
  });

  it('aborts when the reader leaves a for-await loop early', async () => {
    const ctx = setup();
    const { call, stream } = await open(ctx);
    ctx.peer.data(call, Buffer.from('first'));
    for await (const chunk of stream) {
      expect(String(chunk)).toBe('first');
      break;
    }
    await ctx.peer.waitStatus(call, S.ERROR);
  });

  it('an AbortSignal fired after the call aborts the stream with an AbortError', async () => {
    const ctx = setup();
    const ac = new AbortController();
    const { call, stream } = await open(ctx, READ, 'read', false, { signal: ac.signal });
    const reading = readAll(stream);
    ac.abort();
    await expect(reading).rejects.toBeInstanceOf(AbortError);
    await ctx.peer.waitStatus(call, S.ERROR);
  });

  it('an AbortSignal fired during the call rejects at once; a late success is aborted on the wire', async () => {
    const ctx = setup();
    const ac = new AbortController();
    const opening = openStreamCall(ctx.client, READ, 5, 'read', false, { signal: ac.signal });
    const call = await ctx.peer.waitFor((f) => f.header.type === T.CALL);
    ac.abort();
    await expect(opening).rejects.toBeInstanceOf(AbortError);
    ctx.peer.data(call, Buffer.from('early'));
    ctx.peer.reply(call);
    await ctx.peer.waitStatus(call, S.ERROR);
    ctx.peer.confirm(call);
    await settle();
    const dropped = ctx.nextDiagnostic('unhandled-stream');
    ctx.peer.data(call, Buffer.from('late'));
    await dropped;
    expect(ctx.client.stats.droppedStreamPackets).toBe(1);
  });

  it('a timeout during the call rejects with a TimeoutError; a late failure leaves nothing behind', async () => {
    const ctx = setup();
    const opening = openStreamCall(ctx.client, READ, 5, 'read', false, { timeout: 20 });
    const call = await ctx.peer.waitFor((f) => f.header.type === T.CALL);
    await expect(opening).rejects.toBeInstanceOf(TimeoutError);
    ctx.peer.replyError(call);
    await settle();
    expect(ctx.peer.streamFrames(call.header.serial)).toHaveLength(0);
    const dropped = ctx.nextDiagnostic('unhandled-stream');
    ctx.peer.data(call, Buffer.from('late'));
    await dropped;
    expect(ctx.client.stats.droppedStreamPackets).toBe(1);
  });

  it('an already aborted signal rejects before anything is sent', async () => {
    const ctx = setup();
    await expect(openStreamCall(ctx.client, READ, 5, 'read', false, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
    await settle();
    expect(ctx.peer.frames).toHaveLength(0);
  });
});

describe('LibvirtStream: failures', () => {
  it('rejects with the LibvirtError when the daemon refuses the call', async () => {
    const ctx = setup();
    const opening = openStreamCall(ctx.client, READ, 5, 'read', false);
    const call = await ctx.peer.waitFor((f) => f.header.type === T.CALL);
    ctx.peer.replyError(call);
    await expect(opening).rejects.toBeInstanceOf(LibvirtError);
    const dropped = ctx.nextDiagnostic('unhandled-stream');
    ctx.peer.data(call, Buffer.from('late'));
    await dropped;
    expect(ctx.client.stats.droppedStreamPackets).toBe(1);
  });

  it('surfaces connection loss during a download as ConnectionClosedError', async () => {
    const ctx = setup();
    const { call, stream } = await open(ctx);
    const reading = readAll(stream);
    ctx.peer.data(call, Buffer.from('some'));
    await tick();
    ctx.peerSocket.destroy();
    const err = await reading.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionClosedError);
    await expect(stream.finish()).rejects.toBeInstanceOf(ConnectionClosedError);
    await stream.abort(); // resolves at once
  });

  it('surfaces connection loss during an upload as ConnectionClosedError', async () => {
    const ctx = setup();
    const { stream } = await open(ctx, WRITE);
    const source = new Readable({ read() {} });
    const piping = pipeline(source, stream);
    source.push(pattern(1000));
    await ctx.peer.waitFor((f) => f.header.type === T.STREAM);
    ctx.peerSocket.destroy();
    await expect(piping).rejects.toBeInstanceOf(ConnectionClosedError);
  });

  it('surfaces connection loss while the call is in flight, and an unusable caller', async () => {
    const ctx = setup();
    const opening = openStreamCall(ctx.client, READ, 5, 'read', false);
    await ctx.peer.waitFor((f) => f.header.type === T.CALL);
    ctx.peerSocket.destroy();
    await expect(opening).rejects.toBeInstanceOf(ConnectionClosedError);
    await expect(openStreamCall(ctx.client, READ, 5, 'read', false)).rejects.toBeInstanceOf(ConnectionClosedError);
    await expect(openStreamCall({ call: () => Promise.resolve(0 as never) }, READ, 5, 'read', false)).rejects.toBeInstanceOf(UnsupportedError);
  });

  it('a stream nobody reads does not crash the process when the connection drops; its error is kept', async () => {
    const ctx = setup();
    const { stream } = await open(ctx);
    ctx.peerSocket.destroy();
    await new Promise((resolve) => stream.once('close', resolve));
    expect(stream.errored).toBeInstanceOf(ConnectionClosedError);
    await expect(readAll(stream)).rejects.toBeInstanceOf(ConnectionClosedError);
  });

  it('entries() and byte reads do not mix', async () => {
    const ctx = setup();
    const { call, stream } = await open(ctx, SPARSE_READ);
    ctx.peer.data(call, Buffer.from('x'));
    await new Promise((resolve) => stream.once('readable', resolve));
    expect(String(stream.read())).toBe('x');
    await expect(stream.entries().next()).rejects.toBeInstanceOf(StreamStateError);
  });

  it('a daemon error during the call does not crash a stream nobody holds yet', async () => {
    const ctx = setup();
    const opening = openStreamCall(ctx.client, READ, 5, 'read', false);
    const call = await ctx.peer.waitFor((f) => f.header.type === T.CALL);
    ctx.peer.streamError(call);
    await settle();
    ctx.peer.reply(call);
    const { stream } = await opening;
    expect(stream.destroyed).toBe(true);
    await expect(readAll(stream)).rejects.toBeInstanceOf(LibvirtError);
  });
});

describe('LibvirtStream: duplex', () => {
  it('reads and writes; the daemon end of data ends the reader and Node then finishes the writer', async () => {
    const ctx = setup();
    const { call, stream } = await open(ctx, READ, 'duplex', false);
    expect(stream.readable && stream.writable).toBe(true);
    stream.write('ls\r');
    const sent = await ctx.peer.waitFor((f) => f.header.type === T.STREAM && f.header.status === S.CONTINUE);
    expect(sent.payload.toString()).toBe('ls\r');
    const reading = readAll(stream);
    ctx.peer.data(call, Buffer.from('login: '));
    ctx.peer.eof(call);
    await ctx.peer.waitStatus(call, S.OK);
    ctx.peer.confirm(call);
    expect((await reading).toString()).toBe('login: ');
    await new Promise((resolve) => stream.once('close', resolve));
  });

  it('finish() on a duplex stream ends both sides after the confirmation', async () => {
    const ctx = setup();
    const { call, stream } = await open(ctx, READ, 'duplex', false);
    const reading = readAll(stream);
    ctx.peer.data(call, Buffer.from('x'));
    const finishing = stream.finish();
    await ctx.peer.waitStatus(call, S.OK);
    ctx.peer.confirm(call);
    await finishing;
    expect((await reading).toString()).toBe('x');
  });
});
