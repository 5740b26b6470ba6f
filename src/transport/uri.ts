/**
 * Parsing and formatting of libvirt connection URIs.
 *
 * The grammar is RFC 3986 as libvirt applies it (libvirt hands URIs to
 * libxml2 and then post-processes the result):
 *
 * - the scheme is required; `driver+transport` is split at the first `+`;
 * - user, host and path are %-decoded; IPv6 hosts lose their brackets;
 * - a port of 0, or a port without a host, counts as no port;
 * - the query is kept raw and also split into an ordered list of
 *   parameters. Sections are separated by `&`, and only when no `&` is left
 *   in the rest of the query by `;`. `name` alone means `name=`; a section
 *   starting with `=` is dropped; empty sections are skipped; names and values
 *   are %-decoded (`+` is *not* turned into a space, as in libvirt).
 *
 * {@link formatUri} writes a URI back the way libvirt does: `//` is always
 * written, the path and user are re-escaped, and the query is rebuilt from
 * the parameter list with each value escaped (everything but `A-Z a-z 0-9 - . _ ~`).
 */
import { UriError, type UriPart } from './errors.js';

/** One query parameter, decoded. */
export interface UriParam {
  /** Parameter name, %-decoded, as written (libvirt compares names case-insensitively). */
  readonly name: string;
  /** Parameter value, %-decoded; `""` for `name` or `name=`. */
  readonly value: string;
}

/** A parsed libvirt URI. */
export interface LibvirtUri {
  /** The whole scheme as written, e.g. `qemu+ssh`. */
  readonly scheme: string;
  /** The scheme up to the first `+`, e.g. `qemu` (the hypervisor driver). */
  readonly driver: string;
  /** The scheme after the first `+` as written (e.g. `ssh`), or null when there is no `+`. */
  readonly transport: string | null;
  /** The user part before `@`, %-decoded (may hold `user:password`), or null. */
  readonly user: string | null;
  /** The host, %-decoded, IPv6 addresses without brackets; null when absent or empty. */
  readonly host: string | null;
  /** The port, or null when absent, 0, or given without a host. */
  readonly port: number | null;
  /** The path, %-decoded; null when the URI has none (`test://example.com`). */
  readonly path: string | null;
  /** The query as written (still escaped), without `?`; null when there is no `?`. */
  readonly query: string | null;
  /** The fragment, %-decoded, without `#`; null when there is no `#`. */
  readonly fragment: string | null;
  /** The query parameters in order, duplicates kept. */
  readonly params: readonly UriParam[];
}

/** What {@link formatUri} needs; a {@link LibvirtUri} is one. */
export interface UriComponents {
  /** Scheme to write, e.g. `qemu` or `qemu+ssh`. */
  readonly scheme: string;
  /** User part, unescaped; omitted when null or undefined. */
  readonly user?: string | null;
  /** Host, unescaped; an IPv6 address is put in brackets. */
  readonly host?: string | null;
  /** Port, written only when a host is given and the port is above 0. */
  readonly port?: number | null;
  /** Path, unescaped. */
  readonly path?: string | null;
  /** Parameters written as the query, in order; no `?` when empty. */
  readonly params?: readonly UriParam[];
  /** Fragment, unescaped. */
  readonly fragment?: string | null;
}

// ---------------------------------------------------------------------------
// Character classes (RFC 3986, ASCII only, as libxml2 checks them).

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UNRESERVED = `${ALNUM}-._~`;
const SUB_DELIMS = "!$&'()*+,;=";
const USER_CHARS = new Set(`${UNRESERVED}${SUB_DELIMS}:`);
const HOST_CHARS = new Set(`${UNRESERVED}${SUB_DELIMS}`);
const PATH_CHARS = new Set(`${UNRESERVED}${SUB_DELIMS}:@/`);
const QUERY_CHARS = new Set(`${UNRESERVED}${SUB_DELIMS}:@/?`);
const HEX = /^[0-9A-Fa-f]{2}$/;

// What the formatter leaves unescaped (libxml2's and GLib's choices).
const MARK_UNRESERVED = `${ALNUM}-_.!~*'()`;
const FORMAT_USER_KEEP = new Set(`${MARK_UNRESERVED};:&=+$,`);
const FORMAT_PATH_KEEP = new Set(`${MARK_UNRESERVED}/;@&=+$,`);
const FORMAT_FRAGMENT_KEEP = new Set(`${MARK_UNRESERVED};/?:@&=+$,[]`);
const FORMAT_VALUE_KEEP = new Set(UNRESERVED);

const PART_LABEL: Record<UriPart, string> = {
  uri: 'URI',
  scheme: 'scheme',
  transport: 'transport',
  user: 'user',
  host: 'host',
  port: 'port',
  path: 'path',
  query: 'query',
  fragment: 'fragment',
  parameter: 'parameter',
};

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

/** Checks that `text` only holds `allowed` characters and well-formed `%xx` escapes. */
function checkChars(text: string, allowed: ReadonlySet<string>, part: UriPart, uri: string): void {
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    // The user part may hold a password: its characters are never quoted.
    const quote = (what: string): string => (part === 'user' ? '' : ` ${JSON.stringify(what)}`);
    if (ch === '%') {
      const hex = text.slice(i + 1, i + 3);
      if (!HEX.test(hex)) {
        throw new UriError(`invalid ${PART_LABEL[part]}: bad %-escape${quote(text.slice(i, i + 3))}`, { uri, part });
      }
      i += 2;
    } else if (!allowed.has(ch)) {
      throw new UriError(`invalid ${PART_LABEL[part]}: ${part === 'user' ? 'a character' : `character${quote(ch)}`} is not allowed`, { uri, part });
    }
  }
}

/** Decodes `%xx` escapes (bytes, read as UTF-8). Assumes {@link checkChars} passed. */
function percentDecode(text: string, part: UriPart, uri: string): string {
  if (!text.includes('%')) return text;
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x25 /* % */ && HEX.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      // Only ASCII reaches here after checkChars.
      bytes.push(ch);
    }
  }
  try {
    return utf8.decode(Uint8Array.from(bytes));
  } catch (cause) {
    throw new UriError(`invalid ${PART_LABEL[part]}: %-escapes do not decode as UTF-8`, { uri, part, cause });
  }
}

/** Escapes every UTF-8 byte of `text` outside `keep` as `%XX`. */
function percentEncode(text: string, keep: ReadonlySet<string>): string {
  let out = '';
  for (const ch of text) {
    if (keep.has(ch)) {
      out += ch;
    } else {
      for (const b of utf8Encoder.encode(ch)) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return out;
}

/**
 * Splits a raw query into parameters exactly as libvirt does (see the module
 * comment). The query must already be known to be well-formed.
 */
function splitParams(query: string, uri: string): UriParam[] {
  const params: UriParam[] = [];
  let pos = 0;
  while (pos < query.length) {
    let end = query.indexOf('&', pos);
    if (end < 0) end = query.indexOf(';', pos);
    if (end < 0) end = query.length;
    let eq = query.indexOf('=', pos);
    if (eq >= end) eq = -1;
    if (end > pos && eq !== pos) {
      if (eq < 0) {
        params.push({ name: percentDecode(query.slice(pos, end), 'query', uri), value: '' });
      } else {
        params.push({
          name: percentDecode(query.slice(pos, eq), 'query', uri),
          value: percentDecode(query.slice(eq + 1, end), 'query', uri),
        });
      }
    }
    pos = end < query.length ? end + 1 : end;
  }
  return params;
}

function isIpv6Literal(text: string): boolean {
  // IPvFuture ("v1.xyz") is allowed by RFC 3986; everything else must be an IPv6 address.
  if (/^v[0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+$/.test(text)) return true;
  if (!/^[0-9A-Fa-f:.]+$/.test(text) || !text.includes(':')) return false;
  const [head, ...rest] = text.split('::');
  if (rest.length > 1) return false;
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const all = [...groups(head ?? ''), ...groups(rest[0] ?? '')];
  let count = 0;
  for (let i = 0; i < all.length; i++) {
    const g = all[i]!;
    if (i === all.length - 1 && g.includes('.')) {
      if (!/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(g)) return false;
      count += 2;
    } else if (/^[0-9A-Fa-f]{1,4}$/.test(g)) {
      count += 1;
    } else {
      return false;
    }
  }
  return rest.length === 1 ? count < 8 : count === 8;
}

/**
 * Parses a libvirt URI.
 *
 * @throws UriError naming the wrong part: a missing or empty scheme, a
 *   character not allowed in that part, a bad `%xx` escape, an unterminated or
 *   malformed `[IPv6]` host, or a port that is empty, not decimal or above 65535.
 */
export function parseUri(text: string): LibvirtUri {
  if (typeof text !== 'string') throw new TypeError('parseUri: the URI must be a string');
  const uri = text;
  if (uri === '') throw new UriError('empty URI', { uri, part: 'uri' });

  const schemeMatch = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri);
  if (!schemeMatch) {
    if (uri.startsWith(':')) throw new UriError('empty scheme', { uri, part: 'scheme' });
    const stop = uri.search(/[/?#]/);
    const colon = uri.indexOf(':');
    if (colon > 0 && (stop < 0 || colon < stop)) {
      throw new UriError(`invalid scheme ${JSON.stringify(uri.slice(0, colon))}`, { uri, part: 'scheme' });
    }
    throw new UriError('missing scheme (no driver name)', { uri, part: 'scheme' });
  }
  const scheme = schemeMatch[1]!;
  const plus = scheme.indexOf('+');
  const driver = plus < 0 ? scheme : scheme.slice(0, plus);
  const transport = plus < 0 ? null : scheme.slice(plus + 1);

  let rest = uri.slice(schemeMatch[0].length);
  let fragmentRaw: string | null = null;
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    fragmentRaw = rest.slice(hash + 1);
    rest = rest.slice(0, hash);
  }
  let query: string | null = null;
  const qmark = rest.indexOf('?');
  if (qmark >= 0) {
    query = rest.slice(qmark + 1);
    rest = rest.slice(0, qmark);
  }

  let user: string | null = null;
  let host: string | null = null;
  let port: number | null = null;
  let pathRaw = rest;

  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    const authority = slash < 0 ? rest.slice(2) : rest.slice(2, slash);
    pathRaw = slash < 0 ? '' : rest.slice(slash);

    let hostPort = authority;
    const at = authority.indexOf('@');
    if (at >= 0) {
      const userRaw = authority.slice(0, at);
      checkChars(userRaw, USER_CHARS, 'user', uri);
      user = percentDecode(userRaw, 'user', uri);
      hostPort = authority.slice(at + 1);
    }

    let portText: string | null = null;
    if (hostPort.startsWith('[')) {
      const close = hostPort.indexOf(']');
      if (close < 0) throw new UriError(`invalid host ${JSON.stringify(hostPort)}: no closing "]"`, { uri, part: 'host' });
      const literal = hostPort.slice(1, close);
      if (!isIpv6Literal(literal)) {
        throw new UriError(`invalid host ${JSON.stringify(hostPort.slice(0, close + 1))}: not an IPv6 address`, { uri, part: 'host' });
      }
      host = literal;
      const after = hostPort.slice(close + 1);
      if (after.startsWith(':')) portText = after.slice(1);
      else if (after !== '') throw new UriError(`invalid host ${JSON.stringify(hostPort)}`, { uri, part: 'host' });
    } else {
      const colon = hostPort.indexOf(':');
      const hostRaw = colon < 0 ? hostPort : hostPort.slice(0, colon);
      if (colon >= 0) portText = hostPort.slice(colon + 1);
      checkChars(hostRaw, HOST_CHARS, 'host', uri);
      const decoded = percentDecode(hostRaw, 'host', uri);
      host = decoded === '' ? null : decoded;
    }

    if (portText !== null) {
      if (!/^\d+$/.test(portText) || Number(portText) > 65535) {
        throw new UriError(`invalid port ${JSON.stringify(portText)}`, { uri, part: 'port' });
      }
      const n = Number(portText);
      // libvirt ignores the port when there is no host, and reads 0 as "not given".
      port = host === null || n === 0 ? null : n;
    }
  }

  checkChars(pathRaw, PATH_CHARS, 'path', uri);
  const path = pathRaw === '' ? null : percentDecode(pathRaw, 'path', uri);

  let params: UriParam[] = [];
  if (query !== null) {
    checkChars(query, QUERY_CHARS, 'query', uri);
    params = splitParams(query, uri);
  }

  let fragment: string | null = null;
  if (fragmentRaw !== null) {
    checkChars(fragmentRaw, QUERY_CHARS, 'fragment', uri);
    fragment = percentDecode(fragmentRaw, 'fragment', uri);
  }

  return { scheme, driver, transport, user, host, port, path, query, fragment, params };
}

/**
 * Formats the parameters as a query string the way libvirt does: `name=value`
 * joined by `&`, the name written as is, the value escaped (everything except
 * `A-Z a-z 0-9 - . _ ~` becomes `%XX`). Returns `""` for no parameters.
 */
export function formatParams(params: readonly UriParam[]): string {
  return params.map((p) => `${p.name}=${percentEncode(p.value, FORMAT_VALUE_KEEP)}`).join('&');
}

/**
 * Writes a URI back as text, as libvirt does: `scheme://[user@]host[:port]path[?params][#fragment]`.
 * `//` is always written (so `test:/x` comes back as `test:///x`), an IPv6
 * host gets brackets, the query is rebuilt from `params` with
 * {@link formatParams} (the raw `query` field is not used).
 */
export function formatUri(uri: UriComponents): string {
  let out = `${uri.scheme}://`;
  if (uri.user !== null && uri.user !== undefined) out += `${percentEncode(uri.user, FORMAT_USER_KEEP)}@`;
  const host = uri.host ?? null;
  if (host !== null) {
    out += host.includes(':') ? `[${host}]` : host;
    if (uri.port !== null && uri.port !== undefined && uri.port > 0) out += `:${uri.port}`;
  }
  if (uri.path) out += percentEncode(uri.path, FORMAT_PATH_KEEP);
  const params = uri.params ?? [];
  if (params.length > 0) out += `?${formatParams(params)}`;
  if (uri.fragment !== null && uri.fragment !== undefined) out += `#${percentEncode(uri.fragment, FORMAT_FRAGMENT_KEEP)}`;
  return out;
}

/**
 * The value of the first parameter called `name`, compared case-insensitively
 * as libvirt does; undefined when there is none.
 */
export function getUriParam(uri: Pick<LibvirtUri, 'params'>, name: string): string | undefined {
  const wanted = asciiLower(name);
  return uri.params.find((p) => asciiLower(p.name) === wanted)?.value;
}

/** Lower-cases ASCII letters only, like C's `tolower` in the "C" locale. */
export function asciiLower(text: string): string {
  return text.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}
