/**
 * The query parameters libvirt's remote driver keeps for itself
 * (remote_driver.c, doRemoteOpen's parameter loop, read for the facts):
 * which are consumed, how they read (`no_verify=` as C `strtol`), which go on
 * to the daemon in the CONNECT_OPEN name and to `virt-ssh-helper`, and the
 * `mode=`/`proxy=` values with libvirt.conf's `remote_mode`/`remote_proxy`.
 */
import { UriError } from './errors.js';
import type { RemoteMode, RemotePlanEnv, RemoteProxy } from './remote-plan.js';
import { asciiLower, formatUri, type LibvirtUri, type UriParam } from './uri.js';

/** The query parameters the remote driver keeps for itself (names matched case-insensitively; the last one wins). */
export interface RemoteOptions {
  /** `name=`: the name to send in CONNECT_OPEN instead of the one derived from the URI. */
  readonly name: string | null;
  /** `command=`: for `ssh` the ssh binary (default `ssh`), for `ext` the program to run (required). */
  readonly command: string | null;
  /** `socket=`: the UNIX socket path (locally for `unix`, on the far side for the SSH transports). */
  readonly socket: string | null;
  /** `auth=`: the authentication to ask for (e.g. `sasl`, `sasl.gssapi`, `polkit`). */
  readonly auth: string | null;
  /** `sshauth=`: libssh/libssh2 authentication methods, comma separated. */
  readonly sshauth: string | null;
  /** `netcat=`: the netcat binary on the far side (default `nc`). */
  readonly netcat: string | null;
  /** `keyfile=`: private key for the SSH transports. */
  readonly keyfile: string | null;
  /** `pkipath=`: directory of the TLS client certificate, key and CA. */
  readonly pkipath: string | null;
  /** `tls_priority=`: GnuTLS priority string. */
  readonly tlsPriority: string | null;
  /** `known_hosts=`: known-hosts file for libssh/libssh2. */
  readonly knownHosts: string | null;
  /** `known_hosts_verify=`: `normal`, `auto` or `ignore` for libssh/libssh2. */
  readonly knownHostsVerify: string | null;
  /** `mode=`: `auto`, `legacy` or `direct` (as written; validated). */
  readonly mode: string | null;
  /** `proxy=`: `auto`, `netcat` or `native` (as written; validated). */
  readonly proxy: string | null;
  /** `authfile=`: stripped from the name sent to the daemon (used by libvirt's auth-file lookup). */
  readonly authfile: string | null;
  /** `no_verify=<int>` non-zero: skip TLS certificate / SSH host key checks. */
  readonly noVerify: boolean;
  /** `no_tty=<int>` non-zero: ssh may not prompt (`BatchMode=yes`). */
  readonly noTty: boolean;
  /** `no_sanity=<int>` non-zero: skip the sanity checks of the local TLS certificates. */
  readonly noSanity: boolean;
}

interface ParamSpec {
  key: keyof RemoteOptions;
  kind: 'string' | 'bool';
}

/** Consumed parameters, by lower-case name. */
const CONSUMED: Readonly<Record<string, ParamSpec>> = {
  name: { key: 'name', kind: 'string' },
  command: { key: 'command', kind: 'string' },
  socket: { key: 'socket', kind: 'string' },
  auth: { key: 'auth', kind: 'string' },
  sshauth: { key: 'sshauth', kind: 'string' },
  netcat: { key: 'netcat', kind: 'string' },
  keyfile: { key: 'keyfile', kind: 'string' },
  pkipath: { key: 'pkipath', kind: 'string' },
  known_hosts: { key: 'knownHosts', kind: 'string' },
  known_hosts_verify: { key: 'knownHostsVerify', kind: 'string' },
  tls_priority: { key: 'tlsPriority', kind: 'string' },
  mode: { key: 'mode', kind: 'string' },
  proxy: { key: 'proxy', kind: 'string' },
  no_sanity: { key: 'noSanity', kind: 'bool' },
  no_verify: { key: 'noVerify', kind: 'bool' },
  no_tty: { key: 'noTty', kind: 'bool' },
  authfile: { key: 'authfile', kind: 'string' },
};

/** Names of the parameters the remote driver consumes (lower case). */
export const REMOTE_CONSUMED_PARAMS: readonly string[] = Object.keys(CONSUMED);

/** Parses like C `strtol(s, &end, 10)` demanding the whole string: optional blanks, sign, digits; 32-bit range. */
function parseCInt(text: string): number | null {
  if (!/^[ \t\n\v\f\r]*[+-]?\d+$/.test(text)) return null;
  const n = Number(text.trim());
  return n >= -2147483648 && n <= 2147483647 ? n : null;
}

/** The URI as text, for error messages (`''` without URI). */
export function uriText(uri: LibvirtUri | null): string {
  return uri === null ? '' : formatUri(uri);
}

/** What {@link readOptions} makes of a URI's parameters. */
export interface ReadOptions {
  /** The consumed parameters' values. */
  readonly options: RemoteOptions;
  /** The parameters passed on to the daemon in the CONNECT_OPEN name, in order. */
  readonly passthrough: UriParam[];
  /** The parameters passed on to `virt-ssh-helper` (the passthrough ones, `mode=` and `socket=`). */
  readonly helperParams: UriParam[];
}

/** Options of a plan without URI: nothing consumed. */
export const NO_OPTIONS: RemoteOptions = {
  name: null,
  command: null,
  socket: null,
  auth: null,
  sshauth: null,
  netcat: null,
  keyfile: null,
  pkipath: null,
  tlsPriority: null,
  knownHosts: null,
  knownHostsVerify: null,
  mode: null,
  proxy: null,
  authfile: null,
  noVerify: false,
  noTty: false,
  noSanity: false,
};

/**
 * Splits the URI's parameters into the consumed ones (the last of a name
 * wins) and the ones passed on.
 *
 * @throws UriError for a `no_verify=`/`no_tty=`/`no_sanity=` that is not an integer.
 */
export function readOptions(uri: LibvirtUri, text: string): ReadOptions {
  const values: Record<string, string | boolean | null> = { ...NO_OPTIONS };
  const passthrough: UriParam[] = [];
  const helperParams: UriParam[] = [];
  for (const param of uri.params) {
    const lower = asciiLower(param.name);
    const spec = CONSUMED[lower];
    if (spec === undefined) {
      passthrough.push(param);
      helperParams.push(param);
      continue;
    }
    if (lower === 'mode' || lower === 'socket') helperParams.push(param);
    if (spec.kind === 'string') {
      values[spec.key] = param.value;
    } else {
      const n = parseCInt(param.value);
      if (n === null) {
        throw new UriError(`invalid value ${JSON.stringify(param.value)} for parameter "${param.name}" (expected an integer)`, {
          uri: text,
          part: 'parameter',
          parameter: param.name,
        });
      }
      values[spec.key] = n !== 0;
    }
  }
  return { options: values as unknown as RemoteOptions, passthrough, helperParams };
}

/** Finds the parameter (last of that name) for error reporting. */
export function paramName(uri: LibvirtUri | null, lower: string): string {
  if (uri === null) return lower;
  let found = lower;
  for (const p of uri.params) if (asciiLower(p.name) === lower) found = p.name;
  return found;
}

const MODES: readonly RemoteMode[] = ['auto', 'legacy', 'direct'];
const PROXIES: readonly RemoteProxy[] = ['auto', 'netcat', 'native'];

/** `value` when it is one of `allowed`, else null. */
export function pick<T extends string>(allowed: readonly T[], value: string): T | null {
  return (allowed as readonly string[]).includes(value) ? (value as T) : null;
}

/**
 * The requested socket mode: `mode=`, else `remote_mode` of libvirt.conf, else `auto`.
 *
 * @throws UriError for a value other than auto, legacy or direct.
 */
export function requestedMode(options: RemoteOptions, uri: LibvirtUri | null, text: string, env: RemotePlanEnv): RemoteMode {
  const modeText = options.mode ?? env.conf?.getString('remote_mode') ?? null;
  if (modeText === null) return 'auto';
  const m = pick(MODES, modeText);
  if (m === null) {
    const name = paramName(uri, 'mode');
    throw new UriError(`invalid value ${JSON.stringify(modeText)} for parameter "${name}" (expected auto, legacy or direct)`, {
      uri: text,
      part: 'parameter',
      parameter: name,
    });
  }
  return m;
}

/**
 * The requested SSH proxy: `proxy=`, else `remote_proxy` of libvirt.conf,
 * else `netcat` when `socket=` is given, `native` for a session, `auto` otherwise.
 *
 * @throws UriError for a value other than auto, netcat or native.
 */
export function requestedProxy(options: RemoteOptions, uri: LibvirtUri | null, text: string, env: RemotePlanEnv, session: boolean): RemoteProxy {
  const proxyText = options.proxy ?? env.conf?.getString('remote_proxy') ?? null;
  if (proxyText !== null) {
    const p = pick(PROXIES, proxyText);
    if (p === null) {
      const name = paramName(uri, 'proxy');
      throw new UriError(`invalid value ${JSON.stringify(proxyText)} for parameter "${name}" (expected auto, netcat or native)`, {
        uri: text,
        part: 'parameter',
        parameter: name,
      });
    }
    return p;
  }
  if (options.socket !== null) return 'netcat';
  return session ? 'native' : 'auto';
}
