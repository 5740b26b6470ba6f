/**
 * OpenSSH's `known_hosts` files, read and checked as OpenSSH 9.2 does
 * (hostfile.c, match.c, sshconnect.c; read for the facts):
 *
 * - a line is `[@marker] hosts keytype base64 [comment]`; blank lines and
 *   `#` comments are skipped, and so are lines that do not parse;
 * - `hosts` is either one hashed name, `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`,
 *   or a comma-separated list of patterns (`*`, `?`, `!` negation, compared
 *   lower-cased); a negated pattern that matches excludes the line;
 * - the name looked up is the host lower-cased, as `[host]:port` when the
 *   port is not 22; for such a port a key not found under `[host]:port` is
 *   also accepted when `host` alone has it;
 * - among the lines for the host: the same key means known; another key
 *   (of any type) means changed; a key listed under `@revoked` is refused
 *   whatever else is listed; `@cert-authority` lines apply to host
 *   certificates only (not supported here: see {@link certAuthorityLines}).
 *
 * Keys are compared as their SSH wire blobs (the base64 of a line decodes
 * to the blob the server sends).
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** One parsed line of a known_hosts file. */
export interface KnownHostLine {
  /** The file (or `<memory>`), for messages. */
  readonly file: string;
  /** 1-based line number. */
  readonly line: number;
  /** `@revoked`, `@cert-authority`, or none. */
  readonly marker: 'revoked' | 'cert-authority' | null;
  /** The host field as written (patterns or a hashed name). */
  readonly hosts: string;
  /** The key type named on the line (`ssh-ed25519`, ...). */
  readonly keyType: string;
  /** The key's wire blob. */
  readonly key: Buffer;
}

/** The outcome of {@link checkHostKey}. */
export type HostKeyCheck =
  /** A line lists this key for the host. */
  | { readonly status: 'known'; readonly line: KnownHostLine }
  /** Lines list other keys for the host (`line` is the last of them, as OpenSSH reports). */
  | { readonly status: 'changed'; readonly line: KnownHostLine }
  /** The key is listed under `@revoked`. */
  | { readonly status: 'revoked'; readonly line: KnownHostLine }
  /** Nothing is known about this host's keys. */
  | { readonly status: 'unknown' };

const HASH_MAGIC = '|1|';

/** Parses known_hosts text; lines that do not parse are skipped, as OpenSSH skips them. */
export function parseKnownHosts(text: string, file = '<memory>'): KnownHostLine[] {
  const out: KnownHostLine[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let rest = lines[i]!.replace(/\r$/, '').replace(/^[ \t]+/, '');
    if (rest === '' || rest.startsWith('#')) continue;
    let marker: KnownHostLine['marker'] = null;
    if (rest.startsWith('@')) {
      const m = /^@(\S+)[ \t]+/.exec(rest);
      if (!m) continue;
      if (m[1] === 'revoked') marker = 'revoked';
      else if (m[1] === 'cert-authority') marker = 'cert-authority';
      else continue; // an unknown marker: OpenSSH ignores the line
      rest = rest.slice(m[0].length);
      if (rest.startsWith('@')) continue; // only one marker is allowed
    }
    const fields = rest.split(/[ \t]+/);
    if (fields.length < 3) continue;
    const [hosts, keyType, b64] = fields as [string, string, string];
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) continue;
    const key = Buffer.from(b64, 'base64');
    if (blobKeyType(key) !== keyType) continue;
    out.push({ file, line: i + 1, marker, hosts, keyType, key });
  }
  return out;
}

/** The key type a wire blob starts with (`ssh-ed25519`, ...), or null when it is not a blob. */
export function blobKeyType(blob: Buffer): string | null {
  if (blob.length < 4) return null;
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > blob.length) return null;
  const type = blob.toString('latin1', 4, 4 + len);
  return /^[\x21-\x7e]+$/.test(type) ? type : null;
}

/** OpenSSH's SHA256 fingerprint of a key blob: `SHA256:` and unpadded base64. */
export function fingerprintSha256(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The MD5 fingerprint libssh2 shows (`AB:CD:...`, upper case). */
export function fingerprintMd5(blob: Buffer): string {
  return createHash('md5').update(blob).digest('hex').toUpperCase().match(/../g)!.join(':');
}

/** The name a host is looked up and recorded under: lower-cased, `[host]:port` unless the port is 22. */
export function knownHostName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** OpenSSH's `match_pattern`: `*` any run, `?` any one character. */
export function matchPattern(text: string, pattern: string): boolean {
  // Iterative glob with backtracking on the last '*'.
  let t = 0;
  let p = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === text[t])) {
      t++;
      p++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = t;
    } else if (star >= 0) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/**
 * OpenSSH's `match_pattern_list` on an already lower-cased `text`: 1 when a
 * positive pattern matches and no negated one does, -1 when a negated one
 * matches, 0 otherwise. Patterns are lower-cased when `lower` is set.
 */
export function matchPatternList(text: string, list: string, lower = true): -1 | 0 | 1 {
  let positive = false;
  for (const raw of list.split(',')) {
    const negated = raw.startsWith('!');
    let pattern = negated ? raw.slice(1) : raw;
    if (lower) pattern = pattern.toLowerCase();
    if (matchPattern(text, pattern)) {
      if (negated) return -1;
      positive = true;
    }
  }
  return positive ? 1 : 0;
}

/** HMAC-SHA1 of `name` with `salt`, as a hashed host field `|1|salt|hash`. A fresh salt when none is given. */
export function hashHostName(name: string, salt: Buffer = randomBytes(20)): string {
  const mac = createHmac('sha1', salt).update(name).digest('base64');
  return `${HASH_MAGIC}${salt.toString('base64')}|${mac}`;
}

/** Whether a line's host field names `name` (plain patterns or a hashed name). */
export function hostFieldMatches(hosts: string, name: string): boolean {
  if (hosts.startsWith('|')) {
    if (!hosts.startsWith(HASH_MAGIC)) return false;
    const [saltB64] = hosts.slice(HASH_MAGIC.length).split('|');
    if (!saltB64) return false;
    const salt = Buffer.from(saltB64, 'base64');
    if (salt.length !== 20) return false;
    return hashHostName(name, salt) === hosts;
  }
  return matchPatternList(name.toLowerCase(), hosts) === 1;
}

function checkName(lines: readonly KnownHostLine[], name: string, key: Buffer): HostKeyCheck {
  const mine = lines.filter((l) => hostFieldMatches(l.hosts, name));
  const revoked = mine.find((l) => l.marker === 'revoked' && l.key.equals(key));
  if (revoked) return { status: 'revoked', line: revoked };
  let changed: KnownHostLine | null = null;
  for (const l of mine) {
    if (l.marker !== null) continue;
    if (l.key.equals(key)) return { status: 'known', line: l };
    changed = l;
  }
  return changed !== null ? { status: 'changed', line: changed } : { status: 'unknown' };
}

/**
 * Checks the key a server offered for `host`:`port` against known_hosts
 * lines as OpenSSH does (see the module comment).
 */
export function checkHostKey(lines: readonly KnownHostLine[], host: string, port: number, key: Buffer): HostKeyCheck {
  const result = checkName(lines, knownHostName(host, port), key);
  if (result.status === 'unknown' && port !== 22) {
    // OpenSSH: "checking without port identifier"; only an exact match counts.
    const bare = checkName(lines, knownHostName(host, 22), key);
    if (bare.status === 'known') return bare;
  }
  return result;
}

/** `@cert-authority` lines that apply to the host (for a clear refusal: host certificates are not supported). */
export function certAuthorityLines(lines: readonly KnownHostLine[], host: string, port: number): KnownHostLine[] {
  const name = knownHostName(host, port);
  return lines.filter((l) => l.marker === 'cert-authority' && hostFieldMatches(l.hosts, name));
}

/** The key types listed (unmarked) for the host, for ordering the host key algorithms as OpenSSH does. */
export function knownKeyTypes(lines: readonly KnownHostLine[], host: string, port: number): string[] {
  const names = port === 22 ? [knownHostName(host, 22)] : [knownHostName(host, port), knownHostName(host, 22)];
  const types: string[] = [];
  for (const l of lines) {
    if (l.marker === null && names.some((n) => hostFieldMatches(l.hosts, n)) && !types.includes(l.keyType)) types.push(l.keyType);
  }
  return types;
}

/** A known_hosts line for `name` (see {@link knownHostName}) and the key blob, hashed when asked (OpenSSH's `HashKnownHosts`). */
export function formatKnownHostLine(name: string, key: Buffer, options: { hash?: boolean; comment?: string } = {}): string {
  const type = blobKeyType(key) ?? 'unknown';
  const hosts = options.hash ? hashHostName(name.toLowerCase()) : name.toLowerCase();
  return `${hosts} ${type} ${key.toString('base64')}${options.comment ? ` ${options.comment}` : ''}`;
}

/** Reads and parses a known_hosts file; a missing file is empty. Other read errors are thrown. */
export async function readKnownHostsFile(file: string): Promise<KnownHostLine[]> {
  try {
    return parseKnownHosts(await readFile(file, 'utf8'), file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Appends a line to a known_hosts file, creating it (and its directory, mode 0700) when missing. */
export async function appendKnownHostsLine(file: string, line: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  let prefix = '';
  try {
    const current = await readFile(file);
    if (current.length > 0 && current[current.length - 1] !== 0x0a) prefix = '\n';
  } catch {
    /* a new file */
  }
  await appendFile(file, `${prefix}${line}\n`, { mode: 0o600 });
}
