/**
 * OpenSSH's client configuration (`~/.ssh/config`, then `/etc/ssh/ssh_config`)
 * for the in-process `+ssh` client, read as OpenSSH 9.2's readconf.c does
 * (for the facts; nothing copied):
 *
 * - `Keyword args` or `Keyword=args`, keywords in any case, `#` comments,
 *   arguments in double quotes may hold blanks;
 * - `Host pattern...` starts a block that applies when a pattern matches the
 *   host as given (lower-cased), unless a `!pattern` matches; `Match` blocks
 *   with `all`, `host`, `originalhost`, `user`, `localuser` (each may be
 *   negated with `!`); blocks with other criteria (`exec`, `canonical`,
 *   `final`, `localnetwork`, `tagged`) never apply here and are reported;
 * - for each keyword the first value obtained wins, `IdentityFile` collects;
 * - `Include` files (relative to `~/.ssh` or `/etc/ssh`, `*` and `?` in the
 *   last component);
 * - `%h` in `HostName`; `~` and `%d %h %i %l %n %p %r %u %%` in
 *   `IdentityFile`, `IdentityAgent` and `UserKnownHostsFile`.
 *
 * Honoured keywords: HostName, User, Port, IdentityFile, IdentitiesOnly,
 * IdentityAgent, ProxyJump, ProxyCommand (refused by the dialer),
 * UserKnownHostsFile, GlobalKnownHostsFile, StrictHostKeyChecking,
 * HashKnownHosts, BatchMode, PreferredAuthentications,
 * PasswordAuthentication, KbdInteractiveAuthentication,
 * PubkeyAuthentication, NumberOfPasswordPrompts, ConnectTimeout,
 * HostKeyAlias. Others are accepted and ignored.
 */
import { LibvirtRpcError } from '../../errors/root.js';
import { readdirSync, readFileSync } from 'node:fs';
import { hostname as osHostname, userInfo } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { matchPattern, matchPatternList } from './known-hosts.js';

/** The settings that apply to one host. Null means "not set" (OpenSSH's default applies). */
export interface SshHostConfig {
  /** The host given, `%n`. */
  readonly originalHost: string;
  /** `HostName` (with `%h` expanded), else the host given; lower-cased. */
  readonly hostName: string;
  readonly port: number | null;
  readonly user: string | null;
  /** `IdentityFile`s, expanded (`~`, tokens), in order. */
  readonly identityFiles: readonly string[];
  readonly identitiesOnly: boolean | null;
  /** `IdentityAgent`: a socket path, `none`, or `SSH_AUTH_SOCK`. */
  readonly identityAgent: string | null;
  /** `ProxyJump`, as written (`none` clears it). */
  readonly proxyJump: string | null;
  readonly proxyCommand: string | null;
  readonly userKnownHostsFiles: readonly string[] | null;
  readonly globalKnownHostsFiles: readonly string[] | null;
  /** `yes`, `no`/`off`, `ask`, `accept-new`. */
  readonly strictHostKeyChecking: string | null;
  readonly hashKnownHosts: boolean | null;
  readonly batchMode: boolean | null;
  readonly preferredAuthentications: readonly string[] | null;
  readonly passwordAuthentication: boolean | null;
  readonly kbdInteractiveAuthentication: boolean | null;
  readonly pubkeyAuthentication: boolean | null;
  readonly numberOfPasswordPrompts: number | null;
  /** Seconds. */
  readonly connectTimeout: number | null;
  readonly hostKeyAlias: string | null;
  /** Things that were not understood or cannot apply, for warnings. */
  readonly notes: readonly string[];
}

/** Where {@link resolveSshConfig} reads from. */
export interface SshConfigSources {
  /** Home directory (default `$HOME`). */
  readonly homeDir: string;
  /** The local user name (`%u`, `Match localuser`; default the process's user). */
  readonly localUser?: string;
  /** The user config file (default `<home>/.ssh/config`); null for none. */
  readonly userConfig?: string | null;
  /** The system config file (default `/etc/ssh/ssh_config`); null for none. */
  readonly systemConfig?: string | null;
  /** Reads a file, null when missing (default: the file system). */
  readonly readFile?: (path: string) => string | null;
  /** Lists a directory's entries (default: the file system; empty when missing). */
  readonly listDir?: (path: string) => string[];
}

/** The URI's settings, which win over the configuration as `ssh`'s command-line options do. */
export interface SshCommandLine {
  /** `-l user`, or null. */
  readonly user: string | null;
  /** `-p port`, or null. */
  readonly port: number | null;
  /** `-i keyfile`, or null (it comes before the configured identities). */
  readonly identityFile: string | null;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface State {
  readonly cfg: Mutable<SshHostConfig>;
  readonly identityFiles: string[];
  readonly notes: string[];
  readonly sources: Required<SshConfigSources>;
  readonly cmdline: SshCommandLine;
  depth: number;
}

const MAX_INCLUDE_DEPTH = 16;

/** Splits a config line into words: blanks separate, `"..."` quotes, a `#` word starts a comment. */
export function splitConfigLine(line: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /[ \t\r]/.test(line[i]!)) i++;
    if (i >= line.length || line[i] === '#') break;
    let word = '';
    if (line[i] === '"') {
      i++;
      while (i < line.length && line[i] !== '"') word += line[i++];
      i++;
    } else {
      while (i < line.length && !/[ \t\r]/.test(line[i]!)) word += line[i++];
    }
    words.push(word);
  }
  return words;
}

function yesNo(v: string | undefined): boolean | null {
  if (v === undefined) return null;
  const l = v.toLowerCase();
  if (l === 'yes' || l === 'true') return true;
  if (l === 'no' || l === 'false') return false;
  return null;
}

/** Expands `~` and the `%` tokens OpenSSH allows in file names. */
function expandPath(text: string, st: State, host: string): string {
  const { homeDir, localUser } = st.sources;
  let out = text.startsWith('~/') || text === '~' ? homeDir + text.slice(1) : text;
  const tokens: Record<string, string> = {
    '%': '%',
    d: homeDir,
    h: host,
    i: String(process.getuid?.() ?? 0),
    l: safeHostname(),
    n: st.cfg.originalHost,
    p: String(st.cmdline.port ?? st.cfg.port ?? 22),
    r: st.cmdline.user ?? st.cfg.user ?? localUser,
    u: localUser,
  };
  out = out.replace(/%(.)/g, (whole, t: string) => tokens[t] ?? whole);
  return out;
}

function safeHostname(): string {
  try {
    return osHostname();
  } catch {
    return 'localhost';
  }
}

function matchBlock(args: string[], st: State, file: string, lineNo: number): boolean {
  let result = true;
  for (let i = 0; i < args.length; i++) {
    let word = args[i]!.toLowerCase();
    const negate = word.startsWith('!');
    if (negate) word = word.slice(1);
    if (word === 'all') continue;
    const value = args[i + 1];
    let ok: boolean;
    switch (word) {
      case 'host':
        ok = value !== undefined && matchPatternList((st.cfg.hostName || st.cfg.originalHost).toLowerCase(), value) === 1;
        i++;
        break;
      case 'originalhost':
        ok = value !== undefined && matchPatternList(st.cfg.originalHost, value) === 1;
        i++;
        break;
      case 'user':
        ok = value !== undefined && matchPatternList(st.cmdline.user ?? st.cfg.user ?? st.sources.localUser, value, false) === 1;
        i++;
        break;
      case 'localuser':
        ok = value !== undefined && matchPatternList(st.sources.localUser, value, false) === 1;
        i++;
        break;
      default:
        st.notes.push(`${file} line ${lineNo}: "Match ${args.join(' ')}" is not supported by the in-process SSH client; the block is skipped`);
        return false;
    }
    if (ok === negate) result = false;
  }
  return result;
}

function readLines(path: string, st: State, host: string, activeAtStart: boolean): void {
  const text = st.sources.readFile(path);
  if (text === null) return;
  let active = activeAtStart;
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    let words = splitConfigLine(lines[n]!);
    if (words.length === 0) continue;
    // "Keyword=value" and "Keyword = value".
    const eq = words[0]!.indexOf('=');
    if (eq > 0) words = [words[0]!.slice(0, eq), ...(words[0]!.slice(eq + 1) ? [words[0]!.slice(eq + 1)] : []), ...words.slice(1)];
    if (words[1] === '=') words.splice(1, 1);
    else if (words[1]?.startsWith('=')) words[1] = words[1].slice(1);
    const keyword = words[0]!.toLowerCase();
    const args = words.slice(1);
    if (keyword === 'host') {
      active = false;
      for (const raw of args) {
        const negated = raw.startsWith('!');
        if (matchPattern(host, negated ? raw.slice(1) : raw)) {
          if (negated) {
            active = false;
            break;
          }
          active = true;
        }
      }
      continue;
    }
    if (keyword === 'match') {
      active = matchBlock(args, st, path, n + 1);
      continue;
    }
    if (!active) continue;
    if (keyword === 'include') {
      if (st.depth >= MAX_INCLUDE_DEPTH) {
        st.notes.push(`${path} line ${n + 1}: Include nested too deeply`);
        continue;
      }
      const base = path === st.sources.systemConfig ? '/etc/ssh' : join(st.sources.homeDir, '.ssh');
      for (const arg of args) {
        const expanded = arg.startsWith('~') ? st.sources.homeDir + arg.slice(1) : arg;
        const full = isAbsolute(expanded) ? expanded : join(base, expanded);
        st.depth++;
        for (const file of globFiles(full, st.sources.listDir)) readLines(file, st, host, true);
        st.depth--;
      }
      continue;
    }
    apply(keyword, args, st, path, n + 1);
  }
}

function globFiles(pattern: string, listDir: (p: string) => string[]): string[] {
  const name = basename(pattern);
  if (!/[*?]/.test(name)) return [pattern];
  const dir = dirname(pattern);
  return listDir(dir)
    .filter((e) => matchPattern(e, name))
    .sort()
    .map((e) => join(dir, e));
}

function apply(keyword: string, args: string[], st: State, file: string, line: number): void {
  const cfg = st.cfg;
  const first = args[0];
  const setOnce = <K extends keyof SshHostConfig>(key: K, value: SshHostConfig[K] | null | undefined): void => {
    if (cfg[key] === null && value !== null && value !== undefined) (cfg as Record<string, unknown>)[key] = value;
  };
  switch (keyword) {
    case 'hostname':
      if (cfg.hostName === '' && first !== undefined)
        cfg.hostName = first.replace(/%(.)/g, (w, t: string) => (t === 'h' ? cfg.originalHost : t === '%' ? '%' : w));
      break;
    case 'user':
      setOnce('user', first);
      break;
    case 'port': {
      const n = first !== undefined && /^\d+$/.test(first) ? Number(first) : NaN;
      if (n > 0 && n < 65536) setOnce('port', n);
      else st.notes.push(`${file} line ${line}: bad Port ${JSON.stringify(first ?? '')}`);
      break;
    }
    case 'identityfile':
      if (first !== undefined) st.identityFiles.push(first);
      break;
    case 'identitiesonly':
      setOnce('identitiesOnly', yesNo(first));
      break;
    case 'identityagent':
      setOnce('identityAgent', first);
      break;
    case 'proxyjump':
      setOnce('proxyJump', first);
      break;
    case 'proxycommand':
      setOnce('proxyCommand', args.join(' '));
      break;
    case 'userknownhostsfile':
      setOnce('userKnownHostsFiles', args.length ? args : null);
      break;
    case 'globalknownhostsfile':
      setOnce('globalKnownHostsFiles', args.length ? args : null);
      break;
    case 'stricthostkeychecking':
      setOnce('strictHostKeyChecking', first?.toLowerCase());
      break;
    case 'hashknownhosts':
      setOnce('hashKnownHosts', yesNo(first));
      break;
    case 'batchmode':
      setOnce('batchMode', yesNo(first));
      break;
    case 'preferredauthentications':
      setOnce('preferredAuthentications', first?.split(','));
      break;
    case 'passwordauthentication':
      setOnce('passwordAuthentication', yesNo(first));
      break;
    case 'kbdinteractiveauthentication':
    case 'challengeresponseauthentication':
      setOnce('kbdInteractiveAuthentication', yesNo(first));
      break;
    case 'pubkeyauthentication':
      setOnce('pubkeyAuthentication', yesNo(first));
      break;
    case 'numberofpasswordprompts':
      setOnce('numberOfPasswordPrompts', first !== undefined && /^\d+$/.test(first) ? Number(first) : null);
      break;
    case 'connecttimeout':
      setOnce('connectTimeout', first !== undefined && /^\d+$/.test(first) ? Number(first) : null);
      break;
    case 'hostkeyalias':
      setOnce('hostKeyAlias', first);
      break;
    default:
      break; // accepted and ignored
  }
}

function defaultReadFile(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function defaultListDir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

function localUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'root';
  }
}

/**
 * The configuration OpenSSH would apply to `host` (see the module comment):
 * the user file, then the system file, first value wins; the URI's user,
 * port and key file (`cmdline`) take precedence, as on ssh's command line.
 */
export function resolveSshConfig(
  host: string,
  sources: SshConfigSources,
  cmdline: SshCommandLine = { user: null, port: null, identityFile: null },
): SshHostConfig {
  const home = sources.homeDir;
  const full: Required<SshConfigSources> = {
    homeDir: home,
    localUser: sources.localUser ?? localUserName(),
    userConfig: sources.userConfig === undefined ? join(home, '.ssh', 'config') : sources.userConfig,
    systemConfig: sources.systemConfig === undefined ? '/etc/ssh/ssh_config' : sources.systemConfig,
    readFile: sources.readFile ?? defaultReadFile,
    listDir: sources.listDir ?? defaultListDir,
  };
  // Host blocks match the host as given (case-sensitive, as OpenSSH); the name connected to is lower-cased.
  const original = host;
  const st: State = {
    cfg: {
      originalHost: original,
      hostName: '',
      port: null,
      user: null,
      identityFiles: [],
      identitiesOnly: null,
      identityAgent: null,
      proxyJump: null,
      proxyCommand: null,
      userKnownHostsFiles: null,
      globalKnownHostsFiles: null,
      strictHostKeyChecking: null,
      hashKnownHosts: null,
      batchMode: null,
      preferredAuthentications: null,
      passwordAuthentication: null,
      kbdInteractiveAuthentication: null,
      pubkeyAuthentication: null,
      numberOfPasswordPrompts: null,
      connectTimeout: null,
      hostKeyAlias: null,
      notes: [],
    },
    identityFiles: [],
    notes: [],
    sources: full,
    cmdline,
    depth: 0,
  };
  if (full.userConfig !== null) readLines(full.userConfig, st, original, true);
  if (full.systemConfig !== null) readLines(full.systemConfig, st, original, true);
  const cfg = st.cfg;
  cfg.hostName = (cfg.hostName === '' ? original : cfg.hostName).toLowerCase();
  if (cmdline.user !== null) cfg.user = cmdline.user;
  if (cmdline.port !== null) cfg.port = cmdline.port;
  const target = cfg.hostName;
  const files = [...(cmdline.identityFile !== null ? [cmdline.identityFile] : []), ...st.identityFiles];
  cfg.identityFiles = files.map((f) => expandPath(f, st, target));
  if (cfg.identityAgent !== null && cfg.identityAgent !== 'none' && cfg.identityAgent !== 'SSH_AUTH_SOCK') {
    cfg.identityAgent = expandPath(cfg.identityAgent, st, target);
  }
  if (cfg.userKnownHostsFiles !== null) cfg.userKnownHostsFiles = cfg.userKnownHostsFiles.map((f) => expandPath(f, st, target));
  if (cfg.globalKnownHostsFiles !== null) cfg.globalKnownHostsFiles = cfg.globalKnownHostsFiles.map((f) => expandPath(f, st, target));
  cfg.notes = st.notes;
  return cfg;
}

/** One hop of a `ProxyJump` list. */
export interface JumpHost {
  readonly user: string | null;
  readonly host: string;
  readonly port: number | null;
}

/**
 * Parses a `ProxyJump` value: comma-separated `[user@]host[:port]` or
 * `ssh://[user@]host[:port]` (IPv6 in brackets); `none` is no jump.
 *
 * @throws Error naming the hop that does not parse.
 */
export function parseProxyJump(text: string): JumpHost[] {
  if (text.trim().toLowerCase() === 'none' || text.trim() === '') return [];
  return text.split(',').map((raw) => {
    let hop = raw.trim();
    if (hop.startsWith('ssh://')) hop = hop.slice(6).replace(/\/$/, '');
    const at = hop.lastIndexOf('@');
    const user = at >= 0 ? hop.slice(0, at) : null;
    let rest = at >= 0 ? hop.slice(at + 1) : hop;
    let port: number | null = null;
    let host: string;
    if (rest.startsWith('[')) {
      const close = rest.indexOf(']');
      if (close < 0) throw new LibvirtRpcError('SSH_CONFIG_INVALID', `bad ProxyJump host ${JSON.stringify(raw)}`);
      host = rest.slice(1, close);
      rest = rest.slice(close + 1);
      if (rest.startsWith(':')) port = Number(rest.slice(1));
      else if (rest !== '') throw new LibvirtRpcError('SSH_CONFIG_INVALID', `bad ProxyJump host ${JSON.stringify(raw)}`);
    } else {
      const colon = rest.lastIndexOf(':');
      host = colon >= 0 ? rest.slice(0, colon) : rest;
      if (colon >= 0) port = Number(rest.slice(colon + 1));
    }
    if (host === '' || (port !== null && !(Number.isInteger(port) && port > 0 && port < 65536)) || user === '') {
      throw new LibvirtRpcError('SSH_CONFIG_INVALID', `bad ProxyJump host ${JSON.stringify(raw)}`);
    }
    return { user, host, port };
  });
}
