import { Buffer } from 'node:buffer';
import { boundError, invalidError } from './errors.js';

const UINT32_MAX = 0xffffffff;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

/**
 * Encodes XDR (RFC 4506) items into one growing buffer.
 *
 * Values are checked as they are written: integers against their range,
 * strings, opaque data and arrays against their `<N>` bound. A failed check
 * throws an {@link XdrError} that names the type and field (`what`).
 */
export class XdrWriter {
  /** The buffer written so far; valid bytes are `[0, pos)`. */
  buf: Buffer;
  /** Offset of the next byte to write. */
  pos = 0;
  private view: DataView;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize);
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
    let size = Math.max(this.buf.length * 2, 64);
    while (size < min) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
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

  /** Checks that `v` is an array before its elements are written; returns it. */
  array<T>(v: readonly T[], what: string, max: number = UINT32_MAX): readonly T[] {
    if (!Array.isArray(v)) invalidError(what, 'an array', v);
    this.length(v.length, what, max);
    return v;
  }

  /** A fixed-size array: checks the element count. */
  fixedArray<T>(v: readonly T[], what: string, n: number): readonly T[] {
    if (!Array.isArray(v) || v.length !== n) invalidError(what, `an array of exactly ${n} elements`, v);
    return v;
  }

  private pad(n: number): void {
    const pad = (4 - (n & 3)) & 3;
    if (pad !== 0) {
      const p = this.reserve(pad);
      for (let i = 0; i < pad; i++) this.buf[p + i] = 0;
    }
  }

  /** A string<max>, encoded as UTF-8; the bound counts bytes. */
  string(v: string, what: string, max: number = UINT32_MAX): void {
    if (typeof v !== 'string') invalidError(what, 'a string', v);
    // Reserve the worst case (3 bytes per UTF-16 unit), write, then fix up.
    const start = this.reserve(4 + v.length * 3);
    const n = v.length === 0 ? 0 : this.buf.write(v, start + 4, 'utf8');
    if (n > max) {
      this.pos = start;
      boundError(what, n, max, 'bytes');
    }
    this.view.setUint32(start, n);
    this.pos = start + 4 + n;
    this.pad(n);
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

  private raw(v: Uint8Array): void {
    const p = this.reserve(v.length);
    this.buf.set(v, p);
    this.pad(v.length);
  }

  /** Appends bytes with no length word and no padding (stream payloads). */
  bytes(v: Uint8Array): void {
    const p = this.reserve(v.length);
    this.buf.set(v, p);
  }

  /** A copy of the bytes written so far. */
  toBytes(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }

  /** A view of the bytes written so far (valid until the next write). */
  written(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}
