/**
 * Bytes and text for the XDR runtime and the RPC engine: Node's build.
 *
 * The browser build replaces this module with `bytes.browser.ts` (same exports, on
 * `Uint8Array`, `TextEncoder` and `TextDecoder`; see scripts/build-browser.mjs). Here every
 * buffer is a Node `Buffer` (a `Uint8Array` subclass), so that the native latin1/UTF-8 paths the
 * XDR reader and writer were measured with stay what they were. Callers see `Uint8Array`s.
 *
 * @module
 */
import { Buffer, isAscii } from 'node:buffer';

/** `n` bytes, not zeroed. */
export function allocBytes(n: number): Uint8Array {
  return Buffer.allocUnsafe(n);
}

/** `n` bytes, not zeroed, in memory of their own (not a slice of a shared pool: kept for reuse). */
export function allocBytesUnpooled(n: number): Uint8Array {
  return Buffer.allocUnsafeSlow(n);
}

/** `bytes` as this platform's byte type (a Buffer over the same memory here; no copy). */
export function asBytes(bytes: Uint8Array): Uint8Array {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** `[start, end)` of `mem` (a whole ArrayBuffer) as bytes (a view, no copy). */
export function bytesOf(mem: ArrayBufferLike, start: number, end: number): Uint8Array {
  return Buffer.from(mem, start, end - start);
}

/** Copies `src[srcStart, srcEnd)` into `dst` at `dstStart`. */
export function copyBytes(src: Uint8Array, srcStart: number, srcEnd: number, dst: Uint8Array, dstStart: number): void {
  (src as Buffer).copy(dst, dstStart, srcStart, srcEnd);
}

/** A copy of `src[start, end)`. */
export function sliceCopy(src: Uint8Array, start: number, end: number): Uint8Array {
  const out = Buffer.allocUnsafe(end - start);
  (src as Buffer).copy(out, 0, start, end);
  return out;
}

/** The first `total` bytes of `list`, one after the other, in one new buffer. */
export function concatBytes(list: readonly Uint8Array[], total: number): Uint8Array {
  return Buffer.concat(list, total);
}

/**
 * `b[start, end)` read as latin1: one character per byte. The reader uses it only where the bytes
 * are ASCII (where latin1 and UTF-8 agree), `b` being a buffer of this module.
 */
export function latin1Text(b: Uint8Array, start: number, end: number): string {
  return (b as Buffer).toString('latin1', start, end);
}

/** `b[start, end)` decoded as UTF-8 (malformed sequences become U+FFFD), `b` being a buffer of this module. */
export function utf8Text(b: Uint8Array, start: number, end: number): string {
  return (b as Buffer).toString('utf8', start, end);
}

/** True when every byte of `b[start, end)` is below 0x80. */
export function isAsciiBytes(b: Uint8Array, start: number, end: number): boolean {
  return isAscii(b.subarray(start, end));
}

/**
 * Writes `text` as UTF-8 into `b` (a buffer of this module) at `offset` and returns the bytes
 * written; the caller has made room for the worst case (3 bytes per UTF-16 unit).
 */
export function writeUtf8(b: Uint8Array, text: string, offset: number): number {
  return (b as Buffer).write(text, offset, 'utf8');
}

/** `b` in lowercase hexadecimal, two digits a byte. */
export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}
