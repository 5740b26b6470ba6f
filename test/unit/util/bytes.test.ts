/**
 * The byte and text helpers under the XDR runtime and the RPC engine: Node's build (on Buffer)
 * and the browser's (on Uint8Array, TextEncoder, TextDecoder) give the same answers, byte for
 * byte, on generated input; and the platform twins export the same names.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as web from '../../../src/util/bytes.browser.js';
import * as node from '../../../src/util/bytes.js';

const runs = 300;
const u8 = (max = 300) => fc.uint8Array({ maxLength: max });
const ascii = fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: 3000 });
/** Well-formed text (no lone surrogates: those are not UTF-8's to round-trip). */
const wellFormed = fc.oneof(ascii, fc.string({ unit: 'grapheme', maxLength: 200 }));
/** Any JavaScript string, lone surrogates included. */
const text = fc.oneof(wellFormed, fc.string({ unit: 'binary', maxLength: 200 }));

describe('bytes.ts and bytes.browser.ts agree', () => {
  it('latin1Text: one character per byte, any range of any bytes', () => {
    fc.assert(
      fc.property(u8(20_000), fc.nat(), fc.nat(), (b, x, y) => {
        const start = b.length ? x % b.length : 0;
        const end = start + (b.length - start ? y % (b.length - start + 1) : 0);
        const want = node.latin1Text(node.asBytes(b), start, end);
        expect(web.latin1Text(b, start, end)).toBe(want);
        expect(want.length).toBe(end - start);
      }),
      { numRuns: runs },
    );
  });

  it('utf8Text: valid UTF-8 decodes to the text it came from, malformed bytes alike in both', () => {
    fc.assert(
      fc.property(wellFormed, (s) => {
        const b = new TextEncoder().encode(s);
        expect(web.utf8Text(b, 0, b.length)).toBe(s);
        expect(node.utf8Text(node.asBytes(b), 0, b.length)).toBe(s);
      }),
      { numRuns: runs },
    );
    fc.assert(
      fc.property(u8(), (b) => {
        expect(web.utf8Text(b, 0, b.length)).toBe(node.utf8Text(node.asBytes(b), 0, b.length));
      }),
      { numRuns: runs },
    );
  });

  it('writeUtf8: the same bytes and count as TextEncoder', () => {
    fc.assert(
      fc.property(text, fc.nat(7), (s, offset) => {
        const want = new TextEncoder().encode(s);
        for (const lib of [node, web]) {
          const b = lib.allocBytes(offset + s.length * 3 + 1);
          const n = lib.writeUtf8(b, s, offset);
          expect(n).toBe(want.length);
          expect(Array.from(b.subarray(offset, offset + n))).toEqual(Array.from(want));
        }
      }),
      { numRuns: runs },
    );
  });

  it('isAsciiBytes, toHex, sliceCopy, copyBytes, concatBytes', () => {
    fc.assert(
      fc.property(fc.array(u8(40), { maxLength: 6 }), (parts) => {
        const total = parts.reduce((n, p) => n + p.length, 0);
        const joined = web.concatBytes(parts, total);
        expect(Array.from(node.concatBytes(parts, total))).toEqual(Array.from(joined));
        expect(web.isAsciiBytes(joined, 0, joined.length)).toBe(node.isAsciiBytes(joined, 0, joined.length));
        expect(web.isAsciiBytes(joined, 0, joined.length)).toBe(joined.every((x) => x < 0x80));
        expect(web.toHex(joined)).toBe(node.toHex(joined));
        expect(web.toHex(joined)).toBe(Buffer.from(joined).toString('hex'));
        const half = joined.length >> 1;
        for (const lib of [node, web]) {
          const copy = lib.sliceCopy(lib.asBytes(joined), half, joined.length);
          expect(Array.from(copy)).toEqual(Array.from(joined.subarray(half)));
          expect(copy.buffer).not.toBe(joined.buffer);
          const dst = lib.allocBytes(joined.length + 3);
          lib.copyBytes(lib.asBytes(joined), 0, joined.length, dst, 3);
          expect(Array.from(dst.subarray(3))).toEqual(Array.from(joined));
        }
      }),
      { numRuns: runs },
    );
  });

  it('concatBytes stops at the total it is given; bytesOf is a view', () => {
    const parts = [Uint8Array.of(1, 2, 3), Uint8Array.of(4, 5)];
    expect(Array.from(web.concatBytes(parts, 4))).toEqual([1, 2, 3, 4]);
    expect(Array.from(node.concatBytes(parts, 4))).toEqual([1, 2, 3, 4]);
    const mem = new ArrayBuffer(8);
    for (const lib of [node, web]) {
      const v = lib.bytesOf(mem, 2, 6);
      v[0] = 9;
      expect(new Uint8Array(mem)[2]).toBe(9);
      expect(v.length).toBe(4);
    }
  });
});

describe('the browser twins', () => {
  it('export what the module they replace exports (util/bytes, util/platform, rpc/diagnostics-channel)', async () => {
    const pairs = [
      ['../../../src/util/bytes.js', '../../../src/util/bytes.browser.js'],
      ['../../../src/util/platform.js', '../../../src/util/platform.browser.js'],
      ['../../../src/rpc/diagnostics-channel.js', '../../../src/rpc/diagnostics-channel.browser.js'],
    ];
    for (const [a, b] of pairs) expect(Object.keys(await import(b!)).sort(), b).toEqual(Object.keys(await import(a!)).sort());
    const stream = await import('../../../src/api/stream.browser.js');
    for (const name of ['openStreamCall', 'PendingStream', 'LibvirtStream', 'StreamStateError', 'STREAM_BUF_SIZE']) expect(stream).toHaveProperty(name);
  });

  it('the browser diagnostics channel delivers to subscribers only while subscribed, and a throwing one does not stop the others', async () => {
    const { channel, subscribeDiagnostics } = await import('../../../src/rpc/diagnostics-channel.browser.js');
    const c = channel('test:b1');
    expect(channel('test:b1')).toBe(c);
    expect(c.hasSubscribers).toBe(false);
    const got: unknown[] = [];
    const offBad = subscribeDiagnostics('test:b1', () => {
      throw new Error('subscriber bug');
    });
    const off = subscribeDiagnostics('test:b1', (m, name) => got.push([m, name]));
    const uncaught = new Promise<unknown>((resolve) => process.once('uncaughtException', resolve));
    c.publish(1);
    expect(got).toEqual([[1, 'test:b1']]);
    expect(await uncaught).toMatchObject({ message: 'subscriber bug' });
    off();
    offBad();
    c.publish(2);
    expect(got).toHaveLength(1);
    expect(c.hasSubscribers).toBe(false);
  });
});
