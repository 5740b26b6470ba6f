/**
 * UUIDs as libvirt's client library handles them before anything goes on the wire: formatting
 * the 16 bytes of a reference (`virUUIDFormat`: lower-case, 8-4-4-4-12) and parsing the string
 * of a `*LookupByUUIDString` API (`virUUIDParse`), with the error libvirt raises for a bad one.
 *
 * @module
 */
import { ArgumentError } from '../errors/root.js';
import { toHex } from '../util/bytes.js';
import { invalidArgError } from './client-errors.js';

/** Length of a UUID in bytes (`VIR_UUID_BUFLEN`). */
export const UUID_BYTES = 16;

/** The UUID's canonical string: 32 lower-case hex digits as 8-4-4-4-12 (`virUUIDFormat`). */
export function formatUuid(uuid: Uint8Array): string {
  if (uuid.length !== UUID_BYTES) throw new ArgumentError(`a UUID has ${UUID_BYTES} bytes, got ${uuid.length}`);
  const hex = toHex(uuid);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';
const hexValue = (c: string | undefined): number => (c !== undefined && /^[0-9a-fA-F]$/.test(c) ? parseInt(c, 16) : -1);

/**
 * Parses a UUID string as `virUUIDParse` does: surrounding whitespace is allowed, and `-` or
 * a space may come before any pair of hex digits (never inside one), as long as there are
 * exactly 32 hex digits. Returns null when the string is not such a UUID.
 */
export function parseUuid(text: string): Uint8Array | null {
  const out = new Uint8Array(UUID_BYTES);
  let i = 0;
  while (i < text.length && isSpace(text[i]!)) i++;
  for (let n = 0; n < UUID_BYTES; ) {
    const c = text[i];
    if (c === undefined) return null;
    if (c === '-' || c === ' ') {
      i++;
      continue;
    }
    const hi = hexValue(c);
    const lo = hexValue(text[i + 1]);
    if (hi < 0 || lo < 0) return null;
    out[n++] = hi * 16 + lo;
    i += 2;
  }
  for (; i < text.length; i++) if (!isSpace(text[i]!)) return null;
  return out;
}

/**
 * Parses the `uuidstr` argument of the client-side API `api` (`virDomainLookupByUUIDString`,
 * `virNetworkLookupByUUIDString`, ...) and throws the error libvirt 9.0 raises for a bad one:
 * VIR_ERR_INVALID_ARG in the API's error domain, "Invalid UUID" for a domain, "uuidstr in
 * `api` must be a valid UUID" for the others.
 */
export function uuidArg(uuidstr: string, api: string): Uint8Array {
  const uuid = parseUuid(uuidstr);
  if (uuid) return uuid;
  // libvirt 9.0's virDomainLookupByUUIDString words its message differently from the others.
  const message = api === 'virDomainLookupByUUIDString' ? 'Invalid UUID' : `uuidstr in ${api} must be a valid UUID`;
  throw invalidArgError(api, 'uuidstr', message);
}
