/**
 * Short ASCII strings straight from bytes. `String.fromCharCode` called with
 * its arguments spelled out is several times faster than `apply` on an array
 * or a native UTF-8 decode for the short names that fill libvirt replies
 * (domain, network, pool and volume names, typed-parameter fields), so each
 * length up to {@link SHORT_ASCII_MAX} has its own call. Longer strings are
 * two such calls joined.
 */
import type { Buffer } from 'node:buffer';

/** Longest string built here; callers use a native decode beyond it. */
export const SHORT_ASCII_MAX = 32;

const f = String.fromCharCode;

/**
 * The string of bytes `b[p .. p+n)`, or null when one of them is not ASCII
 * (the caller then decodes UTF-8). `n` must be at most {@link SHORT_ASCII_MAX}.
 */
export function shortAscii(b: Buffer, p: number, n: number): string | null {
  let or = 0;
  for (let i = p; i < p + n; i++) or |= b[i];
  if (or >= 0x80) return null;
  return n <= 16 ? upTo16(b, p, n) : upTo16(b, p, 16) + upTo16(b, p + 16, n - 16);
}

function upTo16(b: Buffer, p: number, n: number): string {
  switch (n) {
    case 0:
      return '';
    case 1:
      return f(b[p]);
    case 2:
      return f(b[p], b[p + 1]);
    case 3:
      return f(b[p], b[p + 1], b[p + 2]);
    case 4:
      return f(b[p], b[p + 1], b[p + 2], b[p + 3]);
    case 5:
      return f(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4]);
    case 6:
      return f(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4], b[p + 5]);
    case 7:
      return f(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4], b[p + 5], b[p + 6]);
    case 8:
      return f(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4], b[p + 5], b[p + 6], b[p + 7]);
    case 9:
      return f(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4], b[p + 5], b[p + 6], b[p + 7], b[p + 8]);
    case 10:
      return f(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4], b[p + 5], b[p + 6], b[p + 7], b[p + 8], b[p + 9]);
    case 11:
      return f(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4], b[p + 5], b[p + 6], b[p + 7], b[p + 8], b[p + 9], b[p + 10]);
    case 12:
      return f(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4], b[p + 5], b[p + 6], b[p + 7], b[p + 8], b[p + 9], b[p + 10], b[p + 11]);
    case 13:
      return f(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4], b[p + 5], b[p + 6], b[p + 7], b[p + 8], b[p + 9], b[p + 10], b[p + 11], b[p + 12]);
    case 14:
      return f(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4], b[p + 5], b[p + 6], b[p + 7], b[p + 8], b[p + 9], b[p + 10], b[p + 11], b[p + 12], b[p + 13]);
    case 15:
      return f(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4], b[p + 5], b[p + 6], b[p + 7], b[p + 8], b[p + 9], b[p + 10], b[p + 11], b[p + 12], b[p + 13], b[p + 14]);
    case 16:
      return f(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4], b[p + 5], b[p + 6], b[p + 7], b[p + 8], b[p + 9], b[p + 10], b[p + 11], b[p + 12], b[p + 13], b[p + 14], b[p + 15]);
    default:
      throw new RangeError(`short string of ${n} bytes`);
  }
}
