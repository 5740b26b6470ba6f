/**
 * Reading a file for an upload (file-source.ts): a file with holes is read
 * with O_DIRECT into page-aligned buffers (holes are read, Node has no
 * SEEK_DATA), anything else as usual; either way the chunks are the file's
 * bytes from where reading starts, in order, and an upload with detectHoles
 * sends its zero runs as holes and everything else as data.
 */
import { Buffer } from 'node:buffer';
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { pipeFromFile } from '../../../../src/api/stream.js';
import { DIRECT_CHUNK, FileChunks, READ_CHUNK } from '../../../../src/api/streams/file-source.js';
import { destroyClients, openAccepted, pattern, S, setup, streamProc, T } from './stream-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'lvrpc-file-source-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(destroyClients);

/** Writes a file of `size` bytes with `extents` of data at their offsets and holes elsewhere; returns its bytes. */
function sparseFile(name: string, size: number, extents: Array<[offset: number, data: Buffer]>): { path: string; content: Buffer } {
  const path = join(dir, name);
  const fd = openSync(path, 'w');
  ftruncateSync(fd, size);
  const content = Buffer.alloc(size);
  for (const [off, data] of extents) {
    writeSync(fd, data, 0, data.length, off);
    data.copy(content, off);
  }
  closeSync(fd);
  return { path, content };
}

async function readAllChunks(chunks: FileChunks): Promise<{ bytes: Buffer; sizes: number[] }> {
  const parts: Buffer[] = [];
  for (;;) {
    const c = await chunks.next();
    if (c.length === 0) break;
    // Copied: the buffer may be read into again once recycled.
    parts.push(Buffer.from(c));
    chunks.recycle(c);
  }
  await chunks.close();
  return { bytes: Buffer.concat(parts), sizes: parts.map((p) => p.length) };
}

// 3 direct chunks and a tail that is not a whole block; data at the start, across a
// chunk boundary at an odd offset, and at the very end.
const SIZE = 3 * DIRECT_CHUNK + 12_345;
const EXTENTS: Array<[number, Buffer]> = [
  [0, pattern(100, 1)],
  [DIRECT_CHUNK - 7, pattern(70_001, 2)],
  [SIZE - 5, pattern(5, 3)],
];

describe('FileChunks', () => {
  it('reads a file with holes with O_DIRECT, whole and in order, the last chunk short', async () => {
    const { path, content } = sparseFile('holey', SIZE, EXTENTS);
    expect(statSync(path).blocks * 512).toBeLessThan(SIZE);
    const chunks = await FileChunks.open(path, { direct: true });
    expect(chunks.direct).toBe(true);
    const { bytes, sizes } = await readAllChunks(chunks);
    expect(sizes).toEqual([DIRECT_CHUNK, DIRECT_CHUNK, DIRECT_CHUNK, 12_345]);
    expect(bytes.equals(content)).toBe(true);
  });

  it('reads an open FileHandle from its position: direct from a page boundary, as usual from elsewhere', async () => {
    const { path, content } = sparseFile('holey-fh', SIZE, EXTENTS);
    for (const start of [8192, 100]) {
      const fh = await open(path, 'r');
      await fh.read(Buffer.alloc(start), 0, start, null);
      const chunks = await FileChunks.open(fh, { direct: true });
      expect(chunks.direct).toBe(start % 4096 === 0);
      const { bytes } = await readAllChunks(chunks);
      // Left open for its owner.
      expect((await fh.stat()).size).toBe(SIZE);
      await fh.close();
      expect(bytes.equals(content.subarray(start))).toBe(true);
    }
  });

  it('reads a file without holes, or without direct asked for, as usual in chunks of sixteen packets', async () => {
    const dense = join(dir, 'dense');
    const content = pattern(2 * READ_CHUNK + 999, 4);
    writeFileSync(dense, content);
    const holey = sparseFile('holey-plain', SIZE, EXTENTS);
    for (const [path, direct, want] of [
      [dense, true, content],
      [holey.path, false, holey.content],
    ] as const) {
      const chunks = await FileChunks.open(path, { direct });
      expect(chunks.direct).toBe(false);
      const { bytes, sizes } = await readAllChunks(chunks);
      expect(sizes[0]).toBe(READ_CHUNK);
      expect(bytes.equals(want)).toBe(true);
    }
  });

  it('reads as usual without WebAssembly, and reads a chunk without O_DIRECT when page-aligned memory runs out', async () => {
    const { path, content } = sparseFile('holey-nowasm', SIZE, EXTENTS);
    const g = globalThis as { WebAssembly?: unknown };
    const wasm = g.WebAssembly;
    try {
      g.WebAssembly = undefined;
      const plain = await FileChunks.open(path, { direct: true });
      expect(plain.direct).toBe(false);
      expect((await readAllChunks(plain)).bytes.equals(content)).toBe(true);
      // Direct at first, then no more aligned memory: the remaining chunks come through a plain descriptor.
      g.WebAssembly = wasm;
      const chunks = await FileChunks.open(path, { direct: true });
      expect(chunks.direct).toBe(true);
      const first = Buffer.from(await chunks.next());
      let refused = 0;
      g.WebAssembly = {
        Memory: class {
          constructor() {
            refused++;
            throw new RangeError('WebAssembly.Memory(): could not allocate memory');
          }
        },
      };
      // (The first chunk's buffer is not given back: the last read needs a new one.)
      const { bytes } = await readAllChunks(chunks);
      expect(refused).toBeGreaterThan(0);
      expect(Buffer.concat([first, bytes]).equals(content)).toBe(true);
    } finally {
      g.WebAssembly = wasm;
    }
  });

  it('reads an empty file as no chunk', async () => {
    const { path } = sparseFile('empty', 0, []);
    const { bytes, sizes } = await readAllChunks(await FileChunks.open(path, { direct: true }));
    expect(bytes.length).toBe(0);
    expect(sizes).toEqual([]);
  });
});

describe('pipeFromFile with detectHoles on a file with holes', () => {
  it('sends its data as data and its zero runs as holes, which rebuild the file', async () => {
    const { path, content } = sparseFile('upload', SIZE, EXTENTS);
    const ctx = setup();
    const { call, stream } = await openAccepted(ctx, streamProc('write', true));
    const sending = pipeFromFile(path, stream, { detectHoles: true });
    const fin = await ctx.peer.waitStatus(call, S.OK);
    ctx.peer.confirm(fin);
    expect(await sending).toBe(SIZE);
    const frames = ctx.peer.streamFrames(call.header.serial).filter((f) => f.header.status === S.CONTINUE);
    const parts = frames.map((f) => (f.header.type === T.HOLE ? Buffer.alloc(Number(f.payload.readBigInt64BE(0))) : f.payload));
    expect(Buffer.concat(parts).equals(content)).toBe(true);
    // Data, hole, data, hole, data: the holes are the two long zero runs.
    const kinds = frames.map((f) => (f.header.type === T.HOLE ? 'hole' : 'data'));
    expect(kinds.filter((k, i) => k !== kinds[i - 1])).toEqual(['data', 'hole', 'data', 'hole', 'data']);
    const holeBytes = frames.filter((f) => f.header.type === T.HOLE).reduce((n, f) => n + Number(f.payload.readBigInt64BE(0)), 0);
    expect(holeBytes).toBeGreaterThan(SIZE - 4 * 65_530 - 70_001);
  });
});
