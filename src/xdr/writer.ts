import { allocBytes, copyBytes, sliceCopy, writeUtf8 } from '../util/bytes.js';
import { boundError, invalidError } from './errors.js';

const UINT32_MAX = 0xffffffff;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

/** Strings up to this many UTF-16 units are copied by a loop while they are ASCII (cheaper than a native call). */
const SHORT_STRING_MAX = 32;
/**
 * From this many UTF-16 units on, a string is first written on the guess that
 * it is ASCII: into exactly one byte per unit (no worst-case reservation of
 * three bytes per unit, no larger buffer to grow into), by
 * `TextEncoder.encodeInto`, which says how many units it consumed.
 */
const LONG_STRING_MIN = 1024;
const utf8Encoder = new TextEncoder();
/** Opaque data up to this many bytes is copied by a loop rather than by a native call. */
const SMALL_COPY_MAX = 64;

/**
 * Encodes XDR (RFC 4506) items into one growing buffer.
 *
 * Values are checked as they are written: integers against their range,
 * strings, opaque data and arrays against their `<N>` bound. A failed check
 * throws an {@link XdrError} that names the type and field (`what`).
 */
export class XdrWriter {
  /** The buffer written so far; valid bytes are `[0, pos)` (in Node a `Buffer`). */
  buf: Uint8Array;
  /** Offset of the next byte to write. */
  pos = 0;
  private view: DataView;

  constructor(initialSize = 256) {
    this.buf = allocBytes(initialSize);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  /**
   * Makes room for `n` more bytes and returns the offset to write them at.
   * It may replace `buf` and the internal view, so callers must call it before
   * they read either (`this.view.setX(this.reserve(4), v)` would write through
   * the old view).
   */
  reserve(n: number): number {
    const p = this.pos;
    if (p + n > this.buf.length) this.grow(p + n);
    this.pos = p + n;
    return p;
  }

  private grow(min: number): void {
    // Double, or jump straight to the size asked for (one large string or opaque).
    const size = Math.max(this.buf.length * 2, min, 64);
    const next = allocBytes(size);
    copyBytes(this.buf, 0, this.pos, next, 0);
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }

  /** Writes a 32-bit word at an earlier offset (for length prefixes filled in last). */
  patchUint(offset: number, v: number): void {
    this.view.setUint32(offset, v);
  }

  /** A signed 32-bit integer. */
  int(v: number, what: string): void {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) {
      invalidError(what, 'a 32-bit signed integer', v);
    }
    const p = this.reserve(4);
    this.view.setInt32(p, v);
  }

  /** An unsigned 32-bit integer. */
  uint(v: number, what: string): void {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > UINT32_MAX) {
      invalidError(what, 'a 32-bit unsigned integer', v);
    }
    const p = this.reserve(4);
    this.view.setUint32(p, v);
  }

  /** libvirt's `char`/`short`: 4 bytes on the wire, range-checked against the C type. */
  smallInt(v: number, what: string, min: number, max: number): void {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      invalidError(what, `an integer in ${min}..${max}`, v);
    }
    const p = this.reserve(4);
    this.view.setInt32(p, v);
  }

  /** A signed 64-bit integer. */
  hyper(v: bigint, what: string): void {
    if (typeof v !== 'bigint' || v < INT64_MIN || v > INT64_MAX) invalidError(what, 'a 64-bit signed bigint', v);
    const p = this.reserve(8);
    this.view.setBigInt64(p, v);
  }

  /** An unsigned 64-bit integer. */
  uhyper(v: bigint, what: string): void {
    if (typeof v !== 'bigint' || v < 0n || v > UINT64_MAX) invalidError(what, 'a 64-bit unsigned bigint', v);
    const p = this.reserve(8);
    this.view.setBigUint64(p, v);
  }

  /** A boolean. */
  bool(v: boolean, what: string): void {
    if (typeof v !== 'boolean') invalidError(what, 'a boolean', v);
    const p = this.reserve(4);
    this.view.setInt32(p, v ? 1 : 0);
  }

  /** A 32-bit IEEE float. */
  float(v: number, what: string): void {
    if (typeof v !== 'number') invalidError(what, 'a number', v);
    const p = this.reserve(4);
    this.view.setFloat32(p, v);
  }

  /** A 64-bit IEEE double. */
  double(v: number, what: string): void {
    if (typeof v !== 'number') invalidError(what, 'a number', v);
    const p = this.reserve(8);
    this.view.setFloat64(p, v);
  }

  /** The length word of a variable-length array, checked against `max`. */
  length(n: number, what: string, max: number = UINT32_MAX): void {
    if (n > max) boundError(what, n, max, 'elements');
    const p = this.reserve(4);
    this.view.setUint32(p, n);
  }

  /**
   * Checks that `v` is an array and writes its length word before its
   * elements are written; returns it. `minElementBytes` (the smallest wire
   * size of one element) lets the buffer grow once for a large array instead
   * of doubling again and again.
   */
  array<T>(v: readonly T[], what: string, max: number = UINT32_MAX, minElementBytes = 0): readonly T[] {
    if (!Array.isArray(v)) invalidError(what, 'an array', v);
    this.length(v.length, what, max);
    const need = this.pos + v.length * minElementBytes;
    if (need > this.buf.length) this.grow(need);
    return v;
  }

  /** A fixed-size array: checks the element count. */
  fixedArray<T>(v: readonly T[], what: string, n: number): readonly T[] {
    if (!Array.isArray(v) || v.length !== n) invalidError(what, `an array of exactly ${n} elements`, v);
    return v;
  }

  /** A string<max>, encoded as UTF-8; the bound counts bytes. */
  string(v: string, what: string, max: number = UINT32_MAX): void {
    if (typeof v !== 'string') invalidError(what, 'a string', v);
    const len = v.length;
    let start: number;
    let n: number;
    if (len <= SHORT_STRING_MAX) {
      // Reserve the worst case (3 bytes per UTF-16 unit, and padding) and copy
      // every unit as a byte, four to a word store; if one was not ASCII,
      // write the UTF-8 over it. (No early exit: fastest for the short names
      // that fill libvirt messages.)
      start = this.reserve(7 + len * 3);
      const b = this.buf;
      const dv = this.view;
      const o = start + 4;
      let high = 0;
      let i = 0;
      for (; i + 4 <= len; i += 4) {
        const c0 = v.charCodeAt(i);
        const c1 = v.charCodeAt(i + 1);
        const c2 = v.charCodeAt(i + 2);
        const c3 = v.charCodeAt(i + 3);
        high |= c0 | c1 | c2 | c3;
        dv.setUint32(o + i, (c0 << 24) | (c1 << 16) | (c2 << 8) | c3);
      }
      for (; i < len; i++) {
        const c = v.charCodeAt(i);
        high |= c;
        b[o + i] = c;
      }
      n = high < 0x80 ? len : writeUtf8(b, v, o);
    } else if (len >= LONG_STRING_MIN) {
      // Guess ASCII: room for exactly `len` bytes. Every unit takes at least
      // one byte, so if all `len` units went in, each took one (ASCII) and
      // `len` bytes were written; otherwise redo it the long way.
      start = this.reserve(7 + len);
      n = len;
      if (utf8Encoder.encodeInto(v, this.buf.subarray(start + 4, start + 4 + len)).read !== len) {
        this.pos = start;
        start = this.reserve(7 + len * 3);
        n = writeUtf8(this.buf, v, start + 4);
      }
    } else {
      start = this.reserve(7 + len * 3);
      n = writeUtf8(this.buf, v, start + 4);
    }
    if (n > max) {
      this.pos = start;
      boundError(what, n, max, 'bytes');
    }
    this.view.setUint32(start, n);
    // Padding: the reservation above left room for it.
    const b = this.buf;
    let end = start + 4 + n;
    for (let k = (4 - (n & 3)) & 3; k > 0; k--) b[end++] = 0;
    this.pos = end;
  }

  /** Variable-length opaque<max>. */
  opaque(v: Uint8Array, what: string, max: number = UINT32_MAX): void {
    if (!(v instanceof Uint8Array)) invalidError(what, 'a Uint8Array', v);
    if (v.length > max) boundError(what, v.length, max, 'bytes');
    const p = this.reserve(4);
    this.view.setUint32(p, v.length);
    this.raw(v);
  }

  /** Fixed-length opaque[n]. */
  fixedOpaque(v: Uint8Array, what: string, n: number): void {
    if (!(v instanceof Uint8Array) || v.length !== n) invalidError(what, `a Uint8Array of exactly ${n} bytes`, v);
    this.raw(v);
  }

  /** The bytes of `v` and their padding. */
  private raw(v: Uint8Array): void {
    const n = v.length;
    if (n === 16) {
      // A UUID (VIR_UUID_BUFLEN), in nearly every libvirt message: unrolled.
      const p = this.reserve(16);
      const dv = this.view;
      dv.setUint32(p, (v[0] << 24) | (v[1] << 16) | (v[2] << 8) | v[3]);
      dv.setUint32(p + 4, (v[4] << 24) | (v[5] << 16) | (v[6] << 8) | v[7]);
      dv.setUint32(p + 8, (v[8] << 24) | (v[9] << 16) | (v[10] << 8) | v[11]);
      dv.setUint32(p + 12, (v[12] << 24) | (v[13] << 16) | (v[14] << 8) | v[15]);
      return;
    }
    if ((n & 3) === 0 && n <= SMALL_COPY_MAX) {
      // Other small whole words: a word store per four bytes, no padding.
      const p = this.reserve(n);
      const dv = this.view;
      for (let i = 0; i < n; i += 4) dv.setUint32(p + i, (v[i] << 24) | (v[i + 1] << 16) | (v[i + 2] << 8) | v[i + 3]);
      return;
    }
    const pad = (4 - (n & 3)) & 3;
    const p = this.reserve(n + pad);
    const b = this.buf;
    if (n <= SMALL_COPY_MAX) for (let i = 0; i < n; i++) b[p + i] = v[i];
    else b.set(v, p);
    for (let i = p + n; i < p + n + pad; i++) b[i] = 0;
  }

  /** Appends bytes with no length word and no padding (stream payloads). */
  bytes(v: Uint8Array): void {
    const p = this.reserve(v.length);
    this.buf.set(v, p);
  }

  /** A copy of the bytes written so far. */
  toBytes(): Uint8Array {
    return sliceCopy(this.buf, 0, this.pos);
  }

  /** A view of the bytes written so far (valid until the next write). */
  written(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}
