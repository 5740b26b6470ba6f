/**
 * libvirt's client configuration: the default URI, URI aliases, and a parser
 * for libvirt's configuration file syntax.
 *
 * Where the file lives (as libvirt looks for it):
 * - effective uid 0: `/etc/libvirt/libvirt.conf`;
 * - anyone else: `$XDG_CONFIG_HOME/libvirt/libvirt.conf`, or
 *   `$HOME/.config/libvirt/libvirt.conf` when `XDG_CONFIG_HOME` is unset or empty.
 *
 * A missing file is the same as an empty one. A file that does not parse is an
 * error, as it is for libvirt (which reads it on every connection attempt).
 *
 * Every file-system and environment access goes through {@link ConfigEnv}, so
 * all of this can be tested without touching the machine.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { ConfigError } from './errors.js';
import { asciiLower } from './uri.js';
import { redactUriText } from './uri-secrets.js';

// ---------------------------------------------------------------------------
// The environment

/** Where configuration and per-user directories are looked up. Every field is optional. */
export interface ConfigEnv {
  /** Environment variables (default `process.env`): `LIBVIRT_DEFAULT_URI`, `XDG_CONFIG_HOME`, `HOME`, ... */
  env?: Readonly<Record<string, string | undefined>>;
  /** Effective user id (default `process.geteuid()`, or 1000 where there is none). 0 selects the system-wide file. */
  uid?: number;
  /** Home directory; default `$HOME`, then the operating system's idea of it. */
  homeDir?: string;
  /** System configuration directory (default `/etc`); the root file is `<sysconfDir>/libvirt/libvirt.conf`. */
  sysconfDir?: string;
  /** Reads a text file; returns null when it does not exist (default: `fs.readFileSync`). */
  readFile?: (path: string) => string | null;
}

function envVars(env: ConfigEnv | undefined): Readonly<Record<string, string | undefined>> {
  return env?.env ?? process.env;
}

/** The effective uid {@link ConfigEnv} describes. */
export function effectiveUid(env?: ConfigEnv): number {
  if (env?.uid !== undefined) return env.uid;
  return typeof process.geteuid === 'function' ? process.geteuid() : 1000;
}

/** Joins path pieces with single slashes, like GLib's `g_build_filename`. */
export function buildPath(first: string, ...rest: string[]): string {
  let out = first;
  for (const piece of rest) {
    const trimmed = piece.replace(/^\/+/, '');
    out = out.endsWith('/') ? out.replace(/\/+$/, '/') + trimmed : `${out}/${trimmed}`;
  }
  return out;
}

/** The home directory: `homeDir`, else `$HOME`, else the operating system's answer. */
export function userHomeDir(env?: ConfigEnv): string {
  if (env?.homeDir !== undefined) return env.homeDir;
  const home = envVars(env).HOME;
  return home ? home : homedir();
}

/** libvirt's per-user configuration directory: `$XDG_CONFIG_HOME/libvirt` or `~/.config/libvirt`. */
export function userConfigDir(env?: ConfigEnv): string {
  const xdg = envVars(env).XDG_CONFIG_HOME;
  return buildPath(xdg ? xdg : buildPath(userHomeDir(env), '.config'), 'libvirt');
}

/** libvirt's per-user cache directory: `$XDG_CACHE_HOME/libvirt` or `~/.cache/libvirt`. */
export function userCacheDir(env?: ConfigEnv): string {
  const xdg = envVars(env).XDG_CACHE_HOME;
  return buildPath(xdg ? xdg : buildPath(userHomeDir(env), '.cache'), 'libvirt');
}

/**
 * libvirt's per-user runtime directory, where session daemons put their
 * sockets: `$XDG_RUNTIME_DIR/libvirt`, or when `XDG_RUNTIME_DIR` is unset or
 * empty the cache directory (`$XDG_CACHE_HOME/libvirt`, `~/.cache/libvirt`).
 */
export function userRuntimeDir(env?: ConfigEnv): string {
  const xdg = envVars(env).XDG_RUNTIME_DIR;
  return xdg ? buildPath(xdg, 'libvirt') : userCacheDir(env);
}

/** The path of the `libvirt.conf` that applies to this user (see the module comment). */
export function libvirtConfPath(env?: ConfigEnv): string {
  if (effectiveUid(env) === 0) return buildPath(env?.sysconfDir ?? '/etc', 'libvirt', 'libvirt.conf');
  return buildPath(userConfigDir(env), 'libvirt.conf');
}

function defaultReadFile(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ConfigError(`cannot read the file: ${(cause as Error).message}`, { file: path, cause });
  }
}

// ---------------------------------------------------------------------------
// The configuration file syntax

/** A configuration value: a string, an integer, or a list of values. */
export type VirConfValue = string | number | readonly VirConfValue[];

/** One `name = value` setting. */
export interface VirConfEntry {
  /** The setting's name (case-sensitive). */
  readonly name: string;
  /** Its value. */
  readonly value: VirConfValue;
  /** 1-based line the setting starts on. */
  readonly line: number;
}

/** A parsed configuration file. When a name is set twice, the first setting counts, as in libvirt. */
export class VirConf {
  /**
   * @param file - the file the settings came from (for error messages).
   * @param entries - the settings in file order.
   */
  constructor(
    readonly file: string,
    readonly entries: readonly VirConfEntry[],
  ) {}

  /** The first setting called `name`, or undefined. */
  get(name: string): VirConfEntry | undefined {
    return this.entries.find((e) => e.name === name);
  }

  /**
   * The string value of `name`, or undefined when it is not set.
   * @throws ConfigError when it is set to something other than a string.
   */
  getString(name: string): string | undefined {
    const entry = this.get(name);
    if (entry === undefined) return undefined;
    if (typeof entry.value !== 'string') {
      throw new ConfigError(`expected a string for "${name}" parameter`, { file: this.file, line: entry.line });
    }
    return entry.value;
  }

  /**
   * The list-of-strings value of `name`, or undefined when it is not set.
   * @throws ConfigError when it is not a list, or an item is not a string.
   */
  getStringList(name: string): string[] | undefined {
    const entry = this.get(name);
    if (entry === undefined) return undefined;
    const value = entry.value;
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
      throw new ConfigError(`expected a string list for "${name}" parameter`, { file: this.file, line: entry.line });
    }
    return [...(value as string[])];
  }
}

const isBlank = (c: string | undefined): boolean => c === ' ' || c === '\t';
const isEol = (c: string | undefined): boolean => c === '\n' || c === '\r';
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isAlpha = (c: string | undefined): boolean => c !== undefined && /^[A-Za-z]$/.test(c);

class ConfParser {
  private pos = 0;
  private line = 1;
  readonly entries: VirConfEntry[] = [];

  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {}

  private peek(): string | undefined {
    return this.text[this.pos];
  }

  private fail(problem: string): never {
    throw new ConfigError(problem, { file: this.file, line: this.line });
  }

  private skipBlanks(): void {
    while (isBlank(this.peek())) this.pos++;
  }

  private skipBlanksAndEol(): void {
    while (isBlank(this.peek()) || isEol(this.peek())) {
      if (this.peek() === '\n') this.line++;
      this.pos++;
    }
  }

  private skipComment(): void {
    while (this.pos < this.text.length && !isEol(this.peek())) this.pos++;
  }

  parse(): VirConf {
    while (this.pos < this.text.length) {
      this.statement();
      this.separator();
    }
    return new VirConf(this.file, this.entries);
  }

  private statement(): void {
    this.skipBlanksAndEol();
    if (this.pos >= this.text.length) return;
    if (this.peek() === '#') {
      this.skipComment();
      return;
    }
    const line = this.line;
    const name = this.name();
    this.skipBlanks();
    if (this.peek() !== '=') this.fail(`expecting "=" after "${name}"`);
    this.pos++;
    this.skipBlanks();
    const value = this.value();
    this.entries.push({ name, value, line });
    this.skipBlanks();
    if (this.peek() === '#') this.skipComment();
  }

  private separator(): void {
    this.skipBlanks();
    if (this.pos >= this.text.length) return;
    if (isEol(this.peek())) {
      this.skipBlanksAndEol();
    } else if (this.peek() === ';') {
      this.pos++;
      this.skipBlanksAndEol();
    } else {
      this.fail(`expecting a separator (end of line or ";"), found ${JSON.stringify(this.peek())}`);
    }
  }

  private name(): string {
    const start = this.pos;
    if (!isAlpha(this.peek()) && this.peek() !== '_') this.fail('expecting a name');
    while (/^[A-Za-z0-9_.]$/.test(this.peek() ?? '')) this.pos++;
    return this.text.slice(start, this.pos);
  }

  private value(): VirConfValue {
    const c = this.peek();
    if (c === '"' || c === "'") return this.string();
    if (c === '[') return this.list();
    if (isDigit(c) || c === '-' || c === '+') return this.number();
    return this.fail(this.pos >= this.text.length ? 'expecting a value, found the end of the file' : `expecting a value, found ${JSON.stringify(c)}`);
  }

  private string(): string {
    if (this.text.startsWith('"""', this.pos)) {
      this.pos += 3;
      const start = this.pos;
      const end = this.text.indexOf('"""', start);
      if (end < 0) this.fail('unterminated string');
      for (let i = start; i < end; i++) if (this.text[i] === '\n') this.line++;
      this.pos = end + 3;
      return this.text.slice(start, end);
    }
    const quote = this.peek()!;
    this.pos++;
    const start = this.pos;
    while (this.pos < this.text.length && this.peek() !== quote && !isEol(this.peek())) this.pos++;
    if (this.peek() !== quote) this.fail('unterminated string');
    const value = this.text.slice(start, this.pos);
    this.pos++;
    return value;
  }

  private number(): number {
    const start = this.pos;
    if (this.peek() === '-' || this.peek() === '+') this.pos++;
    if (!isDigit(this.peek())) this.fail('unterminated number');
    while (isDigit(this.peek())) this.pos++;
    const value = Number(this.text.slice(start, this.pos));
    if (!Number.isSafeInteger(value)) this.fail(`numeric overflow: ${this.text.slice(start, this.pos)}`);
    return value;
  }

  private list(): VirConfValue[] {
    this.pos++; // [
    const items: VirConfValue[] = [];
    this.skipBlanksAndEol();
    if (this.pos < this.text.length && this.peek() !== ']') {
      items.push(this.value());
      this.skipBlanksAndEol();
    }
    while (this.pos < this.text.length && this.peek() !== ']') {
      if (this.peek() !== ',') this.fail(`expecting "," or "]" in list, found ${JSON.stringify(this.peek())}`);
      this.pos++;
      this.skipBlanksAndEol();
      if (this.peek() === ']') break;
      items.push(this.value());
      this.skipBlanksAndEol();
    }
    if (this.peek() !== ']') this.fail('list is not closed with "]"');
    this.pos++;
    return items;
  }
}

/**
 * Parses text in libvirt's configuration syntax:
 *
 * - one `name = value` per line (or several separated by `;`); names start
 *   with a letter or `_` and hold letters, digits, `_` and `.`;
 * - values: `"string"` or `'string'` (no escapes, one line), `"""string"""`
 *   (may span lines), integers with an optional sign, and lists
 *   `[ value, value, ... ]` which may span lines and end with a comma;
 * - `#` starts a comment that runs to the end of the line (outside lists).
 *
 * @param file - named in error messages.
 * @throws ConfigError giving `file:line` and what was expected.
 */
export function parseVirConf(text: string, file = '<string>'): VirConf {
  return new ConfParser(text, file).parse();
}

/**
 * Reads and parses the `libvirt.conf` that applies (see {@link libvirtConfPath}).
 * Returns null when the file does not exist.
 * @throws ConfigError when it cannot be read or parsed.
 */
export function loadLibvirtConf(env?: ConfigEnv): VirConf | null {
  const path = libvirtConfPath(env);
  const text = (env?.readFile ?? defaultReadFile)(path);
  if (text === null) return null;
  return parseVirConf(text, path);
}

// ---------------------------------------------------------------------------
// Default URI and aliases

/** Where a default URI came from. */
export interface DefaultUri {
  /** The URI (or alias) text. */
  readonly uri: string;
  /** `env` for `LIBVIRT_DEFAULT_URI`, `config` for `uri_default` in libvirt.conf. */
  readonly source: 'env' | 'config';
  /** For `config`, the file it was read from. */
  readonly file?: string;
}

function defaultFromConf(env: ConfigEnv | undefined, conf: VirConf | null): DefaultUri | null {
  const fromEnv = envVars(env).LIBVIRT_DEFAULT_URI;
  if (fromEnv) return { uri: fromEnv, source: 'env' };
  const fromConf = conf?.getString('uri_default');
  if (fromConf === undefined || conf === null) return null;
  return { uri: fromConf, source: 'config', file: conf.file };
}

/**
 * The URI libvirt uses when it is given none: `LIBVIRT_DEFAULT_URI` when set
 * and not empty, else `uri_default` from libvirt.conf, else null (libvirt
 * would then probe its drivers, or let the daemon choose). The result may
 * itself be an alias; {@link resolveConnectUri} resolves it.
 * @throws ConfigError for an unreadable or malformed libvirt.conf, or a `uri_default` that is not a string.
 */
export function resolveDefaultUri(env?: ConfigEnv): DefaultUri | null {
  const fromEnv = envVars(env).LIBVIRT_DEFAULT_URI;
  if (fromEnv) return { uri: fromEnv, source: 'env' };
  return defaultFromConf(env, loadLibvirtConf(env));
}

/**
 * Looks `name` up in a `uri_aliases` list (`"alias=uri"` items). Only an
 * exact, case-sensitive match of the whole name counts, and alias names may
 * only hold `A-Z a-z 0-9 _ -`, so a name containing `:` or `/` is never an
 * alias. Items are checked in order until a match: an item without `=`, or
 * with another character in its alias name, is an error.
 *
 * @param file - named in error messages.
 * @param line - the line of the `uri_aliases` setting, for error messages.
 * @returns the URI the alias stands for, or null.
 * @throws ConfigError for a malformed item met before the match.
 */
export function findUriAlias(aliases: readonly string[], name: string, file = '<string>', line?: number): string | null {
  for (const item of aliases) {
    const eq = item.indexOf('=');
    if (eq < 0) {
      throw new ConfigError(`malformed "uri_aliases" entry ${JSON.stringify(redactUriText(item))}, expected "alias=uri://host/path"`, { file, line });
    }
    const alias = item.slice(0, eq);
    if (!/^[A-Za-z0-9_-]*$/.test(alias)) {
      throw new ConfigError(`malformed "uri_aliases" entry ${JSON.stringify(redactUriText(item))}, aliases may only contain "a-z", "A-Z", "0-9", "_" and "-"`, {
        file,
        line,
      });
    }
    if (alias === name) return item.slice(eq + 1);
  }
  return null;
}

function aliasFromConf(conf: VirConf | null, name: string): string | null {
  if (conf === null) return null;
  const aliases = conf.getStringList('uri_aliases');
  if (aliases === undefined || aliases.length === 0) return null;
  return findUriAlias(aliases, name, conf.file, conf.get('uri_aliases')?.line);
}

/**
 * Resolves `name` through `uri_aliases` in libvirt.conf.
 *
 * @param source - where to find the aliases: a {@link ConfigEnv} (the file is
 *   read), an already parsed {@link VirConf}, or null for none.
 * @returns the URI the alias stands for, or null when `name` is not an alias.
 * @throws ConfigError for a malformed file, a `uri_aliases` that is not a list of strings, or a malformed item.
 */
export function resolveUriAlias(name: string, source?: ConfigEnv | VirConf | null): string | null {
  const conf = source instanceof VirConf ? source : source === null ? null : loadLibvirtConf(source);
  return aliasFromConf(conf, name);
}

/** Options of {@link resolveConnectUri}. */
export interface ResolveConnectUriOptions extends ConfigEnv {
  /** Do not resolve aliases (libvirt's `VIR_CONNECT_NO_ALIASES`). */
  noAliases?: boolean;
}

/** The outcome of {@link resolveConnectUri}. */
export interface ConnectUriResolution {
  /** The URI to connect to, or null when there is none (the remote daemon will pick its driver). */
  readonly uri: string | null;
  /** Where it came from: the caller, `LIBVIRT_DEFAULT_URI`, `uri_default`; null when there is no URI. */
  readonly source: 'argument' | 'env' | 'config' | null;
  /** The alias that was replaced, when `uri` came from `uri_aliases`. */
  readonly alias: string | null;
  /** The libvirt.conf that was read, or null when there is none. */
  readonly conf: VirConf | null;
}

/**
 * Turns the name given to "open a connection" into the URI libvirt would
 * parse, in libvirt's order: the configuration file is read first (a broken
 * file is an error even when it is not needed); an empty name counts as
 * none; `xen` (any case) and `xen://` mean `xen:///system`; no name falls
 * back to {@link resolveDefaultUri}; then the result (from any source) is
 * looked up once in `uri_aliases` unless `noAliases`.
 * @throws ConfigError for problems with libvirt.conf.
 */
export function resolveConnectUri(name: string | null | undefined, options?: ResolveConnectUriOptions): ConnectUriResolution {
  const conf = loadLibvirtConf(options);
  let given = name === '' || name === undefined ? null : name;
  if (given !== null && (asciiLower(given) === 'xen' || given === 'xen://')) given = 'xen:///system';

  let uri: string | null;
  let source: ConnectUriResolution['source'];
  if (given !== null) {
    uri = given;
    source = 'argument';
  } else {
    const fallback = defaultFromConf(options, conf);
    uri = fallback?.uri ?? null;
    source = fallback?.source ?? null;
  }
  if (uri === null) return { uri: null, source: null, alias: null, conf };

  if (!options?.noAliases) {
    const target = aliasFromConf(conf, uri);
    if (target !== null) return { uri: target, source, alias: uri, conf };
  }
  return { uri, source, alias: null, conf };
}
