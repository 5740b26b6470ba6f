/**
 * Bytes and text for the XDR runtime and the RPC engine: the browser's build (replaces
 * `bytes.ts` there; same exports). Plain `Uint8Array`s, `TextEncoder` and `TextDecoder`; short
 * ASCII text, the bulk of libvirt's messages, is built without a decoder call.
 *
 * @module
 */
import type { Twin } from './twin.js';
import type * as NodeTwin from './bytes.js';
import type * as ThisTwin from './bytes.browser.js';

const utf8Decoder = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();
/** ASCII runs up to this many bytes are turned into text by `String.fromCharCode` rather than a decoder. */
const SHORT_TEXT_MAX = 64;
/** Bytes given to one `String.fromCharCode.apply` (well below any engine's argument limit). */
const CHARS_PER_CALL = 8192;

/** `n` bytes (zeroed: the browser has no unzeroed allocation). */
export function allocBytes(n: number): Uint8Array {
  return new Uint8Array(n);
}

/** `n` bytes in memory of their own. */
export function allocBytesUnpooled(n: number): Uint8Array {
  return new Uint8Array(n);
}

/** `bytes` as this platform's byte type: itself. */
export function asBytes(bytes: Uint8Array): Uint8Array {
  return bytes;
}

/** `[start, end)` of `mem` as bytes (a view, no copy). */
export function bytesOf(mem: ArrayBufferLike, start: number, end: number): Uint8Array {
  return new Uint8Array(mem, start, end - start);
}

/** Copies `src[srcStart, srcEnd)` into `dst` at `dstStart`. */
export function copyBytes(src: Uint8Array, srcStart: number, srcEnd: number, dst: Uint8Array, dstStart: number): void {
  dst.set(src.subarray(srcStart, srcEnd), dstStart);
}

/** A copy of `src[start, end)`. */
export function sliceCopy(src: Uint8Array, start: number, end: number): Uint8Array {
  return src.slice(start, end);
}

/** The first `total` bytes of `list`, one after the other, in one new buffer. */
export function concatBytes(list: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let p = 0;
  for (const b of list) {
    if (p >= total) break;
    const n = Math.min(b.length, total - p);
    out.set(n === b.length ? b : b.subarray(0, n), p);
    p += n;
  }
  return out;
}

/** `b[start, end)` read as latin1: one character per byte. */
export function latin1Text(b: Uint8Array, start: number, end: number): string {
  if (end - start <= SHORT_TEXT_MAX) {
    let s = '';
    for (let i = start; i < end; i++) s += String.fromCharCode(b[i]);
    return s;
  }
  let s = '';
  for (let p = start; p < end; p += CHARS_PER_CALL) {
    s += String.fromCharCode.apply(null, b.subarray(p, Math.min(end, p + CHARS_PER_CALL)) as unknown as number[]);
  }
  return s;
}

/** `b[start, end)` decoded as UTF-8 (malformed sequences become U+FFFD). */
export function utf8Text(b: Uint8Array, start: number, end: number): string {
  return utf8Decoder.decode(b.subarray(start, end));
}

/** True when every byte of `b[start, end)` is below 0x80. */
export function isAsciiBytes(b: Uint8Array, start: number, end: number): boolean {
  let high = 0;
  for (let i = start; i < end; i++) high |= b[i];
  return high < 0x80;
}

/**
 * Writes `text` as UTF-8 into `b` at `offset` and returns the bytes written; the caller has made
 * room for the worst case (3 bytes per UTF-16 unit).
 */
export function writeUtf8(b: Uint8Array, text: string, offset: number): number {
  return utf8Encoder.encodeInto(text, b.subarray(offset)).written;
}

/** `b` in lowercase hexadecimal, two digits a byte. */
export function toHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += (b[i] < 16 ? '0' : '') + b[i].toString(16);
  return s;
}

/** The compiler holds this module to bytes.ts's exports (see util/twin.ts). */
type _Checked = Twin<typeof NodeTwin, typeof ThisTwin>;
