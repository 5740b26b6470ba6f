/**
 * Reading a file in large chunks for an upload ({@link sendFile} in
 * files.ts), with up to two reads in flight and buffers reused once the bytes
 * written from them have left.
 *
 * Finding the holes of a sparse file. virsh asks the kernel where they are
 * (`lseek(SEEK_DATA/SEEK_HOLE)` in `virFileInData`) and never reads them;
 * Node exposes no `lseek`, so here they are read and recognised as runs of
 * zeros. What that costs is the kernel filling a buffer with zeros and one
 * pass over it: buffered reads of a hole go through the page cache (a page
 * allocated and cleared for every 4 KiB of hole, about 2-4 GB/s here, and
 * the cache filled with zeros), while `O_DIRECT` reads write the zeros
 * straight into the caller's buffer (10-30 GB/s). So a file with holes (fewer
 * blocks allocated than its size says) is read with `O_DIRECT` into
 * page-aligned buffers, from a descriptor of its own; where that is not
 * possible (no `O_DIRECT` in the file system, WebAssembly disabled, a start
 * position that is not aligned) it is read as any other file.
 */
import { Buffer } from 'node:buffer';
import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { fsPromises } from './fs-promises.js';
import { StreamFileError } from './errors.js';
import { STREAM_BUF_SIZE } from './options.js';

/** Bytes per buffered read: sixteen full stream packets. */
export const READ_CHUNK = 16 * STREAM_BUF_SIZE;

/**
 * Bytes per direct read: 4 MiB, a multiple of every block size `O_DIRECT`
 * asks offsets and lengths to be multiples of (at most the 4 KiB page here),
 * and small enough for the scan to find the bytes still in the CPU's cache.
 */
export const DIRECT_CHUNK = 4 * 1024 * 1024;

/** Alignment of the start position of a direct read (a page). */
const DIRECT_ALIGN = 4096;

/** Buffers kept for reuse. */
const SPARE_MAX = 3;

/** Runs a file operation, turning its failure into a {@link StreamFileError}. */
export async function fileOp<T>(op: 'write' | 'hole' | 'read', fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new StreamFileError(op, err);
  }
}

/** The chunks of one file, in order; see the module comment. */
export class FileChunks {
  readonly #fh: FileHandle;
  /** The descriptor was opened here (and is closed by {@link close}). */
  readonly #owned: boolean;
  /** Where the next read starts, or null to read from the descriptor's own position (pipes, devices). */
  #pos: number | null;
  readonly #chunk: number;
  /** Buffers a direct read may go into (page-aligned). */
  readonly #aligned = new WeakSet<Buffer>();
  /** Where to open the file without O_DIRECT, for a buffer that could not be page-aligned. */
  readonly #plainPath: string | null;
  #plain: Promise<FileHandle> | null = null;
  readonly #spare: Buffer[] = [];
  readonly #ahead: Array<Promise<Buffer>> = [];
  #eof = false;

  private constructor(fh: FileHandle, owned: boolean, pos: number | null, plainPath: string | null) {
    this.#fh = fh;
    this.#owned = owned;
    this.#pos = pos;
    this.direct = plainPath !== null;
    this.#plainPath = plainPath;
    this.#chunk = this.direct ? DIRECT_CHUNK : READ_CHUNK;
  }

  /** True when the file is read with `O_DIRECT` (see the module comment). */
  readonly direct: boolean;

  /**
   * Opens `source` (a path, or a FileHandle read from its current position
   * and left open; with `direct`, read through a descriptor of its own, which
   * leaves its position where it was). `direct` asks for `O_DIRECT` reads of a
   * regular file with holes; anything else is read as usual.
   */
  static async open(source: string | FileHandle, opts: { direct?: boolean } = {}): Promise<FileChunks> {
    const fh = typeof source === 'string' ? await fileOp('read', async () => (await fsPromises()).open(source, 'r')) : source;
    const owned = typeof source === 'string';
    try {
      const st = await fileOp('read', () => fh.stat());
      if (opts.direct && hasHoles(st)) {
        const start = owned ? 0 : await positionOf(fh);
        const path = owned ? source : `/proc/self/fd/${fh.fd}`;
        const direct = start === null ? null : await openDirect(path, start);
        if (direct) {
          if (owned) await fh.close();
          return new FileChunks(direct, true, start, path);
        }
      }
      // A path is read at explicit positions (two reads in flight); a handle from where it is.
      return new FileChunks(fh, owned, owned && st.isFile() ? 0 : null, null);
    } catch (err) {
      if (owned) await fh.close().catch(() => {});
      throw err;
    }
  }

  /**
   * The next chunk, as long as the buffer allows (shorter only at the end;
   * empty at the end). The reads after it are under way when it is returned:
   * two where positions are known, one otherwise.
   */
  async next(): Promise<Buffer> {
    this.#readAhead();
    const p = this.#ahead.shift();
    if (!p) return Buffer.alloc(0);
    const chunk = await p;
    if (chunk.length < this.#chunk) this.#stop();
    else this.#readAhead();
    return chunk;
  }

  /** `buf` (a chunk this returned, whole) may be read into again. */
  recycle(buf: Buffer): void {
    if (buf.length === this.#chunk && this.#spare.length < SPARE_MAX) this.#spare.push(buf);
  }

  /** Closes the descriptor if it was opened here; reads still in flight are waited for first. */
  async close(): Promise<void> {
    this.#stop();
    if (this.#plain) await (await this.#plain.catch(() => null))?.close();
    if (this.#owned) await this.#fh.close();
  }

  #readAhead(): void {
    const depth = this.#pos === null ? 1 : 2;
    while (!this.#eof && this.#ahead.length < depth) this.#issue();
  }

  #issue(): void {
    const buf = this.#spare.pop() ?? this.#alloc();
    const pos = this.#pos;
    if (pos !== null) this.#pos = pos + buf.length;
    const reading = this.#fill(buf, pos);
    // A read-ahead that fails is rethrown by next(); never unhandled meanwhile.
    reading.catch(() => {});
    this.#ahead.push(reading);
  }

  #alloc(): Buffer {
    if (!this.direct) return Buffer.allocUnsafeSlow(READ_CHUNK);
    try {
      const buf = pageAlignedBuffer();
      this.#aligned.add(buf);
      return buf;
    } catch {
      // No more page-aligned memory (address space limits): this one is read without O_DIRECT.
      return Buffer.allocUnsafeSlow(DIRECT_CHUNK);
    }
  }

  /** Reads into `buf` until it is full or the file ends. */
  async #fill(buf: Buffer, pos: number | null): Promise<Buffer> {
    let fh = this.#fh;
    if (this.direct && !this.#aligned.has(buf)) {
      const path = this.#plainPath!;
      this.#plain ??= fsPromises().then((fsp) => fsp.open(path, 'r'));
      fh = await fileOp('read', () => this.#plain!);
    }
    let n = 0;
    while (n < buf.length) {
      const { bytesRead } = await fileOp('read', () => fh.read(buf, n, buf.length - n, pos === null ? null : pos + n));
      if (bytesRead === 0) break;
      n += bytesRead;
      // A direct read comes back short only at the end (a partial block cannot be asked for again).
      if (this.direct) break;
    }
    return n === buf.length ? buf : buf.subarray(0, n);
  }

  /** The file ended (or the reader stops): reads already issued are dropped. */
  #stop(): void {
    this.#eof = true;
    this.#ahead.length = 0;
  }
}

/** A regular file with fewer bytes allocated than its length: it has holes (or is compressed). */
function hasHoles(st: Stats): boolean {
  return st.isFile() && st.blocks * 512 < st.size;
}

/** The file position of `fh` (Linux's `/proc/self/fdinfo`), or null when it cannot be known. */
async function positionOf(fh: FileHandle): Promise<number | null> {
  try {
    const m = /^pos:\s*(\d+)$/m.exec(await (await fsPromises()).readFile(`/proc/self/fdinfo/${fh.fd}`, 'latin1'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/**
 * Opens `path` with `O_DIRECT` and checks with one read at `start` that the
 * file system takes direct reads into a page-aligned buffer; null when it
 * does not (or the platform has no `O_DIRECT`, or `start` is not aligned).
 */
async function openDirect(path: string, start: number): Promise<FileHandle | null> {
  const fs = await fsPromises();
  const flag = (fs.constants as { O_DIRECT?: number }).O_DIRECT;
  if (flag === undefined || start % DIRECT_ALIGN !== 0) return null;
  let fh: FileHandle | null = null;
  try {
    const probe = pageAlignedBuffer(DIRECT_ALIGN);
    fh = await fs.open(path, fs.constants.O_RDONLY | flag);
    await fh.read(probe, 0, probe.length, start);
    return fh;
  } catch {
    await fh?.close().catch(() => {});
    return null;
  }
}

/**
 * A buffer whose memory starts on a page boundary, as `O_DIRECT` needs: the
 * memory of a `WebAssembly.Memory` (which V8 maps page-aligned, in 64 KiB
 * pages). Throws where WebAssembly is disabled (`--jitless`); the caller then
 * reads without `O_DIRECT`.
 */
function pageAlignedBuffer(size: number = DIRECT_CHUNK): Buffer {
  // Looked up at each call: absent with --jitless (and not in Node's own types).
  const wasm = (globalThis as { WebAssembly?: { Memory: new (d: { initial: number; maximum: number }) => { buffer: ArrayBuffer } } }).WebAssembly;
  if (!wasm) throw new Error('WebAssembly is not available');
  const pages = Math.ceil(size / 65536);
  return Buffer.from(new wasm.Memory({ initial: pages, maximum: pages }).buffer, 0, size);
}
