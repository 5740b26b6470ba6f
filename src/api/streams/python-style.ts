/**
 * libvirt-python's `virStream` methods (`send`, `recv`, `sendAll`, `recvAll`,
 * `sparseSendAll`, `sparseRecvAll`) as promise-based functions over a
 * {@link LibvirtStream}; the stream's methods of the same names call them.
 */
import { Buffer } from 'node:buffer';
import { AbortError } from '../../rpc/errors.js';
import { StreamStateError } from './errors.js';
import type { LibvirtStream } from './libvirt-stream.js';
import { STREAM_BUF_SIZE } from './options.js';

/**
 * What {@link sendAll} sends: a function asked for up to `nbytes` at a time
 * (nothing, or an empty chunk, ends it), or an (async) iterable of chunks.
 */
export type StreamSource =
  | ((nbytes: number) => Uint8Array | null | undefined | Promise<Uint8Array | null | undefined>)
  | AsyncIterable<Uint8Array>
  | Iterable<Uint8Array>;

/** See {@link LibvirtStream.send}. */
export async function send(stream: LibvirtStream, data: Uint8Array): Promise<number> {
  if (stream.mode === 'read') throw new StreamStateError(`${stream.procedure.name}: cannot send on a read stream`);
  const chunk = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  await new Promise<void>((resolve, reject) => {
    stream.write(chunk, (err) => (err ? reject(stream.failure ?? err) : resolve()));
  });
  return chunk.length;
}

/** See {@link LibvirtStream.recv}. */
export async function recv(stream: LibvirtStream, nbytes: number): Promise<Buffer> {
  if (stream.mode === 'write') throw new StreamStateError(`${stream.procedure.name}: a write stream has nothing to read`);
  if (!(Number.isSafeInteger(nbytes) && nbytes > 0)) throw new RangeError(`nbytes must be a positive integer, got ${nbytes}`);
  for (;;) {
    const chunk = stream.read() as Buffer | null;
    if (chunk !== null) {
      if (chunk.length <= nbytes) return chunk;
      stream.unshift(chunk.subarray(nbytes));
      return chunk.subarray(0, nbytes);
    }
    if (stream.readableEnded) return Buffer.alloc(0);
    if (stream.failure) throw stream.failure;
    if (stream.destroyed) throw new AbortError('the stream was destroyed');
    await nextEvent(stream, ['readable', 'end', 'close']);
  }
}

/** See {@link LibvirtStream.sendAll}. */
export async function sendAll(stream: LibvirtStream, source: StreamSource): Promise<void> {
  try {
    if (typeof source === 'function') {
      for (;;) {
        const got = await source(STREAM_BUF_SIZE);
        if (!got || got.length === 0) break;
        await send(stream, got);
      }
    } else {
      for await (const got of source) if (got.length > 0) await send(stream, got);
    }
  } catch (err) {
    void stream.abort();
    throw err;
  }
}

/** See {@link LibvirtStream.recvAll}. */
export async function recvAll(stream: LibvirtStream, handler: (data: Buffer) => unknown): Promise<void> {
  for (;;) {
    const got = await recv(stream, STREAM_BUF_SIZE);
    if (got.length === 0) return;
    await handle(stream, () => handler(got), 'recvAll handler');
  }
}

/** See {@link LibvirtStream.sparseRecvAll}. */
export async function sparseRecvAll(stream: LibvirtStream, handler: (data: Buffer) => unknown, holeHandler: (length: bigint) => unknown): Promise<void> {
  for await (const entry of stream.entries()) {
    if (entry.kind === 'data') await handle(stream, () => handler(entry.data), 'sparseRecvAll handler');
    else await handle(stream, () => holeHandler(entry.length), 'sparseRecvAll hole handler');
  }
}

/** See {@link LibvirtStream.sparseSendAll}. */
export async function sparseSendAll(
  stream: LibvirtStream,
  handler: (nbytes: number) => Uint8Array | null | undefined | number | Promise<Uint8Array | null | undefined | number>,
  holeHandler: () => readonly [boolean, number | bigint] | Promise<readonly [boolean, number | bigint]>,
  skipHandler: (length: number | bigint) => unknown,
): Promise<void> {
  for (;;) {
    const [inData, sectionLen] = await handle(stream, () => holeHandler(), 'sparseSendAll hole handler');
    if (!inData && sectionLen > 0) {
      if (!stream.sendHole(sectionLen)) await nextEvent(stream, ['drain', 'close']);
      await handle(stream, () => skipHandler(sectionLen), 'sparseSendAll skip handler');
      continue;
    }
    const want = Math.min(STREAM_BUF_SIZE, Number(sectionLen));
    const got = await handle(stream, () => handler(want), 'sparseSendAll handler');
    if (typeof got === 'number' || !got || got.length === 0) return;
    await send(stream, got);
  }
}

/**
 * Runs a handler of the `*All` helpers: a throw or a negative number aborts the stream (the
 * error is rethrown at once; the abort completes in the background, see {@link LibvirtStream.abort}).
 */
async function handle<T>(stream: LibvirtStream, fn: () => T | Promise<T>, what: string): Promise<T> {
  let ret: T;
  try {
    ret = await fn();
  } catch (err) {
    void stream.abort();
    throw err;
  }
  if (typeof ret === 'number' && ret < 0) {
    void stream.abort();
    throw new StreamStateError(`${what} returned ${ret}`);
  }
  return ret;
}

/** Resolves at the first of `events` (or 'error'). */
function nextEvent(stream: LibvirtStream, events: readonly string[]): Promise<void> {
  return new Promise<void>((resolve) => {
    const all = [...events, 'error'];
    const done = (): void => {
      for (const e of all) stream.off(e, done);
      resolve();
    };
    for (const e of all) stream.once(e, done);
  });
}
