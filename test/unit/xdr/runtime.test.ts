/**
 * Edge cases of the XDR runtime (src/xdr/): range checks of every primitive,
 * UTF-8 strings with byte-counted bounds, padding, truncation, allocation
 * guards, trailing bytes, copying of opaque data, and the XdrError brand.
 */
import { Buffer } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeXdr, encodeXdr, voidCodec, type XdrCodec } from '../../../src/xdr/codec.js';
import { boundError, invalidError, XdrError, XdrErrorCode } from '../../../src/xdr/errors.js';
import * as xdr from '../../../src/xdr/index.js';
import { XdrReader } from '../../../src/xdr/reader.js';
import { XdrWriter } from '../../../src/xdr/writer.js';
import { testStructAllTypesCodec, testUnionCodec, testStructCodec } from '../../generated/demo.gen.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (h: string): Buffer => Buffer.from(h.replace(/\s+/g, ''), 'hex');

function write(fn: (w: XdrWriter) => void): Buffer {
  const w = new XdrWriter();
  fn(w);
  return Buffer.from(w.toBytes());
}

function xdrError(fn: () => unknown): XdrError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected an XdrError').toBeInstanceOf(XdrError);
  return caught as XdrError;
}
const expectCode = (fn: () => unknown, code: string): XdrError => {
  const e = xdrError(fn);
  expect(e.code).toBe(code);
  return e;
};

describe('int and unsigned int', () => {
  it('encode big-endian over 4 bytes at both ends of their range', () => {
    expect(hex(write((w) => w.int(-0x80000000, 'x')))).toBe('80000000');
    expect(hex(write((w) => w.int(0x7fffffff, 'x')))).toBe('7fffffff');
    expect(hex(write((w) => w.int(-1, 'x')))).toBe('ffffffff');
    expect(hex(write((w) => w.uint(0xffffffff, 'x')))).toBe('ffffffff');
    expect(hex(write((w) => w.uint(0, 'x')))).toBe('00000000');
  });

  it.each([0x80000000, -0x80000001, 1.5, NaN, Infinity, '1', 1n, null, undefined])('int rejects %s with XDR_INVALID', (v) => {
    const e = expectCode(() => write((w) => w.int(v as number, 'remote_x.field')), XdrErrorCode.INVALID);
    expect(e.what).toBe('remote_x.field');
    expect(e.message.startsWith('remote_x.field: expected a 32-bit signed integer')).toBe(true);
  });

  it.each([-1, 0x100000000, 0.5, '0'])('uint rejects %s with XDR_INVALID', (v) => {
    expectCode(() => write((w) => w.uint(v as number, 'x')), XdrErrorCode.INVALID);
  });

  it('decode signed and unsigned views of the same word', () => {
    const r = new XdrReader(bytes('ffffffff ffffffff 80000000'));
    expect(r.int('a')).toBe(-1);
    expect(r.uint('b')).toBe(0xffffffff);
    expect(r.int('c')).toBe(-0x80000000);
    r.done('x');
  });
});

describe('hyper and unsigned hyper (bigint)', () => {
  const I64_MIN = -(1n << 63n);
  const I64_MAX = (1n << 63n) - 1n;
  const U64_MAX = (1n << 64n) - 1n;

  it('round-trip the extremes exactly', () => {
    const b = write((w) => {
      w.hyper(I64_MIN, 'a');
      w.hyper(I64_MAX, 'b');
      w.uhyper(U64_MAX, 'c');
      w.uhyper(0n, 'd');
    });
    expect(hex(b)).toBe('8000000000000000' + '7fffffffffffffff' + 'ffffffffffffffff' + '0000000000000000');
    const r = new XdrReader(b);
    expect([r.hyper('a'), r.hyper('b'), r.uhyper('c'), r.uhyper('d')]).toEqual([I64_MIN, I64_MAX, U64_MAX, 0n]);
  });

  it('keep precision beyond 2^53', () => {
    const v = (1n << 53n) + 1n;
    expect(new XdrReader(write((w) => w.hyper(v, 'x'))).hyper('x')).toBe(v);
  });

  it.each([
    ['hyper', I64_MAX + 1n],
    ['hyper', I64_MIN - 1n],
    ['hyper', 1],
    ['uhyper', -1n],
    ['uhyper', U64_MAX + 1n],
    ['uhyper', 5],
  ] as const)('%s rejects %s', (method, v) => {
    const e = expectCode(() => write((w) => w[method](v as bigint, 'x')), XdrErrorCode.INVALID);
    if (typeof v === 'bigint') expect(e.message).toContain(`${v}n`);
  });

  it('the same 8 bytes read as signed and unsigned', () => {
    const r = new XdrReader(bytes('ffffffffffffffff ffffffffffffffff'));
    expect(r.hyper('a')).toBe(-1n);
    expect(r.uhyper('b')).toBe(U64_MAX);
  });
});

describe('char and short: 4 bytes on the wire, checked against the C type', () => {
  it.each([
    [-128, 127],
    [0, 255],
    [-32768, 32767],
    [0, 65535],
  ])('range %d..%d: the ends round-trip, one past each end is rejected both ways', (min, max) => {
    for (const v of [min, max]) {
      const b = write((w) => w.smallInt(v, 'x', min, max));
      expect(b).toHaveLength(4);
      expect(new XdrReader(b).smallInt('x', min, max)).toBe(v);
    }
    for (const v of [min - 1, max + 1]) {
      expectCode(() => write((w) => w.smallInt(v, 'x', min, max)), XdrErrorCode.INVALID);
      const wire = write((w) => w.int(v, 'x'));
      const e = expectCode(() => new XdrReader(wire).smallInt('x', min, max), XdrErrorCode.INVALID);
      expect(e.message).toContain(`outside ${min}..${max}`);
    }
  });

  it('a negative char is sign-extended to 4 bytes, as glibc xdr_char does', () => {
    expect(hex(write((w) => w.smallInt(-54, 'x', -128, 127)))).toBe('ffffffca');
    expect(new XdrReader(bytes('ffffffca')).smallInt('x', -128, 127)).toBe(-54);
    // The same word is out of range for an unsigned char.
    expectCode(() => new XdrReader(bytes('ffffffca')).smallInt('x', 0, 255), XdrErrorCode.INVALID);
  });

  it('fractional values are rejected', () => {
    expectCode(() => write((w) => w.smallInt(1.5, 'x', -128, 127)), XdrErrorCode.INVALID);
  });

  it('generated struct fields use the C range (demo TestStruct: char c1, c2)', () => {
    expectCode(() => encodeXdr(testStructCodec, { c1: 200, c2: 0 }), XdrErrorCode.INVALID);
    expect(hex(encodeXdr(testStructCodec, { c1: -1, c2: 127 }))).toBe('ffffffff0000007f');
  });
});

describe('bool', () => {
  it('encodes true as 1 and false as 0', () => {
    expect(
      hex(
        write((w) => {
          w.bool(true, 'a');
          w.bool(false, 'b');
        }),
      ),
    ).toBe('0000000100000000');
  });

  it.each([1, 0, 'true', null])('the writer rejects the non-boolean %s', (v) => {
    expectCode(() => write((w) => w.bool(v as unknown as boolean, 'x')), XdrErrorCode.INVALID);
  });

  it.each(['00000002', 'ffffffff', '00000100', '80000000'])('the reader accepts only 0 and 1, not %s', (h) => {
    const e = expectCode(() => new XdrReader(bytes(h)).bool('flag'), XdrErrorCode.INVALID);
    expect(e.message).toMatch(/^flag: boolean must be 0 or 1/);
  });

  it('optional data uses the same rule for its presence word', () => {
    // TestStructAllTypes.ip is `int *ip`: after sc..sd (fixed layout), the presence word must be 0 or 1.
    const good = Buffer.from(encodeXdr(testStructAllTypesCodec, decodeXdr(testStructAllTypesCodec, allTypesBytes())));
    const offset = 4 * 6 + 8 * 2 + 4 + 4 + 8; // sc suc ss sus si sui, sh suh, sb, sf, sd
    expect(good.readUInt32BE(offset)).toBe(1);
    good.writeUInt32BE(2, offset);
    const e = expectCode(() => decodeXdr(testStructAllTypesCodec, good), XdrErrorCode.INVALID);
    expect(e.what).toBe('TestStructAllTypes.ip');
  });
});

/** A fresh copy of upstream's largest vector (1752 bytes of every demo.x construct). */
function allTypesBytes(): Buffer {
  return readFileSync(new URL('../../fixtures/upstream/test-vectors/rpcgen/test_demo_test_struct_all_types.bin', import.meta.url));
}

describe('float and double', () => {
  it('round-trip, including special values', () => {
    for (const v of [0, -0, 1.5, -2.25, Infinity, -Infinity, NaN, Number.MAX_VALUE, Number.MIN_VALUE]) {
      const r = new XdrReader(write((w) => w.double(v, 'x')));
      expect(Object.is(r.double('x'), v)).toBe(true);
    }
    expect(new XdrReader(write((w) => w.float(0.1729, 'x'))).float('x')).toBe(Math.fround(0.1729));
    expect(hex(write((w) => w.float(1, 'x')))).toBe('3f800000');
    expect(hex(write((w) => w.double(1, 'x')))).toBe('3ff0000000000000');
  });

  it('reject non-numbers', () => {
    expectCode(() => write((w) => w.float('1' as unknown as number, 'x')), XdrErrorCode.INVALID);
    expectCode(() => write((w) => w.double(1n as unknown as number, 'x')), XdrErrorCode.INVALID);
  });
});

describe('strings: UTF-8, the bound counted in bytes', () => {
  it.each([
    ['', '00000000'],
    ['a', '00000001 61000000'],
    ['abcd', '00000004 61626364'],
    ['é', '00000002 c3a90000'],
    ['€', '00000003 e282ac00'],
    ['😀', '00000004 f09f9880'],
    ['a€', '00000004 61e282ac'],
  ])('%j encodes as %s and decodes back', (s, h) => {
    const b = write((w) => w.string(s, 'x'));
    expect(hex(b)).toBe(h.replace(/ /g, ''));
    expect(new XdrReader(b).string('x')).toBe(s);
  });

  it('checks the bound in bytes, not characters, when encoding', () => {
    expect(() => write((w) => w.string('ééé', 'x', 6))).not.toThrow();
    const e = expectCode(() => write((w) => w.string('ééé', 'remote_s.name', 5)), XdrErrorCode.BOUND);
    expect(e.message).toBe('remote_s.name: length 6 bytes exceeds the limit of 5');
    expectCode(() => write((w) => w.string('😀', 'x', 3)), XdrErrorCode.BOUND);
  });

  it('checks the bound in bytes when decoding, before reading the data', () => {
    const b = write((w) => w.string('ééé', 'x'));
    expect(new XdrReader(b).string('x', 6)).toBe('ééé');
    expectCode(() => new XdrReader(b).string('x', 5), XdrErrorCode.BOUND);
    // A declared length over the bound fails with BOUND even when the data is missing.
    expectCode(() => new XdrReader(bytes('00000100')).string('x', 255), XdrErrorCode.BOUND);
  });

  it('leaves the writer usable after a failed bound check', () => {
    const w = new XdrWriter();
    w.int(7, 'a');
    expectCode(() => w.string('too long', 'b', 3), XdrErrorCode.BOUND);
    w.string('ok', 'c', 3);
    expect(hex(w.toBytes())).toBe('00000007' + '00000002 6f6b0000'.replace(/ /g, ''));
  });

  it('rejects non-strings', () => {
    expectCode(() => write((w) => w.string(5 as unknown as string, 'x')), XdrErrorCode.INVALID);
    expectCode(() => write((w) => w.string(null as unknown as string, 'x')), XdrErrorCode.INVALID);
  });

  it('handles a string longer than the writer’s initial buffer', () => {
    const s = 'ü'.repeat(10_000);
    const w = new XdrWriter(8);
    w.string(s, 'x');
    w.int(1, 'after');
    const r = new XdrReader(w.toBytes());
    expect(r.string('x')).toBe(s);
    expect(r.int('after')).toBe(1);
    r.done('x');
  });
});

describe('opaque data and padding', () => {
  it.each([
    [0, '00000000'],
    [1, '00000001 ab000000'],
    [2, '00000002 abab0000'],
    [3, '00000003 ababab00'],
    [4, '00000004 abababab'],
    [5, '00000005 abababab ab000000'],
  ])('variable opaque of %d bytes is padded with zeros to 4', (n, h) => {
    const b = write((w) => w.opaque(Buffer.alloc(n, 0xab), 'x'));
    expect(hex(b)).toBe(h.replace(/ /g, ''));
    expect(hex(new XdrReader(b).opaque('x'))).toBe('ab'.repeat(n));
  });

  it('fixed opaque has no length word, only padding', () => {
    expect(hex(write((w) => w.fixedOpaque(Buffer.from([1, 2, 3]), 'x', 3)))).toBe('01020300');
    expectCode(() => write((w) => w.fixedOpaque(Buffer.from([1, 2]), 'x', 3)), XdrErrorCode.INVALID);
    expectCode(() => write((w) => w.fixedOpaque([1, 2, 3] as unknown as Uint8Array, 'x', 3)), XdrErrorCode.INVALID);
  });

  it('the bound of variable opaque is checked both ways', () => {
    const e = expectCode(() => write((w) => w.opaque(Buffer.alloc(12), 'remote_x.buf', 11)), XdrErrorCode.BOUND);
    expect(e.message).toBe('remote_x.buf: length 12 bytes exceeds the limit of 11');
    expectCode(() => new XdrReader(write((w) => w.opaque(Buffer.alloc(12), 'x'))).opaque('x', 11), XdrErrorCode.BOUND);
  });

  it('the reader skips padding without checking it is zero (as glibc does), but needs it present', () => {
    expect(hex(new XdrReader(bytes('00000001 ab ffffff')).opaque('x'))).toBe('ab');
    expectCode(() => new XdrReader(bytes('00000001 ab ffff')).opaque('x'), XdrErrorCode.TRUNCATED);
    expectCode(() => new XdrReader(bytes('00000001 61')).string('x'), XdrErrorCode.TRUNCATED);
  });

  it('accepts any Uint8Array, not only Buffers, and rejects the rest', () => {
    expect(hex(write((w) => w.opaque(new Uint8Array([9]), 'x')))).toBe('0000000109000000');
    expectCode(() => write((w) => w.opaque('ab' as unknown as Uint8Array, 'x')), XdrErrorCode.INVALID);
  });

  it('bytes() appends raw stream data with neither length nor padding', () => {
    expect(hex(write((w) => w.bytes(Buffer.from('abc'))))).toBe('616263');
  });
});

describe('decoded opaque data is a view of the input', () => {
  it('shares the bytes of the source buffer, so a caller that reuses the buffer must copy', () => {
    const src = write((w) => {
      w.opaque(Buffer.from([1, 2, 3]), 'a');
      w.fixedOpaque(Buffer.from([4, 5, 6, 7]), 'b', 4);
    });
    const r = new XdrReader(src);
    const a = r.opaque('a');
    const b = r.fixedOpaque('b', 4);
    expect([...a]).toEqual([1, 2, 3]);
    expect([...b]).toEqual([4, 5, 6, 7]);
    expect(a.buffer).toBe(src.buffer);
    expect(a.byteOffset).toBe(src.byteOffset + 4);
    src.fill(0xee);
    expect([...a]).toEqual([0xee, 0xee, 0xee]);
    expect([...b]).toEqual([0xee, 0xee, 0xee, 0xee]);
  });

  it('is a plain Uint8Array, also from a generated codec, and stays inside its item', () => {
    const src = allTypesBytes();
    const v = decodeXdr(testStructAllTypesCodec, src);
    expect(Object.getPrototypeOf(v.ofa)).toBe(Uint8Array.prototype);
    expect(v.ofa.buffer).toBe(src.buffer);
    // A view never reaches past its own bytes into the padding or the next field.
    expect(v.ofa.byteOffset + v.ofa.length).toBeLessThanOrEqual(src.byteOffset + src.length);
    expect(v.ofa.length).toBe(33);
  });

  it('from lent input (borrowed), the first opaque item copies the rest, so views outlive the input', () => {
    const src = write((w) => {
      w.string('name', 'a');
      w.fixedOpaque(Buffer.from([4, 5, 6, 7]), 'b', 4);
      w.opaque(Buffer.from([1, 2, 3]), 'c');
    });
    // The input sits in a larger buffer (a socket's read buffer) after 8 other bytes.
    const lent = Buffer.concat([Buffer.alloc(8, 0x55), src, Buffer.alloc(8, 0x55)]);
    const r = new XdrReader(lent, 8, 8 + src.length, true);
    expect(r.string('a')).toBe('name');
    expect(r.buf).toBe(lent); // no opaque yet: nothing copied
    const b = r.fixedOpaque('b', 4);
    expect(r.buf).not.toBe(lent);
    const c = r.opaque('c');
    expect(r.remaining).toBe(0);
    lent.fill(0xee); // the owner reuses its buffer
    expect([...b]).toEqual([4, 5, 6, 7]);
    expect([...c]).toEqual([1, 2, 3]);
    expect(b.buffer).toBe(c.buffer);
  });

  it('from lent input, a reader without opaque items copies nothing, and offsets count from its start', () => {
    const lent = Buffer.concat([Buffer.alloc(12, 0x55), write((w) => w.uint(7, 'x'))]);
    const r = new XdrReader(lent, 12, 16, true);
    expect(r.uint('x')).toBe(7);
    expect(r.buf).toBe(lent);
    expect(xdrError(() => r.int('y')).message).toContain('at offset 4, only 0 left');
    const copied = new XdrReader(lent, 12, 16, true);
    copied.fixedOpaque('z', 0);
    expect(xdrError(() => copied.hyper('y')).message).toContain('at offset 0, only 4 left');
  });

  it('toBytes() copies, written() does not', () => {
    const w = new XdrWriter();
    w.int(1, 'x');
    const copy = w.toBytes();
    const view = w.written();
    w.patchUint(0, 2);
    expect(hex(copy)).toBe('00000001');
    expect(hex(view)).toBe('00000002');
  });
});

describe('truncated input → XDR_TRUNCATED', () => {
  it.each([
    ['int', '000000', (r: XdrReader) => r.int('x')],
    ['uint', '', (r: XdrReader) => r.uint('x')],
    ['hyper', '00000000000000', (r: XdrReader) => r.hyper('x')],
    ['uhyper', '0000', (r: XdrReader) => r.uhyper('x')],
    ['bool', '00', (r: XdrReader) => r.bool('x')],
    ['float', '000000', (r: XdrReader) => r.float('x')],
    ['double', '0000000000', (r: XdrReader) => r.double('x')],
    ['string data', '00000005 6162', (r: XdrReader) => r.string('x')],
    ['string length', '0000', (r: XdrReader) => r.string('x')],
    ['opaque data', '00000004 616263', (r: XdrReader) => r.opaque('x')],
    ['fixed opaque', '010203', (r: XdrReader) => r.fixedOpaque('x', 4)],
  ])('%s', (_, h, read) => {
    const e = expectCode(() => read(new XdrReader(bytes(h))), XdrErrorCode.TRUNCATED);
    expect(e.what).toBe('x');
  });

  it('names the offset and the bytes left', () => {
    const r = new XdrReader(bytes('00000001 0000'));
    r.int('a');
    const e = expectCode(() => r.int('remote_x.y'), XdrErrorCode.TRUNCATED);
    expect(e.message).toBe('remote_x.y: needs 4 bytes at offset 4, only 2 left');
  });

  it('every prefix of a real vector fails with TRUNCATED, never another error', () => {
    const full = allTypesBytes();
    for (let n = 0; n < full.length; n += 7) {
      const e = xdrError(() => decodeXdr(testStructAllTypesCodec, full.subarray(0, n)));
      expect(e.code, `prefix of ${n} bytes`).toBe(XdrErrorCode.TRUNCATED);
    }
  });

  it('reads within a window of a larger buffer and honours its end', () => {
    const buf = bytes('00000001 00000002 00000003');
    const r = new XdrReader(buf, 4, 8);
    expect(r.int('x')).toBe(2);
    expect(r.remaining).toBe(0);
    expectCode(() => r.int('x'), XdrErrorCode.TRUNCATED);
  });

  it('reads a Uint8Array that is a view with a byte offset', () => {
    const backing = new Uint8Array([0xff, 0xff, 0, 0, 0, 42]);
    const view = backing.subarray(2);
    const r = new XdrReader(view);
    expect(r.int('x')).toBe(42);
    expect(r.buf.byteOffset).toBe(view.byteOffset);
  });
});

describe('huge declared lengths fail before any allocation', () => {
  it.each([
    ['array of 4-byte elements', (r: XdrReader) => r.length('x', 0xffffffff, 4)],
    ['array of 8-byte elements', (r: XdrReader) => r.length('x', 0xffffffff, 8)],
    ['unbounded string', (r: XdrReader) => r.string('x')],
    ['unbounded opaque', (r: XdrReader) => r.opaque('x')],
  ])('%s with length 0xffffffff and 4 bytes left → XDR_TRUNCATED', (_, read) => {
    const r = new XdrReader(bytes('ffffffff 00000000'));
    const start = performance.now();
    const e = expectCode(() => read(r), XdrErrorCode.TRUNCATED);
    expect(performance.now() - start).toBeLessThan(50);
    expect(e.message).toContain('4294967295');
  });

  it('counts the minimum element size: 3 elements of 8 bytes do not fit in 20 bytes', () => {
    const r = new XdrReader(bytes('00000003' + '00'.repeat(20)));
    expectCode(() => r.length('x', 100, 8), XdrErrorCode.TRUNCATED);
    expect(new XdrReader(bytes('00000003' + '00'.repeat(24))).length('x', 100, 8)).toBe(3);
  });

  it('a bound is checked before the bytes left', () => {
    expectCode(() => new XdrReader(bytes('ffffffff')).length('x', 10, 4), XdrErrorCode.BOUND);
  });

  it('generated codecs pass the element size: a TestUnion array claiming 23 elements in 8 bytes', () => {
    // TestStructAllTypes is too large to reach its arrays cheaply; use the reader the way
    // generated code does for TestUnionVariableArray<23> (each union is at least 8 bytes).
    const r = new XdrReader(bytes('00000017 00000014 000006c1'));
    expectCode(() => r.length('TestUnionVariableArray', 23, 8), XdrErrorCode.TRUNCATED);
  });
});

describe('writer arrays', () => {
  it('array() checks the type and the bound; fixedArray() the exact length', () => {
    expectCode(() => write((w) => w.array('abc' as unknown as number[], 'x', 5)), XdrErrorCode.INVALID);
    const e = expectCode(() => write((w) => w.array([1, 2, 3], 'remote_x.list', 2)), XdrErrorCode.BOUND);
    expect(e.message).toBe('remote_x.list: length 3 elements exceeds the limit of 2');
    expect(hex(write((w) => w.array([1, 2], 'x', 2)))).toBe('00000002');
    expectCode(() => write((w) => w.fixedArray([1, 2], 'x', 3)), XdrErrorCode.INVALID);
    expect(write((w) => w.fixedArray([1, 2, 3], 'x', 3))).toHaveLength(0);
  });
});

describe('writer buffer growth', () => {
  it('keeps every primitive correct across many reallocations', () => {
    const w = new XdrWriter(4);
    for (let i = 0; i < 2000; i++) {
      w.int(i, 'i');
      w.uint(i, 'u');
      w.hyper(BigInt(-i), 'h');
      w.uhyper(BigInt(i), 'uh');
      w.bool(i % 2 === 0, 'b');
      w.float(i, 'f');
      w.double(i / 2, 'd');
      w.smallInt(i % 100, 'c', -128, 127);
      w.length(i, 'l');
      w.opaque(Buffer.from([i & 0xff]), 'o');
      w.bytes(Buffer.from([1, 2, 3, 4]));
    }
    const r = new XdrReader(w.toBytes());
    for (let i = 0; i < 2000; i++) {
      expect(r.int('i')).toBe(i);
      expect(r.uint('u')).toBe(i);
      expect(r.hyper('h')).toBe(BigInt(-i));
      expect(r.uhyper('uh')).toBe(BigInt(i));
      expect(r.bool('b')).toBe(i % 2 === 0);
      expect(r.float('f')).toBe(i);
      expect(r.double('d')).toBe(i / 2);
      expect(r.smallInt('c', -128, 127)).toBe(i % 100);
      expect(r.uint('l')).toBe(i);
      expect([...r.opaque('o')]).toEqual([i & 0xff]);
      expect([...r.fixedOpaque('raw', 4)]).toEqual([1, 2, 3, 4]);
    }
    r.done('x');
  });

  it('works from an initial size of 0', () => {
    const w = new XdrWriter(0);
    w.hyper(1n, 'x');
    expect(hex(w.toBytes())).toBe('0000000000000001');
  });

  it('encodes a 1752-byte upstream vector through the default 256-byte buffer', () => {
    const b = allTypesBytes();
    expect(Buffer.from(encodeXdr(testStructAllTypesCodec, decodeXdr(testStructAllTypesCodec, b))).equals(b)).toBe(true);
  });
});

describe('encodeXdr / decodeXdr', () => {
  it('decodeXdr rejects trailing bytes with XDR_TRAILING naming the codec', () => {
    const b = Buffer.concat([encodeXdr(testUnionCodec, { type: 20, i1: 1 }), Buffer.from([0, 0, 0, 0, 9])]);
    const e = expectCode(() => decodeXdr(testUnionCodec, b), XdrErrorCode.TRAILING);
    expect(e.what).toBe('TestUnion');
    expect(e.message).toBe('TestUnion: 5 bytes left over after the value');
  });

  it('voidCodec is empty both ways', () => {
    expect(encodeXdr(voidCodec, undefined)).toHaveLength(0);
    expect(decodeXdr(voidCodec, new Uint8Array(0))).toBeUndefined();
    expectCode(() => decodeXdr(voidCodec, new Uint8Array(4)), XdrErrorCode.TRAILING);
  });

  it('generated encoders reject a non-object where a struct or union belongs', () => {
    expectCode(() => encodeXdr(testStructCodec, null as never), XdrErrorCode.INVALID);
    expectCode(() => encodeXdr(testUnionCodec, 5 as never), XdrErrorCode.INVALID);
  });

  it('a codec is a plain object with name, encode and decode', () => {
    const c: XdrCodec<number> = {
      name: 'n',
      encode: (w, v) => w.int(v, 'n'),
      decode: (r) => r.int('n'),
    };
    expect(decodeXdr(c, encodeXdr(c, -5))).toBe(-5);
  });

  it('the index re-exports the runtime', () => {
    expect(xdr.XdrReader).toBe(XdrReader);
    expect(xdr.XdrWriter).toBe(XdrWriter);
    expect(xdr.XdrError).toBe(XdrError);
    expect(xdr.XdrErrorCode).toBe(XdrErrorCode);
    expect(xdr.encodeXdr).toBe(encodeXdr);
  });
});

describe('XdrError', () => {
  it('carries code, what, name and a message prefixed with what', () => {
    const e = new XdrError(XdrErrorCode.BOUND, 'remote_x.y', 'too long');
    expect(e).toBeInstanceOf(Error);
    expect(e).toBeInstanceOf(XdrError);
    expect(e.name).toBe('XdrError');
    expect(e.code).toBe('XDR_BOUND');
    expect(e.what).toBe('remote_x.y');
    expect(e.message).toBe('remote_x.y: too long');
  });

  it('instanceof works across copies of the package through the Symbol.for brand', () => {
    // What a second copy of src/xdr/errors.ts would define: another class, the same registry symbol.
    class OtherCopyXdrError extends Error {}
    Object.defineProperty(OtherCopyXdrError.prototype, Symbol.for('libvirt-rpc.XdrError'), { value: true });
    expect(new OtherCopyXdrError('x')).toBeInstanceOf(XdrError);
    expect(Object.create(OtherCopyXdrError.prototype)).toBeInstanceOf(XdrError);
  });

  it('instanceof is false for anything without the brand', () => {
    expect(new Error('x')).not.toBeInstanceOf(XdrError);
    expect({ code: 'XDR_BOUND', what: 'x' }).not.toBeInstanceOf(XdrError);
    expect((null as unknown) instanceof XdrError).toBe(false);
    expect((undefined as unknown) instanceof XdrError).toBe(false);
    expect(('XdrError' as unknown) instanceof XdrError).toBe(false);
    expect({ [Symbol.for('libvirt-rpc.XdrError')]: false }).not.toBeInstanceOf(XdrError);
  });

  it('has the five stable codes', () => {
    expect(Object.values(XdrErrorCode).sort()).toEqual(['XDR_BAD_DISCRIMINANT', 'XDR_BOUND', 'XDR_INVALID', 'XDR_TRAILING', 'XDR_TRUNCATED']);
  });

  it('boundError and invalidError throw XdrErrors with readable messages', () => {
    expect(expectCode(() => boundError('t.f', 9, 8, 'bytes'), XdrErrorCode.BOUND).message).toBe('t.f: length 9 bytes exceeds the limit of 8');
    expect(expectCode(() => invalidError('t.f', 'a number', 'x'.repeat(100)), XdrErrorCode.INVALID).message).toBe(
      `t.f: expected a number, got string "${'x'.repeat(40)}"`,
    );
    expect(expectCode(() => invalidError('t.f', 'a number', 3n), XdrErrorCode.INVALID).message).toBe('t.f: expected a number, got bigint 3n');
    // A value whose String() throws still gives a message.
    const hostile = {
      toString: () => {
        throw new Error('no');
      },
    };
    expect(expectCode(() => invalidError('t.f', 'a number', hostile), XdrErrorCode.INVALID).message).toBe('t.f: expected a number, got object [object Object]');
    expect(expectCode(() => invalidError('t.f', 'a number', Object.create(null)), XdrErrorCode.INVALID).message).toBe(
      't.f: expected a number, got object [object Object]',
    );
  });
});
