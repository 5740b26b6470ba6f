/**
 * Codecs built from descriptions (src/xdr/codec-schema.ts), beyond what the generated tables
 * and the differential tests cover: recursion, references, fixed arrays, the checks of every
 * primitive, and the errors (the same codes and `what` as the straight-line code).
 */
import { describe, expect, it } from 'vitest';
import { decodeXdr, encodeXdr, type XdrCodec } from '../../../src/xdr/codec.js';
import { codecTable } from '../../../src/xdr/codec-schema.js';
import { XdrError, XdrErrorCode } from '../../../src/xdr/errors.js';

const bytes = (...words: number[]): Uint8Array => {
  const b = new Uint8Array(words.length * 4);
  const v = new DataView(b.buffer);
  for (const [i, w] of words.entries()) v.setUint32(i * 4, w >>> 0);
  return b;
};

const xdrError = (code: string, what: string) => expect.objectContaining({ name: 'XdrError', code, what });

describe('codecTable', () => {
  const upper: XdrCodec<number> = { name: 'upper', encode: (w, v) => w.uint(v * 2, 'upper'), decode: (r) => r.uint('upper') / 2 };
  const [list, pair, fixed, small, choice, alias] = codecTable(
    [upper],
    [
      'node{value:i next:?#0}',
      'pair{a:@0 b:H}',
      'fixed{xs:A3u tag:O4 name:s3}',
      'small{c:c C:C t:t T:T}',
      'choice(kind:i 1,2:n:u 3:: *:rest:s)',
      'alias=a2,4#4',
    ],
  ) as readonly XdrCodec<unknown>[];

  it('names each codec after its type and builds a recursive type', () => {
    expect([list, pair, fixed, small, choice, alias].map((c) => c!.name)).toEqual(['node', 'pair', 'fixed', 'small', 'choice', 'alias']);
    const v = { value: 1, next: { value: -2, next: null } };
    const b = encodeXdr(list!, v);
    expect([...b]).toEqual([...bytes(1, 1, -2, 0)]);
    expect(decodeXdr(list!, b)).toEqual(v);
  });

  it('calls a referenced codec, and encodes an unsigned hyper', () => {
    const b = encodeXdr(pair!, { a: 21, b: 2n ** 64n - 1n });
    expect([...b]).toEqual([...bytes(42, 0xffffffff, 0xffffffff)]);
    expect(decodeXdr(pair!, b)).toEqual({ a: 21, b: 2n ** 64n - 1n });
  });

  it('checks fixed arrays, fixed opaque and string bounds by the field', () => {
    const ok = { xs: [1, 2, 3], tag: new Uint8Array([1, 2, 3, 4]), name: 'abc' };
    expect(decodeXdr(fixed!, encodeXdr(fixed!, ok))).toEqual(ok);
    expect(() => encodeXdr(fixed!, { ...ok, xs: [1, 2] })).toThrow(xdrError(XdrErrorCode.INVALID, 'fixed.xs'));
    expect(() => encodeXdr(fixed!, { ...ok, name: 'abcd' })).toThrow(xdrError(XdrErrorCode.BOUND, 'fixed.name'));
    expect(() => encodeXdr(fixed!, 7)).toThrow(xdrError(XdrErrorCode.INVALID, 'fixed'));
  });

  it("checks char and short against the C type's range", () => {
    const v = { c: -128, C: 255, t: -32768, T: 65535 };
    expect(decodeXdr(small!, encodeXdr(small!, v))).toEqual(v);
    expect(() => encodeXdr(small!, { ...v, C: 256 })).toThrow(xdrError(XdrErrorCode.INVALID, 'small.C'));
    expect(() => decodeXdr(small!, bytes(128, 0, 0, 0))).toThrow(xdrError(XdrErrorCode.INVALID, 'small.c'));
  });

  it('takes the arm of each case, a void arm and the default arm', () => {
    for (const v of [{ kind: 1, n: 5 }, { kind: 2, n: 6 }, { kind: 3 }, { kind: 9, rest: 'x' }]) {
      expect(decodeXdr(choice!, encodeXdr(choice!, v))).toEqual(v);
    }
    expect(decodeXdr(alias!, encodeXdr(alias!, [{ kind: 3 }, { kind: 1, n: 1 }]))).toEqual([{ kind: 3 }, { kind: 1, n: 1 }]);
    expect(() => encodeXdr(alias!, [{ kind: 3 }, { kind: 3 }, { kind: 3 }])).toThrow(xdrError(XdrErrorCode.BOUND, 'alias'));
  });

  it('refuses an unknown discriminant when there is no default arm', () => {
    const [strict] = codecTable([], ['strict(d:u 0::)']) as readonly XdrCodec<unknown>[];
    expect(() => encodeXdr(strict!, { d: 1 })).toThrow(xdrError(XdrErrorCode.BAD_DISCRIMINANT, 'strict'));
    expect(() => decodeXdr(strict!, bytes(1))).toThrow(XdrError);
    expect(() => decodeXdr(strict!, bytes(1))).toThrow('no arm for d 1 and no default arm');
  });
});
