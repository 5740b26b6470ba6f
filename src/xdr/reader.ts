import { asBytes, isAsciiBytes, latin1Text, sliceCopy, utf8Text } from '../util/bytes.js';
import { boundError, XdrError, XdrErrorCode } from './errors.js';

/** Largest value an XDR length word can carry. */
const UINT32_MAX = 0xffffffff;

/**
 * From this many bytes on, a string is checked for pure ASCII first (a SIMD
 * scan) and, when it is, built as a one-byte string without UTF-8 decoding.
 */
const ASCII_SCAN_MIN = 1024;

/** ASCII strings up to this many bytes are cut out of {@link TEXT_WINDOW} text (see `string`). */
const TEXT_RUN_MAX = 256;
/** Bytes of the buffer turned into one latin1 string at a time for short strings to be cut from. */
const TEXT_WINDOW = 16 * 1024;

/**
 * A cursor over one buffer that decodes XDR (RFC 4506) items.
 *
 * Every read checks the remaining length first, so a decoder built on it
 * never reads past `end`, and every variable-length item checks its length
 * against both its declared bound and the bytes actually left before it
 * allocates anything. Opaque data comes out as views of the input, not
 * copies (see {@link XdrReader.fixedOpaque}).
 */
export class XdrReader {
  /** The bytes being read (in Node a `Buffer` over the input's memory; see `borrowed`). */
  buf: Uint8Array;
  /** Offset of the next byte to read. */
  pos: number;
  /** Offset one past the last readable byte. */
  end: number;
  private view: DataView;
  /** The latin1 image of `buf[textStart, textStart + text.length)`. */
  private text = '';
  private textStart = 0;
  /** Offset that error messages count from: `start` for lent input, else 0. */
  private origin: number;
  /** The input is only lent (see the constructor); cleared once it has been copied. */
  private borrowed: boolean;

  /**
   * Reads `bytes[start, end)`. With `borrowed`, the caller lends `bytes` only until decoding
   * returns (a socket's read buffer that the next read overwrites): strings are copies anyway,
   * and the first opaque item copies what is left of the input into memory of its own, so that
   * the views opaque items hand out stay valid (a reply without opaque data is never copied).
   */
  constructor(bytes: Uint8Array, start = 0, end = bytes.length, borrowed = false) {
    this.buf = asBytes(bytes);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.pos = start;
    this.end = end;
    this.origin = borrowed ? start : 0;
    this.borrowed = borrowed;
  }

  /** Lent input: copies `[origin, end)` into memory of its own and reads on from there. */
  private own(): void {
    const o = this.origin;
    this.buf = sliceCopy(this.buf, o, this.end);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.pos -= o;
    this.end -= o;
    this.origin = 0;
    this.text = '';
    this.textStart = 0;
    this.borrowed = false;
  }

  /** Bytes not yet read. */
  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): number {
    const p = this.pos;
    if (p + n > this.end) {
      throw new XdrError(XdrErrorCode.TRUNCATED, what, `needs ${n} bytes at offset ${p - this.origin}, only ${this.end - p} left`);
    }
    this.pos = p + n;
    return p;
  }

  /** A signed 32-bit integer. */
  int(what: string): number {
    const p = this.need(4, what);
    const b = this.buf;
    return (b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3];
  }

  /** An unsigned 32-bit integer. */
  uint(what: string): number {
    const p = this.need(4, what);
    const b = this.buf;
    return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
  }

  /** libvirt's `char`/`short` (4 bytes on the wire), checked against the C type's range. */
  smallInt(what: string, min: number, max: number): number {
    const v = min < 0 ? this.int(what) : this.uint(what);
    if (v < min || v > max) {
      throw new XdrError(XdrErrorCode.INVALID, what, `value ${v} is outside ${min}..${max}`);
    }
    return v;
  }

  /** A signed 64-bit integer. */
  hyper(what: string): bigint {
    return this.view.getBigInt64(this.need(8, what));
  }

  /** An unsigned 64-bit integer. */
  uhyper(what: string): bigint {
    return this.view.getBigUint64(this.need(8, what));
  }

  /** A boolean: 0 or 1, anything else is an error. */
  bool(what: string): boolean {
    const v = this.int(what);
    if (v === 0) return false;
    if (v === 1) return true;
    throw new XdrError(XdrErrorCode.INVALID, what, `boolean must be 0 or 1, got ${v}`);
  }

  /** A 32-bit IEEE float. */
  float(what: string): number {
    return this.view.getFloat32(this.need(4, what));
  }

  /** A 64-bit IEEE double. */
  double(what: string): number {
    return this.view.getFloat64(this.need(8, what));
  }

  /**
   * The length word of a variable-length item: checked against `max` and
   * against the bytes left, assuming each element takes at least
   * `minElementBytes` on the wire.
   */
  length(what: string, max: number, minElementBytes: number, unit = 'elements'): number {
    const n = this.uint(what);
    if (n > max) boundError(what, n, max, unit);
    if (minElementBytes > 0 && n * minElementBytes > this.end - this.pos) {
      throw new XdrError(XdrErrorCode.TRUNCATED, what, `declares ${n} ${unit} but only ${this.end - this.pos} bytes are left`);
    }
    return n;
  }

  /** Skips the padding after `n` bytes of data (not checked for zeros, as glibc's xdr does not). */
  private skipPad(n: number, what: string): void {
    const pad = (4 - (n & 3)) & 3;
    if (pad !== 0) this.need(pad, what);
  }

  /**
   * A string<max>, decoded as UTF-8.
   *
   * Short ASCII strings (the names that fill libvirt replies) are cut out of a
   * latin1 image of the next {@link TEXT_WINDOW} bytes, made by one native
   * call: a substring is several times cheaper than building each string from
   * its bytes or a native decode per string, and for ASCII latin1 and UTF-8
   * agree. V8 keeps a substring of 13 or more characters as a slice of its
   * parent, so a kept name holds at most one window of text alive.
   */
  string(what: string, max: number = UINT32_MAX): string {
    const n = this.length(what, max, 1, 'bytes');
    const p = this.pos;
    this.pos = p + n;
    this.skipPad(n, what);
    const b = this.buf;
    if (n <= TEXT_RUN_MAX) {
      // ASCII check a word at a time: the data and its padding are in bounds
      // (checked above); padding bytes only count when they have the high bit
      // set, and then the UTF-8 decode below gives the same string anyway.
      const v = this.view;
      let high = 0;
      for (let i = p; i < p + n; i += 4) high |= v.getUint32(i);
      if ((high & 0x80808080) === 0) {
        let o = p - this.textStart;
        if (o < 0 || o + n > this.text.length) {
          this.textStart = p;
          this.text = latin1Text(b, p, Math.min(this.end, p + TEXT_WINDOW));
          o = 0;
        }
        return this.text.substring(o, o + n);
      }
      return utf8Text(b, p, p + n);
    }
    // Long ASCII text (XML documents) skips the UTF-8 decoder: same string, several times faster.
    if (n >= ASCII_SCAN_MIN && isAsciiBytes(b, p, p + n)) return latin1Text(b, p, p + n);
    return utf8Text(b, p, p + n);
  }

  /** Variable-length opaque<max>: a view of the input (see {@link fixedOpaque}). */
  opaque(what: string, max: number = UINT32_MAX): Uint8Array {
    const n = this.length(what, max, 1, 'bytes');
    return this.fixedOpaque(what, n);
  }

  /**
   * Fixed-length opaque[n]: a view of the input bytes, not a copy (the same
   * choice as js-xdr and protobuf decoders; for the UUIDs in every libvirt
   * reply a view costs less time and half the memory of a copy). The RPC
   * engine gives each message a buffer of its own, so views of it stay valid;
   * a caller who decodes from a buffer it later reuses must copy what it keeps.
   */
  fixedOpaque(what: string, n: number): Uint8Array {
    if (this.borrowed) this.own();
    const p = this.need(n, what);
    this.skipPad(n, what);
    const b = this.buf;
    return new Uint8Array(b.buffer, b.byteOffset + p, n);
  }

  /** Fails unless every byte has been read. */
  done(what: string): void {
    if (this.pos !== this.end) {
      throw new XdrError(XdrErrorCode.TRAILING, what, `${this.end - this.pos} bytes left over after the value`);
    }
  }
}
