/**
 * How libvirt's remote driver turns a URI into a connection: which transport,
 * host and port, which query parameters it keeps for itself, the name it
 * sends in `REMOTE_PROC_CONNECT_OPEN`, the UNIX socket it picks, and for the
 * SSH transports the command it runs on the far side.
 *
 * Pure logic: nothing here opens a connection. The only outside facts used
 * (environment variables, the effective uid, whether a socket file exists)
 * come through {@link RemotePlanEnv}.
 */
import { existsSync } from 'node:fs';
import { UriError } from './errors.js';
import { asciiLower, formatUri, parseUri, type LibvirtUri, type UriParam } from './uri.js';
import { buildPath, effectiveUid, userRuntimeDir, type VirConf } from './config.js';
import { planSsh, type SshClientChoice, type SshPlan } from './ssh-plan.js';
import { attachPlanSecrets, hasSecretParams, redactParams, redactUriText, redactUserInfo, splitUserInfo } from './uri-secrets.js';

export { shellEscape, sshRemoteCommand } from './ssh-plan.js';
export type { SshPlan, SshImplementation, SshClientChoice, SshRemoteCommandOptions } from './ssh-plan.js';

/** The transports the remote driver knows (the part after `+` in the scheme, any case). */
export type RemoteTransport = 'tls' | 'unix' | 'ssh' | 'libssh2' | 'ext' | 'tcp' | 'libssh';

/** Every {@link RemoteTransport}, in libvirt's order. */
export const REMOTE_TRANSPORTS: readonly RemoteTransport[] = ['tls', 'unix', 'ssh', 'libssh2', 'ext', 'tcp', 'libssh'];

/** How the UNIX socket is chosen: `legacy` = libvirtd's socket, `direct` = the per-driver modular daemon's, `auto` = look. */
export type RemoteMode = 'auto' | 'legacy' | 'direct';

/** How an SSH tunnel reaches the daemon: `netcat` (`nc -U socket`), `native` (`virt-ssh-helper`), `auto` (the helper when installed, else netcat). */
export type RemoteProxy = 'auto' | 'netcat' | 'native';

/** Default port of the plain TCP transport (libvirtd's `tcp_port`). */
export const LIBVIRTD_TCP_PORT = 16509;
/** Default port of the TLS transport (libvirtd's `tls_port`). */
export const LIBVIRTD_TLS_PORT = 16514;
/** Default SSH port. */
export const SSH_PORT = 22;

const MODES: readonly RemoteMode[] = ['auto', 'legacy', 'direct'];
const PROXIES: readonly RemoteProxy[] = ['auto', 'netcat', 'native'];
/** Drivers probed (in this order) for a root connection without URI in direct mode. */
const SYSTEM_PROBE_DRIVERS = ['xen', 'qemu', 'lxc', 'vbox', 'bhyve', 'vz'];
/** Drivers probed (in this order) for a session connection without URI in direct mode. */
const SESSION_PROBE_DRIVERS = ['qemu', 'vbox'];

/** Where the plan takes its outside facts from. Every field is optional. */
export interface RemotePlanEnv {
  /** Open read-only (`VIR_CONNECT_RO`): `-ro` system sockets, `virt-ssh-helper -r`. Default false. */
  readOnly?: boolean;
  /** Environment variables (default `process.env`): `XDG_RUNTIME_DIR`, `XDG_CACHE_HOME`, `XDG_CONFIG_HOME`, `HOME`, `LIBVIRT_AUTOSTART`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Effective uid of the client (default `process.geteuid()`); non-zero uids use session daemons for `/session` URIs. */
  uid?: number;
  /** Home directory (default `$HOME`), for `~/.cache` and default SSH keys. */
  homeDir?: string;
  /** Whether a file exists (default `fs.existsSync`); used for socket discovery in `auto` mode and default SSH keys. */
  exists?: (path: string) => boolean;
  /** libvirt.conf, for `remote_mode`, `remote_proxy` and `tls_priority` when the URI does not say. */
  conf?: VirConf | null;
  /** libvirt's LOCALSTATEDIR (default `/var`): system sockets are `<localStateDir>/run/libvirt/...`. */
  localStateDir?: string;
  /** libvirt's RUNSTATEDIR (default `/run`), only used when probing for a driver without URI. */
  runStateDir?: string;
  /**
   * The mode libvirt was built to fall back on (`remote_default_mode`) when
   * `auto` finds neither socket. Default `legacy`; distributions that ship
   * modular daemons build with `direct`.
   */
  defaultMode?: 'legacy' | 'direct';
  /**
   * Which client carries `+ssh`: `auto` (default) runs the `ssh` program when `command=` names
   * one or `ssh` is on `PATH`, else the in-process client; `program` or `in-process` choose.
   * (`+libssh` and `+libssh2` always run in process.)
   */
  sshClient?: SshClientChoice;
  /** A private key is given in memory (connect's `ssh.privateKey`): libssh/libssh2 then try `privkey` by default. */
  sshPrivateKey?: boolean;
}

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

/** TLS settings (transport `tls` only). */
export interface TlsPlan {
  /** `pkipath=`, or null for libvirt's default certificate locations. */
  readonly pkiPath: string | null;
  /** `tls_priority=`, else `tls_priority` from libvirt.conf, else null (the built-in default). */
  readonly priority: string | null;
  /** Verify the server certificate (false with `no_verify`). */
  readonly verifyPeer: boolean;
  /** Sanity-check the local certificates first (false with `no_sanity`). */
  readonly sanityCheck: boolean;
}

/** What libvirt's remote driver would do for one URI. */
export interface RemotePlan {
  /**
   * The parsed URI, or null when planning without URI (the daemon picks the driver). Secrets are
   * redacted: a password in the user part reads `user:***`, secret parameters `***`.
   */
  readonly uri: LibvirtUri | null;
  /** The hypervisor driver (scheme before `+`), or null without URI. */
  readonly driver: string | null;
  /** The transport. */
  readonly transport: RemoteTransport;
  /** Host to reach: the URI's host, or `localhost`. */
  readonly host: string;
  /** Port: the URI's, else 16509 (tcp), 16514 (tls), 22 (ssh, libssh, libssh2); null for unix and ext. */
  readonly port: number | null;
  /** True when the port came from the URI. */
  readonly portExplicit: boolean;
  /** The URI's user name (the user part without any `:password`), or null. */
  readonly user: string | null;
  /** The parameters the driver consumed. */
  readonly options: RemoteOptions;
  /** The parameters passed on to the daemon in the CONNECT_OPEN name, in order (secret values redacted). */
  readonly passthroughParams: readonly UriParam[];
  /**
   * The name to send in CONNECT_OPEN: `name=` if given; `""` for the
   * `remote` driver or without URI; otherwise `driver://path?passthrough#fragment`
   * (no transport, user, host or port; e.g. `qemu+ssh://root@h/system?keyfile=k&foo=bar`
   * gives `qemu:///system?foo=bar`). Secret parameters read `***` here; the daemon gets their values.
   */
  readonly connectName: string;
  /**
   * True when the daemon chooses the driver (an empty name is sent), so the
   * client should ask REMOTE_PROC_CONNECT_GET_URI after opening to learn the
   * real URI. (libvirt itself only asks when it had no URI at all.)
   */
  readonly askUriAfterOpen: boolean;
  /** Read-only connection. */
  readonly readOnly: boolean;
  /** A per-user (session) daemon is wanted: path `/session` or scheme `test+...`, and a non-root client (or no URI and non-root). */
  readonly session: boolean;
  /** libvirt would start the session daemon itself if the socket is missing (unix, no host, `LIBVIRT_AUTOSTART` not `0`). */
  readonly autostart: boolean;
  /** The requested mode: `mode=`, else `remote_mode` from libvirt.conf, else `auto`. */
  readonly mode: RemoteMode;
  /** The mode the socket was picked with; null when `socket=` was given or the transport needs no socket. */
  readonly socketMode: 'legacy' | 'direct' | null;
  /** The requested proxy: `proxy=`, else `remote_proxy` from libvirt.conf, else `netcat` with `socket=`, `native` for a session, `auto` otherwise. */
  readonly proxy: RemoteProxy;
  /** The UNIX socket (local for unix, remote for the SSH transports); null for tcp, tls, ext. */
  readonly socketPath: string | null;
  /** The daemon behind a discovered socket (`virtqemud`, `libvirtd`, ...); null when `socket=` was given or there is no socket. */
  readonly daemonName: string | null;
  /** Whether libvirt calls this transport secure (tls, unix and the SSH transports; not tcp or ext). */
  readonly secure: boolean;
  /** TLS settings, for transport `tls`. */
  readonly tls: TlsPlan | null;
  /** SSH settings, for `ssh`, `libssh`, `libssh2`. */
  readonly ssh: SshPlan | null;
  /** For `ext`: the program to run, as a one-element argv (libvirt does not split `command=`). */
  readonly ext: { readonly argv: readonly [string] } | null;
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

function uriText(uri: LibvirtUri | null): string {
  return uri === null ? '' : formatUri(uri);
}

function readOptions(uri: LibvirtUri, text: string): { options: RemoteOptions; passthrough: UriParam[]; helperParams: UriParam[] } {
  const values: Record<string, string | boolean | null> = {
    name: null, command: null, socket: null, auth: null, sshauth: null, netcat: null, keyfile: null,
    pkipath: null, tlsPriority: null, knownHosts: null, knownHostsVerify: null, mode: null, proxy: null,
    authfile: null, noVerify: false, noTty: false, noSanity: false,
  };
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
          uri: text, part: 'parameter', parameter: param.name,
        });
      }
      values[spec.key] = n !== 0;
    }
  }
  return { options: values as unknown as RemoteOptions, passthrough, helperParams };
}

/** Finds the parameter (last of that name) for error reporting. */
function paramName(uri: LibvirtUri | null, lower: string): string {
  if (uri === null) return lower;
  let found = lower;
  for (const p of uri.params) if (asciiLower(p.name) === lower) found = p.name;
  return found;
}

function pick<T extends string>(allowed: readonly T[], value: string): T | null {
  return (allowed as readonly string[]).includes(value) ? (value as T) : null;
}

/** Inputs of {@link remoteUnixSocket}. */
export interface UnixSocketQuery {
  /** The transport (only `unix` may use `auto` discovery or `direct` mode). */
  transport: RemoteTransport;
  /** The requested mode. */
  mode: RemoteMode;
  /** The driver (`qemu`, `lxc`, `network`, ...), or null without URI. */
  driver: string | null;
  /** Per-user daemon. */
  session: boolean;
  /** Read-only socket (system daemons only; session daemons have one socket). */
  readOnly: boolean;
}

/** The socket {@link remoteUnixSocket} picked. */
export interface UnixSocketChoice {
  /** Socket path. */
  readonly path: string;
  /** `legacy` (libvirtd's socket) or `direct` (the modular daemon's). */
  readonly mode: 'legacy' | 'direct';
  /** The daemon serving it: `libvirtd` or `virt<driver>d`. */
  readonly daemon: string;
}

/**
 * Picks the UNIX socket like libvirt's remote driver:
 *
 * - system: `<localStateDir>/run/libvirt/<prefix>-sock` (`-sock-ro` when read-only);
 * - session: `<user runtime dir>/<prefix>-sock`, the runtime dir being
 *   `$XDG_RUNTIME_DIR/libvirt`, else `$XDG_CACHE_HOME/libvirt` or `~/.cache/libvirt`;
 * - prefix `libvirt` (legacy, libvirtd) or `virt<driver>d` (direct);
 * - `auto`: for unix, direct when the modular socket exists, else legacy when
 *   libvirtd's exists, else `defaultMode`; for the SSH transports always legacy;
 * - without a driver (no URI) in a non-legacy mode with `defaultMode: 'direct'`,
 *   the driver is first guessed from which modular sockets exist.
 *
 * @param uriForErrors - the URI text named by a UriError.
 * @throws UriError for `direct` with a non-unix transport, or `direct` without a driver.
 */
export function remoteUnixSocket(query: UnixSocketQuery, env: RemotePlanEnv = {}, uriForErrors = ''): UnixSocketChoice {
  const exists = env.exists ?? existsSync;
  const localStateDir = env.localStateDir ?? '/var';
  const defaultMode = env.defaultMode ?? 'legacy';
  const socketFor = (prefix: string): string =>
    query.session
      ? buildPath(userRuntimeDir(env), `${prefix}-sock`)
      : buildPath(localStateDir, 'run', 'libvirt', `${prefix}-${query.readOnly ? 'sock-ro' : 'sock'}`);

  let driver = query.driver;
  if (driver === null && query.mode !== 'legacy' && defaultMode === 'direct') {
    if (effectiveUid(env) !== 0) {
      driver = SESSION_PROBE_DRIVERS.find((d) => exists(buildPath(userRuntimeDir(env), `virt${d}d-sock`))) ?? null;
    } else {
      const runDir = env.runStateDir ?? '/run';
      driver = SYSTEM_PROBE_DRIVERS.find((d) => exists(buildPath(runDir, 'libvirt', `virt${d}d-${query.readOnly ? 'sock-ro' : 'sock'}`))) ?? null;
    }
  }

  const directDaemon = driver === null ? null : `virt${driver}d`;
  const directSocket = directDaemon === null ? null : socketFor(directDaemon);
  const legacySocket = socketFor('libvirt');

  let mode: 'legacy' | 'direct';
  if (query.mode === 'auto') {
    if (query.transport === 'unix') {
      if (directSocket !== null && exists(directSocket)) mode = 'direct';
      else if (exists(legacySocket)) mode = 'legacy';
      else mode = defaultMode;
    } else {
      mode = 'legacy';
    }
  } else {
    mode = query.mode;
  }

  if (mode === 'legacy') return { path: legacySocket, mode, daemon: 'libvirtd' };
  if (query.transport !== 'unix') {
    throw new UriError(`invalid parameter "mode": direct socket mode cannot be used with the ${query.transport} transport`, {
      uri: uriForErrors, part: 'parameter', parameter: 'mode',
    });
  }
  if (directSocket === null || directDaemon === null) {
    throw new UriError('invalid parameter "mode": direct socket mode needs a URI naming the driver', {
      uri: uriForErrors, part: 'parameter', parameter: 'mode',
    });
  }
  return { path: directSocket, mode, daemon: directDaemon };
}

/**
 * Works out, without any I/O beyond the injected `exists`, what libvirt's
 * remote driver would do to open `uri`.
 *
 * - transport: the scheme's `+transport` (any case); without one, `tls` when
 *   the URI has a host and `unix` when it has none;
 * - `null` plans the connection libvirt makes when it has no URI at all
 *   (unix socket, empty name, the daemon picks the driver).
 *
 * @throws UriError naming the part that is wrong: a malformed URI, an unknown
 *   transport, `unix` with a host, `qemu://system` (missing slash), an
 *   unknown `mode=`/`proxy=`/`known_hosts_verify=`/`sshauth=` value, a
 *   non-integer `no_verify=`/`no_tty=`/`no_sanity=`, `ext` without
 *   `command=`, `mode=direct` over SSH, `proxy=native` with `netcat=`.
 */
export function planRemoteConnection(uri: string | LibvirtUri | null, env: RemotePlanEnv = {}): RemotePlan {
  const parsed = typeof uri === 'string' ? parseUri(uri) : uri;
  const text = typeof uri === 'string' ? uri : uriText(parsed);
  const vars = env.env ?? process.env;
  const uid = effectiveUid(env);
  const readOnly = env.readOnly ?? false;

  // --- scheme → driver + transport
  let driver: string | null = null;
  let transport: RemoteTransport = 'unix';
  if (parsed !== null) {
    driver = parsed.driver;
    if (parsed.transport !== null) {
      const t = pick(REMOTE_TRANSPORTS, asciiLower(parsed.transport));
      if (t === null) {
        throw new UriError(`unknown transport ${JSON.stringify(parsed.transport)} (expected one of ${REMOTE_TRANSPORTS.join(', ')})`, {
          uri: text, part: 'transport',
        });
      }
      if (t === 'unix' && parsed.host !== null) {
        throw new UriError(`invalid host ${JSON.stringify(parsed.host)}: the unix transport cannot reach a remote server`, {
          uri: text, part: 'host',
        });
      }
      transport = t;
    } else {
      transport = parsed.host !== null ? 'tls' : 'unix';
    }
    // virConnectOpen's check for "qemu://system" meaning "qemu:///system".
    if (parsed.host !== null && ['qemu', 'vbox', 'vz'].includes(parsed.scheme) && (parsed.host === 'system' || parsed.host === 'session')) {
      throw new UriError(`invalid host ${JSON.stringify(parsed.host)} (maybe you want ${parsed.scheme}:///${parsed.host})`, {
        uri: text, part: 'host',
      });
    }
  }

  // --- session / autostart flags
  const autostartAllowed = vars.LIBVIRT_AUTOSTART !== '0';
  let session = false;
  let autostart = false;
  if (parsed !== null) {
    if ((parsed.path === '/session' || parsed.scheme.startsWith('test+')) && uid > 0) {
      session = true;
      autostart = parsed.host === null && transport === 'unix' && autostartAllowed;
    }
  } else if (uid > 0) {
    session = true;
    autostart = autostartAllowed;
  }

  // --- port and host
  let port: number | null = parsed?.port ?? null;
  const portExplicit = port !== null;
  if (port === null) {
    if (transport === 'tls') port = LIBVIRTD_TLS_PORT;
    else if (transport === 'tcp') port = LIBVIRTD_TCP_PORT;
    else if (transport === 'ssh' || transport === 'libssh' || transport === 'libssh2') port = SSH_PORT;
  }
  const host = parsed?.host ?? 'localhost';
  const { user, password } = splitUserInfo(parsed?.user ?? null);

  // --- parameters and the CONNECT_OPEN name
  const empty: RemoteOptions = {
    name: null, command: null, socket: null, auth: null, sshauth: null, netcat: null, keyfile: null, pkipath: null,
    tlsPriority: null, knownHosts: null, knownHostsVerify: null, mode: null, proxy: null, authfile: null,
    noVerify: false, noTty: false, noSanity: false,
  };
  const { options, passthrough, helperParams } = parsed === null ? { options: empty, passthrough: [], helperParams: [] } : readOptions(parsed, text);

  // The daemon gets the real name; everything shown gets secrets redacted.
  let connectName: string;
  let shownConnectName: string;
  let helperUri: string | null = null;
  if (options.name !== null) {
    connectName = options.name;
    shownConnectName = options.name;
  } else if (parsed === null || parsed.scheme === 'remote' || parsed.scheme.startsWith('remote+')) {
    connectName = '';
    shownConnectName = '';
  } else {
    const base = { scheme: parsed.driver, path: parsed.path ?? '', fragment: parsed.fragment };
    connectName = formatUri({ ...base, params: passthrough });
    shownConnectName = redactUriText(connectName);
    helperUri = redactUriText(formatUri({ ...base, params: helperParams }));
  }

  // --- mode and proxy
  const modeText = options.mode ?? env.conf?.getString('remote_mode') ?? null;
  let mode: RemoteMode = 'auto';
  if (modeText !== null) {
    const m = pick(MODES, modeText);
    if (m === null) {
      const name = paramName(parsed, 'mode');
      throw new UriError(`invalid value ${JSON.stringify(modeText)} for parameter "${name}" (expected auto, legacy or direct)`, {
        uri: text, part: 'parameter', parameter: name,
      });
    }
    mode = m;
  }
  const proxyText = options.proxy ?? env.conf?.getString('remote_proxy') ?? null;
  let proxy: RemoteProxy;
  if (proxyText !== null) {
    const p = pick(PROXIES, proxyText);
    if (p === null) {
      const name = paramName(parsed, 'proxy');
      throw new UriError(`invalid value ${JSON.stringify(proxyText)} for parameter "${name}" (expected auto, netcat or native)`, {
        uri: text, part: 'parameter', parameter: name,
      });
    }
    proxy = p;
  } else if (options.socket !== null) {
    proxy = 'netcat';
  } else if (session) {
    proxy = 'native';
  } else {
    proxy = 'auto';
  }

  if (transport === 'ext' && options.command === null) {
    throw new UriError('missing parameter "command" (required by the ext transport)', { uri: text, part: 'parameter', parameter: 'command' });
  }

  // --- socket
  let socketPath: string | null = null;
  let socketMode: 'legacy' | 'direct' | null = null;
  let daemonName: string | null = null;
  if (transport === 'unix' || transport === 'ssh' || transport === 'libssh' || transport === 'libssh2') {
    if (options.socket !== null) {
      socketPath = options.socket;
    } else {
      const choice = remoteUnixSocket({ transport, mode, driver, session, readOnly }, env, text);
      socketPath = choice.path;
      socketMode = choice.mode;
      daemonName = choice.daemon;
    }
  }

  // --- per transport
  let tls: TlsPlan | null = null;
  let ssh: SshPlan | null = null;
  let ext: RemotePlan['ext'] = null;
  if (transport === 'tls') {
    tls = {
      pkiPath: options.pkipath,
      priority: options.tlsPriority ?? env.conf?.getString('tls_priority') ?? null,
      verifyPeer: !options.noVerify,
      sanityCheck: !options.noSanity,
    };
  } else if (transport === 'ext') {
    ext = { argv: [options.command as string] };
  } else if (transport === 'ssh' || transport === 'libssh' || transport === 'libssh2') {
    ssh = planSsh({
      transport, text, parsed, host, port, portExplicit, user, hasPassword: password !== null, options, proxy,
      socketPath: socketPath as string, helperUri: helperUri ?? shownConnectName,
      helperHasSecrets: hasSecretParams(helperParams), readOnly, env, paramName: (lower) => paramName(parsed, lower),
    });
  }

  const shownUri: LibvirtUri | null =
    parsed === null
      ? null
      : { ...parsed, user: redactUserInfo(parsed.user), params: redactParams(parsed.params), query: redactQuery(parsed) };
  const plan: RemotePlan = {
    uri: shownUri,
    driver,
    transport,
    host,
    port,
    portExplicit,
    user,
    options,
    passthroughParams: redactParams(passthrough),
    connectName: shownConnectName,
    askUriAfterOpen: connectName === '',
    readOnly,
    session,
    autostart,
    mode,
    socketMode,
    proxy,
    socketPath,
    daemonName,
    secure: transport !== 'tcp' && transport !== 'ext',
    tls,
    ssh,
    ext,
  };
  attachPlanSecrets(plan, { password, connectName });
  return plan;
}

/** The raw query with secret values redacted (null stays null). */
function redactQuery(uri: LibvirtUri): string | null {
  if (uri.query === null || !hasSecretParams(uri.params)) return uri.query;
  return redactUriText(`x:?${uri.query}`).slice(3);
}
