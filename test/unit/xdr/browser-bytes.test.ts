/**
 * The XDR runtime and the frame reader on the browser build's bytes (src/util/bytes.browser.ts,
 * swapped in here as the browser bundle swaps it): plain Uint8Arrays, never a Buffer, and the
 * same wire bytes as the UTF-8/XDR rules give: strings of every length and script, opaque data,
 * 64-bit values, and frames torn anywhere.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';

vi.mock('../../../src/util/bytes.js', () => import('../../../src/util/bytes.browser.js'));

const { XdrReader } = await import('../../../src/xdr/reader.js');
const { XdrWriter } = await import('../../../src/xdr/writer.js');
const { encodeFrame, FrameReader } = await import('../../../src/rpc/frame.js');

/** XDR string<>: length word, UTF-8 bytes, zero padding to a multiple of four. */
function xdrString(s: string): number[] {
  const b = Array.from(new TextEncoder().encode(s));
  const n = b.length;
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255, ...b, ...Array((4 - (n % 4)) % 4).fill(0)];
}

const strings = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  fc.string({ minLength: 1024, maxLength: 3000 }),
  fc.string({ unit: 'grapheme', minLength: 400, maxLength: 1200 }),
);

describe('XDR on the browser build’s bytes', () => {
  it('works on plain Uint8Arrays', () => {
    const w = new XdrWriter();
    w.string('abc', 'x');
    expect(Buffer.isBuffer(w.buf)).toBe(false);
    expect(Buffer.isBuffer(new XdrReader(w.written()).buf)).toBe(false);
  });

  it('strings: the bytes XDR and UTF-8 prescribe, and back', () => {
    fc.assert(
      fc.property(fc.array(strings, { maxLength: 5 }), (list) => {
        const w = new XdrWriter(8);
        for (const s of list) w.string(s, 'x');
        expect(Array.from(w.written())).toEqual(list.flatMap(xdrString));
        const r = new XdrReader(w.written());
        expect(list.map(() => r.string('x'))).toEqual(list);
        r.done('x');
      }),
      { numRuns: 200 },
    );
  });

  it('opaque data, hypers and doubles round-trip; a truncated string is an XdrError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.bigInt(-(1n << 63n), (1n << 63n) - 1n), fc.double({ noNaN: true }), (o, h, d) => {
        const w = new XdrWriter(4);
        w.opaque(o, 'o');
        w.hyper(h, 'h');
        w.double(d, 'd');
        const r = new XdrReader(w.toBytes());
        expect(Array.from(r.opaque('o'))).toEqual(Array.from(o));
        expect(r.hyper('h')).toBe(h);
        expect(r.double('d')).toBe(d);
      }),
      { numRuns: 200 },
    );
    expect(() => new XdrReader(Uint8Array.of(0, 0, 0, 9, 65)).string('s.name')).toThrow(/s\.name/);
  });

  it('frames torn at every point come out whole, headers and payloads intact', () => {
    const frames = [0, 5, 300].map((n, i) =>
      encodeFrame({ prog: 0x20008086, vers: 1, proc: i + 1, type: 1, serial: i, status: 0 }, (w) => w.string('é'.repeat(n), 'x')),
    );
    const all = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
    let p = 0;
    for (const f of frames) {
      all.set(f, p);
      p += f.length;
    }
    for (let cut = 1; cut < all.length; cut += 7) {
      const got: { proc: number; text: string }[] = [];
      const reader = new FrameReader();
      for (const part of [all.subarray(0, cut), all.subarray(cut)])
        reader.push(part, (f) => got.push({ proc: f.header.proc, text: new XdrReader(f.payload).string('x') }));
      expect(got).toEqual([0, 5, 300].map((n, i) => ({ proc: i + 1, text: 'é'.repeat(n) })));
    }
  });
});
