/**
 * Errors raised by the XDR runtime.
 *
 * Every failure to encode or decode a value is an {@link XdrError}: a bound
 * exceeded, input that ends early, a value of the wrong kind or range. No
 * other exception escapes an encoder or decoder for any input.
 */
import { brandClass } from '../errors/brand.js';
import { LibvirtRpcError } from '../errors/root.js';

/** Stable codes carried by {@link XdrError.code}. */
export const XdrErrorCode = {
  /** A variable-length item (string, opaque, array) is longer than its `<N>` bound. */
  BOUND: 'XDR_BOUND',
  /** The input ended before the value did. */
  TRUNCATED: 'XDR_TRUNCATED',
  /** A value is of the wrong JavaScript type or outside the range of its XDR type. */
  INVALID: 'XDR_INVALID',
  /** A union discriminant has no arm and the union has no default arm. */
  BAD_DISCRIMINANT: 'XDR_BAD_DISCRIMINANT',
  /** Bytes are left over after a value that should fill the whole input. */
  TRAILING: 'XDR_TRAILING',
} as const;

/** One of the {@link XdrErrorCode} values. */
export type XdrErrorCode = (typeof XdrErrorCode)[keyof typeof XdrErrorCode];

/**
 * An encode or decode failure. `what` names the XDR type and field involved
 * (for example `remote_domain_get_xml_desc_ret.xml`).
 */
export class XdrError extends LibvirtRpcError {
  /** Stable machine-readable code. */
  declare readonly code: XdrErrorCode;
  /** The type and field the failure concerns. */
  readonly what: string;

  constructor(code: XdrErrorCode, what: string, message: string) {
    super(code, `${what}: ${message}`);
    this.name = 'XdrError';
    this.what = what;
  }
}
brandClass(XdrError, 'XdrError');

/** Throws the error for an item longer than its bound. */
export function boundError(what: string, length: number, max: number, unit: string): never {
  throw new XdrError(XdrErrorCode.BOUND, what, `length ${length} ${unit} exceeds the limit of ${max}`);
}

/** Throws the error for a value of the wrong type or range. */
export function invalidError(what: string, expected: string, value: unknown): never {
  let shown: string;
  try {
    shown = typeof value === 'bigint' ? `${value}n` : typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : String(value);
  } catch {
    shown = Object.prototype.toString.call(value);
  }
  throw new XdrError(XdrErrorCode.INVALID, what, `expected ${expected}, got ${typeof value} ${shown}`);
}
