/**
 * Streams to and from files: {@link pipeToFile} (a download into a file, a
 * pipe or a device, holes kept as holes where the target can seek) and
 * {@link pipeFromFile} (an upload, zero runs sent as holes on request), and
 * {@link readAll}. Memory stays bounded whatever the file's speed: the read
 * stream's flow control (see receive-queue.ts) and the connection's write
 * buffer do the throttling.
 */
import { Buffer } from 'node:buffer';
import type { FileHandle } from 'node:fs/promises';
import { fsPromises } from './fs-promises.js';
import { AbortError } from '../../rpc/errors.js';
import { recycleFramePayload } from '../../rpc/frame-pool.js';
import { StreamFileError, StreamOverflowError, StreamStateError } from './errors.js';
import { FileChunks, fileOp } from './file-source.js';
import { writeReusable, type LibvirtStream } from './libvirt-stream.js';
import { STREAM_BUF_SIZE } from './options.js';

/** Granularity of hole detection: a quarter of a packet, so data runs are whole packets where they can be. */
const HOLE_BLOCK = STREAM_BUF_SIZE / 4;

/** Data gathered before one `writev` to the target. */
const WRITE_BATCH = 1024 * 1024;

/**
 * Reads a stream to its end and returns everything as one Buffer (holes as
 * zeros). Rejects with the stream's error, or a {@link StreamOverflowError}
 * past `maxBytes` (the stream is then aborted).
 */
export async function readAll(stream: LibvirtStream, opts: { maxBytes?: number } = {}): Promise<Buffer> {
  const max = opts.maxBytes ?? Infinity;
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > max) {
      const err = new StreamOverflowError(max);
      stream.destroy(err);
      throw err;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

/**
 * Writes a read stream into `target`: a path (created or truncated), or an
 * open FileHandle (written from its current position and left open). Resolves
 * once the daemon has confirmed the end of the stream, with the stream's
 * length (holes included). Holes of a sparse stream are skipped in a regular
 * file (which ends up sparse, like virsh's `vol-download --sparse`) and
 * written as zeros into a pipe or device (except `/dev/null`). When writing
 * fails (EPIPE, ENOSPC, ...) the stream is aborted and the promise rejects
 * with a {@link StreamFileError} (`errno` `'EPIPE'`, ...).
 *
 * `holes: 'seek'` skips every hole by seeking as virsh's `vol-download
 * --sparse` does (`lseek` + `ftruncate`): fine in a regular file, zeros on a
 * block device, and a failure elsewhere (`ESPIPE` on a pipe, `EINVAL` on a
 * character device), where the default writes zeros.
 */
export async function pipeToFile(
  stream: LibvirtStream,
  target: string | FileHandle,
  opts: { holes?: 'auto' | 'seek'; onProgress?: TransferProgress } = {},
): Promise<number> {
  let fh: FileHandle | null = null;
  try {
    fh = typeof target === 'string' ? await fileOp('write', async () => (await fsPromises()).open(target, 'w')) : target;
    return await receiveInto(stream, fh, opts.holes === 'seek', opts.onProgress);
  } catch (err) {
    if (!stream.destroyed) stream.destroy(err as Error);
    throw err;
  } finally {
    if (typeof target === 'string') await fh?.close();
  }
}

/** Told the bytes moved so far (holes included), after each write or hole of a file transfer. */
export type TransferProgress = (bytes: number) => void;

async function receiveInto(stream: LibvirtStream, fh: FileHandle, seekHoles: boolean, onProgress?: TransferProgress): Promise<number> {
  const st = await fileOp('write', () => fh.stat());
  const seekable = st.isFile() || (!seekHoles && st.isCharacterDevice() && st.rdev === (await devNullRdev()));
  // What seeking over a hole does where it cannot (virshStreamSkip's lseek or ftruncate).
  const seekFailure = seekHoles && !st.isFile() && !st.isBlockDevice() ? (st.isCharacterDevice() ? 'EINVAL' : 'ESPIPE') : null;
  // Positioned writes keep holes as holes in a regular file; a pipe is written in order.
  let pos = 0;
  let skipped = false;
  let batch: Buffer[] = [];
  let batchBytes = 0;
  const flush = async (): Promise<void> => {
    if (batchBytes === 0) return;
    const bufs = batch;
    const len = batchBytes;
    batch = [];
    batchBytes = 0;
    await fileOp('write', () => writeFully(fh, bufs, len, seekable ? pos : null));
    pos += len;
    onProgress?.(pos);
    // Written out and referenced nowhere else: the packets' memory serves the next ones.
    for (const b of bufs) recycleFramePayload(b);
  };
  for await (const entry of stream.entries()) {
    if (entry.kind === 'data') {
      batch.push(entry.data);
      batchBytes += entry.data.length;
      // Write what has arrived; gather more only while more is waiting.
      if (batchBytes >= WRITE_BATCH || stream.bufferedBytes === 0) await flush();
      continue;
    }
    await flush();
    if (seekFailure !== null) throw new StreamFileError('hole', systemError(seekFailure));
    if (seekable) {
      pos += Number(entry.length);
      skipped = true;
    } else {
      await fileOp('hole', () => writeZeros(fh, entry.length));
      pos += Number(entry.length);
    }
    onProgress?.(pos);
  }
  await flush();
  if (skipped && st.isFile()) await fileOp('hole', () => fh.truncate(pos));
  return pos;
}

function systemError(code: 'EINVAL' | 'ESPIPE'): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(code === 'EINVAL' ? 'EINVAL: invalid argument, ftruncate' : 'ESPIPE: invalid seek, lseek');
  err.code = code;
  return err;
}

let nullRdev: number | undefined;

/** The device number of `/dev/null` (writes there may skip holes), or -1. */
async function devNullRdev(): Promise<number> {
  if (nullRdev === undefined) {
    try {
      nullRdev = (await (await fsPromises()).stat('/dev/null')).rdev;
    } catch {
      nullRdev = -1;
    }
  }
  return nullRdev;
}

/** Writes `bufs` (`len` bytes) whole, at `position` or (null) at the current position. */
async function writeFully(fh: FileHandle, bufs: Buffer[], len: number, position: number | null): Promise<void> {
  let done = 0;
  while (done < len) {
    const { bytesWritten } = await fh.writev(bufs, position === null ? undefined : position + done);
    done += bytesWritten;
    if (done < len) bufs = dropFront(bufs, bytesWritten);
  }
}

function dropFront(bufs: Buffer[], n: number): Buffer[] {
  const out: Buffer[] = [];
  for (const b of bufs) {
    if (n >= b.length) {
      n -= b.length;
      continue;
    }
    out.push(n > 0 ? b.subarray(n) : b);
    n = 0;
  }
  return out;
}

const ZEROS = Buffer.alloc(HOLE_BLOCK * 4);

async function writeZeros(fh: FileHandle, length: bigint): Promise<void> {
  let left = length;
  while (left > 0n) {
    const n = left > BigInt(ZEROS.length) ? ZEROS.length : Number(left);
    await writeFully(fh, [ZEROS.subarray(0, n)], n, null);
    left -= BigInt(n);
  }
}

/**
 * Sends `source` (a path, or an open FileHandle read from its current
 * position and left open) through a write stream and finishes it: resolves
 * once the daemon has confirmed the upload, with the number of bytes sent
 * (holes included). With `detectHoles` (only on a sparse stream), runs of zero
 * bytes (in blocks of 65,530 bytes, a quarter of a packet) are sent as holes,
 * as `virsh vol-upload --sparse` does for the holes of a sparse file (a
 * file with holes is read with `O_DIRECT` then, see file-source.ts: Node
 * cannot ask where the holes are, so they are read, as fast as the kernel
 * can fill a buffer with zeros; a FileHandle is then read through a
 * descriptor of its own, and its position is left where it was). The file is
 * read in chunks of about 4 MiB,
 * the next ones while the previous is sent; data goes out without being
 * copied.
 */
export async function pipeFromFile(
  source: string | FileHandle,
  stream: LibvirtStream,
  opts: { detectHoles?: boolean; onProgress?: TransferProgress } = {},
): Promise<number> {
  const total = await sendFile(source, stream, opts);
  await stream.finish();
  return total;
}

/**
 * What {@link pipeFromFile} does before finishing: sends the file (holes
 * detected on request) and resolves with its length once everything has been
 * handed to the connection. A read error aborts the stream and rejects with a
 * {@link StreamFileError}.
 */
export async function sendFile(
  source: string | FileHandle,
  stream: LibvirtStream,
  opts: { detectHoles?: boolean; onProgress?: TransferProgress } = {},
): Promise<number> {
  const detect = opts.detectHoles === true;
  if (detect && !stream.sparse) throw new StreamStateError('detectHoles needs a sparse stream');
  let chunks: FileChunks;
  try {
    chunks = await FileChunks.open(source, { direct: detect });
  } catch (err) {
    if (!stream.destroyed) stream.destroy(err as Error);
    throw err;
  }
  let total = 0;
  let hole = 0;
  try {
    for (;;) {
      const chunk = await chunks.next();
      if (chunk.length === 0) break;
      total += chunk.length;
      // The read buffer serves again once everything written from it has left
      // (writes are not copied): counted down from 1, which this loop holds.
      let holds = 1;
      const release = (): void => {
        if (--holds === 0) chunks.recycle(chunk);
      };
      const write = (data: Buffer): Promise<void> => {
        holds++;
        return send(stream, () => writeReusable(stream, data, release));
      };
      if (!detect) {
        await write(chunk);
        release();
        opts.onProgress?.(total);
        continue;
      }
      // Most chunks of a sparse file are all hole: one pass over the chunk says so.
      if (isZero(chunk)) {
        hole += chunk.length;
        release();
        opts.onProgress?.(total);
        continue;
      }
      let off = 0;
      while (off < chunk.length) {
        // A run of zero blocks becomes (part of) a hole; a run of data blocks one write.
        let end = off;
        while (end < chunk.length && isZero(chunk.subarray(end, end + HOLE_BLOCK))) end += HOLE_BLOCK;
        if (end > off) {
          hole += Math.min(end, chunk.length) - off;
          off = Math.min(end, chunk.length);
          continue;
        }
        while (end < chunk.length && !isZero(chunk.subarray(end, end + HOLE_BLOCK))) end += HOLE_BLOCK;
        end = Math.min(end, chunk.length);
        if (hole > 0) {
          const len = hole;
          hole = 0;
          await send(stream, () => stream.sendHole(len));
        }
        await write(chunk.subarray(off, end));
        off = end;
      }
      release();
      opts.onProgress?.(total);
    }
    if (hole > 0) await send(stream, () => stream.sendHole(hole));
  } catch (err) {
    if (!stream.destroyed) stream.destroy(err as Error);
    throw err;
  } finally {
    await chunks.close();
  }
  return total;
}

/** Writes with `fn` and waits for 'drain' when it says so; rejects when the stream fails meanwhile. */
async function send(stream: LibvirtStream, fn: () => boolean): Promise<void> {
  if (stream.destroyed) throw stream.failure ?? new AbortError('the stream closed while writing');
  if (fn()) return;
  await new Promise<void>((resolve, reject) => {
    const done = (err?: Error): void => {
      stream.off('drain', onDrain);
      stream.off('close', onClose);
      stream.off('error', done);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = (): void => done();
    const onClose = (): void => done(stream.failure ?? new AbortError('the stream closed while writing'));
    stream.on('drain', onDrain);
    stream.on('close', onClose);
    stream.on('error', done);
  });
}

/** True when `b` is all zero bytes (memcmp of the buffer against itself shifted by one). */
function isZero(b: Buffer): boolean {
  return b.length === 0 || (b[0] === 0 && b.compare(b, 1, b.length, 0, b.length - 1) === 0);
}
